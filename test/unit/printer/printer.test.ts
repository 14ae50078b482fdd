import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { layoutLabel } from '../../../native/label/layout';
import { loadTemplates } from '../../../native/label/template';
import { openPrinter, printerConfigSchema, type Printer } from '../../../native/printer';
import { PrinterSimulator } from '../../../native/printer/simulator';

let sim: PrinterSimulator;
const printers: Printer[] = [];
beforeEach(async () => {
  sim = await PrinterSimulator.start();
});
afterEach(async () => {
  for (const p of printers.splice(0)) await p.close();
  await sim.close();
});

function printer(language: 'zpl' | 'tspl' | 'epl' | 'escpos', statusTimeoutMs = 300): Printer {
  const p = openPrinter({ language, transport: { kind: 'tcp', host: '127.0.0.1', port: sim.port }, statusTimeoutMs });
  printers.push(p);
  return p;
}

describe('printer configuration', () => {
  it('fills defaults and refuses what cannot work', () => {
    const config = printerConfigSchema.parse({ language: 'zpl', transport: { kind: 'tcp', host: '10.0.0.5' } });
    expect(config).toMatchObject({ dpi: 203, mode: 'raster', darkness: 15, transport: { port: 9100 } });
    expect(printerConfigSchema.safeParse({ language: 'zpl', transport: { kind: 'usb-device' } }).data?.transport).toEqual({ kind: 'usb-device', path: '/dev/usb/lp0' });
    expect(printerConfigSchema.safeParse({ language: 'pcl', transport: { kind: 'tcp', host: 'x' } }).success).toBe(false);
    expect(printerConfigSchema.safeParse({ language: 'zpl', dpi: 600, transport: { kind: 'tcp', host: 'x' } }).success).toBe(false);
    expect(printerConfigSchema.safeParse({ language: 'zpl', transport: { kind: 'os-queue', name: 'a b;rm' } }).success).toBe(false);
  });
});

describe('status through the TCP 9100 simulator', () => {
  it.each(['zpl', 'tspl', 'escpos'] as const)('%s: ready when nothing is wrong', async (language) => {
    expect(await printer(language).status()).toMatchObject({ state: 'ready', faults: [] });
  });

  it.each([
    ['zpl', 'paper-out'],
    ['zpl', 'head-open'],
    ['zpl', 'paused'],
    ['tspl', 'paper-out'],
    ['tspl', 'head-open'],
    ['escpos', 'paper-out'],
    ['escpos', 'offline'],
  ] as const)('%s reports %s', async (language, fault) => {
    sim.faults.add(fault);
    expect(await printer(language).status()).toMatchObject({ state: 'fault', faults: [fault] });
  });

  it('escpos reports an open cover (the simulator sets it with head-open)', async () => {
    sim.faults.add('head-open');
    expect((await printer('escpos').status()).faults).toEqual(['cover-open']);
  });

  it('zpl falls back to ~HQES when ~HS stays silent on an error (current firmware)', async () => {
    sim.hostStatusSilentOnError = true;
    sim.faults.add('paper-out');
    sim.faults.add('head-open');
    expect((await printer('zpl').status()).faults).toEqual(['paper-out', 'head-open']);
  });

  it.each(['zpl', 'tspl', 'escpos'] as const)('%s: a printer that does not answer is a fault (no-answer), never ready', async (language) => {
    sim.silent = true;
    expect(await printer(language).status()).toMatchObject({ state: 'fault', faults: ['no-answer'] });
  });

  it('a printer that is not there is disconnected; status() does not throw', async () => {
    const port = sim.port;
    await sim.close();
    sim = await PrinterSimulator.start();
    const gone = openPrinter({ language: 'zpl', transport: { kind: 'tcp', host: '127.0.0.1', port } });
    expect(await gone.status()).toMatchObject({ state: 'fault', faults: ['disconnected'] });
    await expect(gone.print({ bytes: Buffer.from('^XA^XZ') })).rejects.toMatchObject({ fault: 'disconnected' });
  });

  it('EPL has no status query: unknown, not ready', async () => {
    expect(await printer('epl').status()).toMatchObject({ state: 'unknown', faults: [] });
  });
});

describe('printing', () => {
  it('encodes a laid-out label in the configured language and sends it', async () => {
    const plan = layoutLabel(loadTemplates().get('tube')!, { code: 'SY0000000007', siteName: '站点' }, 203);
    const p = printer('zpl');
    await p.print({ label: plan, copies: 2 });
    const [job] = await sim.waitForJobs(1);
    const text = job!.bytes.toString('latin1');
    expect(text).toContain('^GFA,');
    expect(text).toContain('^PQ2');
    expect(PrinterSimulator.renderJob(job!)).toHaveLength(1);
  });

  it('jobs and queries never interleave', async () => {
    const p = printer('tspl');
    const results = await Promise.all([p.print({ bytes: Buffer.from('A') }), p.status(), p.print({ bytes: Buffer.from('B') }), p.status()]);
    expect(results[1]).toMatchObject({ state: 'ready' });
    await sim.waitForJobs(2);
    expect(sim.jobs.map((j) => j.bytes.toString())).toEqual(['A', 'B']);
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WireEvent } from '../../../electron/api/wire';
import type { StationCore } from '../../../electron/core/core';
import { pngToBitmap } from '../../../native/label/png';
import { PrinterSimulator } from '../../../native/printer/simulator';
import { ok, openCore, tempDir } from '../../helpers/core';
import { tubeCode } from '../../helpers/ids';
import { labelPng, zbarDecode } from '../../helpers/printer-sim';

let core: StationCore;
let sim: PrinterSimulator;
let events: WireEvent[];

beforeEach(async () => {
  core = await openCore(tempDir());
  sim = await PrinterSimulator.start();
  events = [];
  core.subscribe((e) => events.push(e));
});
afterEach(async () => {
  core.close();
  await sim.close();
});

function setting(key: string, value: unknown): void {
  core.db.prepare('INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, JSON.stringify(value));
}

function useSimulator(port = sim.port): void {
  setting('labels.printer', { language: 'zpl', dpi: 203, transport: { kind: 'tcp', host: '127.0.0.1', port }, statusTimeoutMs: 500 });
}

function labelJobs(): Extract<WireEvent, { event: 'label.job' }>['payload'][] {
  return events.filter((e): e is Extract<WireEvent, { event: 'label.job' }> => e.event === 'label.job').map((e) => e.payload);
}

describe('label.preview', () => {
  it('is the printed raster as a PNG data URL, and it decodes to the tube code', async () => {
    const code = tubeCode(11);
    await ok(core, 'scan.submit', { text: code, source: 'manual' });
    for (const dpi of [203, 300] as const) {
      const preview = await ok(core, 'label.preview', { tubeCode: code, dpi });
      expect(preview).toMatchObject({ code, template: 'tube', dpi, widthMm: 50, heightMm: 25 });
      const bitmap = pngToBitmap(Buffer.from(preview.png.replace(/^data:image\/png;base64,/, ''), 'base64'));
      expect(bitmap.width).toBe(dpi === 203 ? 400 : 591);
      expect(zbarDecode(labelPng(bitmap))).toEqual([code]);
    }
  });

  it('follows the printer\'s resolution and loaded label size', async () => {
    setting('labels.printer', { language: 'tspl', dpi: 300, labelSize: { widthMm: 60, heightMm: 30 }, transport: { kind: 'tcp', host: '127.0.0.1', port: sim.port } });
    await ok(core, 'scan.submit', { text: tubeCode(13), source: 'manual' });
    expect(await ok(core, 'label.preview', { tubeCode: tubeCode(13) })).toMatchObject({ dpi: 300, widthMm: 60, heightMm: 30 });
  });

  it('refuses an unknown tube, a box template for a tube, and a code that is not a box code', async () => {
    expect((await core.invoke('label.preview', { tubeCode: tubeCode(99) })).ok).toBe(false);
    await ok(core, 'scan.submit', { text: tubeCode(12), source: 'manual' });
    const wrong = await core.invoke('label.preview', { tubeCode: tubeCode(12), template: 'box' });
    expect(wrong.ok ? null : wrong.error.code).toBe('request.invalid');
    const notBox = await core.invoke('label.preview', { boxCode: 'NOPE' });
    expect(notBox.ok ? null : notBox.error.code).toBe('scan.unrecognized');
    expect((await core.invoke('label.preview', { boxCode: 'BX00000001', template: 'box-manifest' })).ok).toBe(true);
  });
});

describe('printing on tube open', () => {
  it('prints the tube label after the tube is opened, when a printer is configured', async () => {
    useSimulator();
    const outcome = await ok(core, 'scan.submit', { text: tubeCode(21), source: 'manual' });
    expect(outcome.kind).toBe('tube.opened');
    const [job] = await sim.waitForJobs(1);
    const [png] = PrinterSimulator.renderJobPng(job!);
    expect(zbarDecode(png!)).toEqual([tubeCode(21)]);
    await expect.poll(() => labelJobs()).toEqual([expect.objectContaining({ code: tubeCode(21), printed: true, fault: null, trigger: 'tube.opened' })]);
  });

  it('a printer with no paper never blocks or undoes the opening: the fault is reported, reprint works later', async () => {
    useSimulator();
    sim.faults.add('paper-out');
    await ok(core, 'scan.submit', { text: tubeCode(31), source: 'manual' });
    expect((await ok(core, 'desk.state', {})).openTube?.code).toBe(tubeCode(31));
    await expect.poll(() => labelJobs()[0]).toMatchObject({ code: tubeCode(31), printed: false, fault: 'paper-out', status: { state: 'fault', faults: ['paper-out'] } });
    sim.faults.clear();
    const again = await ok(core, 'label.reprint', { code: tubeCode(31) });
    expect(again).toMatchObject({ printed: true, fault: null, status: { state: 'ready' } });
  });

  it('an unreachable printer: the tube is open, the job reports "disconnected"', async () => {
    const port = sim.port;
    await sim.close();
    sim = await PrinterSimulator.start();
    useSimulator(port);
    await ok(core, 'tube.new', {});
    await expect.poll(() => labelJobs()[0]?.fault).toBe('disconnected');
    expect((await ok(core, 'desk.state', {})).openTube).not.toBeNull();
  });

  it('labels.printOnOpen false: no label is printed; no printer: nothing is attempted', async () => {
    useSimulator();
    await ok(core, 'label.setPrintOnOpen', { enabled: false });
    await ok(core, 'scan.submit', { text: tubeCode(41), source: 'manual' });
    const printed = await ok(core, 'label.print', { tubeCode: tubeCode(41) });
    expect(printed.printed).toBe(true);
    await sim.waitForJobs(1);
    expect(sim.jobs).toHaveLength(1);
    expect(labelJobs().map((j) => j.trigger)).toEqual(['request']);
  });

  it('without any printer the print says so and opening tubes prints nothing', async () => {
    await ok(core, 'scan.submit', { text: tubeCode(51), source: 'manual' });
    expect(await ok(core, 'label.print', { tubeCode: tubeCode(51) })).toMatchObject({ printed: false, fault: 'no-printer' });
    expect(await ok(core, 'label.printerStatus', {})).toBeNull();
    expect(labelJobs().map((j) => j.trigger)).toEqual(['request']);
  });

  it('uses the device manager\'s printer when one is configured there, before labels.printer', async () => {
    const other = await PrinterSimulator.start();
    try {
      setting('labels.printer', { language: 'zpl', transport: { kind: 'tcp', host: '127.0.0.1', port: other.port } });
      expect(core.labels.printerConfig()?.transport).toMatchObject({ port: other.port });
      await ok(core, 'devices.save', {
        device: { id: 'p1', name: '标签打印机', enabled: true, kind: 'printer', driver: 'printer', printer: { language: 'tspl', dpi: 300, transport: { kind: 'tcp', host: '127.0.0.1', port: sim.port } } },
      });
      await expect.poll(() => core.labels.printerConfig()?.language).toBe('tspl');
      expect(core.labels.printerConfig()?.dpi).toBe(300);
      await ok(core, 'scan.submit', { text: tubeCode(61), source: 'manual' });
      await ok(core, 'label.print', { tubeCode: tubeCode(61) });
      await expect.poll(() => sim.jobs.some((j) => j.bytes.toString('latin1').startsWith('SIZE 50 mm,25 mm'))).toBe(true);
      expect(other.jobs).toHaveLength(0);
    } finally {
      await other.close();
    }
  });
});

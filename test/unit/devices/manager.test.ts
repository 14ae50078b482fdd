import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceConfig, DeviceEvents } from '../../../electron/api/devices';
import type { WireEvent } from '../../../electron/api/wire';
import { StationCore, type CoreOptions } from '../../../electron/core/core';
import { writeDeviceSettings } from '../../../electron/core/devices/settings';
import { SIM_HID_SCANNER_ID, SIM_PRINTER_ID, SIM_SCANNER_ID, SIM_THERMOMETER_ID } from '../../../electron/core/devices/simulation';
import { PrinterSimulator } from '../../../native/printer/simulator';
import { HidUnavailableError, type HidBoundary } from '../../../native/hid/boundary';
import { FakeHid } from '../../../native/hid/fake';
import { FakeHidScanner, SerialScannerSimulator, SIMULATED_HID_SCANNER } from '../../../native/scanner/simulator';
import { ThermometerSimulator } from '../../../native/thermometer/simulator';
import { ok, refused, signInAdmin, tempDir, withKey } from '../../helpers/core';
import { idNumber, tubeCode } from '../../helpers/ids';
import { ptyFixture, until, type PtyFixture } from '../../helpers/pty';

type Seen = { [E in keyof DeviceEvents]: DeviceEvents[E][] };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function startCore(options: Omit<CoreOptions, 'dataDir' | 'dataKey'> & { dataDir?: string }): Promise<{ core: StationCore; seen: Seen }> {
  const core = await signInAdmin(new StationCore({ ...withKey(options.dataDir ?? tempDir()), ...options, deviceOptions: { retryMs: 20, maxRetryMs: 200, pseudoTerminals: true, ...options.deviceOptions } }));
  const seen: Seen = { 'device.status': [], 'thermometer.reading': [], 'scan.outcome': [] };
  core.subscribe((e: WireEvent) => {
    if (e.event in seen) (seen[e.event as keyof Seen] as unknown[]).push(e.payload);
  });
  cleanups.push(async () => {
    await core.devices.stop();
    core.close();
  });
  return { core, seen };
}

async function pty(): Promise<PtyFixture> {
  const f = await ptyFixture();
  cleanups.push(() => f.close());
  return f;
}

const statusOf = (core: StationCore, id: string) => core.devices.list().devices.find((d) => d.config.id === id)?.status.state;

describe('device manager in the core', () => {
  it('a serial scanner scan goes through scan.submit and its outcome is an event', async () => {
    const f = await pty();
    const { core, seen } = await startCore({ devices: 'real' });
    const scanner: DeviceConfig = { id: 'desk-scanner', name: 'Desk scanner', enabled: true, kind: 'scanner', driver: 'serial', path: f.devicePath, baudRate: 9600, terminator: 'crlf', idleMs: 60, aimPrefix: false };
    await ok(core, 'devices.save', { device: scanner });
    await until(() => statusOf(core, 'desk-scanner') === 'connected', 5000, 'scanner connected');
    const sim = await SerialScannerSimulator.open(f.peerPath, 'crlf');
    cleanups.push(() => sim.close());

    await sim.scan(tubeCode(1));
    await until(() => seen['scan.outcome'].length === 1, 5000, 'tube outcome');
    await sim.scan(idNumber(1), 4);
    await until(() => seen['scan.outcome'].length === 2, 5000, 'person outcome');
    await sim.scan(tubeCode(1));
    await until(() => seen['scan.outcome'].length === 3, 5000, 'refusal outcome');

    expect(seen['scan.outcome'].map((o) => [o.id, o.source])).toEqual([
      ['desk-scanner', 'serial'],
      ['desk-scanner', 'serial'],
      ['desk-scanner', 'serial'],
    ]);
    expect(seen['scan.outcome'][0]!.result).toMatchObject({ ok: true, value: { kind: 'tube.opened', tubeCode: tubeCode(1) } });
    expect(seen['scan.outcome'][1]!.result).toMatchObject({ ok: true, value: { kind: 'person.bound', count: 1, tubeCode: tubeCode(1) } });
    expect(seen['scan.outcome'][2]!.result).toMatchObject({ ok: false, error: { code: 'tube.alreadyOpen' } });
    const desk = await ok(core, 'desk.state', {});
    expect(desk.openTube?.members).toHaveLength(1);
    // The configuration survives a restart of the station.
    const stored = core.db.prepare(`SELECT value FROM setting WHERE key = 'devices'`).get() as { value: string };
    expect(JSON.parse(stored.value).devices[0]).toMatchObject({ id: 'desk-scanner', path: f.devicePath });
  });

  it('re-plugging a device reconnects by itself and every change is a status event', async () => {
    const f = await pty();
    const { core, seen } = await startCore({ devices: 'real' });
    await ok(core, 'devices.save', { device: { id: 't1', name: 'Gate thermometer', enabled: true, kind: 'thermometer', driver: 'serial', path: f.devicePath, baudRate: 9600, protocol: 'ascii', offsetC: 0, toleranceC: 0.2, samples: 3, gapMs: 300 } });
    await until(() => statusOf(core, 't1') === 'connected', 5000, 'connected');
    await f.unplug();
    await until(() => statusOf(core, 't1') === 'disconnected', 5000, 'disconnected');
    await f.plug();
    await until(() => statusOf(core, 't1') === 'connected', 5000, 'reconnected');
    // While unplugged the reason may change (lost, then missing); the states themselves go down and up once.
    const states = seen['device.status'].filter((s) => s.id === 't1').map((s) => s.status.state);
    const changes = states.filter((state, i) => state !== states[i - 1]);
    expect(changes.slice(-3)).toEqual(['connected', 'disconnected', 'connected']);
    expect(seen['device.status'].find((s) => s.id === 't1' && s.status.state === 'disconnected')?.status.reason).toBe('port.lost');
  });

  it('thermometer readings are events; a calibration is stored, journalled and applied', async () => {
    const f = await pty();
    const { core, seen } = await startCore({ devices: 'real' });
    await ok(core, 'devices.save', { device: { id: 't1', name: 'Gate thermometer', enabled: true, kind: 'thermometer', driver: 'serial', path: f.devicePath, baudRate: 9600, protocol: 'ir9', offsetC: 0, toleranceC: 0.2, samples: 3, gapMs: 300 } });
    await until(() => statusOf(core, 't1') === 'connected', 5000, 'connected');
    const sim = await ThermometerSimulator.open(f.peerPath, 'ir9');
    cleanups.push(() => sim.close());
    await sim.measure(36.2, 4);
    await until(() => seen['thermometer.reading'].length === 1, 5000, 'reading');
    expect(seen['thermometer.reading'][0]).toMatchObject({ id: 't1', celsius: 36.2 });

    const before = core.journal.lastSeq();
    const view = await ok(core, 'devices.calibrate', { id: 't1', offsetC: 0.5, reason: 'checked against a reference thermometer' });
    expect(view.config).toMatchObject({ offsetC: 0.5 });
    const entries = core.journal.readAfter(before, 10);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ kind: 'device.calibrated', entityId: 't1', payload: { previousOffsetC: 0, offsetC: 0.5, reason: 'checked against a reference thermometer' } });
    const stored = JSON.parse((core.db.prepare(`SELECT value FROM setting WHERE key = 'devices'`).get() as { value: string }).value);
    expect(stored.devices[0].offsetC).toBe(0.5);

    await new Promise((r) => setTimeout(r, 400));
    await sim.measure(36.2, 4);
    await until(() => seen['thermometer.reading'].length === 2, 5000, 'calibrated reading');
    expect(seen['thermometer.reading'][1]!.celsius).toBe(36.7);
    expect(core.devices.list().devices.find((d) => d.config.id === 't1')?.lastReading?.celsius).toBe(36.7);
    expect(await refused(core, 'devices.calibrate', { id: 'nope', offsetC: 0.1, reason: 'x' })).toBe('device.notFound');
  });

  it('a HID POS scanner at the node-hid boundary scans into the desk', async () => {
    const hid = new FakeHid();
    const device = new FakeHidScanner(hid, SIMULATED_HID_SCANNER, 'symbology-trailer');
    const { core, seen } = await startCore({ devices: 'real', deviceOptions: { hid } });
    await ok(core, 'devices.save', { device: { id: 'h1', name: 'HID scanner', enabled: true, kind: 'scanner', driver: 'hid-pos', vendorId: SIMULATED_HID_SCANNER.vendorId, productId: SIMULATED_HID_SCANNER.productId, serialNumber: null, layout: 'symbology-trailer' } });
    await until(() => statusOf(core, 'h1') === 'connected', 5000, 'connected');
    device.scan(tubeCode(7), ']C0');
    await until(() => seen['scan.outcome'].length === 1, 5000, 'outcome');
    expect(seen['scan.outcome'][0]).toMatchObject({ id: 'h1', source: 'hid', result: { ok: true, value: { kind: 'tube.opened', tubeCode: tubeCode(7) } } });
    device.unplug();
    await until(() => statusOf(core, 'h1') === 'disconnected', 5000, 'unplugged');
    device.plug();
    await until(() => statusOf(core, 'h1') === 'connected', 5000, 'replugged');
  });

  it('a missing HID library or a missing udevadm is a status or a warning, never a crash', async () => {
    const broken: HidBoundary = {
      devices: () => Promise.reject(new HidUnavailableError('libusb-1.0.so.0: cannot open shared object file')),
      open: () => Promise.reject(new HidUnavailableError('libusb-1.0.so.0: cannot open shared object file')),
    };
    const { core } = await startCore({ devices: 'real', deviceOptions: { hid: broken } });
    await ok(core, 'devices.save', { device: { id: 'h1', name: 'HID scanner', enabled: true, kind: 'scanner', driver: 'hid-pos', vendorId: 1, productId: 2, serialNumber: null, layout: 'aim-header' } });
    await until(() => statusOf(core, 'h1') === 'error', 5000, 'error');
    expect(core.devices.list().devices.find((d) => d.config.id === 'h1')?.status.reason).toBe('hid.unavailable');

    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const found = await ok(core, 'devices.discover', {});
      expect(found.warnings.some((w) => w.startsWith('serial.listFailed'))).toBe(true);
      expect(found.warnings.some((w) => w.startsWith('hid.unavailable'))).toBe(true);
    } finally {
      process.env.PATH = path;
    }
    expect((await ok(core, 'desk.state', {})).openTube).toBeNull();
  });

  it('lists the keyboard wedge, keeps devices closed in off mode and ignores unreadable stored settings', async () => {
    const dataDir = tempDir();
    const first = await startCore({ dataDir, devices: 'off' });
    await ok(first.core, 'devices.save', { device: { id: 's1', name: 'Scanner', enabled: true, kind: 'scanner', driver: 'serial', path: '/dev/ttyACM9', baudRate: 9600, terminator: 'cr', idleMs: 60, aimPrefix: false } });
    const listed = await ok(first.core, 'devices.list', {});
    expect(listed.mode).toBe('off');
    expect(listed.devices.map((d) => [d.config.id, d.status.state])).toEqual([
      ['wedge', 'keyboard'],
      ['s1', 'off'],
    ]);
    first.core.db.prepare(`UPDATE setting SET value = '{"mode":"real","devices":[{"id":"bad"}]}' WHERE key = 'devices'`).run();
    await first.core.devices.stop();
    first.core.close();
    const second = await startCore({ dataDir });
    const again = await ok(second.core, 'devices.list', {});
    expect(again.devices.map((d) => d.config.id)).toEqual(['wedge']);
    expect(await refused(second.core, 'devices.remove', { id: 's1' })).toBe('device.notFound');
    expect(await refused(second.core, 'devices.save', { device: { id: 'x', name: 'x', kind: 'scanner', driver: 'serial', path: 'not-a-device' } as unknown as DeviceConfig })).toBe('request.invalid');
  });

  it('training mode runs simulated devices through the same drivers', async () => {
    const { core, seen } = await startCore({ devices: 'simulated' });
    const simulated = [SIM_SCANNER_ID, SIM_HID_SCANNER_ID, SIM_THERMOMETER_ID, SIM_PRINTER_ID];
    await until(() => simulated.every((id) => statusOf(core, id) === 'connected'), 5000, 'simulators connected');
    const listed = await ok(core, 'devices.list', {});
    expect(listed.mode).toBe('simulated');
    expect(listed.devices.filter((d) => d.simulated).map((d) => d.config.id).sort()).toEqual([...simulated].sort());
    const printed = await ok(core, 'devices.testPrint', { id: SIM_PRINTER_ID, dryRun: false });
    expect(printed.printed).toBe(true);
    expect(printed.previewPng).toMatch(/^data:image\/png;base64,/);

    await ok(core, 'devices.simulate', { id: SIM_SCANNER_ID, scan: tubeCode(3) });
    await until(() => seen['scan.outcome'].length === 1, 5000, 'simulated serial scan');
    await ok(core, 'devices.simulate', { id: SIM_HID_SCANNER_ID, scan: idNumber(3) });
    await until(() => seen['scan.outcome'].length === 2, 5000, 'simulated HID scan');
    expect(seen['scan.outcome'].map((o) => (o.result.ok ? o.result.value.kind : o.result.error.code))).toEqual(['tube.opened', 'person.bound']);
    await ok(core, 'devices.simulate', { id: SIM_THERMOMETER_ID, celsius: 37.9 });
    await until(() => seen['thermometer.reading'].length === 1, 5000, 'simulated reading');
    expect(seen['thermometer.reading'][0]!.celsius).toBe(37.9);
    expect(await refused(core, 'devices.simulate', { id: 'wedge', scan: 'x' })).toBe('device.notSimulated');
  });
});

describe('training mode without socat', () => {
  it('marks the serial simulators unavailable and keeps the others running', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    let core: StationCore;
    try {
      core = (await startCore({ devices: 'simulated' })).core;
      await ok(core, 'devices.list', {});
    } finally {
      process.env.PATH = path;
    }
    const byId = new Map(core.devices.list().devices.map((d) => [d.config.id, d.status]));
    expect(byId.get(SIM_SCANNER_ID)).toEqual({ state: 'error', reason: 'simulator.unavailable' });
    expect(byId.get(SIM_THERMOMETER_ID)).toEqual({ state: 'error', reason: 'simulator.unavailable' });
    await until(() => statusOf(core, SIM_HID_SCANNER_ID) === 'connected', 5000, 'HID simulator');
    expect(await refused(core, 'devices.simulate', { id: SIM_SCANNER_ID, scan: 'x' })).toBe('device.offline');
  });
});

describe('label printers in the device manager', () => {
  it('polls a printer, reports faults in words-ready reasons and prints a test label', async () => {
    const printer = await PrinterSimulator.start();
    cleanups.push(() => printer.close());
    const { core, seen } = await startCore({ devices: 'real', deviceOptions: { printerPollMs: 50 } });
    const config = { language: 'zpl', transport: { kind: 'tcp', host: '127.0.0.1', port: printer.port }, dpi: 300 };
    await ok(core, 'devices.save', { device: { id: 'p1', name: 'Desk printer', enabled: true, kind: 'printer', driver: 'printer', printer: config } });
    await until(() => statusOf(core, 'p1') === 'connected', 5000, 'printer ready');
    expect(core.devices.defaultPrinter()?.config.dpi).toBe(300);

    const preview = await ok(core, 'devices.testPrint', { id: 'p1', dryRun: true });
    expect(preview.printed).toBe(false);
    expect(printer.jobs).toHaveLength(0);
    const printed = await ok(core, 'devices.testPrint', { id: 'p1', dryRun: false });
    expect(printed.printed).toBe(true);
    await until(() => printer.jobs.length === 1, 5000, 'job received');
    expect(PrinterSimulator.renderJobPng(printer.jobs[0]!)).toHaveLength(1);

    printer.faults.add('paper-out');
    await until(() => statusOf(core, 'p1') === 'error', 5000, 'paper out seen');
    expect(seen['device.status'].filter((s) => s.id === 'p1').at(-1)?.status).toEqual({ state: 'error', reason: 'printer.paper-out' });
    printer.faults.delete('paper-out');
    await until(() => statusOf(core, 'p1') === 'connected', 5000, 'paper back');

    printer.silent = true;
    await until(() => statusOf(core, 'p1') === 'disconnected', 5000, 'silence is a fault');
    expect(core.devices.list().devices.find((d) => d.config.id === 'p1')?.status.reason).toBe('printer.no-answer');
  });

  it('refuses a printer configuration its driver does not accept', async () => {
    const { core } = await startCore({ devices: 'off' });
    const result = await core.invoke('devices.save', { device: { id: 'p1', name: 'Bad', enabled: true, kind: 'printer', driver: 'printer', printer: { language: 'pcl', transport: { kind: 'tcp', host: '127.0.0.1' } } } });
    expect(result).toMatchObject({ ok: false, error: { code: 'request.invalid', params: { field: 'device.printer.language' } } });
  });

  it('refuses a printer or a port whose path is a file or a link to one, and never writes to it', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'notes.txt');
    fs.writeFileSync(file, 'keep me');
    const link = path.join(dir, 'lp0');
    fs.symlinkSync(file, link);
    const before = fs.statSync(file).mtimeMs;
    // Without the test harness' allowance, as the app runs.
    const { core } = await startCore({ devices: 'real', deviceOptions: { pseudoTerminals: false, printerPollMs: 50 } });
    const usbPrinter = (id: string, at: string) => ({ id, name: 'USB printer', enabled: true, kind: 'printer' as const, driver: 'printer' as const, printer: { language: 'zpl', transport: { kind: 'usb-device', path: at } } });
    const serialScanner = (id: string, at: string): DeviceConfig => ({ id, name: 'Scanner', enabled: true, kind: 'scanner', driver: 'serial', path: at, baudRate: 9600, terminator: 'cr', idleMs: 60, aimPrefix: false });
    for (const at of [file, link]) {
      expect(await core.invoke('devices.save', { device: usbPrinter('p1', at) })).toMatchObject({ ok: false, error: { code: 'device.pathRefused', params: { id: 'p1', reason: 'notUsbPrinter' } } });
      expect(await core.invoke('devices.save', { device: serialScanner('s1', at) })).toMatchObject({ ok: false, error: { code: 'device.pathRefused', params: { id: 's1', reason: 'notADevice' } } });
    }
    // A pseudo-terminal is not a serial port discovery lists.
    const f = await pty();
    expect(await core.invoke('devices.save', { device: serialScanner('s1', f.devicePath) })).toMatchObject({ ok: false, error: { code: 'device.pathRefused', params: { reason: 'notListed' } } });
    expect(await core.invoke('devices.save', { device: usbPrinter('p1', f.devicePath) })).toMatchObject({ ok: false, error: { code: 'device.pathRefused', params: { reason: 'notUsbPrinter' } } });
    // An unplugged printer keeps its usual path.
    await ok(core, 'devices.save', { device: usbPrinter('p2', '/dev/usb/lp9') });
    expect((await ok(core, 'devices.list', {})).devices.map((d) => d.config.id)).toEqual(['wedge', 'p2']);

    // Settings stored some other way are checked again whenever the device is opened.
    await core.writer.run(() => writeDeviceSettings(core.db, { mode: 'real', devices: [usbPrinter('p1', link) as DeviceConfig, serialScanner('s1', file)] }));
    await ok(core, 'devices.setMode', { mode: 'real' });
    await until(() => statusOf(core, 'p1') === 'error' && statusOf(core, 's1') === 'error', 5000, 'paths refused at open');
    const reasons = Object.fromEntries((await ok(core, 'devices.list', {})).devices.map((d) => [d.config.id, d.status.reason]));
    expect(reasons).toMatchObject({ p1: 'printer.not-a-printer', s1: 'port.refused' });
    expect(await core.invoke('devices.testPrint', { id: 'p1', dryRun: false })).toMatchObject({ ok: false, error: { code: 'device.printFailed', params: { fault: 'not-a-printer' } } });
    expect(fs.readFileSync(file, 'utf8')).toBe('keep me');
    expect(fs.statSync(file).mtimeMs).toBe(before);
  });
});

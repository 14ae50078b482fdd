import { afterEach, describe, expect, it } from 'vitest';
import { SerialScanner } from '../../../native/scanner/serial-scanner';
import { SerialScannerSimulator, openPeer, writeAll } from '../../../native/scanner/simulator';
import type { DecodedScan } from '../../../native/scanner/aim';
import type { Terminator } from '../../../native/serial/framer';
import { encodeIr9, encodeModbusReply } from '../../../native/thermometer/codecs';
import { Thermometer, type ThermometerReading } from '../../../native/thermometer/thermometer';
import { ThermometerSimulator } from '../../../native/thermometer/simulator';
import { ptyFixture, until, type PtyFixture } from '../../helpers/pty';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function pty(): Promise<PtyFixture> {
  const f = await ptyFixture();
  cleanups.push(() => f.close());
  return f;
}

async function scannerOn(f: PtyFixture, terminator: Terminator, aimPrefix = false) {
  const scanner = new SerialScanner({ path: f.devicePath, pathPolicy: { pseudoTerminals: true }, baudRate: 9600, terminator, idleMs: 40, aimPrefix, retryMs: 20, maxRetryMs: 200 });
  const scans: DecodedScan[] = [];
  scanner.on('scan', (s) => scans.push(s));
  scanner.start();
  cleanups.push(() => scanner.stop());
  await until(() => scanner.status.state === 'connected', 5000, 'scanner connected');
  return { scanner, scans };
}

const QR = '{"name":"王小明","addr":"上海市浦东新区","id":"11010519491231002X"}';

describe('serial scanner over a real pty', () => {
  it.each(['cr', 'lf', 'crlf', 'none'] as const)('decodes Chinese QR payloads split mid-character (%s)', async (terminator) => {
    const f = await pty();
    const { scans } = await scannerOn(f, terminator);
    const sim = await SerialScannerSimulator.open(f.peerPath, terminator);
    cleanups.push(() => sim.close());
    // 3-byte chunks cut most of the 3-byte UTF-8 characters in two.
    await sim.scan(QR, 5);
    await until(() => scans.length === 1, 5000, 'first scan');
    await sim.scan('T2026000001');
    await until(() => scans.length === 2, 5000, 'second scan');
    expect(scans.map((s) => s.text)).toEqual([QR, 'T2026000001']);
  });

  it('strips an AIM prefix when the scanner is set to send one', async () => {
    const f = await pty();
    const { scans } = await scannerOn(f, 'cr', true);
    const sim = await SerialScannerSimulator.open(f.peerPath, 'cr');
    cleanups.push(() => sim.close());
    await sim.scan(']Q1' + QR);
    await until(() => scans.length === 1, 5000, 'scan');
    expect(scans[0]).toEqual({ text: QR, aim: ']Q1' });
  });

  it('reconnects after the pty closes mid-scan, dropping the cut-off scan', async () => {
    const f = await pty();
    const { scanner, scans } = await scannerOn(f, 'cr');
    const reasons: string[] = [];
    scanner.on('status', (st) => reasons.push(st.reason ?? st.state));
    const peer = await openPeer(f.peerPath);
    peer.on('error', () => undefined);
    cleanups.push(() => new Promise<void>((resolve) => (peer.isOpen ? peer.close(() => resolve()) : resolve())));
    await writeAll(peer, Buffer.from('T20260000', 'latin1'));
    await new Promise((r) => setTimeout(r, 50));
    await f.unplug();
    await until(() => scanner.status.state !== 'connected', 5000, 'disconnect noticed');
    expect(reasons[0]).toBe('port.lost');
    await f.plug();
    await until(() => scanner.status.state === 'connected', 5000, 'reconnected');
    const sim = await SerialScannerSimulator.open(f.peerPath, 'cr');
    cleanups.push(() => sim.close());
    await sim.scan('T2026000009');
    await until(() => scans.length === 1, 5000, 'scan after reconnect');
    expect(scans.map((s) => s.text)).toEqual(['T2026000009']);
  });

  it('reports a missing port and connects when it appears', async () => {
    const f = await pty();
    await f.unplug();
    const scanner = new SerialScanner({ path: f.devicePath, pathPolicy: { pseudoTerminals: true }, baudRate: 9600, terminator: 'cr', retryMs: 20, maxRetryMs: 100 });
    cleanups.push(() => scanner.stop());
    scanner.start();
    await until(() => scanner.status.reason === 'port.missing', 5000, 'missing');
    await f.plug();
    await until(() => scanner.status.state === 'connected', 5000, 'connected');
  });

  it('reports a port held by another program as busy', async () => {
    const f = await pty();
    await scannerOn(f, 'cr');
    const second = new SerialScanner({ path: f.devicePath, pathPolicy: { pseudoTerminals: true }, baudRate: 9600, terminator: 'cr', retryMs: 20 });
    cleanups.push(() => second.stop());
    second.start();
    await until(() => second.status.state === 'error', 5000, 'busy');
    expect(second.status.reason).toBe('port.busy');
  });
});

describe('thermometer over a real pty', () => {
  async function thermometerOn(f: PtyFixture, protocol: 'ascii' | 'ir9' | 'modbus') {
    const t = new Thermometer({ path: f.devicePath, pathPolicy: { pseudoTerminals: true }, baudRate: 9600, protocol, pollMs: 50, retryMs: 20, maxRetryMs: 200, stabilizer: { gapMs: 300 } });
    const readings: ThermometerReading[] = [];
    t.on('reading', (r) => readings.push(r));
    t.start();
    cleanups.push(() => t.stop());
    await until(() => t.status.state === 'connected', 5000, 'thermometer connected');
    const sim = await ThermometerSimulator.open(f.peerPath, protocol);
    cleanups.push(() => sim.close());
    return { t, readings, sim };
  }

  it('ASCII stream with garbage and out-of-range values gives one stable reading per person', async () => {
    const f = await pty();
    const { readings, sim } = await thermometerOn(f, 'ascii');
    await sim.raw(Buffer.from('\x00\xff garbage\r\nT=24.9C\r\nT=45.0C\r\nT=36.'));
    await sim.raw(Buffer.from('6C\r\nT=36.6C\r\nT=36.7C\r\nT=36.6C\r\n'));
    await until(() => readings.length === 1, 5000, 'first reading');
    await new Promise((r) => setTimeout(r, 400));
    await sim.measure(37.8, 4);
    await until(() => readings.length === 2, 5000, 'second reading');
    expect(readings.map((r) => r.celsius)).toEqual([36.6, 37.8]);
  });

  it('IR frames split across writes with a bad checksum in the burst', async () => {
    const f = await pty();
    const { readings, sim } = await thermometerOn(f, 'ir9');
    const bad = Buffer.from(encodeIr9(39.0));
    bad[8] = (bad[8]! ^ 0x5a) & 0xff;
    const stream = Buffer.concat([Buffer.from([0x66, 0x01]), encodeIr9(36.9), bad, encodeIr9(36.9), encodeIr9(36.8), encodeIr9(36.9)]);
    for (let i = 0; i < stream.length; i += 4) await sim.raw(stream.subarray(i, i + 4));
    await until(() => readings.length === 1, 5000, 'reading');
    expect(readings[0]!.celsius).toBe(36.9);
  });

  it('Modbus module is polled; a corrupted reply is skipped', async () => {
    const f = await pty();
    const { readings, sim } = await thermometerOn(f, 'modbus');
    const corrupted = Buffer.from(encodeModbusReply({ address: 1, register: 0, scale: 10 }, 41));
    corrupted[3] = corrupted[3]! ^ 0x01;
    await sim.raw(corrupted);
    await sim.measure(36.4, 4, 120);
    await until(() => readings.length === 1, 5000, 'reading');
    expect(readings[0]!.celsius).toBeCloseTo(36.4, 1);
  });

  it('reconnects after the pty vanishes mid-frame', async () => {
    const f = await pty();
    const { t, readings, sim } = await thermometerOn(f, 'ir9');
    await sim.raw(encodeIr9(36.5).subarray(0, 5));
    await sim.close();
    await f.unplug();
    await until(() => t.status.state !== 'connected', 5000, 'disconnect');
    await f.plug();
    await until(() => t.status.state === 'connected', 5000, 'reconnect');
    const again = await ThermometerSimulator.open(f.peerPath, 'ir9');
    cleanups.push(() => again.close());
    await again.measure(36.5, 4);
    await until(() => readings.length === 1, 5000, 'reading after reconnect');
    expect(readings[0]!.celsius).toBe(36.5);
  });
});

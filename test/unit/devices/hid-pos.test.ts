import { describe, expect, it } from 'vitest';
import { HidUnavailableError } from '../../../native/hid/boundary';
import { FakeHid } from '../../../native/hid/fake';
import { encodeHidPosReports, HidPosAssembler, REPORT_LENGTH } from '../../../native/scanner/hid-pos';
import { HidScanner } from '../../../native/scanner/hid-scanner';
import { FakeHidScanner, SIMULATED_HID_SCANNER } from '../../../native/scanner/simulator';
import type { DecodedScan } from '../../../native/scanner/aim';
import { until } from '../../helpers/pty';

/** A report written out byte by byte, as in the vendor manuals, not through the encoder. */
function honeywellReport(data: string, aim: string, more: boolean): Buffer {
  const r = Buffer.alloc(64);
  r[0] = 0x02;
  r[1] = Buffer.byteLength(data);
  r.write(aim, 2, 'latin1');
  r.write(data, 5);
  r[61] = 0x73;
  r[63] = more ? 1 : 0;
  return r;
}

describe('HID POS report assembly', () => {
  it('reads a single aim-header report, keeping the AIM identifier apart', () => {
    const a = new HidPosAssembler('aim-header');
    expect(a.push(honeywellReport('T2026000001', ']C0', false))).toEqual({ kind: 'scan', scan: { text: 'T2026000001', aim: ']C0' } });
  });

  it('joins continued reports, also when a UTF-8 character straddles them', () => {
    const a = new HidPosAssembler('aim-header');
    const text = '{"name":"张三","id":"11010519491231002X","addr":"北京市朝阳区某某街道一号院"}';
    const bytes = Buffer.from(text);
    const first = Buffer.alloc(64);
    first[0] = 2;
    first[1] = 56;
    first.write(']Q1', 2, 'latin1');
    bytes.copy(first, 5, 0, 56);
    first[63] = 1;
    const second = Buffer.alloc(64);
    second[0] = 2;
    second[1] = bytes.length - 56;
    second.write(']Q1', 2, 'latin1');
    bytes.copy(second, 5, 56);
    expect(a.push(first)).toEqual({ kind: 'partial' });
    expect(a.push(second)).toEqual({ kind: 'scan', scan: { text, aim: ']Q1' } });
  });

  it('reads the symbology-trailer layout and strips a leading AIM identifier from the data', () => {
    const a = new HidPosAssembler('symbology-trailer');
    const r = Buffer.alloc(64);
    r[0] = 2;
    r[1] = 13;
    r.write(']d2BOX-000042', 2, 'latin1');
    r[62] = 0x31;
    expect(a.push(r)).toEqual({ kind: 'scan', scan: { text: 'BOX-000042', aim: ']d2' } });
  });

  it('ignores unknown report ids and malformed reports without losing the next scan', () => {
    const a = new HidPosAssembler('aim-header');
    expect(a.push(Buffer.from([0x01, 0, 0, 0]))).toEqual({ kind: 'ignored', reason: 'unknownReport' });
    expect(a.push(Buffer.alloc(10, 2))).toEqual({ kind: 'ignored', reason: 'malformed' });
    const tooLong = honeywellReport('x', ']C0', false);
    tooLong[1] = 60;
    expect(a.push(tooLong)).toEqual({ kind: 'ignored', reason: 'malformed' });
    expect(a.push(honeywellReport('OK1', ']C0', false)).kind).toBe('scan');
  });

  it('round-trips long payloads through the encoder for both layouts', () => {
    const text = '核酸预登记码:'.repeat(20);
    for (const layout of ['aim-header', 'symbology-trailer'] as const) {
      const reports = encodeHidPosReports(layout, text, ']Q1');
      expect(reports.length).toBeGreaterThan(2);
      expect(reports.every((r) => r.length === REPORT_LENGTH)).toBe(true);
      const a = new HidPosAssembler(layout);
      const results = reports.map((r) => a.push(r));
      expect(results.at(-1)).toEqual({ kind: 'scan', scan: { text, aim: ']Q1' } });
    }
  });
});

describe('HID scanner driver at the node-hid boundary', () => {
  it('delivers scans, survives removal mid-read and reconnects on re-plug', async () => {
    const hid = new FakeHid();
    const device = new FakeHidScanner(hid, SIMULATED_HID_SCANNER, 'aim-header');
    const scanner = new HidScanner({ boundary: hid, match: { vendorId: SIMULATED_HID_SCANNER.vendorId, productId: SIMULATED_HID_SCANNER.productId }, layout: 'aim-header', retryMs: 20, maxRetryMs: 100 });
    const scans: DecodedScan[] = [];
    const states: string[] = [];
    scanner.on('scan', (s) => scans.push(s));
    scanner.on('status', (s) => states.push(s.reason ? `${s.state}:${s.reason}` : s.state));
    scanner.start();
    await until(() => scanner.status.state === 'connected', 5000, 'connected');
    device.scan('T2026000001', ']C0');
    expect(scans).toEqual([{ text: 'T2026000001', aim: ']C0' }]);

    // Removed after the first of two reports: the half scan is dropped, not joined to the next.
    const reports = encodeHidPosReports('aim-header', 'A'.repeat(80), ']C0');
    hid.feed(SIMULATED_HID_SCANNER.path, reports[0]!);
    device.unplug();
    expect(scanner.status).toMatchObject({ state: 'disconnected', reason: 'hid.lost' });
    device.plug();
    await until(() => scanner.status.state === 'connected', 5000, 'reconnected');
    device.scan('T2026000002', ']C0');
    expect(scans.map((s) => s.text)).toEqual(['T2026000001', 'T2026000002']);
    expect(states).toContain('disconnected:hid.lost');
    await scanner.stop();
    expect(hid.openCount(SIMULATED_HID_SCANNER.path)).toBe(0);
  });

  it('reports a busy device and a missing library as errors with reasons, and keeps retrying', async () => {
    const hid = new FakeHid();
    hid.attach(SIMULATED_HID_SCANNER);
    hid.setBusy(SIMULATED_HID_SCANNER.path, true);
    const scanner = new HidScanner({ boundary: hid, match: { vendorId: SIMULATED_HID_SCANNER.vendorId, productId: SIMULATED_HID_SCANNER.productId }, layout: 'aim-header', retryMs: 20 });
    scanner.start();
    await until(() => scanner.status.state === 'error', 5000, 'busy error');
    expect(scanner.status.reason).toBe('hid.busy');
    hid.setBusy(SIMULATED_HID_SCANNER.path, false);
    await until(() => scanner.status.state === 'connected', 5000, 'connected after busy');
    await scanner.stop();

    const broken = { devices: async () => Promise.reject(new HidUnavailableError('libusb-1.0.so.0: cannot open shared object file')), open: async () => Promise.reject(new Error('no')) };
    const orphan = new HidScanner({ boundary: broken, match: { vendorId: 1, productId: 2 }, layout: 'aim-header', retryMs: 20 });
    orphan.start();
    await until(() => orphan.status.state === 'error', 5000, 'unavailable');
    expect(orphan.status).toMatchObject({ state: 'error', reason: 'hid.unavailable' });
    await orphan.stop();
  });
});

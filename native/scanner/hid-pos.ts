import { isAim, splitAim, type DecodedScan } from './aim';

/**
 * Byte layouts of the HID POS "scanned data" input report (report ID 0x02, 64 bytes with the
 * report ID first as hidapi gives it on Linux):
 *
 * - `aim-header` (Honeywell, Access-IS): [1] data length in this report, [2..4] AIM identifier,
 *   [5..60] data, [61] vendor symbology id, [62] reserved, [63] bit 0 = more reports follow.
 * - `symbology-trailer` (Newland-style engines): [1] data length in this report, [2..57] data,
 *   [58..61] reserved, [62] vendor symbology id or 0, [63] bit 0 = more reports follow. An AIM
 *   identifier, when the scanner is set to send one, leads the data.
 */
export type HidPosLayout = 'aim-header' | 'symbology-trailer';

export const SCANNED_DATA_REPORT_ID = 0x02;
export const REPORT_LENGTH = 64;

const SPEC: Record<HidPosLayout, { dataAt: number; maxData: number }> = {
  'aim-header': { dataAt: 5, maxData: 56 },
  'symbology-trailer': { dataAt: 2, maxData: 56 },
};

/** Longest scan kept: the router refuses anything longer anyway. */
const MAX_SCAN_BYTES = 4096;

export type ReportResult =
  | { kind: 'scan'; scan: DecodedScan }
  | { kind: 'partial' }
  | { kind: 'ignored'; reason: 'unknownReport' | 'malformed' | 'tooLong' };

/** Assembles scans from a device's input reports, across continuation reports. */
export class HidPosAssembler {
  private parts: Buffer[] = [];
  private size = 0;
  private aim: string | null = null;

  constructor(private readonly layout: HidPosLayout) {}

  push(report: Buffer): ReportResult {
    if (report.length === 0 || report[0] !== SCANNED_DATA_REPORT_ID) return { kind: 'ignored', reason: 'unknownReport' };
    const spec = SPEC[this.layout];
    const length = report[1] ?? 0;
    if (report.length < REPORT_LENGTH || length > spec.maxData) {
      this.reset();
      return { kind: 'ignored', reason: 'malformed' };
    }
    if (this.parts.length === 0 && this.layout === 'aim-header') {
      const id = report.subarray(2, 5).toString('latin1');
      this.aim = isAim(id) ? id : null;
    }
    this.parts.push(Buffer.from(report.subarray(spec.dataAt, spec.dataAt + length)));
    this.size += length;
    if (this.size > MAX_SCAN_BYTES) {
      this.reset();
      return { kind: 'ignored', reason: 'tooLong' };
    }
    if ((report[63]! & 0x01) === 1) return { kind: 'partial' };
    const decoded = new TextDecoder('utf-8').decode(Buffer.concat(this.parts));
    const aim = this.aim;
    this.reset();
    if (this.layout === 'aim-header') return { kind: 'scan', scan: { text: decoded, aim } };
    return { kind: 'scan', scan: splitAim(decoded) };
  }

  /** Drops a half-assembled scan (device removed mid-read). */
  reset(): void {
    this.parts = [];
    this.size = 0;
    this.aim = null;
  }
}

/**
 * The reports a scanner of `layout` sends for one scan: used by the fake HID scanner (training
 * mode) and the tests, so both speak exactly the bytes a device would.
 */
export function encodeHidPosReports(layout: HidPosLayout, text: string, aim: string | null): Buffer[] {
  const spec = SPEC[layout];
  const body = Buffer.from(layout === 'symbology-trailer' && aim ? aim + text : text, 'utf8');
  const reports: Buffer[] = [];
  for (let at = 0; at === 0 || at < body.length; at += spec.maxData) {
    const chunk = body.subarray(at, at + spec.maxData);
    const report = Buffer.alloc(REPORT_LENGTH);
    report[0] = SCANNED_DATA_REPORT_ID;
    report[1] = chunk.length;
    if (layout === 'aim-header') report.write(aim ?? '\0\0\0', 2, 'latin1');
    chunk.copy(report, spec.dataAt);
    report[63] = at + spec.maxData < body.length ? 1 : 0;
    reports.push(report);
  }
  return reports;
}

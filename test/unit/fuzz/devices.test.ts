import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  parseEscPosStatus,
  parseTsplStatus,
  parseZplHostStatus,
  parseZplHqes,
  PRINTER_FAULTS,
  zplHostStatusComplete,
  zplHqesComplete,
} from '../../../native/printer/status';
import { splitAim } from '../../../native/scanner/aim';
import { encodeHidPosReports, HidPosAssembler, REPORT_LENGTH, SCANNED_DATA_REPORT_ID, type HidPosLayout } from '../../../native/scanner/hid-pos';
import { PayloadFramer, type Terminator } from '../../../native/serial/framer';
import {
  asciiLineDecoder,
  DEFAULT_MODBUS,
  encodeIr9,
  encodeModbusReply,
  ir9Decoder,
  modbusDecoder,
  parseModbusRequest,
  type ThermometerDecoder,
} from '../../../native/thermometer/codecs';
import { BODY_RANGE_C, ReadingStabilizer } from '../../../native/thermometer/stable';
import { bytes, chunked, chunkedBytes, fuzzOptions, piecesText } from './arbitraries';

const terminator = fc.constantFrom<Terminator>('cr', 'lf', 'crlf', 'none');
const layout = fc.constantFrom<HidPosLayout>('aim-header', 'symbology-trailer');

function feed(decoder: ThermometerDecoder, chunks: Buffer[]): number[] {
  return chunks.flatMap((c) => decoder.push(c));
}

function frames(t: Terminator, data: Buffer[]): Buffer[] {
  const framer = new PayloadFramer(t);
  const out = data.flatMap((c) => framer.push(c));
  const rest = framer.flush();
  return rest ? [...out, rest] : out;
}

describe('serial scanner frames (fuzz)', () => {
  it('cuts any byte stream the same way however the port splits it, never past the terminator, and bounded', () => {
    fc.assert(
      fc.property(terminator, bytes(1024).chain((b) => chunked(b).map((c) => [b, c] as const)), (t, [whole, chunks]) => {
        const framer = new PayloadFramer(t, 256);
        for (const chunk of chunks) {
          for (const payload of framer.push(chunk)) {
            expect(payload.length).toBeGreaterThan(0);
            expect([0x0a, 0x0d]).not.toContain(payload[0]);
            expect([0x0a, 0x0d]).not.toContain(payload[payload.length - 1]);
            if (t === 'cr' || t === 'crlf') expect(payload.includes(t === 'cr' ? '\r' : '\r\n')).toBe(false);
            if (t === 'lf') expect(payload.includes('\n')).toBe(false);
          }
          expect(framer.buffered).toBeLessThanOrEqual(256);
        }
        // Below the framer's bound, the chunking never changes what comes out.
        expect(frames(t, chunks)).toEqual(frames(t, [whole]));
      }),
      fuzzOptions(800),
    );
  });

  it('gives back every scan a scanner sent, terminated, whatever the chunks', () => {
    const payload = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }).filter((s) => !/[\r\n]/.test(s));
    fc.assert(
      fc.property(fc.constantFrom<Terminator>('cr', 'lf', 'crlf'), fc.array(payload, { maxLength: 6 }), fc.integer({ min: 1, max: 16 }), (t, scans, size) => {
        const end = t === 'cr' ? '\r' : t === 'lf' ? '\n' : '\r\n';
        const stream = Buffer.from(scans.map((s) => s + end).join(''));
        const chunks: Buffer[] = [];
        for (let at = 0; at < stream.length; at += size) chunks.push(stream.subarray(at, at + size));
        const decoded = frames(t, chunks).map((b) => b.toString('utf8'));
        expect(decoded).toEqual(scans.filter((s) => s.length > 0));
      }),
      fuzzOptions(500),
    );
  });
});

describe('HID POS reports (fuzz)', () => {
  const report = fc.oneof(
    bytes(80),
    // Well-formed heads with odd lengths, AIM bytes and continuation flags.
    fc.tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ minLength: REPORT_LENGTH - 2, maxLength: REPORT_LENGTH - 2 }), fc.integer({ min: 0, max: 3 })).map(([length, body, more]) => {
      const r = Buffer.concat([Buffer.from([SCANNED_DATA_REPORT_ID, length]), Buffer.from(body)]);
      r[63] = more;
      return r;
    }),
  );

  it('assembles or ignores any sequence of reports, and a scan is never longer than the bound', () => {
    fc.assert(
      fc.property(layout, fc.array(report, { maxLength: 120 }), (l, reports) => {
        const assembler = new HidPosAssembler(l);
        for (const r of reports) {
          const result = assembler.push(r);
          if (result.kind === 'scan') {
            expect(Buffer.byteLength(result.scan.text)).toBeLessThanOrEqual(3 * 4096);
            if (result.scan.aim !== null) expect(result.scan.aim).toMatch(/^\][A-Za-z][0-9A-Za-z]$/);
          }
        }
      }),
      fuzzOptions(500),
    );
  });

  it('gives back the text and AIM identifier a scanner encoded, in either layout', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 300 }).filter((s) => splitAim(s).aim === null);
    const aim = fc.option(fc.constantFrom(']C0', ']Q1', ']d2', ']E0'));
    fc.assert(
      fc.property(layout, text, aim, (l, t, a) => {
        const assembler = new HidPosAssembler(l);
        const results = encodeHidPosReports(l, t, a).map((r) => assembler.push(r));
        expect(results.at(-1)).toEqual({ kind: 'scan', scan: { text: t, aim: a } });
        expect(results.slice(0, -1).every((r) => r.kind === 'partial')).toBe(true);
      }),
      fuzzOptions(400),
    );
  });
});

describe('thermometer frames (fuzz)', () => {
  const decoders: [string, () => ThermometerDecoder][] = [
    ['ascii', () => asciiLineDecoder()],
    ['ir9', () => ir9Decoder()],
    ['modbus', () => modbusDecoder()],
  ];

  it.each(decoders)('%s: any bytes decode to finite values, the same however they are chunked', (_name, make) => {
    const garbage = fc.oneof(
      chunkedBytes(400),
      // Bytes that look like frame starts, so the resync paths run.
      fc.array(fc.constantFrom(0x66, 0x04, 0x01, 0x03, 0x83, 0x02, 0x0d, 0x0a, 0x54, 0x3d, 0x43, 0x2e, 0x33, 0x36), { maxLength: 400 }).map((a) => Buffer.from(a)).chain(chunked),
    );
    fc.assert(
      fc.property(garbage, (chunks) => {
        const values = feed(make(), chunks);
        for (const v of values) expect(Number.isFinite(v)).toBe(true);
        expect(values).toEqual(feed(make(), [Buffer.concat(chunks)]));
      }),
      fuzzOptions(600),
    );
  });

  const celsius = fc.integer({ min: 3000, max: 4500 }).map((n) => n / 100);
  const noise = bytes(12).map((b) => Buffer.from(b.filter((x) => x !== 0x66 && x !== DEFAULT_MODBUS.address)));

  it('ir9: every frame between noise is read, with its value', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(noise, celsius), { maxLength: 8 }).chain((parts) => chunked(Buffer.concat(parts.flatMap(([n, c]) => [n, encodeIr9(c)]))).map((ch) => [parts, ch] as const)), ([parts, chunks]) => {
        expect(feed(ir9Decoder(), chunks)).toEqual(parts.map(([, c]) => Math.round(c * 100) / 100));
      }),
      fuzzOptions(400),
    );
  });

  it('modbus: every reply is read with its value, and a request is told apart from junk', () => {
    const tenths = fc.integer({ min: 300, max: 450 }).map((n) => n / 10);
    fc.assert(
      fc.property(fc.array(tenths, { maxLength: 8 }).chain((values) => chunked(Buffer.concat(values.map((v) => encodeModbusReply(DEFAULT_MODBUS, v)))).map((ch) => [values, ch] as const)), ([values, chunks]) => {
        expect(feed(modbusDecoder(), chunks)).toEqual(values);
      }),
      fuzzOptions(400),
    );
    fc.assert(
      fc.property(bytes(16), (b) => {
        const parsed = parseModbusRequest(b, DEFAULT_MODBUS);
        if (parsed) expect(parsed.count).toBeGreaterThanOrEqual(0);
      }),
      fuzzOptions(400),
    );
  });

  it('ascii: every reading line is read, whatever else is on the line', () => {
    const line = fc.oneof(celsius.map((c) => `T=${c.toFixed(2)}C`), piecesText(['T', '=', 'C', ' ', '-', '.', '1', '36', '\t', '\u0000'], 10).map((s) => s.replace(/[\r\n]/g, '')));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 10 }), fc.constantFrom('\r\n', '\n', '\r'), (lines, eol) => {
        const stream = Buffer.from(lines.map((l) => l + eol).join(''), 'latin1');
        const values = feed(asciiLineDecoder(), [stream]);
        for (const v of values) expect(Number.isFinite(v)).toBe(true);
        expect(values.length).toBeGreaterThanOrEqual(lines.filter((l) => /^T=\d+\.\d+C$/.test(l)).length);
      }),
      fuzzOptions(400),
    );
  });

  it('a stabilised reading is always a body temperature, whatever values and times come in', () => {
    const value = fc.oneof(fc.double(), fc.double({ min: 30, max: 45, noNaN: true }), fc.constant(Number.NaN));
    fc.assert(
      fc.property(fc.array(fc.tuple(value, fc.integer({ min: 0, max: 5000 })), { maxLength: 60 }), fc.double({ min: -5, max: 5, noNaN: true }), (stream, offset) => {
        const stabilizer = new ReadingStabilizer({ toleranceC: 0.2, samples: 3, gapMs: 1500, offsetC: offset });
        let at = 0;
        for (const [v, dt] of stream) {
          at += dt;
          const reading = stabilizer.push(v, at);
          if (reading !== null) {
            expect(reading).toBeGreaterThanOrEqual(BODY_RANGE_C.min);
            expect(reading).toBeLessThanOrEqual(BODY_RANGE_C.max);
          }
        }
      }),
      fuzzOptions(400),
    );
  });
});

describe('printer status answers (fuzz)', () => {
  const reply = fc.oneof(
    bytes(600).map((b) => b.toString('latin1')),
    piecesText(['\x02', '\x03', ',', '1', '0', '000', 'ERRORS:', 'WARNINGS:', ' ', '00000001', 'FFFFFFFF', '\r\n'], 40),
  );

  it('reads any reply as faults staff have words for, or as no status at all', () => {
    fc.assert(
      fc.property(reply, (r) => {
        const hs = parseZplHostStatus(r);
        if (hs) for (const f of hs.faults) expect(PRINTER_FAULTS).toContain(f);
        const hq = parseZplHqes(r);
        if (hq) for (const f of hq) expect(PRINTER_FAULTS).toContain(f);
        zplHostStatusComplete(Buffer.from(r, 'latin1'));
        zplHqesComplete(Buffer.from(r, 'latin1'));
      }),
      fuzzOptions(800),
    );
    for (let b = 0; b < 256; b++) {
      for (const f of parseTsplStatus(b).faults) expect(PRINTER_FAULTS).toContain(f);
      for (const f of parseEscPosStatus({ printer: b, offline: b, paper: b })) expect(PRINTER_FAULTS).toContain(f);
    }
  });

  it('reads a reply of 200,000 frame starts at once, and ends the query there', () => {
    // A device answering a status query with a stream of STX bytes froze the core for seconds:
    // the frame search was quadratic in the reply's length (80 KB took 16 s).
    const flood = '\x02'.repeat(200_000);
    expect(parseZplHostStatus(flood)).toBeNull();
    expect(zplHostStatusComplete(Buffer.from(flood, 'latin1'))).toBe(true);
    expect(parseZplHostStatus(`${flood}\x03${'\x02a\x03'.repeat(2)}`)).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import {
  asciiLineDecoder,
  crc16Modbus,
  encodeIr9,
  encodeModbusReply,
  ir9Decoder,
  modbusDecoder,
  modbusReadRequest,
  parseModbusRequest,
} from '../../../native/thermometer/codecs';
import { ReadingStabilizer } from '../../../native/thermometer/stable';

const modbus = { address: 1, register: 0, scale: 10 };

describe('ASCII line thermometer codec', () => {
  it('reads values across split chunks and skips garbage lines', () => {
    const d = asciiLineDecoder();
    expect(d.push(Buffer.from('T=36.'))).toEqual([]);
    expect(d.push(Buffer.from('5C\r\nnoise\r\nT=37.1C\nT=abcC\r\n'))).toEqual([36.5, 37.1]);
    expect(d.stats).toEqual({ frames: 2, rejected: 2 });
  });

  it('takes a configurable pattern with a named group', () => {
    const d = asciiLineDecoder(String.raw`^TEMP:(?<c>\d+\.\d)$`);
    expect(d.push(Buffer.from('TEMP:36.8\nT=36.5C\n'))).toEqual([36.8]);
  });
});

describe('9-byte IR module frame (66 66)', () => {
  it('encodes the documented layout', () => {
    const f = encodeIr9(36.5, 25);
    expect([...f.subarray(0, 8)]).toEqual([0x66, 0x66, 0x01, 0x04, 0x0e, 0x42, 0x09, 0xc4]);
    expect(f[8]).toBe([...f.subarray(0, 8)].reduce((a, b) => (a + b) & 0xff, 0));
  });

  it('resynchronises through garbage, split frames and bad checksums', () => {
    const d = ir9Decoder();
    const good = encodeIr9(36.6);
    const bad = Buffer.from(encodeIr9(39.9));
    bad[8] = (bad[8]! + 1) & 0xff;
    const stream = Buffer.concat([Buffer.from([0x00, 0x66, 0x13, 0x66]), good, bad, Buffer.from('xx'), encodeIr9(36.7)]);
    const out: number[] = [];
    for (let i = 0; i < stream.length; i += 4) out.push(...d.push(stream.subarray(i, i + 4)));
    expect(out).toEqual([36.6, 36.7]);
    expect(d.stats.rejected).toBeGreaterThan(0);
  });
});

describe('Modbus RTU register module', () => {
  it('computes CRC-16/MODBUS like the reference vector', () => {
    // 01 03 00 00 00 01 -> CRC 0x0A84, sent as 84 0A.
    expect(crc16Modbus(Buffer.from([1, 3, 0, 0, 0, 1]))).toBe(0x0a84);
    expect([...modbusReadRequest(modbus)]).toEqual([1, 3, 0, 0, 0, 1, 0x84, 0x0a]);
    expect(parseModbusRequest(modbusReadRequest(modbus), modbus)).toEqual({ register: 0, count: 1 });
  });

  it('parses replies, skips bad CRC, other addresses and exception replies', () => {
    const d = modbusDecoder(modbus);
    const bad = Buffer.from(encodeModbusReply(modbus, 38));
    bad[4] = bad[4]! ^ 0xff;
    const other = encodeModbusReply({ ...modbus, address: 2 }, 40);
    const exception = Buffer.from([1, 0x83, 2, 0, 0]);
    exception.writeUInt16LE(crc16Modbus(exception.subarray(0, 3)), 3);
    const stream = Buffer.concat([bad, other, exception, encodeModbusReply(modbus, 36.4), encodeModbusReply(modbus, -5.5)]);
    const out: number[] = [];
    for (let i = 0; i < stream.length; i += 3) out.push(...d.push(stream.subarray(i, i + 3)));
    expect(out).toEqual([36.4, -5.5]);
  });
});

describe('reading stabiliser', () => {
  const opts = { toleranceC: 0.2, samples: 3, gapMs: 1000, offsetC: 0 };

  it('gives the mean of the first stable run, once per person', () => {
    const s = new ReadingStabilizer(opts);
    const values = [36.0, 36.9, 36.5, 36.6, 36.5, 36.6, 36.5];
    const out = values.map((v, i) => s.push(v, i * 50)).filter((v) => v !== null);
    expect(out).toEqual([36.5]);
  });

  it('needs a gap before the next person and skips out-of-range values', () => {
    const s = new ReadingStabilizer(opts);
    const feed = (values: number[], t0: number) => values.map((v, i) => s.push(v, t0 + i * 50)).filter((v) => v !== null);
    expect(feed([36.5, 36.5, 36.5], 0)).toEqual([36.5]);
    expect(feed([37.0, 37.0, 37.0], 300)).toEqual([]);
    expect(feed([25, 25, 50, 31.9, 43.1], 600)).toEqual([]);
    expect(feed([37.2, 37.3, 37.2], 2000)).toEqual([37.2]);
  });

  it('applies the calibration offset before the range check', () => {
    const s = new ReadingStabilizer({ ...opts, offsetC: 0.8 });
    expect([31.5, 31.5, 31.5].map((v, i) => s.push(v, i)).at(-1)).toBe(32.3);
  });
});

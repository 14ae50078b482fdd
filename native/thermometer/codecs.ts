/**
 * Thermometer wire protocols. Each decoder takes the raw byte stream in whatever chunks the port
 * delivers and returns the temperatures (°C) of the whole, valid frames; garbage, bad checksums
 * and half frames are skipped and counted, never thrown.
 */
export type ThermometerProtocol = 'ascii' | 'ir9' | 'modbus';

export type DecoderStats = { frames: number; rejected: number };

export type ThermometerDecoder = {
  push(chunk: Buffer): number[];
  readonly stats: DecoderStats;
};

/** Longest garbage kept while looking for a frame: beyond this the stream is out of sync. */
const MAX_BUFFER = 512;

// ---- ASCII lines --------------------------------------------------------------------------

export const DEFAULT_ASCII_PATTERN = String.raw`T\s*=\s*(-?\d{1,3}(?:\.\d+)?)\s*C`;

/**
 * One reading per line (`T=36.5C`); the pattern's first group (or a group named `c`) is the
 * value in °C. Lines end with CR, LF or both.
 */
export function asciiLineDecoder(pattern: string = DEFAULT_ASCII_PATTERN): ThermometerDecoder {
  const re = new RegExp(pattern);
  let pending = '';
  const stats: DecoderStats = { frames: 0, rejected: 0 };
  return {
    stats,
    push(chunk) {
      // Readings are ASCII: latin1 maps every byte to one char, so a chunk split never corrupts.
      pending += chunk.toString('latin1');
      const lines = pending.split(/\r\n|\r|\n/);
      pending = lines.pop() ?? '';
      if (pending.length > MAX_BUFFER) {
        pending = '';
        stats.rejected++;
      }
      const out: number[] = [];
      for (const line of lines) {
        if (!line.trim()) continue;
        const m = re.exec(line);
        const value = m ? Number(m.groups?.c ?? m[1]) : NaN;
        if (Number.isFinite(value)) {
          stats.frames++;
          out.push(value);
        } else stats.rejected++;
      }
      return out;
    },
  };
}

// ---- 9-byte IR module frame ---------------------------------------------------------------

/**
 * The common IR module frame (MLX9061x boards): 66 66, mode (01 continuous, 02 query), data
 * length (4), object temperature ×100 (big-endian), ambient temperature ×100, then the low byte
 * of the sum of the first eight bytes.
 */
export const IR9_LENGTH = 9;

export function encodeIr9(objectC: number, ambientC = 25, mode = 0x01): Buffer {
  const frame = Buffer.alloc(IR9_LENGTH);
  frame[0] = 0x66;
  frame[1] = 0x66;
  frame[2] = mode;
  frame[3] = 0x04;
  frame.writeUInt16BE(Math.round(objectC * 100), 4);
  frame.writeUInt16BE(Math.round(ambientC * 100), 6);
  frame[8] = sum8(frame.subarray(0, 8));
  return frame;
}

function sum8(bytes: Buffer): number {
  let s = 0;
  for (const b of bytes) s = (s + b) & 0xff;
  return s;
}

/** What a binary protocol finds at one offset of the buffer. */
type FrameStep =
  | { step: 'resync' } // not the start of a frame: try one byte further
  | { step: 'more' } // may be a frame, not all here yet
  | { step: 'reject'; length: number | null } // a corrupted frame (or an error reply of `length` bytes)
  | { step: 'frame'; length: number; celsius: number };

/**
 * The loop every binary codec shares: look for a frame at each offset, keep a partial one for the
 * next chunk, count what is rejected, and never keep more than MAX_BUFFER bytes of garbage.
 */
function binaryDecoder(minLength: number, readAt: (buf: Buffer, at: number) => FrameStep): ThermometerDecoder {
  let buf: Buffer = Buffer.alloc(0);
  const stats: DecoderStats = { frames: 0, rejected: 0 };
  return {
    stats,
    push(chunk) {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      const out: number[] = [];
      let at = 0;
      scan: while (buf.length - at >= minLength) {
        const found = readAt(buf, at);
        switch (found.step) {
          case 'resync':
            at++;
            break;
          case 'more':
            break scan;
          case 'reject':
            stats.rejected++;
            at += found.length ?? 1;
            break;
          case 'frame':
            stats.frames++;
            out.push(found.celsius);
            at += found.length;
            break;
        }
      }
      buf = Buffer.from(buf.subarray(Math.max(at, buf.length - MAX_BUFFER)));
      return out;
    },
  };
}

export function ir9Decoder(): ThermometerDecoder {
  return binaryDecoder(IR9_LENGTH, (buf, at) => {
    if (buf[at] !== 0x66 || buf[at + 1] !== 0x66) return { step: 'resync' };
    const frame = buf.subarray(at, at + IR9_LENGTH);
    // Not a frame after all (or corrupted): resynchronise one byte further.
    if (frame[3] !== 0x04 || sum8(frame.subarray(0, 8)) !== frame[8]) return { step: 'reject', length: null };
    return { step: 'frame', length: IR9_LENGTH, celsius: frame.readUInt16BE(4) / 100 };
  });
}

// ---- Modbus RTU holding register ----------------------------------------------------------

/** CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF), sent low byte first. */
export function crc16Modbus(bytes: Buffer): number {
  let crc = 0xffff;
  for (const b of bytes) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

function withCrc(body: Buffer): Buffer {
  const frame = Buffer.alloc(body.length + 2);
  body.copy(frame);
  frame.writeUInt16LE(crc16Modbus(body), body.length);
  return frame;
}

export type ModbusOptions = {
  /** Slave address (1–247). */
  address: number;
  /** Holding register with the temperature, signed, in units of 1/scale °C. */
  register: number;
  scale: number;
};

export const DEFAULT_MODBUS: ModbusOptions = { address: 1, register: 0, scale: 10 };

/** Read Holding Registers (function 03) for the temperature register. */
export function modbusReadRequest(o: ModbusOptions): Buffer {
  const body = Buffer.from([o.address, 0x03, 0, 0, 0, 1]);
  body.writeUInt16BE(o.register, 2);
  return withCrc(body);
}

/** The module's reply: address, 03, byte count, registers, CRC. */
export function encodeModbusReply(o: ModbusOptions, celsius: number): Buffer {
  const body = Buffer.alloc(5);
  body[0] = o.address;
  body[1] = 0x03;
  body[2] = 2;
  body.writeInt16BE(Math.round(celsius * o.scale), 3);
  return withCrc(body);
}

/** Parses a request as the simulated module sees it; null when it is not one for `o`. */
export function parseModbusRequest(frame: Buffer, o: ModbusOptions): { register: number; count: number } | null {
  if (frame.length < 8 || frame[0] !== o.address || frame[1] !== 0x03) return null;
  if (crc16Modbus(frame.subarray(0, 6)) !== frame.readUInt16LE(6)) return null;
  return { register: frame.readUInt16BE(2), count: frame.readUInt16BE(4) };
}

export function modbusDecoder(o: ModbusOptions = DEFAULT_MODBUS): ThermometerDecoder {
  return binaryDecoder(5, (buf, at) => {
    if (buf[at] !== o.address || (buf[at + 1]! & 0x7f) !== 0x03) return { step: 'resync' };
    // Exception reply: address, 0x83, code, CRC.
    const exception = buf[at + 1] === 0x83;
    const length = exception ? 5 : 5 + buf[at + 2]!;
    // One register is asked for, so a reply carries exactly two data bytes.
    if (!exception && buf[at + 2] !== 2) return { step: 'resync' };
    if (buf.length - at < length) return { step: 'more' };
    const frame = buf.subarray(at, at + length);
    if (crc16Modbus(frame.subarray(0, length - 2)) !== frame.readUInt16LE(length - 2)) return { step: 'reject', length: null };
    if (exception) return { step: 'reject', length };
    return { step: 'frame', length, celsius: frame.readInt16BE(3) / o.scale };
  });
}

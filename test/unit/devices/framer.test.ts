import { describe, expect, it } from 'vitest';
import { PayloadFramer } from '../../../native/serial/framer';

const text = (bufs: Buffer[]) => bufs.map((b) => b.toString('utf8'));

describe('serial payload framer', () => {
  it('cuts at CR and trims the LF of a scanner actually sending CR LF', () => {
    const f = new PayloadFramer('cr');
    expect(text(f.push(Buffer.from('A1\r\nB2\r\n')))).toEqual(['A1', 'B2']);
  });

  it('keeps a split UTF-8 character whole until the terminator arrives', () => {
    const f = new PayloadFramer('lf');
    const bytes = Buffer.from('张三\n');
    expect(f.push(bytes.subarray(0, 4))).toEqual([]);
    expect(text(f.push(bytes.subarray(4)))).toEqual(['张三']);
  });

  it('needs both bytes for CRLF and drops empty payloads', () => {
    const f = new PayloadFramer('crlf');
    expect(text(f.push(Buffer.from('\r\nX\r')))).toEqual([]);
    expect(text(f.push(Buffer.from('\nY\r\n')))).toEqual(['X', 'Y']);
  });

  it('with no terminator holds everything until flushed', () => {
    const f = new PayloadFramer('none');
    expect(f.push(Buffer.from('T2026\r'))).toEqual([]);
    expect(f.flush()?.toString()).toBe('T2026');
    expect(f.flush()).toBeNull();
  });

  it('drops a runaway stream instead of growing without bound', () => {
    const f = new PayloadFramer('cr', 16);
    expect(f.push(Buffer.alloc(40, 0x41))).toEqual([]);
    expect(f.buffered).toBe(0);
    expect(text(f.push(Buffer.from('OK\r')))).toEqual(['OK']);
  });
});

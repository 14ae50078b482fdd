/** How a serial scanner ends one scan. `none` ends a scan when the line goes quiet. */
export type Terminator = 'cr' | 'lf' | 'crlf' | 'none';

const CR = 0x0d;
const LF = 0x0a;

/**
 * Cuts a byte stream into payloads at the terminator. Payloads stay bytes until they are whole:
 * the terminator bytes never occur inside a UTF-8 multi-byte character, so decoding a whole
 * payload is correct however the port split it into chunks.
 */
export class PayloadFramer {
  private pending: Buffer = Buffer.alloc(0);

  constructor(
    private readonly terminator: Terminator,
    private readonly maxBytes = 4096,
  ) {}

  /** Whole payloads completed by this chunk, without their terminators; empty ones dropped. */
  push(chunk: Buffer): Buffer[] {
    let data = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: Buffer[] = [];
    if (this.terminator !== 'none') {
      const sep = this.terminator === 'crlf' ? Buffer.from([CR, LF]) : Buffer.from([this.terminator === 'cr' ? CR : LF]);
      let at: number;
      while ((at = data.indexOf(sep)) >= 0) {
        out.push(this.clean(data.subarray(0, at)));
        data = data.subarray(at + sep.length);
      }
    }
    // A runaway stream without terminators is dropped rather than grown without bound.
    this.pending = data.length > this.maxBytes ? Buffer.alloc(0) : Buffer.from(data);
    return out.filter((p) => p.length > 0);
  }

  /** The bytes waiting for a terminator (the whole scan for `none`), and forget them. */
  flush(): Buffer | null {
    const rest = this.clean(this.pending);
    this.pending = Buffer.alloc(0);
    return rest.length ? rest : null;
  }

  get buffered(): number {
    return this.pending.length;
  }

  /** A device set to CR+LF read as CR (or LF) leaves the other byte at an edge: trim it. */
  private clean(payload: Buffer): Buffer {
    let start = 0;
    let end = payload.length;
    while (start < end && (payload[start] === CR || payload[start] === LF)) start++;
    while (end > start && (payload[end - 1] === CR || payload[end - 1] === LF)) end--;
    return payload.subarray(start, end);
  }
}

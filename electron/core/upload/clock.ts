/**
 * The station's view of HQ's clock. HQ refuses signatures whose timestamp is more than five
 * minutes from its own clock, and a desk laptop's clock may be minutes or days off: the station
 * signs with its clock plus the offset learnt from HQ's answers, so it is never locked out.
 */
/** How far back a corrected offset may move the stamps; smaller corrections keep them increasing. */
const STAMP_BACK_MS = 1000;

export class HqClock {
  private lastStamp = 0;
  private lastOffset = 0;

  constructor(
    public offsetMs = 0,
    private readonly localNow: () => number = Date.now,
  ) {}

  local(): number {
    return this.localNow();
  }

  /**
   * HQ time now, strictly increasing, so two requests never share a signature (HQ refuses the
   * second as replayed): also across the small corrections every answer brings. Only a correction
   * of more than a second moves it back (a clock that ran a day ahead).
   */
  stamp(): number {
    let t = Math.round(this.localNow() + this.offsetMs);
    if (t <= this.lastStamp && (this.lastOffset === this.offsetMs || this.lastStamp - t <= STAMP_BACK_MS)) t = this.lastStamp + 1;
    this.lastStamp = t;
    this.lastOffset = this.offsetMs;
    return t;
  }

  /**
   * From an exact HQ time (ms) seen between sending and receiving. Returns whether the offset
   * moved by more than a second (worth keeping across restarts).
   */
  learnExact(hqTimeMs: number, sentAt: number, receivedAt: number): boolean {
    const offset = Math.round(hqTimeMs - (sentAt + receivedAt) / 2);
    const moved = Math.abs(offset - this.offsetMs) > 1000;
    this.offsetMs = offset;
    return moved;
  }

  /**
   * From an HTTP `Date` header: whole seconds, so it only corrects an offset that is clearly
   * wrong (over two seconds), never jitters a good one.
   */
  learnFromDate(dateMs: number, sentAt: number, receivedAt: number): boolean {
    const estimate = dateMs + 500 - (sentAt + receivedAt) / 2;
    if (Math.abs(estimate - this.offsetMs) <= 2000) return false;
    this.offsetMs = Math.round(estimate);
    return true;
  }
}

/**
 * The station's view of HQ's clock. HQ refuses signatures whose timestamp is more than five
 * minutes from its own clock, and a desk laptop's clock may be minutes or days off: the station
 * signs with its clock plus the offset learnt from HQ's answers, so it is never locked out.
 */
export class HqClock {
  private lastStamp = 0;

  constructor(
    public offsetMs = 0,
    private readonly localNow: () => number = Date.now,
  ) {}

  local(): number {
    return this.localNow();
  }

  /** HQ time now, strictly increasing so two requests never share a signature. */
  stamp(): number {
    const t = Math.max(Math.round(this.localNow() + this.offsetMs), this.lastStamp + 1);
    this.lastStamp = t;
    return t;
  }

  /** From an exact HQ time (`hqTime`, ms) seen between sending and receiving. Returns whether the offset changed. */
  learnExact(hqTimeMs: number, sentAt: number, receivedAt: number): boolean {
    const offset = Math.round(hqTimeMs - (sentAt + receivedAt) / 2);
    const changed = offset !== this.offsetMs;
    this.offsetMs = offset;
    return changed;
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

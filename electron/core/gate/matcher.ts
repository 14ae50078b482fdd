/**
 * Which passage a thermometer reading belongs to: the rule, and the bookkeeping that applies it.
 * Pure (times are milliseconds, nothing is stored); `test/unit/gate/matcher.test.ts` checks it
 * against every interleaving fast-check finds.
 *
 * Terms. A *presentation* is a moment someone presented themselves at the gate: every scan at the
 * gate (a refused scan too: someone was there, just not identified) and every re-measure the gate
 * keeper starts for a passage. Each belongs to an *owner*: the passage it made or named, or, for a
 * refused scan, nobody (an owner of its own that no reading is ever attached to). A *reading* has
 * the time it was measured (`at`: the thermometer's stable value), whenever it is delivered.
 *
 * What the gate is assumed to be (and what the property test generates):
 * 1. One person at a time: person k stands at the gate during [a_k, b_k), and these spans do not
 *    overlap. Someone who never presents themselves (walks past the scanner) is outside the rule.
 * 2. Every presentation happens while its person is at the gate, and every reading is measured
 *    on the person at the gate then.
 * 3. With E = `beforeMs` and W = `afterMs` (the site's reading window): a person arrives at most E
 *    before their first presentation, and leaves at most W after their last one.
 *
 * The rule. A presentation q is a *candidate* for a reading r when
 *   (a) q.at - E <= r.at < q.at + W, and
 *   (b) no presentation of another owner lies strictly between r.at and q.at.
 * The reading is attached when all its candidates have one owner and that owner is a passage;
 * with candidates of two owners it is `ambiguous`; with none, or only nobody, `unmatched`. (b) is
 * what lets a busy gate attach at all: a reading right after B's scan is B's, though A, scanned
 * just before B, is still within the window.
 *
 * Why it never attaches a reading to someone it was not measured on: say r was measured on person
 * k and its candidates all belong to passage O of another person j. If j came after k, q (O's
 * candidate) is after r, so by (b) none of k's presentations lies between r and q: k's last
 * presentation l is at or before r; then l.at - E <= r.at, and r.at < b_k <= l.at + W (3), and
 * nothing lies between l and r but k's own presentations (1, 2) — so l is a candidate too, of an
 * owner other than O. If j came before k, the same holds for k's first presentation, which is
 * then at or after r (a_k <= r.at, and a_k >= first - E by 3). Either way r is not attached.
 *
 * When a decision is final: a presentation made later can only add candidates (it lies after every
 * presentation known, so it is never "between"), and only if it is within E after r and nothing of
 * another owner came in between. So a reading is decided once any presentation after it is known,
 * or once E has passed since it was measured, whichever comes first; until then it waits. A gate
 * that measures after the scan can set E to 0 and have every reading decided as it arrives.
 *
 * Limits: presentations are kept `STALE_MS` + E + W; a reading delivered more than `STALE_MS`
 * after it was measured, or stamped more than `AHEAD_MS` in the future, is `stale` and attached to
 * nobody (what would decide it may be forgotten, or its clock cannot be trusted).
 */

/** A reading delivered this long after it was measured is not attached (its neighbours may be forgotten). */
export const STALE_MS = 60_000;
/** A reading stamped this far in the future has a clock that cannot be trusted. */
export const AHEAD_MS = 5_000;

export type MatchWindow = { beforeMs: number; afterMs: number };

export type MatchCause = 'matched' | 'ambiguous' | 'unmatched' | 'stale';

export type MatchDecision<R> = { reading: R; passageId: string | null; cause: MatchCause };

type Presentation = { at: number; passageId: string | null; n: number };

export class ReadingMatcher<R extends { at: number }> {
  /** In the order they were made, which is also their order in time. */
  private presentations: Presentation[] = [];
  private pending: R[] = [];
  private made = 0;
  /** The latest time seen; presentations are never placed before it, so a later one lies after all known. */
  private latest = -Infinity;

  /** `window` is read at each decision: the site's configuration may change. */
  constructor(private readonly window: () => MatchWindow) {}

  /**
   * Someone presented themselves at `at` (`passageId` null: a scan that identified nobody). Returns
   * the waiting readings this decides: those measured before it.
   */
  present(at: number, passageId: string | null): MatchDecision<R>[] {
    // A clock set back never puts a presentation among earlier ones, where it could change a decision made.
    this.latest = Math.max(this.latest, at);
    this.presentations.push({ at: this.latest, passageId, n: this.made++ });
    this.forget(this.latest);
    return this.due(this.latest);
  }

  /** A reading delivered at `now`: decided now, or null while a later presentation could still change it. */
  reading(reading: R, now: number): MatchDecision<R> | null {
    this.latest = Math.max(this.latest, now);
    if (now - reading.at > STALE_MS || reading.at - now > AHEAD_MS) return { reading, passageId: null, cause: 'stale' };
    if (this.final(reading)) return this.decide(reading);
    this.pending.push(reading);
    return null;
  }

  /** The waiting readings that are decided by `now`, in the order they were measured. */
  due(now: number): MatchDecision<R>[] {
    this.latest = Math.max(this.latest, now);
    if (this.pending.length === 0) return [];
    const ready = this.pending.filter((r) => this.final(r));
    if (ready.length === 0) return [];
    this.pending = this.pending.filter((r) => !ready.includes(r));
    return ready.sort((a, b) => a.at - b.at).map((r) => this.decide(r));
  }

  /** When the first waiting reading is decided by time alone; null when none waits. */
  nextDue(): number | null {
    if (this.pending.length === 0) return null;
    return Math.min(...this.pending.map((r) => r.at)) + this.window().beforeMs + 1;
  }

  /** Readings still waiting for their decision. */
  waiting(): number {
    return this.pending.length;
  }

  private final(reading: R): boolean {
    const last = this.presentations[this.presentations.length - 1];
    return (last !== undefined && last.at > reading.at) || this.latest > reading.at + this.window().beforeMs;
  }

  private decide(reading: R): MatchDecision<R> {
    const { beforeMs, afterMs } = this.window();
    const owners = new Set<string>();
    let passageId: string | null = null;
    const p = this.presentations;
    for (let i = 0; i < p.length; i++) {
      const q = p[i]!;
      if (!(q.at - beforeMs <= reading.at && reading.at < q.at + afterMs)) continue;
      const owner = ownerOf(q);
      const lo = Math.min(q.at, reading.at);
      const hi = Math.max(q.at, reading.at);
      if (p.some((x) => x.at > lo && x.at < hi && ownerOf(x) !== owner)) continue;
      owners.add(owner);
      passageId = q.passageId;
    }
    if (owners.size === 1 && passageId !== null) return { reading, passageId, cause: 'matched' };
    return { reading, passageId: null, cause: owners.size > 1 ? 'ambiguous' : 'unmatched' };
  }

  private forget(now: number): void {
    const { beforeMs, afterMs } = this.window();
    const horizon = now - STALE_MS - beforeMs - afterMs;
    let drop = 0;
    while (drop < this.presentations.length && this.presentations[drop]!.at < horizon) drop++;
    if (drop > 0) this.presentations = this.presentations.slice(drop);
  }
}

/** A refused scan is an owner of its own: no reading goes to it, and it parts its neighbours. */
function ownerOf(p: Presentation): string {
  return p.passageId ?? `#${p.n}`;
}

import type { CoverageResidentView, CoverageState, CoverageView, ExemptionReason } from '../../api/coverage';
import type { StationDatabase } from '../db/database';
import { DomainError } from '../errors';
import type { FeedHandlers } from '../feed/feed';
import type { Journal, JournalObserver } from '../journal';
import { personMark } from '../person/mark';
import type { Roster } from '../roster/roster';
import { markKeyId, residentView } from '../roster/roster';
import { OWN_MARKS_PENDING } from '../site/identity';
import { groupCells } from './cells';
import type { Rounds } from '../rounds/rounds';
import type { StationIdentity } from '../site/bootstrap';

type ResidentRow = { rowid: number; id_number: string; name: string; phone: string | null; building: string; unit: string; room: string; tags: number; mark: string };

/**
 * Coverage (应检尽检): for each round, which residents of the roster are sampled, exempt or not yet
 * sampled, by building and unit. A person counts as sampled while at least one live binding says
 * so, this desk's (followed through the journal as it is written) or another desk's (their marks,
 * through the feed); every desk compares marks, the keyed hash of the person, so no desk needs
 * another's personal data. The counts per building and unit are kept up to date with each change
 * (`coverage_cell`), so reading coverage costs the same for a million residents as for a hundred;
 * they are counted again from scratch when the roster or the mark key changes.
 */
export class Coverage {
  constructor(
    private readonly db: StationDatabase,
    private readonly journal: Journal,
    private readonly identity: StationIdentity,
    private readonly rounds: Rounds,
    private readonly roster: Roster,
    private readonly markKey: () => string,
    private readonly operatorId: () => string,
  ) {
    journal.observe(this.observer);
  }

  // ---- keeping count ---------------------------------------------------------------------------

  private mark(personKey: string): string {
    return personMark(this.markKey(), personKey);
  }

  private markOfPerson(personId: string): string | null {
    const row = this.db.prepare('SELECT person_key FROM person WHERE id = ?').get(personId) as { person_key: string } | undefined;
    return row ? this.mark(row.person_key) : null;
  }

  /** This desk's bindings, as the journal records them (inside the change's own transaction). */
  private readonly observer: JournalObserver = (entry) => {
    if (entry.kind === 'binding.created') {
      const mark = this.markOfPerson(String(entry.payload.personId));
      if (mark) this.adjust(String(entry.payload.roundId), mark, +1);
    } else if (entry.kind === 'binding.undone') {
      const b = this.db.prepare('SELECT person_id, round_id FROM binding WHERE id = ? AND undo_correction_id IS NULL').get(entry.entityId) as
        | { person_id: string; round_id: string }
        | undefined;
      const mark = b ? this.markOfPerson(b.person_id) : null;
      if (b && mark) this.adjust(b.round_id, mark, -1);
    } else if (entry.kind === 'tube.voided') {
      const live = this.db.prepare('SELECT person_id, round_id FROM binding WHERE tube_id = ? AND undo_correction_id IS NULL').all(entry.entityId) as {
        person_id: string;
        round_id: string;
      }[];
      for (const b of live) {
        const mark = this.markOfPerson(b.person_id);
        if (mark) this.adjust(b.round_id, mark, -1);
      }
    }
  };

  /** Another desk's mark added (+1) or withdrawn (-1), as the feed applies it. */
  remote(roundId: string, mark: string, delta: 1 | -1): void {
    this.adjust(roundId, mark, delta);
  }

  private adjust(roundId: string, mark: string, delta: number): void {
    if (delta > 0) {
      const row = this.db
        .prepare(
          `INSERT INTO coverage_tested (round_id, mark, sources) VALUES (?, ?, ?)
           ON CONFLICT(round_id, mark) DO UPDATE SET sources = sources + excluded.sources RETURNING sources`,
        )
        .get(roundId, mark, delta) as { sources: number };
      if (row.sources === delta) {
        this.bumpTotal(roundId, +1);
        this.transition(roundId, mark, 'tested', +1);
      }
    } else {
      const row = this.db.prepare('SELECT sources FROM coverage_tested WHERE round_id = ? AND mark = ?').get(roundId, mark) as { sources: number } | undefined;
      if (!row) return;
      if (row.sources + delta > 0) {
        this.db.prepare('UPDATE coverage_tested SET sources = sources + ? WHERE round_id = ? AND mark = ?').run(delta, roundId, mark);
        return;
      }
      this.db.prepare('DELETE FROM coverage_tested WHERE round_id = ? AND mark = ?').run(roundId, mark);
      this.bumpTotal(roundId, -1);
      this.transition(roundId, mark, 'tested', -1);
    }
  }

  /** How many people count as sampled in the round, on the roster or not (`coverage_total`). */
  private bumpTotal(roundId: string, delta: 1 | -1): void {
    if (delta > 0) this.db.prepare('INSERT INTO coverage_total (round_id, tested) VALUES (?, 1) ON CONFLICT(round_id) DO UPDATE SET tested = tested + 1').run(roundId);
    else this.db.prepare('UPDATE coverage_total SET tested = max(tested - 1, 0) WHERE round_id = ?').run(roundId);
  }

  /** `coverage_total` counted again from `coverage_tested`: for one round, or for all. */
  private countTotals(roundId: string | null): void {
    if (roundId === null) this.db.prepare('DELETE FROM coverage_total').run();
    this.db
      .prepare(
        `INSERT INTO coverage_total (round_id, tested) SELECT round_id, count(*) FROM coverage_tested WHERE @roundId IS NULL OR round_id = @roundId GROUP BY round_id
         ON CONFLICT(round_id) DO UPDATE SET tested = excluded.tested`,
      )
      .run({ roundId });
    if (roundId !== null && this.db.prepare('SELECT 1 FROM coverage_tested WHERE round_id = ? LIMIT 1').get(roundId) === undefined) {
      this.db.prepare('DELETE FROM coverage_total WHERE round_id = ?').run(roundId);
    }
  }

  /**
   * What the cells of a round were counted against: the roster in use, the key its file's marks
   * are under, and the key in use. The roster's own key counts: after a key change the roster file
   * is marked again in the background, and cells counted before that is done must not pass for
   * fresh once it is.
   */
  private fingerprint(): string {
    const { rosterId, markKeyId: rosterKey } = this.roster.marks();
    return `${rosterId ?? 'none'}:${rosterKey ?? 'none'}:${markKeyId(this.markKey())}`;
  }

  /** Whether a round's cells were counted against the roster and key in use (else `recount` first). */
  fresh(roundId: string): boolean {
    const row = this.db.prepare('SELECT roster_id FROM coverage_state WHERE round_id = ?').get(roundId) as { roster_id: string } | undefined;
    return row?.roster_id === this.fingerprint();
  }

  /**
   * Whether counting now would mean anything: not while the roster's marks are still under
   * another key than this desk's (being marked again after a key change), when no resident would
   * match. The cells stay as they were counted until then.
   */
  countable(): boolean {
    const { rosterId, markKeyId: rosterKey } = this.roster.marks();
    return rosterId === null || rosterKey === markKeyId(this.markKey());
  }

  /** A person became (or stopped being) sampled or exempt: the count of their building and unit follows. */
  private transition(roundId: string, mark: string, what: 'tested' | 'exempt', delta: 1 | -1): void {
    if (!this.fresh(roundId)) return;
    const home = this.db.prepare('SELECT building, unit FROM roster.resident WHERE mark = ?').get(mark) as { building: string; unit: string } | undefined;
    if (!home) return;
    const exempt = this.db.prepare('SELECT 1 FROM coverage_exempt WHERE round_id = ? AND mark = ?').get(roundId, mark) !== undefined;
    const tested = this.db.prepare('SELECT 1 FROM coverage_tested WHERE round_id = ? AND mark = ?').get(roundId, mark) !== undefined;
    let dTested = 0;
    let dExempt = 0;
    if (what === 'tested') {
      dTested = delta;
      // Sampled wins over exempt: an exempt resident who is sampled after all counts as sampled.
      if (exempt) dExempt = -delta;
    } else if (!tested) {
      dExempt = delta;
    }
    if (dTested === 0 && dExempt === 0) return;
    this.db
      .prepare(
        `INSERT INTO coverage_cell (round_id, building, unit, tested, exempt) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT(round_id, building, unit) DO UPDATE SET tested = tested + excluded.tested, exempt = exempt + excluded.exempt`,
      )
      .run(roundId, home.building, home.unit, dTested, dExempt);
  }

  /** Counts a round's cells again from who is sampled and exempt, against the roster in use. */
  recount(roundId: string, at: string): void {
    this.countTotals(roundId);
    this.db.prepare('DELETE FROM coverage_cell WHERE round_id = ?').run(roundId);
    this.db
      .prepare(
        `INSERT INTO coverage_cell (round_id, building, unit, tested, exempt)
         SELECT ?, r.building, r.unit,
                sum(CASE WHEN t.mark IS NOT NULL THEN 1 ELSE 0 END),
                sum(CASE WHEN t.mark IS NULL THEN 1 ELSE 0 END)
         FROM (SELECT mark FROM coverage_tested WHERE round_id = ?1 UNION SELECT mark FROM coverage_exempt WHERE round_id = ?1) m
         JOIN roster.resident r ON r.mark = m.mark
         LEFT JOIN coverage_tested t ON t.round_id = ?1 AND t.mark = m.mark
         GROUP BY r.building, r.unit`.replace(/\?1/g, '?'),
      )
      .run(roundId, roundId, roundId, roundId);
    this.db
      .prepare('INSERT INTO coverage_state (round_id, roster_id, counted_at) VALUES (?, ?, ?) ON CONFLICT(round_id) DO UPDATE SET roster_id = excluded.roster_id, counted_at = excluded.counted_at')
      .run(roundId, this.fingerprint(), at);
  }

  /**
   * Makes this desk's marks again if that is still to do (`site.ownMarksPending`: set with a key
   * change in the same transaction, or by migration 8 for bindings from before coverage was
   * kept), and clears the flag in the same transaction: a stop at any point leaves it done or
   * still to do, never half. In the writer (or at start-up).
   */
  remarkIfPending(): boolean {
    if (this.db.prepare('SELECT 1 FROM setting WHERE key = ?').get(OWN_MARKS_PENDING) === undefined) return false;
    this.remarkOwnBindings();
    this.db.prepare('DELETE FROM setting WHERE key = ?').run(OWN_MARKS_PENDING);
    return true;
  }

  /**
   * The mark key changed (the station joined its site's key): every mark of this desk's bindings
   * is made again under it. Other desks' marks came under the site's key already.
   */
  remarkOwnBindings(): void {
    this.db.prepare('DELETE FROM coverage_tested').run();
    const live = this.db
      .prepare(
        `SELECT b.round_id, p.person_key, count(*) AS n FROM binding b JOIN person p ON p.id = b.person_id JOIN tube t ON t.id = b.tube_id
         WHERE b.undo_correction_id IS NULL AND t.state != 'voided' GROUP BY b.round_id, p.person_key`,
      )
      .all() as { round_id: string; person_key: string; n: number }[];
    const add = this.db.prepare(
      `INSERT INTO coverage_tested (round_id, mark, sources) VALUES (?, ?, ?) ON CONFLICT(round_id, mark) DO UPDATE SET sources = sources + excluded.sources`,
    );
    for (const b of live) add.run(b.round_id, this.mark(b.person_key), b.n);
    const remote = this.db.prepare('SELECT round_id, mark, count(*) AS n FROM round_mark GROUP BY round_id, mark').all() as { round_id: string; mark: string; n: number }[];
    for (const m of remote) add.run(m.round_id, m.mark, m.n);
    this.countTotals(null);
    this.db.prepare('DELETE FROM coverage_state').run();
  }

  // ---- exemptions -----------------------------------------------------------------------------

  private residentByRef(ref: string): ResidentRow {
    const m = /^([0-9a-f-]{36}):(\d+)$/.exec(ref);
    if (!m || m[1] !== this.roster.currentId()) throw new DomainError('roster.residentUnknown');
    const row = this.db.prepare('SELECT rowid, id_number, name, phone, building, unit, room, tags, mark FROM roster.resident WHERE rowid = ?').get(Number(m[2])) as
      | ResidentRow
      | undefined;
    if (!row) throw new DomainError('roster.residentUnknown');
    return row;
  }

  private requireRound(roundId: string): void {
    if (!this.rounds.list().some((r) => r.id === roundId)) throw new DomainError('round.notFound', { roundId });
  }

  /** A site admin says a resident need not be sampled in this round, and why; journalled for HQ and the other desks. */
  exempt(roundId: string, ref: string, reason: ExemptionReason, note: string, at: string): CoverageResidentView {
    this.requireRound(roundId);
    const r = this.residentByRef(ref);
    const seq = this.journalExemption('exemption.set', roundId, r.id_number, { reason, note }, at);
    this.setExemption(roundId, r.mark, reason, note, 'here', at, seq);
    return this.residentView(roundId, r);
  }

  unexempt(roundId: string, ref: string, at: string): CoverageResidentView {
    this.requireRound(roundId);
    const r = this.residentByRef(ref);
    if (this.db.prepare('SELECT 1 FROM coverage_exempt WHERE round_id = ? AND mark = ?').get(roundId, r.mark)) {
      this.journalExemption('exemption.lifted', roundId, r.id_number, {}, at);
      this.liftExemption(roundId, r.mark);
    }
    return this.residentView(roundId, r);
  }

  private journalExemption(kind: 'exemption.set' | 'exemption.lifted', roundId: string, idNumber: string, extra: Record<string, unknown>, at: string): number {
    return this.journal.append({ stationId: this.identity.station.id, operatorId: this.operatorId(), at, kind, entityId: roundId, payload: { idNumber, ...extra } });
  }

  private setExemption(roundId: string, mark: string, reason: ExemptionReason, note: string, origin: 'here' | 'feed', at: string, seq: number | null): void {
    const existed = this.db.prepare('SELECT 1 FROM coverage_exempt WHERE round_id = ? AND mark = ?').get(roundId, mark) !== undefined;
    this.db
      .prepare(
        `INSERT INTO coverage_exempt (round_id, mark, reason, note, origin, operator_id, at, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(round_id, mark) DO UPDATE SET reason = excluded.reason, note = excluded.note, origin = excluded.origin, operator_id = excluded.operator_id, at = excluded.at, seq = excluded.seq`,
      )
      .run(roundId, mark, reason, note, origin, origin === 'here' ? this.operatorId() : null, at, seq);
    if (!existed) this.transition(roundId, mark, 'exempt', +1);
  }

  private liftExemption(roundId: string, mark: string): void {
    const removed = this.db.prepare('DELETE FROM coverage_exempt WHERE round_id = ? AND mark = ?').run(roundId, mark).changes;
    if (removed > 0) this.transition(roundId, mark, 'exempt', -1);
  }

  feedHandlers(): FeedHandlers {
    return {
      'coverage.exemptions': (item, effects, at) => {
        const p = item.payload;
        for (const e of p.set) this.setExemption(p.roundId, e.m, e.reason, e.note, 'feed', at, null);
        for (const m of p.lifted) this.liftExemption(p.roundId, m);
        effects.coverage++;
      },
    };
  }

  // ---- reads -----------------------------------------------------------------------------------

  private roundOrCurrent(roundId: string | undefined): string {
    if (roundId !== undefined) {
      this.requireRound(roundId);
      return roundId;
    }
    const id = this.rounds.current()?.id ?? this.rounds.list()[0]?.id;
    if (!id) throw new DomainError('coverage.noRound');
    return id;
  }

  /** Coverage of a round (the one in use by default) by building and unit; the caller recounts stale cells first. */
  view(roundId: string | undefined, asOf: string | null, enrolled: boolean): CoverageView {
    const id = this.roundOrCurrent(roundId);
    const round = this.rounds.list().find((r) => r.id === id) ?? null;
    const cells = this.db
      .prepare(
        `SELECT c.building, c.unit, c.residents, coalesce(v.tested, 0) AS tested, coalesce(v.exempt, 0) AS exempt
         FROM roster.cell c LEFT JOIN coverage_cell v ON v.round_id = ? AND v.building = c.building AND v.unit = c.unit
         ORDER BY c.building, c.unit`,
      )
      .all(id) as { building: string; unit: string; residents: number; tested: number; exempt: number }[];
    const { totals, buildings } = groupCells(cells);
    const allTested = (this.db.prepare('SELECT tested FROM coverage_total WHERE round_id = ?').get(id) as { tested: number } | undefined)?.tested ?? 0;
    const rosterId = this.roster.currentId();
    return {
      round: round ? { id: round.id, name: round.name, startsOn: round.startsOn, endsOn: round.endsOn, closedAt: round.closedAt } : null,
      asOf,
      enrolled,
      roster: rosterId ? { id: rosterId, residents: totals.residents } : null,
      totals,
      sampledNotOnRoster: Math.max(0, allTested - totals.tested),
      buildings,
    };
  }

  private residentView(roundId: string, r: ResidentRow): CoverageResidentView {
    const tested = this.db.prepare('SELECT 1 FROM coverage_tested WHERE round_id = ? AND mark = ?').get(roundId, r.mark) !== undefined;
    const exemption = this.db.prepare('SELECT reason, note FROM coverage_exempt WHERE round_id = ? AND mark = ?').get(roundId, r.mark) as
      | { reason: ExemptionReason; note: string }
      | undefined;
    return this.toView(r, tested ? 'tested' : exemption ? 'exempt' : 'untested', exemption ?? null);
  }

  private toView(r: ResidentRow, state: CoverageState, exemption: { reason: ExemptionReason; note: string } | null): CoverageResidentView {
    return { ...residentView(r, this.roster.currentId() ?? ''), state, exemption };
  }

  private static readonly STATE_SQL = `CASE WHEN t.mark IS NOT NULL THEN 'tested' WHEN e.mark IS NOT NULL THEN 'exempt' ELSE 'untested' END`;

  /** Residents of a building (and unit) with where they stand in the round; `state` filters. */
  residents(args: { roundId?: string; building: string; unit?: string; state: CoverageState | 'all'; offset: number; limit: number }): { total: number; rows: CoverageResidentView[] } {
    const id = this.roundOrCurrent(args.roundId);
    const where = `r.building = ? ${args.unit !== undefined ? 'AND r.unit = ?' : ''}`;
    const filter = args.state === 'all' ? '' : `AND ${Coverage.STATE_SQL} = ?`;
    const params = [id, id, args.building, ...(args.unit !== undefined ? [args.unit] : []), ...(args.state === 'all' ? [] : [args.state])];
    const from = `FROM roster.resident r LEFT JOIN coverage_tested t ON t.round_id = ? AND t.mark = r.mark LEFT JOIN coverage_exempt e ON e.round_id = ? AND e.mark = r.mark
      WHERE ${where} ${filter}`;
    const total = (this.db.prepare(`SELECT count(*) AS n ${from}`).get(...params) as { n: number }).n;
    const rows = this.db
      .prepare(
        `SELECT r.rowid, r.id_number, r.name, r.phone, r.building, r.unit, r.room, r.tags, r.mark, ${Coverage.STATE_SQL} AS state, e.reason, e.note ${from}
         ORDER BY r.unit, length(r.room), r.room, r.name LIMIT ? OFFSET ?`,
      )
      .all(...params, args.limit, args.offset) as (ResidentRow & { state: CoverageState; reason: ExemptionReason | null; note: string | null })[];
    return { total, rows: rows.map((r) => this.toView(r, r.state, r.reason ? { reason: r.reason, note: r.note ?? '' } : null)) };
  }

  /** Not yet sampled (nor exempt) residents, in household order, with their phone in full: volunteers call and visit them. */
  *untested(roundId: string | undefined, building: string | undefined, unit: string | undefined): Generator<{ name: string; idNumber: string; phone: string | null; building: string; unit: string; room: string; tags: number }> {
    const id = this.roundOrCurrent(roundId);
    const filters = [building !== undefined ? 'r.building = ?' : null, unit !== undefined ? 'r.unit = ?' : null].filter(Boolean);
    const params = [id, id, ...(building !== undefined ? [building] : []), ...(unit !== undefined ? [unit] : [])];
    const statement = this.db.prepare(
      `SELECT r.name, r.id_number AS idNumber, r.phone, r.building, r.unit, r.room, r.tags FROM roster.resident r
       WHERE NOT EXISTS (SELECT 1 FROM coverage_tested t WHERE t.round_id = ? AND t.mark = r.mark)
         AND NOT EXISTS (SELECT 1 FROM coverage_exempt e WHERE e.round_id = ? AND e.mark = r.mark)
         ${filters.length ? `AND ${filters.join(' AND ')}` : ''}
       ORDER BY r.building, r.unit, length(r.room), r.room, r.name`,
    );
    yield* statement.iterate(...params) as Iterable<{ name: string; idNumber: string; phone: string | null; building: string; unit: string; room: string; tags: number }>;
  }

  roundName(roundId: string | undefined): string {
    const id = this.roundOrCurrent(roundId);
    return this.rounds.list().find((r) => r.id === id)?.name ?? id;
  }

  resolveRound(roundId: string | undefined): string {
    return this.roundOrCurrent(roundId);
  }
}

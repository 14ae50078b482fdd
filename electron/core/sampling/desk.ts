import { randomUUID } from 'node:crypto';
import type {
  BindingView,
  Capacity,
  DeskState,
  PendingConfirmation,
  PersonView,
  ScanOutcome,
  TubeSummary,
  TubeView,
  UndoOutcome,
} from '../../api/contract';
import type { Statement } from 'better-sqlite3-multiple-ciphers';
import type { StationDatabase } from '../db/database';
import { DomainError } from '../errors';
import { newId } from '../ids';
import type { Journal, JournalKind } from '../journal';
import { maskCode, maskIdNumber } from '../person/mask';
import { PersonRegistry, type PersonRow } from '../person/registry';
import type { PersonPayload } from '../scan/parsers/types';
import type { ClassifiedScan } from '../scan/router';
import type { StationIdentity } from '../site/bootstrap';
import { TubeConflicts } from './conflicts';
import type { Rounds } from '../rounds/rounds';
import { PreparedStatements } from '../db/statements';

type TubeRow = {
  id: string;
  code: string;
  round_id: string;
  capacity: Capacity;
  state: 'open' | 'sealed' | 'voided';
  opened_at: string;
  sealed_at: string | null;
  seal_cause: 'capacity' | 'next-tube' | 'manual' | null;
  void_reason: string | null;
  count: number;
  seq: number;
};

const TUBE_COLUMNS = `t.id, t.code, t.round_id, t.capacity, t.state, t.opened_at, t.sealed_at, t.seal_cause, t.seq,
  (SELECT c.reason FROM correction c WHERE c.id = t.void_correction_id) AS void_reason,
  (SELECT COUNT(*) FROM binding b WHERE b.tube_id = t.id AND b.undo_correction_id IS NULL) AS count`;

export const UNUSED_TUBE_REASON = 'unused: next tube scanned';

/** How long a "sampled already this round, bind anyway?" question stays answerable. */
const CONFIRMATION_TTL_MS = 120_000;

type Pending = PendingConfirmation & { personId: string; tubeId: string; expiresAt: number };

/** The confirmation as the screen gets it: without the ids the desk keeps for itself. */
function publicPending(p: Pending): PendingConfirmation {
  return { token: p.token, person: p.person, previousTubeCode: p.previousTubeCode, previousStation: p.previousStation, previousBoundAt: p.previousBoundAt };
}

export function personView(row: PersonRow): PersonView {
  const maskedIdNumber = row.id_number ? maskIdNumber(row.id_number) : null;
  const label = row.name ?? maskedIdNumber ?? (row.reg_code ? maskCode(row.reg_code) : row.phone ? maskCode(row.phone) : '?');
  return { id: row.id, name: row.name, maskedIdNumber, label };
}

/**
 * The sampling desk: tubes opened by scanning, people bound to the open tube, tubes sealed at
 * capacity or by the next tube, and corrections (undo, void) that are new records with reasons.
 * Every method runs inside the writer's transaction; it either completes or changes nothing.
 */
export class SamplingDesk {
  readonly conflicts: TubeConflicts;
  private readonly people: PersonRegistry;
  private pending: Pending | null = null;
  private prepared: PreparedStatements | null = null;

  constructor(
    private readonly db: StationDatabase,
    private readonly journal: Journal,
    private readonly identity: StationIdentity,
    private readonly now: () => Date,
    private readonly rounds: Rounds,
    /** Who is signed in: every record carries them. */
    private readonly operatorId: () => string,
  ) {
    this.conflicts = new TubeConflicts(db);
    this.people = new PersonRegistry(db, journal);
  }

  /** Prepared once, reused: preparing is a large part of a small statement's cost. */
  private sql(source: string): Statement {
    return (this.prepared ??= new PreparedStatements(this.db)).get(source);
  }

  // ---- reads -------------------------------------------------------------------------------

  /** The round new tubes open in; refused when the site has none open. */
  private roundForNewTube(): { id: string; name: string } {
    const round = this.rounds.current();
    if (!round) throw new DomainError('round.noneOpen');
    return round;
  }

  capacity(): Capacity {
    const row = this.sql(`SELECT value FROM setting WHERE key = 'desk.capacity'`).get() as { value: string } | undefined;
    return row ? (Number(row.value) as Capacity) : this.identity.site.config.defaultCapacity;
  }

  private openTubeRow(): TubeRow | undefined {
    return this.sql(`SELECT ${TUBE_COLUMNS} FROM tube t WHERE t.station_id = ? AND t.state = 'open'`)
      .get(this.identity.station.id) as TubeRow | undefined;
  }

  private lastTubeRow(): TubeRow | undefined {
    return this.sql(`SELECT ${TUBE_COLUMNS} FROM tube t WHERE t.station_id = ? ORDER BY t.seq DESC LIMIT 1`)
      .get(this.identity.station.id) as TubeRow | undefined;
  }

  private members(tubeId: string): BindingView[] {
    const rows = this.sql(
        `SELECT b.id, b.at, b.repeat_confirmed, p.id AS person_id, p.id_number, p.reg_code, p.name, p.phone
         FROM binding b JOIN person p ON p.id = b.person_id
         WHERE b.tube_id = ? AND b.undo_correction_id IS NULL ORDER BY b.seq`,
      )
      .all(tubeId) as (PersonRow & { person_id: string; at: string; repeat_confirmed: number })[];
    return rows.map((r) => ({
      id: r.id,
      boundAt: r.at,
      repeatConfirmed: r.repeat_confirmed === 1,
      person: personView({ ...r, id: r.person_id }),
    }));
  }

  private summary(row: TubeRow): TubeSummary {
    return {
      id: row.id,
      code: row.code,
      capacity: row.capacity,
      state: row.state,
      count: row.count,
      openedAt: row.opened_at,
      sealedAt: row.sealed_at,
      voidReason: row.void_reason,
    };
  }

  state(): DeskState {
    const open = this.openTubeRow();
    const openTube: TubeView | null = open ? { ...this.summary(open), members: this.members(open.id) } : null;
    const recent = this.sql(`SELECT ${TUBE_COLUMNS} FROM tube t WHERE t.station_id = ? ORDER BY t.seq DESC LIMIT 8`)
      .all(this.identity.station.id) as TubeRow[];
    const last = recent[0];
    const pending = this.livePending();
    const round = this.rounds.current();
    return {
      site: { id: this.identity.site.id, name: this.identity.site.name },
      station: { id: this.identity.station.id, name: this.identity.station.name, number: this.identity.station.number },
      round: round ? { id: round.id, name: round.name, startsOn: round.startsOn, endsOn: round.endsOn } : null,
      capacity: this.capacity(),
      openTube,
      recentTubes: recent.map((r) => this.summary(r)),
      pending: pending ? publicPending(pending) : null,
      awaitingNextTube: !open && last?.state === 'sealed' && last.seal_cause === 'capacity',
      conflicts: this.conflicts.forDesk(),
    };
  }

  search(query: string): TubeSummary[] {
    const q = query.trim();
    if (q.length < 2) return [];
    const like = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const rows = this.sql(
        `SELECT ${TUBE_COLUMNS} FROM tube t WHERE t.station_id = ? AND (t.code LIKE ? ESCAPE '\\' OR EXISTS (
           SELECT 1 FROM binding b JOIN person p ON p.id = b.person_id
           WHERE b.tube_id = t.id AND b.undo_correction_id IS NULL AND p.name LIKE ? ESCAPE '\\'))
         ORDER BY t.seq DESC LIMIT 20`,
      )
      .all(this.identity.station.id, like, like) as TubeRow[];
    return rows.map((r) => this.summary(r));
  }

  // ---- changes -----------------------------------------------------------------------------

  private stamp() {
    return { stationId: this.identity.station.id, operatorId: this.operatorId(), at: this.now().toISOString() };
  }

  setCapacity(capacity: Capacity): void {
    this.sql(`INSERT INTO setting (key, value) VALUES ('desk.capacity', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(String(capacity));
  }

  /** A desk scan; a badge is a sign-in step and never reaches the desk (`Session.identify`). */
  scan(scan: Exclude<ClassifiedScan, { kind: 'badge' }>): ScanOutcome {
    switch (scan.kind) {
      case 'tube':
        return this.openTube(scan.code);
      case 'person':
        return this.bindPerson(scan.person, scan.format);
      case 'box':
        throw new DomainError('scan.boxNotAtDesk', { code: scan.code });
      case 'pass':
        // A pass opens the gate; a desk samples by the person's own code or ID, or finds them in the roster.
        throw new DomainError('scan.passNotAtDesk');
    }
  }

  /** A resident found in the roster, bound like a scanned person (`person.registered` says `format: roster`). */
  bindResident(resident: { idNumber: string; name: string; phone: string | null }): ScanOutcome {
    return this.bindPerson({ idNumber: resident.idNumber, regCode: null, name: resident.name, phone: resident.phone }, 'roster');
  }

  /**
   * Opens the tube `code` scanned (or made by `newTubeCode`) with the desk's pool size, or with
   * `capacity` when the caller chooses it (door to door: single tubes, or the site's pool size).
   */
  openTube(code: string, capacity: Capacity = this.capacity()): ScanOutcome {
    const existing = this.sql('SELECT state, station_id FROM tube WHERE code = ?').get(code) as { state: string; station_id: string } | undefined;
    if (existing) {
      const open = this.openTubeRow();
      if (open?.code === code) throw new DomainError('tube.alreadyOpen', { code });
      throw new DomainError('tube.alreadyUsed', { code, state: existing.state });
    }
    const round = this.roundForNewTube();
    const previous = this.openTubeRow();
    // An empty tube left for the next one was never used: it is voided (kept, with the reason),
    // so it can never be boxed as a sealed sample.
    if (previous && previous.count === 0) this.correct('tube.void', previous.id, UNUSED_TUBE_REASON, { kind: 'tube.voided', payload: { code: previous.code, count: 0 } });
    else if (previous) this.seal(previous, 'next-tube');
    const s = this.stamp();
    const id = newId();
    const seq = this.journal.append({ ...s, kind: 'tube.opened', entityId: id, payload: { code, capacity, roundId: round.id } });
    this.sql(
        `INSERT INTO tube (id, code, capacity, state, round_id, station_id, operator_id, opened_at, seq)
         VALUES (?, ?, ?, 'open', ?, ?, ?, ?, ?)`,
      )
      .run(id, code, capacity, round.id, s.stationId, s.operatorId, s.at, seq);
    this.pending = null;
    return {
      kind: 'tube.opened',
      tubeCode: code,
      capacity,
      sealedPrevious: previous && previous.count > 0 ? previous.code : null,
      voidedPrevious: previous && previous.count === 0 ? previous.code : null,
    };
  }

  /** A new tube code from the site's generator: prefix + station number + serial. */
  newTubeCode(): string {
    const { prefix, digits } = this.identity.site.config.tube.generate;
    const serialDigits = digits - 3;
    const station = String(this.identity.station.number).padStart(3, '0');
    const row = this.sql(`SELECT value FROM setting WHERE key = 'tube.nextSerial'`).get() as { value: string } | undefined;
    let serial = row ? Number(row.value) : 1;
    const taken = this.sql('SELECT 1 FROM tube WHERE code = ?');
    for (;;) {
      if (String(serial).length > serialDigits) throw new DomainError('tube.codeExhausted');
      const code = `${prefix}${station}${String(serial).padStart(serialDigits, '0')}`;
      serial++;
      if (!taken.get(code)) {
        this.sql(`INSERT INTO setting (key, value) VALUES ('tube.nextSerial', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(String(serial));
        return code;
      }
    }
  }

  private seal(tube: TubeRow, cause: 'capacity' | 'next-tube' | 'manual'): void {
    const s = this.stamp();
    this.journal.append({ ...s, kind: 'tube.sealed', entityId: tube.id, payload: { code: tube.code, count: tube.count, cause } });
    this.sql(`UPDATE tube SET state = 'sealed', sealed_at = ?, seal_cause = ? WHERE id = ?`).run(s.at, cause, tube.id);
  }

  sealOpenTube(): TubeSummary {
    const open = this.openTubeRow();
    if (!open) throw new DomainError('tube.noneOpen');
    if (open.count === 0) throw new DomainError('tube.emptyCannotSeal', { code: open.code });
    this.seal(open, 'manual');
    return this.summary(this.openTubeRowById(open.id));
  }

  /** This station's open tube and the round it was opened in (door to door reads it), or null. */
  openTubeSummary(): (TubeSummary & { roundId: string }) | null {
    const open = this.openTubeRow();
    return open ? { ...this.summary(open), roundId: open.round_id } : null;
  }

  /** The live binding of `personId` in the tube `tubeCode` (the one just made). */
  bindingOf(tubeCode: string, personId: string): string | null {
    const row = this.sql(
      `SELECT b.id FROM binding b JOIN tube t ON t.id = b.tube_id
       WHERE t.code = ? AND b.person_id = ? AND b.undo_correction_id IS NULL ORDER BY b.seq DESC LIMIT 1`,
    ).get(tubeCode, personId) as { id: string } | undefined;
    return row?.id ?? null;
  }

  private openTubeRowById(id: string): TubeRow {
    return this.sql(`SELECT ${TUBE_COLUMNS} FROM tube t WHERE t.id = ?`).get(id) as TubeRow;
  }

  private upsertPerson(payload: PersonPayload, format: string): PersonRow {
    return this.people.upsert(payload, format, this.stamp());
  }

  private bindPerson(payload: PersonPayload, format: string): ScanOutcome {
    const open = this.openTubeRow();
    if (!open) {
      const last = this.lastTubeRow();
      throw new DomainError('tube.noneOpen', last?.state === 'sealed' && last.seal_cause === 'capacity' ? { fullTube: last.code } : undefined);
    }
    // A tube belongs to the round it was opened in; once that round is closed it takes no one else.
    if (this.rounds.isClosed(open.round_id)) throw new DomainError('tube.roundClosed', { code: open.code, round: this.rounds.nameOf(open.round_id) });
    const person = this.upsertPerson(payload, format);
    const view = personView(person);
    const inThisTube = this.sql('SELECT 1 FROM binding WHERE tube_id = ? AND person_id = ? AND undo_correction_id IS NULL')
      .get(open.id, person.id);
    if (inThisTube) throw new DomainError('person.alreadyInTube', { person: view.label, code: open.code });
    const earlier = this.earlierBindingInRound(person, open);
    if (earlier) {
      this.pending = {
        token: randomUUID(),
        person: view,
        previousTubeCode: earlier.code,
        previousStation: earlier.station,
        previousBoundAt: earlier.at,
        personId: person.id,
        tubeId: open.id,
        expiresAt: Date.now() + CONFIRMATION_TTL_MS,
      };
      return { kind: 'person.needsConfirmation', pending: publicPending(this.pending) };
    }
    return this.bind(open, person.id, view, false);
  }

  /**
   * Whether this person was already sampled in the tube's round: at this desk (its own bindings,
   * which answer offline too), else at another desk of the site (the marks HQ sent at the last sync).
   */
  private earlierBindingInRound(person: PersonRow, tube: TubeRow): { code: string | null; station: string | null; at: string } | undefined {
    const here = this.sql(
        `SELECT t.code, b.at FROM binding b JOIN tube t ON t.id = b.tube_id
         WHERE b.person_id = ? AND b.round_id = ? AND b.undo_correction_id IS NULL AND t.state != 'voided' AND t.id != ?
         ORDER BY b.seq DESC LIMIT 1`,
      )
      .get(person.id, tube.round_id, tube.id) as { code: string; at: string } | undefined;
    if (here) return { code: here.code, station: null, at: here.at };
    const key = this.sql('SELECT person_key FROM person WHERE id = ?').get(person.id) as { person_key: string };
    const elsewhere = this.rounds.sampledElsewhere(tube.round_id, key.person_key);
    return elsewhere ? { code: null, station: elsewhere.stationName, at: elsewhere.at } : undefined;
  }

  private bind(tube: TubeRow, personId: string, person: PersonView, repeatConfirmed: boolean): ScanOutcome {
    const s = this.stamp();
    const id = newId();
    const roundId = tube.round_id;
    const seq = this.journal.append({
      ...s,
      kind: 'binding.created',
      entityId: id,
      payload: { tubeId: tube.id, tubeCode: tube.code, personId, roundId, repeatConfirmed },
    });
    this.sql(
        `INSERT INTO binding (id, tube_id, person_id, round_id, repeat_confirmed, station_id, operator_id, at, seq)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(id, tube.id, personId, roundId, repeatConfirmed ? 1 : 0, s.stationId, s.operatorId, s.at, seq);
    const count = tube.count + 1;
    const full = count >= tube.capacity;
    if (full) this.seal({ ...tube, count }, 'capacity');
    this.pending = null;
    return { kind: 'person.bound', person, tubeCode: tube.code, count, capacity: tube.capacity, tubeSealed: full };
  }

  private livePending(): Pending | null {
    if (this.pending && this.pending.expiresAt < Date.now()) this.pending = null;
    return this.pending;
  }

  confirm(token: string): ScanOutcome {
    const pending = this.livePending();
    const open = this.openTubeRow();
    if (!pending || pending.token !== token || !open || open.id !== pending.tubeId) {
      this.pending = null;
      throw new DomainError('confirmation.expired');
    }
    return this.bind(open, pending.personId, pending.person, true);
  }

  cancel(token: string): void {
    if (this.pending?.token === token) this.pending = null;
  }

  /** The screen locked or another operator signed in: a question asked of the last one is not theirs to answer. */
  dropPending(): void {
    this.pending = null;
  }

  /** A correction is a new record with its reason, journalled with the same seq. */
  private correct(kind: 'binding.undo' | 'tube.void', targetId: string, reason: string, entry: { kind: JournalKind; payload: Record<string, unknown> }): void {
    const s = this.stamp();
    const id = newId();
    const seq = this.journal.append({ ...s, kind: entry.kind, entityId: targetId, payload: { ...entry.payload, reason, correctionId: id } });
    this.sql('INSERT INTO correction (id, kind, target_id, reason, station_id, operator_id, at, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(id, kind, targetId, reason, s.stationId, s.operatorId, s.at, seq);
    const mark = kind === 'binding.undo' ? 'UPDATE binding SET undo_correction_id = ? WHERE id = ?' : `UPDATE tube SET state = 'voided', void_correction_id = ? WHERE id = ?`;
    this.sql(mark).run(id, targetId);
  }

  /**
   * Undoes the last binding of the desk's current tube: the open one, or the one that just
   * sealed itself at capacity (which reopens, since the collector has not moved on yet).
   */
  undoLast(reason: string): UndoOutcome {
    const tube = this.lastTubeRow();
    const undoable = tube && (tube.state === 'open' || (tube.state === 'sealed' && tube.seal_cause === 'capacity'));
    if (!tube || !undoable) throw new DomainError('binding.nothingToUndo');
    const last = this.sql(
        `SELECT b.id, p.id AS person_id, p.id_number, p.reg_code, p.name, p.phone FROM binding b JOIN person p ON p.id = b.person_id
         WHERE b.tube_id = ? AND b.undo_correction_id IS NULL ORDER BY b.seq DESC LIMIT 1`,
      )
      .get(tube.id) as (PersonRow & { person_id: string }) | undefined;
    if (!last) throw new DomainError('binding.nothingToUndo');
    this.correct('binding.undo', last.id, reason, { kind: 'binding.undone', payload: { tubeCode: tube.code } });
    const reopened = tube.state === 'sealed';
    if (reopened) {
      this.journal.append({ ...this.stamp(), kind: 'tube.reopened', entityId: tube.id, payload: { code: tube.code, cause: 'undo' } });
      this.sql(`UPDATE tube SET state = 'open', sealed_at = NULL, seal_cause = NULL WHERE id = ?`).run(tube.id);
    }
    this.pending = null;
    return { tubeCode: tube.code, person: personView({ ...last, id: last.person_id }), count: tube.count - 1, tubeReopened: reopened };
  }

  voidTube(code: string, reason: string): TubeSummary {
    const tube = this.sql(`SELECT ${TUBE_COLUMNS} FROM tube t WHERE t.code = ? AND t.station_id = ?`).get(code, this.identity.station.id) as
      | TubeRow
      | undefined;
    if (!tube) throw new DomainError('tube.notFound', { code });
    if (tube.state === 'voided') throw new DomainError('tube.notVoidable', { code });
    this.correct('tube.void', tube.id, reason, { kind: 'tube.voided', payload: { code, count: tube.count } });
    this.pending = null;
    return this.summary(this.openTubeRowById(tube.id));
  }
}

import type { OperatorBrief, OperatorRecord, Role } from '../../api/operators';
import type { OperatorStatePayload } from '../../../hq/protocol';
import type { StationDatabase } from '../db/database';
import { DomainError } from '../errors';
import type { FeedHandlers } from '../feed/feed';
import { newId } from '../ids';
import type { Journal } from '../journal';
import { createLogger } from '../log';
import type { StationIdentity } from '../site/bootstrap';

const log = createLogger('operators');

type OperatorRow = {
  id: string;
  code: string;
  name: string;
  role: Role;
  badge: string | null;
  pin_hash: string | null;
  /** The PIN hash a site admin set for them: while it is still their PIN, they must choose their own. */
  temporary_pin_hash: string | null;
  disabled: number;
  locked_out: number;
  wrong_pins: number;
  last_wrong_at: string | null;
  origin: 'here' | 'feed';
  updated_at: string;
};

const COLUMNS = 'id, code, name, role, badge, pin_hash, temporary_pin_hash, disabled, locked_out, wrong_pins, last_wrong_at, origin, updated_at';

/** What can change about an operator, as it is journalled (`operator.changed`) and as HQ keeps it. */
export type OperatorChange = 'updated' | 'pinSet' | 'pinChanged' | 'disabled' | 'enabled' | 'unlocked' | 'lockedOut';

/** Where a PIN was checked: at sign-in (badge or staff code), or as the current PIN of a PIN change. */
export type PinCheck = 'badge' | 'code' | 'pinChange';

/** An operator whose PIN is to be checked, with what decides whether it may be checked now. */
export type SignInCandidate = OperatorBrief & {
  pinHash: string | null;
  disabled: boolean;
  lockedOut: boolean;
  wrongPins: number;
  lastWrongAt: string | null;
  /** Their PIN is one a site admin set: once signed in, they choose their own first. */
  mustChangePin: boolean;
};

/**
 * Any change of the PIN (their own, a new one from HQ) ends the duty to change it: it is bound to
 * the very hash a site admin set, not kept as a flag that something would have to clear.
 */
function mustChangePin(r: OperatorRow): boolean {
  return r.temporary_pin_hash !== null && r.temporary_pin_hash === r.pin_hash;
}

function record(r: OperatorRow): OperatorRecord {
  return {
    id: r.id,
    code: r.code,
    name: r.name,
    role: r.role,
    badge: r.badge,
    hasPin: r.pin_hash !== null,
    mustChangePin: mustChangePin(r),
    disabled: r.disabled === 1,
    lockedOut: r.locked_out === 1,
    wrongPins: r.wrong_pins,
    origin: r.origin,
    updatedAt: r.updated_at,
  };
}

function candidate(r: OperatorRow): SignInCandidate {
  return {
    id: r.id,
    code: r.code,
    name: r.name,
    role: r.role,
    pinHash: r.pin_hash,
    disabled: r.disabled === 1,
    lockedOut: r.locked_out === 1,
    wrongPins: r.wrong_pins,
    lastWrongAt: r.last_wrong_at,
    mustChangePin: mustChangePin(r),
  };
}

/**
 * The site's operators as this station knows them: made here by a site admin (journalled, so HQ
 * shares them with the site) or received from HQ through the feed. The PIN is never here, only
 * its Argon2id hash. Changes run inside the writer's transaction.
 */
export class Operators {
  constructor(
    private readonly db: StationDatabase,
    private readonly journal: Journal,
    private readonly identity: StationIdentity,
  ) {}

  private row(id: string): OperatorRow | undefined {
    return this.db.prepare(`SELECT ${COLUMNS} FROM operator WHERE id = ?`).get(id) as OperatorRow | undefined;
  }

  private existing(id: string): OperatorRow {
    const row = this.row(id);
    if (!row) throw new DomainError('operator.notFound', { id });
    return row;
  }

  list(): OperatorRecord[] {
    const rows = this.db.prepare(`SELECT ${COLUMNS} FROM operator ORDER BY disabled, role != 'admin', code`).all() as OperatorRow[];
    return rows.map(record);
  }

  get(id: string): OperatorRecord {
    return record(this.existing(id));
  }

  brief(id: string): OperatorBrief | null {
    const row = this.row(id);
    return row ? { id: row.id, code: row.code, name: row.name, role: row.role } : null;
  }

  /** The operator a staff code or badge names, whatever their state (the sign-in decides). */
  find(by: { code: string } | { badge: string }): SignInCandidate | null {
    const row = ('code' in by
      ? this.db.prepare(`SELECT ${COLUMNS} FROM operator WHERE code = ?`).get(by.code)
      : this.db.prepare(`SELECT ${COLUMNS} FROM operator WHERE badge = ?`).get(by.badge)) as OperatorRow | undefined;
    return row ? candidate(row) : null;
  }

  /** The signed-in operator, as their PIN is checked when they change it. */
  candidate(id: string): SignInCandidate {
    return candidate(this.existing(id));
  }

  /** Whether the operator may still work: enabled, not locked out, with a PIN. */
  usable(id: string): boolean {
    const row = this.row(id);
    return !!row && row.disabled === 0 && row.locked_out === 0 && row.pin_hash !== null;
  }

  /**
   * First run (or an upgraded station whose operators have no PIN): no operator holds a PIN. An
   * operator disabled or locked out still holds one: the first-run screen never comes back to
   * let anyone make themselves a site admin.
   */
  needsSetup(): boolean {
    return !this.db.prepare('SELECT 1 FROM operator WHERE pin_hash IS NOT NULL LIMIT 1').get();
  }

  withoutPin(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM operator WHERE pin_hash IS NULL').get() as { n: number }).n;
  }

  // ---- changes (inside the writer) ---------------------------------------------------------

  private taken(field: 'code' | 'badge', value: string, exceptId: string | null): boolean {
    return !!this.db.prepare(`SELECT 1 FROM operator WHERE ${field} = ? AND id IS NOT ?`).get(value, exceptId);
  }

  private checkUnique(code: string | null, badge: string | null, exceptId: string | null): void {
    if (code !== null && this.taken('code', code, exceptId)) throw new DomainError('operator.codeTaken', { code });
    if (badge !== null && this.taken('badge', badge, exceptId)) throw new DomainError('operator.badgeTaken', { badge });
  }

  create(input: { name: string; code: string; role: Role; badge: string | null; pinHash: string }, actingId: string | null, at: string): OperatorRecord {
    this.checkUnique(input.code, input.badge, null);
    const id = newId();
    const seq = this.journal.append({
      stationId: this.identity.station.id,
      // The first site admin creates themselves.
      operatorId: actingId ?? id,
      at,
      kind: 'operator.created',
      entityId: id,
      payload: { code: input.code, name: input.name, role: input.role, badge: input.badge, pinHash: input.pinHash },
    });
    this.db
      .prepare(
        `INSERT INTO operator (id, station_id, code, name, role, badge, pin_hash, origin, updated_at, at, seq)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'here', ?, ?, ?)`,
      )
      .run(id, this.identity.station.id, input.code, input.name, input.role, input.badge, input.pinHash, at, at, seq);
    return this.get(id);
  }

  /** Journals the operator's state after a change, as HQ keeps it and shares it with the site. */
  private changed(row: OperatorRow, change: OperatorChange, actingId: string, at: string): OperatorRecord {
    this.db.prepare('UPDATE operator SET updated_at = ? WHERE id = ?').run(at, row.id);
    const now = this.existing(row.id);
    this.journal.append({
      stationId: this.identity.station.id,
      operatorId: actingId,
      at,
      kind: 'operator.changed',
      entityId: row.id,
      payload: {
        change,
        code: now.code,
        name: now.name,
        role: now.role,
        badge: now.badge,
        pinHash: now.pin_hash,
        disabled: now.disabled === 1,
        lockedOut: now.locked_out === 1,
      },
    });
    return record(now);
  }

  update(id: string, input: { name?: string | undefined; role?: Role | undefined; badge?: string | null | undefined }, actingId: string, at: string): OperatorRecord {
    const row = this.existing(id);
    if (input.role !== undefined && input.role !== 'admin' && row.role === 'admin') {
      if (id === actingId) throw new DomainError('operator.self');
      this.keepAnAdmin(id);
    }
    const badge = input.badge === undefined ? row.badge : input.badge;
    this.checkUnique(null, badge, id);
    this.db.prepare('UPDATE operator SET name = ?, role = ?, badge = ? WHERE id = ?').run(input.name ?? row.name, input.role ?? row.role, badge, id);
    return this.changed(row, 'updated', actingId, at);
  }

  /**
   * A new PIN a site admin set for another operator (forgotten, or locked out): also ends a
   * lock-out. The admin knows it, so the operator chooses their own at their next sign-in here.
   * An admin's own PIN is changed with their current one (`changeOwnPin`): whoever finds a
   * session left open cannot take it over by resetting its PIN.
   */
  setPin(id: string, pinHash: string, actingId: string, at: string): OperatorRecord {
    const row = this.existing(id);
    if (id === actingId) throw new DomainError('operator.ownPin');
    this.db
      .prepare('UPDATE operator SET pin_hash = ?, temporary_pin_hash = ?, locked_out = 0, wrong_pins = 0, last_wrong_at = NULL WHERE id = ?')
      .run(pinHash, pinHash, id);
    return this.changed(row, 'pinSet', actingId, at);
  }

  /** The operator chose a new PIN, their current one checked: journalled under their own name (the hash, never the PIN). */
  changeOwnPin(id: string, pinHash: string, at: string): OperatorRecord {
    const row = this.existing(id);
    this.db.prepare('UPDATE operator SET pin_hash = ?, temporary_pin_hash = NULL, wrong_pins = 0, last_wrong_at = NULL WHERE id = ?').run(pinHash, id);
    return this.changed(row, 'pinChanged', id, at);
  }

  setDisabled(id: string, disabled: boolean, actingId: string, at: string): OperatorRecord {
    const row = this.existing(id);
    if (disabled && id === actingId) throw new DomainError('operator.self');
    if (disabled && row.role === 'admin') this.keepAnAdmin(id);
    if ((row.disabled === 1) === disabled) return record(row);
    this.db.prepare('UPDATE operator SET disabled = ? WHERE id = ?').run(disabled ? 1 : 0, id);
    return this.changed(row, disabled ? 'disabled' : 'enabled', actingId, at);
  }

  unlock(id: string, actingId: string, at: string): OperatorRecord {
    const row = this.existing(id);
    if (row.locked_out === 0 && row.wrong_pins === 0) return record(row);
    this.db.prepare('UPDATE operator SET locked_out = 0, wrong_pins = 0, last_wrong_at = NULL WHERE id = ?').run(id);
    return this.changed(row, 'unlocked', actingId, at);
  }

  /** Another site admin who can sign in must remain. */
  private keepAnAdmin(leaving: string): void {
    const other = this.db
      .prepare(`SELECT 1 FROM operator WHERE role = 'admin' AND disabled = 0 AND locked_out = 0 AND pin_hash IS NOT NULL AND id != ? LIMIT 1`)
      .get(leaving);
    if (!other) throw new DomainError('operator.lastAdmin');
  }

  // ---- sign-in attempts --------------------------------------------------------------------

  signedIn(op: OperatorBrief, method: 'badge' | 'code' | 'setup', at: string): void {
    this.db.prepare('UPDATE operator SET wrong_pins = 0, last_wrong_at = NULL WHERE id = ? AND wrong_pins > 0').run(op.id);
    this.journal.append({ stationId: this.identity.station.id, operatorId: op.id, at, kind: 'operator.signedIn', entityId: op.id, payload: { code: op.code, method } });
  }

  /** A wrong PIN counted; at `max` in a row the operator is locked out (journalled, shared with the site). */
  wrongPin(op: SignInCandidate, method: PinCheck, max: number, at: string): { wrongPins: number; lockedOut: boolean } {
    const wrongPins = op.wrongPins + 1;
    const lockedOut = wrongPins >= max;
    this.db.prepare('UPDATE operator SET wrong_pins = ?, last_wrong_at = ?, locked_out = ? WHERE id = ?').run(wrongPins, at, lockedOut ? 1 : 0, op.id);
    this.failed(op, method, 'pinWrong', at, wrongPins);
    if (lockedOut) this.changed(this.existing(op.id), 'lockedOut', op.id, at);
    return { wrongPins, lockedOut };
  }

  /**
   * A refused try, journalled without the PIN. An unknown staff code or badge is journalled
   * without the text typed (it may be a PIN typed into the wrong field).
   */
  failed(
    op: OperatorBrief | null,
    method: PinCheck,
    reason: 'pinWrong' | 'tooSoon' | 'lockedOut' | 'disabled' | 'noPin' | 'unknown',
    at: string,
    wrongPins?: number,
  ): void {
    this.journal.append({
      stationId: this.identity.station.id,
      operatorId: op?.id ?? NO_OPERATOR,
      at,
      kind: 'operator.signInFailed',
      entityId: op?.id ?? this.identity.station.id,
      payload: { code: op?.code ?? null, method, reason, ...(wrongPins !== undefined ? { wrongPins } : {}) },
    });
  }

  signedOut(op: OperatorBrief, cause: 'lock' | 'idle' | 'signOut' | 'revoked', at: string): void {
    this.journal.append({ stationId: this.identity.station.id, operatorId: op.id, at, kind: 'operator.signedOut', entityId: op.id, payload: { code: op.code, cause } });
  }

  // ---- the site's operators, from HQ -------------------------------------------------------

  /**
   * `operator.state`: an operator of the site as HQ holds it (made there or at any station).
   * The newer state wins, so a change made here and not yet uploaded is not undone by an older
   * one; a staff code or badge another operator here already has is skipped, never a stuck feed.
   */
  private adopt(p: OperatorStatePayload): boolean {
    if (p.siteId !== this.identity.site.id) return false;
    const row = this.row(p.operatorId);
    if (row && row.updated_at >= p.updatedAt) return false;
    if (this.taken('code', p.code, p.operatorId) || (p.badge !== null && this.taken('badge', p.badge, p.operatorId))) {
      log.warn({ operatorId: p.operatorId }, 'operator from HQ skipped: its staff code or badge belongs to another operator here');
      return false;
    }
    if (!row) {
      this.db
        .prepare(
          `INSERT INTO operator (id, station_id, code, name, role, badge, pin_hash, disabled, locked_out, origin, updated_at, at, seq)
           VALUES (?, NULL, ?, ?, ?, ?, ?, ?, ?, 'feed', ?, ?, NULL)`,
        )
        .run(p.operatorId, p.code, p.name, p.role, p.badge, p.pinHash, p.disabled ? 1 : 0, p.lockedOut ? 1 : 0, p.updatedAt, p.updatedAt);
      return true;
    }
    // Unlocked (or given a new PIN) elsewhere: the wrong PINs counted here are forgiven too.
    const forgive = row.locked_out === 1 && !p.lockedOut;
    this.db
      .prepare(
        `UPDATE operator SET code = ?, name = ?, role = ?, badge = ?, pin_hash = ?, disabled = ?, locked_out = ?, updated_at = ?,
           wrong_pins = CASE WHEN ? THEN 0 ELSE wrong_pins END, last_wrong_at = CASE WHEN ? THEN NULL ELSE last_wrong_at END WHERE id = ?`,
      )
      .run(p.code, p.name, p.role, p.badge, p.pinHash, p.disabled ? 1 : 0, p.lockedOut ? 1 : 0, p.updatedAt, forgive ? 1 : 0, forgive ? 1 : 0, p.operatorId);
    return true;
  }

  feedHandlers(): FeedHandlers {
    return {
      'operator.state': (item, effects) => {
        if (this.adopt(item.payload)) effects.operators++;
      },
    };
  }
}

/** The operator of records the station makes on its own (HQ's word applied, start-up work, a try by nobody known). */
export const NO_OPERATOR = 'station';

import {
  DEFAULT_IDLE_LOCK_MINUTES,
  MAX_WRONG_PINS,
  METHOD_ACCESS,
  roleMay,
  type OperatorBrief,
  type OperatorRecord,
  type OperatorSettings,
  type Role,
  type SessionState,
  type SessionView,
} from '../../api/operators';
import type { Method } from '../../api/contract';
import type { Writer } from '../db/writer';
import type { StationDatabase } from '../db/database';
import { DomainError } from '../errors';
import { createLogger } from '../log';
import type { StationIdentity } from '../site/bootstrap';
import { NO_OPERATOR, type Operators, type PinCheck, type SignInCandidate } from './operators';
import { checkNewPin, hashPin, verifyPin, waitAfterWrongPins } from './pin';

const log = createLogger('session');

const IDLE_SETTING = 'session.idleLockMinutes';
/** How often the idle lock is looked at; the lock itself is decided by the core's clock. */
const IDLE_CHECK_MS = 5_000;

const METHODS = Object.keys(METHOD_ACCESS) as Method[];

export type SessionDeps = {
  db: StationDatabase;
  writer: Writer;
  operators: Operators;
  identity: StationIdentity;
  now: () => Date;
  /** Told of every change of the session (sign-in, switch, lock, sign-out). */
  onChange: (view: SessionView) => void;
  /** The roles that may sign in here now, when not all may (a sentinel: site admins only). */
  signInRoles?: () => readonly Role[] | null;
};

/**
 * The station's session: one desk, one screen, one operator at a time, whichever host or screen
 * drives it (a session per connection would let a second browser tab skip the lock screen).
 * Only the core decides: who is signed in, whether the screen is locked (on demand, or after the
 * idle time), how long to wait after wrong PINs, and when an operator is locked out.
 * Nothing here is stored: a restarted station starts signed out.
 */
export class Session {
  private state: Exclude<SessionState, 'setup'> = 'signedOut';
  private operator: OperatorBrief | null = null;
  private lastActivity = 0;
  /** Sign-in tries run one after another: tries sent at once cannot skip the count of wrong PINs. */
  private attempts: Promise<unknown> = Promise.resolve();
  /** Set while the station applies HQ's word: what it writes then is the station's, not the operator's. */
  private stationWork = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly deps: SessionDeps) {
    this.timer = setInterval(() => this.lockIfIdle(), IDLE_CHECK_MS);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
  }

  // ---- what the core asks ------------------------------------------------------------------

  /** The signed-in operator when the session is active (not locked), else null. */
  active(): OperatorBrief | null {
    return this.state === 'active' ? this.operator : null;
  }

  /** The operator whose session is open: active, or choosing their own PIN before anything else. */
  open(): OperatorBrief | null {
    return this.state === 'active' || this.state === 'pinChange' ? this.operator : null;
  }

  /**
   * Who a record written now is by: the operator of the session (a record already queued when
   * the screen locked is still theirs), or the station itself for what it does on HQ's word.
   */
  operatorId(): string {
    if (this.stationWork > 0 || !this.operator) return NO_OPERATOR;
    return this.operator.id;
  }

  /** Runs `fn` (synchronous) as the station's own work: e.g. applying a page of HQ's feed. */
  asStation<T>(fn: () => T): T {
    this.stationWork++;
    try {
      return fn();
    } finally {
      this.stationWork--;
    }
  }

  /** Staff are at the screen: the idle lock counts from now. */
  touch(): void {
    if (this.open()) this.lastActivity = this.deps.now().getTime();
  }

  idleLockMinutes(): number {
    return this.settings().idleLockMinutes;
  }

  settings(): OperatorSettings {
    const site = this.deps.identity.site.config.idleLockMinutes;
    const row = this.deps.db.prepare('SELECT value FROM setting WHERE key = ?').get(IDLE_SETTING) as { value: string } | undefined;
    const station = row ? Number(row.value) : null;
    if (site !== undefined) return { idleLockMinutes: site, source: 'site', stationMinutes: station };
    if (station !== null) return { idleLockMinutes: station, source: 'station', stationMinutes: station };
    return { idleLockMinutes: DEFAULT_IDLE_LOCK_MINUTES, source: 'default', stationMinutes: null };
  }

  async setIdleLock(minutes: number | null): Promise<OperatorSettings> {
    await this.deps.writer.run(() => {
      if (minutes === null) this.deps.db.prepare('DELETE FROM setting WHERE key = ?').run(IDLE_SETTING);
      else this.deps.db.prepare('INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(IDLE_SETTING, String(minutes));
    });
    return this.settings();
  }

  view(): SessionView {
    const setup = this.state === 'signedOut' && this.deps.operators.needsSetup();
    const { site, station } = this.deps.identity;
    const active = this.active();
    const open = this.open();
    return {
      state: setup ? 'setup' : this.state,
      operator: this.operator,
      site: { name: site.name },
      station: { name: station.name, number: station.number },
      idleLockMinutes: this.idleLockMinutes(),
      badgePattern: site.config.operatorBadge.pattern,
      allowed: active ? METHODS.filter((m) => roleMay(active.role, m)) : open ? METHODS.filter((m) => METHOD_ACCESS[m] === 'self') : [],
      operatorsWithoutPin: setup ? this.deps.operators.withoutPin() : 0,
    };
  }

  /** Locks the screen when nobody has touched it for the idle time (also checked before every call). */
  lockIfIdle(): void {
    if (!this.open()) return;
    if (this.deps.now().getTime() - this.lastActivity < this.idleLockMinutes() * 60_000) return;
    this.end('locked', 'idle');
  }

  /** An operator disabled or locked out (here or through HQ) while signed in is signed out at once. */
  recheck(): void {
    if (this.operator && !this.deps.operators.usable(this.operator.id)) this.end('signedOut', 'revoked');
  }

  // ---- the API -----------------------------------------------------------------------------

  lock(): SessionView {
    if (this.open()) this.end('locked', 'lock');
    return this.view();
  }

  signOut(): SessionView {
    if (this.operator) this.end('signedOut', 'signOut');
    return this.view();
  }

  private end(state: 'locked' | 'signedOut', cause: 'lock' | 'idle' | 'signOut' | 'revoked'): void {
    const op = this.operator;
    if (!op) return;
    this.state = state;
    if (state === 'signedOut') this.operator = null;
    log.info({ operatorId: op.id, cause }, state === 'locked' ? 'screen locked' : 'signed out');
    const at = this.deps.now().toISOString();
    this.deps.writer.run(() => this.deps.operators.signedOut(op, cause, at)).catch((err: unknown) => log.error({ err }, 'sign-out could not be journalled'));
    this.deps.onChange(this.view());
  }

  /** A badge scanned: whose it is, so the screen asks for their PIN. */
  identify(badge: string): OperatorBrief {
    const op = this.deps.operators.find({ badge });
    if (!op) throw new DomainError('operator.unknownBadge', { badge });
    this.requireRoleHere(op.role);
    return { id: op.id, code: op.code, name: op.name, role: op.role };
  }

  /**
   * Sign-in with a staff code or badge and a PIN; also unlocks the screen, and switches operator
   * when someone else signs in. Refused tries are journalled (never the PIN) and counted.
   */
  signIn(by: { code: string } | { badge: string }, pin: string): Promise<SessionView> {
    const attempt = this.attempts.then(() => this.tryPin(by, pin));
    this.attempts = attempt.catch(() => undefined);
    return attempt;
  }

  private async tryPin(by: { code: string } | { badge: string }, pin: string): Promise<SessionView> {
    const method = 'code' in by ? 'code' : 'badge';
    const op = this.deps.operators.find(by);
    if (!op) {
      await this.refuse(null, method, 'unknown');
      throw new DomainError(method === 'badge' ? 'operator.unknownBadge' : 'operator.unknown', method === 'badge' ? { badge: (by as { badge: string }).badge } : undefined);
    }
    this.requireRoleHere(op.role);
    await this.checkPin(op, pin, method);
    return this.begin(op, method);
  }

  /** Refused before any PIN is asked or checked (not a wrong PIN): this station takes only some roles now. */
  private requireRoleHere(role: Role): void {
    const roles = this.deps.signInRoles?.();
    if (roles && !roles.includes(role)) throw new DomainError('operator.sentinelAdminOnly', { role });
  }

  /**
   * Checks an operator's PIN, at sign-in or as the current PIN of a PIN change alike: a disabled
   * or locked-out operator, a try within the wait after wrong PINs, and a wrong PIN are refused,
   * journalled (never the PIN) and counted; at MAX_WRONG_PINS the operator is locked out.
   */
  private async checkPin(op: SignInCandidate, pin: string, method: PinCheck): Promise<void> {
    if (op.disabled) return this.refuse(op, method, 'disabled', new DomainError('operator.disabled'));
    if (op.lockedOut) return this.refuse(op, method, 'lockedOut', new DomainError('operator.lockedOut'));
    if (!op.pinHash) return this.refuse(op, method, 'noPin', new DomainError('operator.noPin'));
    const wait = this.waitLeft(op);
    if (wait > 0) return this.refuse(op, method, 'tooSoon', new DomainError('operator.tooSoon', { waitSeconds: Math.ceil(wait / 1000) }));
    if (await verifyPin(op.pinHash, pin)) return;
    const when = this.deps.now().toISOString();
    const counted = await this.deps.writer.run(() => this.deps.operators.wrongPin(op, method, MAX_WRONG_PINS, when));
    log.warn({ operatorId: op.id, wrongPins: counted.wrongPins, method }, counted.lockedOut ? 'operator locked out after wrong PINs' : 'wrong PIN');
    if (counted.lockedOut) {
      this.recheck();
      throw new DomainError('operator.lockedOut');
    }
    throw new DomainError('operator.pinWrong', { remaining: MAX_WRONG_PINS - counted.wrongPins, waitSeconds: Math.ceil(waitAfterWrongPins(counted.wrongPins) / 1000) });
  }

  /** A refused try, journalled before the refusal is answered. */
  private async refuse(op: SignInCandidate | null, method: PinCheck, reason: 'tooSoon' | 'lockedOut' | 'disabled' | 'noPin' | 'unknown', error?: DomainError): Promise<void> {
    const when = this.deps.now().toISOString();
    await this.deps.writer.run(() => this.deps.operators.failed(op, method, reason, when));
    log.warn({ operatorId: op?.id ?? null, reason, method }, method === 'pinChange' ? 'PIN change refused' : 'sign-in refused');
    if (error) throw error;
  }

  private waitLeft(op: SignInCandidate): number {
    if (!op.lastWrongAt) return 0;
    return Date.parse(op.lastWrongAt) + waitAfterWrongPins(op.wrongPins) - this.deps.now().getTime();
  }

  /**
   * The session is the operator's from the commit of their sign-in on: changes queued in the
   * writer before it are the previous operator's, changes after it theirs.
   */
  private async begin(op: OperatorBrief | SignInCandidate, method: 'badge' | 'code' | 'setup'): Promise<SessionView> {
    const brief: OperatorBrief = { id: op.id, code: op.code, name: op.name, role: op.role };
    const at = this.deps.now().toISOString();
    await this.deps.writer.run(() => {
      this.deps.operators.signedIn(brief, method, at);
    });
    const switched = this.operator !== null && this.operator.id !== brief.id;
    this.operator = brief;
    this.state = 'mustChangePin' in op && op.mustChangePin ? 'pinChange' : 'active';
    this.lastActivity = this.deps.now().getTime();
    log.info({ operatorId: brief.id, role: brief.role, switched, pinChange: this.state === 'pinChange' }, 'signed in');
    const view = this.view();
    this.deps.onChange(view);
    return view;
  }

  /** The first site admin, where nobody can sign in yet (first run, or an upgraded station). */
  async setup(input: { name: string; code: string; pin: string; badge: string | null }): Promise<SessionView> {
    checkNewPin(input.pin);
    if (!this.deps.operators.needsSetup()) throw new DomainError('operator.setupDone');
    const pinHash = await hashPin(input.pin);
    const created = await this.deps.writer.run(() => {
      // Checked again in the transaction: two first-run screens cannot both make an admin.
      if (!this.deps.operators.needsSetup()) throw new DomainError('operator.setupDone');
      return this.deps.operators.create({ name: input.name, code: input.code, role: 'admin', badge: input.badge, pinHash }, null, this.deps.now().toISOString());
    });
    return this.begin(created, 'setup');
  }

  /**
   * The signed-in operator changes their own PIN: the current one is checked like a sign-in
   * (waits, lock-out, every refusal journalled), the new one follows the rules of every PIN and
   * differs from it. Tries run one after another with the sign-in's, so they share one count.
   */
  changePin(pin: string, newPin: string): Promise<SessionView> {
    const attempt = this.attempts.then(() => this.tryChange(pin, newPin));
    this.attempts = attempt.catch(() => undefined);
    return attempt;
  }

  private async tryChange(pin: string, newPin: string): Promise<SessionView> {
    const own = this.open();
    // Locked or signed out while the try waited its turn.
    if (!own) throw new DomainError('session.locked', { method: 'operator.changePin' });
    checkNewPin(newPin);
    if (newPin === pin) throw new DomainError('pin.sameAsOld');
    await this.checkPin(this.deps.operators.candidate(own.id), pin, 'pinChange');
    const pinHash = await hashPin(newPin);
    const at = this.deps.now().toISOString();
    await this.deps.writer.run(() => this.deps.operators.changeOwnPin(own.id, pinHash, at));
    log.info({ operatorId: own.id }, 'PIN changed by its operator');
    // The session may have ended meanwhile (locked, another operator signed in): it stays as it is.
    if (this.state === 'pinChange' && this.operator?.id === own.id) {
      this.state = 'active';
      this.lastActivity = this.deps.now().getTime();
      this.deps.onChange(this.view());
    }
    return this.view();
  }

  /** The role of the active session; for the handlers of a site admin's changes. */
  actingAdmin(): OperatorBrief & { role: Role } {
    const op = this.active();
    if (!op) throw new DomainError('session.locked');
    return op;
  }

  /** After a site admin changed an operator: the screen learns the new role (or is signed out). */
  afterChange(changed: OperatorRecord): void {
    if (this.operator?.id !== changed.id) return;
    if (changed.disabled || changed.lockedOut || !changed.hasPin) return this.recheck();
    this.operator = { id: changed.id, code: changed.code, name: changed.name, role: changed.role };
    this.deps.onChange(this.view());
  }
}

/**
 * The site's operators at HQ: made and changed by HQ's staff (dashboard, `station hq operator`)
 * or by a site admin at one of the site's stations (journalled there, projected here), and sent
 * to every station of the site through the feed (`operator.state`), so staff sign in at any desk
 * of their site. The PIN's Argon2id hash travels, never the PIN: HQ hashes a PIN its staff type
 * at once and forgets it. The newer change wins, wherever it was made.
 */
import { roleSchema, type Role } from '../../electron/api/operators';
import { createLogger } from '../../electron/core/log';
import { hashPin, isPinHash, pinProblem } from '../../electron/core/operators/pin';
import { DEMO_SITE_CONFIG, parseSiteConfig } from '../../electron/core/site/config';
import { v7 } from 'uuid';
import type { StationOperatorChange } from '../ingest';
import type { OperatorStatePayload } from '../protocol';
import type { Tx } from '../store/sql';
import { addFeed } from './feed';

const log = createLogger('hq-operators');

export type SiteOperator = {
  operatorId: string;
  siteId: string;
  code: string;
  name: string;
  role: Role;
  badge: string | null;
  hasPin: boolean;
  disabled: boolean;
  lockedOut: boolean;
  /** Made at HQ (null) or at this station. */
  stationId: string | null;
  updatedAt: string;
};

type Row = {
  id: string;
  site_id: string;
  code: string;
  name: string;
  role: Role;
  badge: string | null;
  pin_hash: string | null;
  disabled: number | string;
  locked_out: number | string;
  station_id: string | null;
  updated_at: string;
};

const COLUMNS = 'id, site_id, code, name, role, badge, pin_hash, disabled, locked_out, station_id, updated_at';

export type OperatorError =
  | 'site.unknown'
  | 'operator.unknown'
  | 'operator.codeTaken'
  | 'operator.codeInvalid'
  | 'operator.badgeTaken'
  | 'operator.badgeInvalid'
  | 'operator.nameInvalid'
  | 'pin.tooShort'
  | 'pin.tooLong'
  | 'pin.notDigits'
  | 'pin.tooCommon';
export type OperatorOutcome = { ok: true; operator: SiteOperator } | { ok: false; error: OperatorError };

function view(r: Row): SiteOperator {
  return {
    operatorId: r.id,
    siteId: r.site_id,
    code: r.code,
    name: r.name,
    role: r.role,
    badge: r.badge,
    hasPin: r.pin_hash !== null,
    disabled: Number(r.disabled) === 1,
    lockedOut: Number(r.locked_out) === 1,
    stationId: r.station_id,
    updatedAt: r.updated_at,
  };
}

export async function operatorsOfSite(tx: Tx, siteId: string): Promise<SiteOperator[]> {
  const rows = await tx.all<Row>(`SELECT ${COLUMNS} FROM site_operator WHERE site_id = @siteId ORDER BY disabled, code`, { siteId });
  return rows.map(view);
}

async function byCode(tx: Tx, siteId: string, code: string): Promise<Row | undefined> {
  return tx.one<Row>(`SELECT ${COLUMNS} FROM site_operator WHERE site_id = @siteId AND code = @code`, { siteId, code });
}

/** Another operator of the site already has this staff code or badge. */
async function clash(tx: Tx, siteId: string, id: string, code: string, badge: string | null): Promise<'operator.codeTaken' | 'operator.badgeTaken' | null> {
  if (await tx.one(`SELECT 1 FROM site_operator WHERE site_id = @siteId AND code = @code AND id <> @id`, { siteId, code, id })) return 'operator.codeTaken';
  if (badge !== null && (await tx.one(`SELECT 1 FROM site_operator WHERE site_id = @siteId AND badge = @badge AND id <> @id`, { siteId, badge, id }))) return 'operator.badgeTaken';
  return null;
}

/** Every station of the site receives the operator as HQ now holds them (one who cannot sign in yet is not sent). */
async function share(tx: Tx, row: Row): Promise<void> {
  if (row.pin_hash === null) return;
  const payload: OperatorStatePayload = {
    operatorId: row.id,
    siteId: row.site_id,
    code: row.code,
    name: row.name,
    role: row.role,
    badge: row.badge,
    pinHash: row.pin_hash,
    disabled: Number(row.disabled) === 1,
    lockedOut: Number(row.locked_out) === 1,
    updatedAt: row.updated_at,
  };
  await addFeed(tx, { siteId: row.site_id, stationId: null, kind: 'operator.state', payload: JSON.stringify(payload), at: row.updated_at });
}

async function write(tx: Tx, r: Row, created: string): Promise<void> {
  await tx.run(
    `INSERT INTO site_operator (id, site_id, code, name, role, badge, pin_hash, disabled, locked_out, station_id, created_at, updated_at)
     VALUES (@id, @siteId, @code, @name, @role, @badge, @pinHash, @disabled, @lockedOut, @stationId, @created, @updatedAt)
     ON CONFLICT (id) DO UPDATE SET code = excluded.code, name = excluded.name, role = excluded.role, badge = excluded.badge, pin_hash = excluded.pin_hash,
       disabled = excluded.disabled, locked_out = excluded.locked_out, updated_at = excluded.updated_at`,
    {
      id: r.id,
      siteId: r.site_id,
      code: r.code,
      name: r.name,
      role: r.role,
      badge: r.badge,
      pinHash: r.pin_hash,
      disabled: Number(r.disabled),
      lockedOut: Number(r.locked_out),
      stationId: r.station_id,
      created,
      updatedAt: r.updated_at,
    },
  );
  await share(tx, r);
}

async function siteBadgePattern(tx: Tx, siteId: string): Promise<RegExp | null> {
  const site = await tx.one<{ config: string | null }>('SELECT config FROM site WHERE id = @siteId', { siteId });
  if (!site) return null;
  let pattern = DEMO_SITE_CONFIG.operatorBadge.pattern;
  try {
    if (site.config) pattern = parseSiteConfig(JSON.parse(site.config)).operatorBadge.pattern;
  } catch {
    // A configuration HQ could not read keeps the default pattern, as its stations do.
  }
  return new RegExp(pattern, 'u');
}

/**
 * A PIN HQ's staff typed: checked and hashed before any transaction (Argon2id takes a while), then
 * forgotten; only the hash goes on.
 */
export async function hashNewPin(pin: string): Promise<{ ok: true; pinHash: string } | { ok: false; error: OperatorError }> {
  const problem = pinProblem(pin);
  return problem ? { ok: false, error: problem.code } : { ok: true, pinHash: await hashPin(pin) };
}

/** What HQ's staff typed, checked before anything is written. */
async function checkInput(tx: Tx, siteId: string, input: { code?: string; name?: string; badge?: string | null }): Promise<OperatorError | null> {
  const pattern = await siteBadgePattern(tx, siteId);
  if (!pattern) return 'site.unknown';
  if (input.code !== undefined && !/^[A-Za-z0-9_-]{1,32}$/.test(input.code)) return 'operator.codeInvalid';
  if (input.name !== undefined && (input.name.trim().length === 0 || input.name.length > 50)) return 'operator.nameInvalid';
  if (input.badge !== undefined && input.badge !== null && !pattern.test(input.badge)) return 'operator.badgeInvalid';
  return null;
}

export type NewOperator = { siteId: string; name: string; code: string; role: Role; badge: string | null; pinHash: string; at: string };

/** HQ's staff add an operator to a site; every station of the site receives them. */
export async function createOperator(tx: Tx, input: NewOperator): Promise<OperatorOutcome> {
  const problem = await checkInput(tx, input.siteId, input);
  if (problem) return { ok: false, error: problem };
  const id = v7();
  const taken = await clash(tx, input.siteId, id, input.code, input.badge);
  if (taken) return { ok: false, error: taken };
  const row: Row = {
    id,
    site_id: input.siteId,
    code: input.code,
    name: input.name.trim(),
    role: input.role,
    badge: input.badge,
    pin_hash: input.pinHash,
    disabled: 0,
    locked_out: 0,
    station_id: null,
    updated_at: input.at,
  };
  await write(tx, row, input.at);
  log.info({ siteId: input.siteId, operatorId: id, role: input.role }, 'operator created at HQ');
  return { ok: true, operator: view(row) };
}

export type OperatorChangeInput = {
  siteId: string;
  code: string;
  at: string;
  role?: Role;
  name?: string;
  badge?: string | null;
  /** A new PIN's hash (`hashNewPin`). */
  pinHash?: string;
  disabled?: boolean;
  /** Ends a lock-out after wrong PINs (a new PIN does too). */
  unlock?: boolean;
};

/** HQ's staff change an operator of a site (role, name, badge, PIN, disabled, unlocked). */
export async function changeOperator(tx: Tx, input: OperatorChangeInput): Promise<OperatorOutcome> {
  const problem = await checkInput(tx, input.siteId, input);
  if (problem) return { ok: false, error: problem };
  const row = await byCode(tx, input.siteId, input.code);
  if (!row) return { ok: false, error: 'operator.unknown' };
  const badge = input.badge === undefined ? row.badge : input.badge;
  const taken = await clash(tx, input.siteId, row.id, row.code, badge);
  if (taken) return { ok: false, error: taken };
  const next: Row = {
    ...row,
    role: input.role ?? row.role,
    name: input.name?.trim() ?? row.name,
    badge,
    pin_hash: input.pinHash ?? row.pin_hash,
    disabled: input.disabled === undefined ? row.disabled : input.disabled ? 1 : 0,
    locked_out: input.unlock || input.pinHash !== undefined ? 0 : row.locked_out,
    // Later than what HQ holds, even when a station's clock ran ahead: the change HQ's staff make now wins.
    updated_at: input.at > row.updated_at ? input.at : new Date(Date.parse(row.updated_at) + 1).toISOString(),
  };
  await write(tx, next, row.updated_at);
  log.info({ siteId: input.siteId, operatorId: row.id }, 'operator changed at HQ');
  return { ok: true, operator: view(next) };
}

type Station = { id: string; siteId: string };

/**
 * Operators a site admin made or changed at a station (or locked out by wrong PINs there), as its
 * journal says. An older change than HQ holds is kept in the journal only; one whose staff code
 * or badge another operator of the site has is not shared (its station keeps it to itself).
 */
export async function projectStationOperators(tx: Tx, station: Station, changes: readonly StationOperatorChange[]): Promise<void> {
  for (const c of changes) {
    const role = roleSchema.safeParse(c.role);
    if (!role.success || (c.pinHash !== null && !isPinHash(c.pinHash))) continue;
    const held = await tx.one<Row>(`SELECT ${COLUMNS} FROM site_operator WHERE id = @id`, { id: c.operatorId });
    if (held && (held.site_id !== station.siteId || held.updated_at >= c.at)) continue;
    const taken = await clash(tx, station.siteId, c.operatorId, c.code, c.badge);
    if (taken) {
      log.warn({ stationId: station.id, operatorId: c.operatorId, reason: taken }, 'operator from a station not shared with its site');
      continue;
    }
    const row: Row = {
      id: c.operatorId,
      site_id: station.siteId,
      code: c.code,
      name: c.name,
      role: role.data,
      badge: c.badge,
      pin_hash: c.pinHash,
      disabled: c.disabled ? 1 : 0,
      locked_out: c.lockedOut ? 1 : 0,
      station_id: held?.station_id ?? station.id,
      updated_at: c.at,
    };
    await write(tx, row, held ? held.updated_at : c.at);
  }
}

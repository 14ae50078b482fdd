/**
 * Resident passes (出入证) at HQ: projected from the `pass.issued` / `pass.revoked` entries of the
 * site's stations (`resident_pass`), and relayed to every station of the site through the feed, so
 * a pass issued at one gate is let through at the others and a pass revoked at one is refused at
 * all. The issuing station receives its own pass back and knows it already (stations apply passes
 * by id, idempotently).
 *
 * Order: a station revokes only a pass it knows, which it issued or received through this feed
 * after HQ stored its `pass.issued`; so in the feed a pass's revocation always comes after the pass.
 * A revocation of a pass HQ does not hold is relayed all the same (stations keep it until the pass
 * comes); the first revocation of a pass is the one kept, here as at the stations.
 */
import { createLogger } from '../../electron/core/log';
import type { StationPassChange } from '../ingest';
import type { PassIssuedFeedPayload, PassRevokedFeedPayload } from '../protocol';
import type { Tx } from '../store/sql';
import { addFeed } from './feed';

const log = createLogger('hq-passes');

type Station = { id: string; siteId: string; number: number; name: string };

export type SitePass = {
  passId: string;
  code: string;
  household: string;
  name: string;
  validFrom: string;
  validUntil: string;
  stationId: string;
  issuedAt: string;
  revoked: { reason: string; at: string; stationId: string | null } | null;
};

async function issued(tx: Tx, station: Station, c: Extract<StationPassChange, { kind: 'issued' }>): Promise<void> {
  const validFrom = new Date(c.validFrom).toISOString();
  const validUntil = new Date(c.validUntil).toISOString();
  if (validUntil <= validFrom) {
    log.warn({ stationId: station.id, passId: c.passId }, 'pass not relayed: valid until is not after valid from');
    return;
  }
  const inserted = await tx.one<{ id: string }>(
    `INSERT INTO resident_pass (id, site_id, code, household, id_number, name, valid_from, valid_until, station_id, issued_at)
     VALUES (@id, @siteId, @code, @household, @idNumber, @name, @validFrom, @validUntil, @stationId, @issuedAt)
     ON CONFLICT DO NOTHING RETURNING id`,
    { id: c.passId, siteId: station.siteId, code: c.code, household: c.household, idNumber: c.idNumber, name: c.name, validFrom, validUntil, stationId: station.id, issuedAt: c.at },
  );
  if (!inserted) return;
  const payload: PassIssuedFeedPayload = {
    passId: c.passId,
    siteId: station.siteId,
    code: c.code,
    household: c.household,
    idNumber: c.idNumber,
    name: c.name,
    validFrom,
    validUntil,
    stationId: station.id,
    stationNumber: station.number,
    stationName: station.name,
    issuedAt: c.at,
  };
  await addFeed(tx, { siteId: station.siteId, stationId: null, kind: 'pass.issued', payload: JSON.stringify(payload), at: c.at });
}

async function revoked(tx: Tx, station: Station, c: Extract<StationPassChange, { kind: 'revoked' }>): Promise<void> {
  const held = await tx.one<{ site_id: string; revoked_at: string | null }>('SELECT site_id, revoked_at FROM resident_pass WHERE id = @id', { id: c.passId });
  if (held && (held.site_id !== station.siteId || held.revoked_at !== null)) return;
  if (held) {
    await tx.run('UPDATE resident_pass SET revoked_at = @at, revoked_reason = @reason, revoked_station_id = @stationId WHERE id = @id', {
      at: c.at,
      reason: c.reason,
      stationId: station.id,
      id: c.passId,
    });
  } else {
    log.warn({ stationId: station.id, passId: c.passId }, 'revocation of a pass HQ does not hold: relayed to the site all the same');
  }
  const payload: PassRevokedFeedPayload = { passId: c.passId, siteId: station.siteId, code: c.code, reason: c.reason, stationId: station.id, stationName: station.name, revokedAt: c.at };
  await addFeed(tx, { siteId: station.siteId, stationId: null, kind: 'pass.revoked', payload: JSON.stringify(payload), at: c.at });
}

/** The passes a batch of a station's journal issued and revoked, in journal order. One of another site is not taken. */
export async function projectStationPasses(tx: Tx, station: Station, changes: readonly StationPassChange[]): Promise<void> {
  for (const c of changes) {
    if (c.siteId !== station.siteId) {
      log.warn({ stationId: station.id, passId: c.passId }, 'pass of another site not taken');
      continue;
    }
    if (c.kind === 'issued') await issued(tx, station, c);
    else await revoked(tx, station, c);
  }
}

/** The passes of a site, newest first (for HQ's staff and tests). */
export async function passesOfSite(tx: Tx, siteId: string): Promise<SitePass[]> {
  const rows = await tx.all<{
    id: string;
    code: string;
    household: string;
    name: string;
    valid_from: string;
    valid_until: string;
    station_id: string;
    issued_at: string;
    revoked_at: string | null;
    revoked_reason: string | null;
    revoked_station_id: string | null;
  }>(
    `SELECT id, code, household, name, valid_from, valid_until, station_id, issued_at, revoked_at, revoked_reason, revoked_station_id
     FROM resident_pass WHERE site_id = @siteId ORDER BY issued_at DESC, id DESC`,
    { siteId },
  );
  return rows.map((r) => ({
    passId: r.id,
    code: r.code,
    household: r.household,
    name: r.name,
    validFrom: r.valid_from,
    validUntil: r.valid_until,
    stationId: r.station_id,
    issuedAt: r.issued_at,
    revoked: r.revoked_at === null ? null : { reason: r.revoked_reason ?? '', at: r.revoked_at, stationId: r.revoked_station_id },
  }));
}

/**
 * Stations within their site: the number HQ gives each one (1-999, never given to another
 * station of the site, so codes generated under it stay unique), its name, and the site's key
 * for "sampled in this round" marks. Written once for both storage backends.
 */
import { randomBytes } from 'node:crypto';
import { usableEnrollmentCode } from '../ingest';
import type { EnrollOutcome, StationUpdateOutcome } from '../store/types';
import { STATION_SELECT, toStation, type StationDbRow } from '../store/station-row';
import type { Tx } from '../store/sql';
import { addFeed } from './feed';

export const MAX_STATION_NUMBER = 999;

export function defaultStationName(number: number): string {
  return `${number}号采样台`;
}

/** The lowest number never given to a station of the site. */
async function freeNumber(tx: Tx, siteId: string): Promise<number | null> {
  const taken = await tx.all<{ number: number }>('SELECT number FROM station_number WHERE site_id = @siteId ORDER BY number', { siteId });
  let n = 1;
  for (const t of taken) {
    if (Number(t.number) !== n) break;
    n++;
  }
  return n <= MAX_STATION_NUMBER ? n : null;
}

/** The site's mark key, made (and sent to its stations) the first time the site needs one. */
/** A site created or renamed (its configuration kept unless a new one is given), with its mark key. */
export async function upsertSite(tx: Tx, site: { id: string; name: string; config: string | null; at: string }): Promise<void> {
  await tx.run(
    `INSERT INTO site (id, name, config, at) VALUES (@id, @name, @config, @at)
     ON CONFLICT (id) DO UPDATE SET name = excluded.name, config = coalesce(excluded.config, site.config), at = excluded.at`,
    { id: site.id, name: site.name, config: site.config, at: site.at },
  );
  await ensureSiteKeys(tx, site.id, site.at);
}

export async function ensureSiteKeys(tx: Tx, siteId: string, at: string): Promise<void> {
  const site = await tx.one<{ mark_key: string | null }>('SELECT mark_key FROM site WHERE id = @siteId', { siteId });
  if (!site || site.mark_key) return;
  const markKey = randomBytes(32).toString('base64url');
  await tx.run('UPDATE site SET mark_key = @markKey WHERE id = @siteId', { markKey, siteId });
  await addFeed(tx, { siteId, stationId: null, kind: 'site.keys', payload: JSON.stringify({ siteId, markKey }), at });
}

export type EnrollInput = {
  codeHash: string;
  now: string;
  stationId: string;
  localStationId: string;
  publicKey: string;
  /** The station the desk was linked as, when it asks to be linked again. */
  previousStationId?: string | undefined;
};

type CodeRow = { site_id: string; expires_at: string; used_at: string | null; relink_station_id: string | null };

/**
 * Consumes the one-time code and creates the station with the next free number of its site,
 * atomically. A re-link code gives its station back instead (`relinkStation`). A desk that names
 * the station it was linked as needs that: a new station for it would take its whole journal
 * again under a new id, every record HQ already holds twice.
 */
export async function enrollStation(tx: Tx, input: EnrollInput): Promise<EnrollOutcome> {
  const lock = tx.dialect === 'postgres' ? ' FOR UPDATE' : '';
  const code = await tx.one<CodeRow>(`SELECT site_id, expires_at, used_at, relink_station_id FROM enrollment_code WHERE code_hash = @codeHash${lock}`, {
    codeHash: input.codeHash,
  });
  const usable = usableEnrollmentCode(code, input.now);
  if (typeof usable === 'string') return { ok: false, error: usable };
  if (usable.relink_station_id !== null) return relinkStation(tx, input, usable.relink_station_id);
  if (input.previousStationId !== undefined) {
    // A station HQ never had (an HQ restored from before it, another HQ) holds nothing here: a new station is right.
    const known = await tx.one('SELECT 1 AS known FROM station WHERE id = @id', { id: input.previousStationId });
    if (known) return { ok: false, error: 'enroll.relinkCodeNeeded' };
  }
  const siteId = usable.site_id;
  // One enrollment of the site at a time takes a number (PostgreSQL: the site's row is the lock).
  if (tx.dialect === 'postgres') await tx.run('SELECT 1 FROM site WHERE id = @siteId FOR UPDATE', { siteId });
  const number = await freeNumber(tx, siteId);
  if (number === null) return { ok: false, error: 'enroll.siteFull' };
  await tx.run('UPDATE enrollment_code SET used_at = @now, station_id = @stationId WHERE code_hash = @codeHash', {
    now: input.now,
    stationId: input.stationId,
    codeHash: input.codeHash,
  });
  await tx.run('INSERT INTO station_number (site_id, number, station_id, at) VALUES (@siteId, @number, @stationId, @now)', {
    siteId,
    number,
    stationId: input.stationId,
    now: input.now,
  });
  await tx.run(
    `INSERT INTO station (id, site_id, name, number, local_station_id, public_key, enrolled_at)
     VALUES (@stationId, @siteId, @name, @number, @localStationId, @publicKey, @now)`,
    {
      stationId: input.stationId,
      siteId,
      name: defaultStationName(number),
      number,
      localStationId: input.localStationId,
      publicKey: input.publicKey,
      now: input.now,
    },
  );
  await ensureSiteKeys(tx, siteId, input.now);
  const row = await tx.one<StationDbRow>(`${STATION_SELECT} WHERE s.id = @stationId`, { stationId: input.stationId });
  return { ok: true, station: toStation(row!) };
}

/**
 * Links a station again with the new key its desk made (a code from `station hq station relink`): the same
 * station, so its journal goes on where HQ holds it (records are kept per station and sequence
 * number: under a new station id the desk would have to send everything again, and HQ would
 * hold each record twice), and a revocation ends. Only the desk that was that station may use
 * the code: it names the station and has its local id. The key before and the revocation are
 * kept in `station_relink`.
 */
async function relinkStation(tx: Tx, input: EnrollInput, stationId: string): Promise<EnrollOutcome> {
  const lock = tx.dialect === 'postgres' ? ' FOR UPDATE' : '';
  const station = await tx.one<{ local_station_id: string; public_key: string; revoked_at: string | null }>(
    `SELECT local_station_id, public_key, revoked_at FROM station WHERE id = @stationId${lock}`,
    { stationId },
  );
  if (!station) return { ok: false, error: 'enroll.codeInvalid' };
  if (input.previousStationId !== stationId || input.localStationId !== station.local_station_id) return { ok: false, error: 'enroll.codeForAnotherStation' };
  await tx.run('UPDATE enrollment_code SET used_at = @now, station_id = @stationId WHERE code_hash = @codeHash', { now: input.now, stationId, codeHash: input.codeHash });
  await tx.run(
    `INSERT INTO station_relink (code_hash, station_id, relinked_at, revoked_at, public_key_before)
     VALUES (@codeHash, @stationId, @now, @revokedAt, @before)`,
    { codeHash: input.codeHash, stationId, now: input.now, revokedAt: station.revoked_at, before: station.public_key },
  );
  await tx.run('UPDATE station SET public_key = @publicKey, revoked_at = NULL, hq_key = NULL WHERE id = @stationId', { publicKey: input.publicKey, stationId });
  const row = await tx.one<StationDbRow>(`${STATION_SELECT} WHERE s.id = @stationId`, { stationId });
  return { ok: true, station: toStation(row!) };
}

/**
 * HQ staff renumber or rename a station; the station hears of it through the feed. A number
 * another station of the site has (or once had) is refused: codes generated under it exist.
 */
export async function updateStation(tx: Tx, input: { stationId: string; number?: number; name?: string; at: string }): Promise<StationUpdateOutcome> {
  const row = await tx.one<StationDbRow>(`${STATION_SELECT} WHERE s.id = @stationId`, { stationId: input.stationId });
  if (!row) return { ok: false, error: 'station.unknown' };
  const station = toStation(row);
  const number = input.number ?? station.number;
  const name = input.name ?? station.name;
  if (number !== station.number) {
    const holder = await tx.one<{ station_id: string }>('SELECT station_id FROM station_number WHERE site_id = @siteId AND number = @number', {
      siteId: station.siteId,
      number,
    });
    if (holder && holder.station_id !== station.id) return { ok: false, error: 'station.numberTaken' };
    if (!holder) {
      await tx.run('INSERT INTO station_number (site_id, number, station_id, at) VALUES (@siteId, @number, @stationId, @at)', {
        siteId: station.siteId,
        number,
        stationId: station.id,
        at: input.at,
      });
    }
  }
  await tx.run('UPDATE station SET number = @number, name = @name WHERE id = @stationId', { number, name, stationId: station.id });
  await addFeed(tx, {
    siteId: station.siteId,
    stationId: station.id,
    kind: 'station.identity',
    payload: JSON.stringify({ siteId: station.siteId, siteName: station.siteName, number, name }),
    at: input.at,
  });
  return { ok: true, station: { ...station, number, name } };
}

/** A station that has not said it trusts HQ's current key (`hqKey`: the one it last named; null: never said). */
export type StationOnOldKey = { id: string; siteName: string; number: number; name: string; hqKey: string | null; lastContactAt: string | null };

/** Stations not revoked that have not said they trust the key with `fingerprint`. */
export async function stationsNotOnKey(tx: Tx, fingerprint: string): Promise<StationOnOldKey[]> {
  const rows = await tx.all<{ id: string; site_name: string; number: number | string; name: string; hq_key: string | null; last_contact_at: string | null }>(
    `SELECT s.id, site.name AS site_name, s.number, s.name, s.hq_key, s.last_contact_at FROM station s JOIN site ON site.id = s.site_id
     WHERE s.revoked_at IS NULL AND (s.hq_key IS NULL OR s.hq_key <> @fingerprint) ORDER BY site.name, s.number`,
    { fingerprint },
  );
  return rows.map((r) => ({ id: r.id, siteName: r.site_name, number: Number(r.number), name: r.name, hqKey: r.hq_key, lastContactAt: r.last_contact_at }));
}

/** What the station says it trusts of HQ's keys (`x-station-hq-key`), kept when it changes. */
export async function noteStationHqKey(tx: Tx, input: { stationId: string; fingerprint: string }): Promise<void> {
  await tx.run('UPDATE station SET hq_key = @fingerprint WHERE id = @stationId', input);
}

/**
 * Revokes a station: from now on HQ refuses its batches, feed requests and export files with
 * `station.revoked` (what it sent before stays). Revoking it again changes nothing.
 */
export async function revokeStation(tx: Tx, input: { stationId: string; at: string }): Promise<{ ok: true; revokedAt: string } | { ok: false; error: 'station.unknown' }> {
  const row = await tx.one<{ revoked_at: string | null }>('SELECT revoked_at FROM station WHERE id = @stationId', { stationId: input.stationId });
  if (!row) return { ok: false, error: 'station.unknown' };
  if (row.revoked_at !== null) return { ok: true, revokedAt: row.revoked_at };
  await tx.run('UPDATE station SET revoked_at = @at WHERE id = @stationId', input);
  return { ok: true, revokedAt: input.at };
}

/**
 * The site's rounds (轮次) at HQ: started and closed by HQ's staff (dashboard, CLI, admin API) or
 * by a site admin at one of the site's stations (journalled there, projected here), and sent to
 * every station of the site through the feed. Also the "sampled in this round" marks: for each
 * binding a station uploads in a round of its site, HQ sends the site the binding and a keyed
 * hash of the person, so the other desks can warn about someone sampled at this one.
 */
import { v7 } from 'uuid';
import type { Projection } from '../ingest';
import type { RoundPayload } from '../protocol';
import { personMark } from '../../electron/core/person/mark';
import { anyOf, type Tx } from '../store/sql';
import { addFeed } from './feed';

export type SiteRound = RoundPayload & { siteName: string };

type RoundRow = {
  id: string;
  site_id: string;
  site_name: string;
  name: string;
  starts_on: string | null;
  ends_on: string | null;
  started_at: string;
  closed_at: string | null;
  started_by: string;
};

const SELECT_ROUND = `SELECT r.id, r.site_id, site.name AS site_name, r.name, r.starts_on, r.ends_on, r.started_at, r.closed_at, r.started_by
  FROM site_round r JOIN site ON site.id = r.site_id`;

function toRound(r: RoundRow): SiteRound {
  return {
    roundId: r.id,
    siteId: r.site_id,
    siteName: r.site_name,
    name: r.name,
    startsOn: r.starts_on,
    endsOn: r.ends_on,
    startedAt: r.started_at,
    closedAt: r.closed_at,
    startedBy: r.started_by,
  };
}

function payloadOf(r: SiteRound): RoundPayload {
  const { siteName: _siteName, ...payload } = r;
  return payload;
}

export async function roundsOfSite(tx: Tx, siteId: string | null): Promise<SiteRound[]> {
  const rows = await tx.all<RoundRow>(
    `${SELECT_ROUND} WHERE (CAST(@siteId AS TEXT) IS NULL OR r.site_id = @siteId) ORDER BY site.name, CASE WHEN r.closed_at IS NULL THEN 0 ELSE 1 END, r.started_at DESC LIMIT 500`,
    { siteId },
  );
  return rows.map(toRound);
}

export async function round(tx: Tx, roundId: string): Promise<SiteRound | null> {
  const row = await tx.one<RoundRow>(`${SELECT_ROUND} WHERE r.id = @roundId`, { roundId });
  return row ? toRound(row) : null;
}

/** The round the site's desks bind into: the open one started last. */
export async function currentRound(tx: Tx, siteId: string): Promise<SiteRound | null> {
  const row = await tx.one<RoundRow>(`${SELECT_ROUND} WHERE r.site_id = @siteId AND r.closed_at IS NULL ORDER BY r.started_at DESC, r.id DESC LIMIT 1`, { siteId });
  return row ? toRound(row) : null;
}

async function insertRound(tx: Tx, r: Omit<SiteRound, 'siteName' | 'closedAt'>, stationId: string | null): Promise<boolean> {
  const inserted = await tx.run(
    `INSERT INTO site_round (id, site_id, name, starts_on, ends_on, started_at, started_by, station_id)
     VALUES (@id, @siteId, @name, @startsOn, @endsOn, @startedAt, @startedBy, @stationId) ON CONFLICT (id) DO NOTHING`,
    { id: r.roundId, siteId: r.siteId, name: r.name, startsOn: r.startsOn, endsOn: r.endsOn, startedAt: r.startedAt, startedBy: r.startedBy, stationId },
  );
  if (inserted === 0) return false;
  const stored = (await round(tx, r.roundId))!;
  await addFeed(tx, { siteId: r.siteId, stationId: null, kind: 'round.started', payload: JSON.stringify(payloadOf(stored)), at: r.startedAt });
  return true;
}

export type RoundStartInput = { siteId: string; name: string; startsOn: string | null; endsOn: string | null; at: string };
export type RoundOutcome = { ok: true; round: SiteRound } | { ok: false; error: 'site.unknown' | 'round.unknown' | 'round.closed' | 'round.datesInvalid' };

/** HQ's staff start a round for a site; every station of the site receives it. */
export async function startRound(tx: Tx, input: RoundStartInput): Promise<RoundOutcome> {
  const site = await tx.one<{ id: string }>('SELECT id FROM site WHERE id = @siteId', { siteId: input.siteId });
  if (!site) return { ok: false, error: 'site.unknown' };
  if (input.startsOn && input.endsOn && input.endsOn < input.startsOn) return { ok: false, error: 'round.datesInvalid' };
  const roundId = v7();
  await insertRound(tx, { roundId, siteId: input.siteId, name: input.name, startsOn: input.startsOn, endsOn: input.endsOn, startedAt: input.at, startedBy: 'HQ' }, null);
  return { ok: true, round: (await round(tx, roundId))! };
}

/**
 * Closes a round. `siteId`: only a round of that site (a station closes rounds of its own site
 * only; the site it names in its journal is its word, the round's row is HQ's).
 */
export async function closeRound(tx: Tx, input: { roundId: string; at: string; by: string; siteId?: string }): Promise<RoundOutcome> {
  const existing = await round(tx, input.roundId);
  if (!existing || (input.siteId !== undefined && existing.siteId !== input.siteId)) return { ok: false, error: 'round.unknown' };
  if (existing.closedAt) return { ok: false, error: 'round.closed' };
  const closed = await tx.run('UPDATE site_round SET closed_at = @at, closed_by = @by WHERE id = @roundId AND closed_at IS NULL', {
    at: input.at,
    by: input.by,
    roundId: input.roundId,
  });
  // Closed meanwhile by another transaction (PostgreSQL): its close went to the site already.
  if (closed === 0) return { ok: false, error: 'round.closed' };
  await addFeed(tx, {
    siteId: existing.siteId,
    stationId: null,
    kind: 'round.closed',
    payload: JSON.stringify({ roundId: input.roundId, siteId: existing.siteId, closedAt: input.at }),
    at: input.at,
  });
  return { ok: true, round: { ...existing, closedAt: input.at } };
}

type Station = { id: string; siteId: string; number: number; name: string };

/** Rounds a site admin started or closed at this station, for its own site: the site's rounds now. */
export async function projectStationRounds(tx: Tx, station: Station, p: Projection): Promise<void> {
  for (const r of p.rounds) {
    // A round of the station's demo site (before it was enrolled) is not one of this site's.
    if (r.siteId !== station.siteId) continue;
    await insertRound(tx, { roundId: r.roundId, siteId: r.siteId, name: r.name, startsOn: r.startsOn, endsOn: r.endsOn, startedAt: r.at, startedBy: station.name }, station.id);
  }
  for (const c of p.roundsClosed) {
    if (c.siteId !== station.siteId) continue;
    await closeRound(tx, { roundId: c.roundId, at: c.at, by: station.id, siteId: station.siteId });
  }
}

/** A binding into a round of the station's site, counted (+1) or no longer counted (-1). */
export type RoundSampling = { roundId: string; personKey: string; bindingId: string; at: string; delta: 1 | -1 };

/**
 * What a batch changes in who is sampled in the site's rounds: each binding into a round of the
 * station's site counts its person; each binding undone, or in a tube voided, stops counting.
 * A binding made and undone in the same batch never counted.
 */
export async function samplingOfBatch(tx: Tx, station: Station, p: Projection): Promise<RoundSampling[]> {
  const voidedTubes = p.tubeStates.filter((t) => t.state === 'voided').map((t) => t.tubeId);
  if (p.bindings.length === 0 && p.bindingsUndone.length === 0 && voidedTubes.length === 0) return [];
  const created = new Set(p.bindings.map((b) => b.bindingId));
  const removed = new Map<string, { roundId: string; personId: string; at: string }>();
  const at = new Date().toISOString();
  if (p.bindingsUndone.length > 0) {
    const rows = await tx.all<{ binding_id: string; round_id: string; person_id: string }>(
      `SELECT binding_id, round_id, person_id FROM binding WHERE station_id = @st AND ${anyOf(tx, 'binding_id', 'ids')}`,
      { st: station.id, ids: p.bindingsUndone },
    );
    for (const r of rows) removed.set(r.binding_id, { roundId: r.round_id, personId: r.person_id, at });
  }
  if (voidedTubes.length > 0) {
    // Bindings undone before (or in this batch) stopped counting then: only the live ones go with the tube.
    const rows = await tx.all<{ binding_id: string; round_id: string; person_id: string }>(
      `SELECT binding_id, round_id, person_id FROM binding WHERE station_id = @st AND undone = 0 AND ${anyOf(tx, 'tube_id', 'ids')}`,
      { st: station.id, ids: voidedTubes },
    );
    for (const r of rows) removed.set(r.binding_id, { roundId: r.round_id, personId: r.person_id, at });
  }
  // The rounds' rows are locked here, before anything of their coverage is read or changed
  // (`countSampling`, then `projectExemptions`), in one statement and in id order: FOR SHARE lets
  // batches of every station count at once while a recount or an exemption (FOR UPDATE) waits
  // for them, and they for it. A batch that also sets or lifts exemptions takes its rounds
  // FOR UPDATE at once: upgrading a shared lock another batch also holds would deadlock.
  const exempting = p.exemptions.map((e) => e.roundId);
  const roundIds = [...new Set([...p.bindings.map((b) => b.roundId), ...[...removed.values()].map((r) => r.roundId), ...exempting])];
  const lock = tx.dialect === 'postgres' ? ` ORDER BY id FOR ${exempting.length > 0 ? 'UPDATE' : 'SHARE'}` : '';
  const siteRounds = new Set(
    (await tx.all<{ id: string }>(`SELECT id FROM site_round WHERE site_id = @siteId AND ${anyOf(tx, 'id', 'ids')}${lock}`, { siteId: station.siteId, ids: roundIds })).map(
      (r) => r.id,
    ),
  );
  if (siteRounds.size === 0) return [];
  const keys = new Map(p.persons.map((x) => [x.personId, x.personKey]));
  const people = [...new Set([...p.bindings.map((b) => b.personId), ...[...removed.values()].map((r) => r.personId)].filter((id) => !keys.has(id)))];
  if (people.length > 0) {
    const rows = await tx.all<{ person_id: string; person_key: string }>(
      `SELECT person_id, person_key FROM person WHERE station_id = @st AND ${anyOf(tx, 'person_id', 'ids')}`,
      { st: station.id, ids: people },
    );
    for (const r of rows) keys.set(r.person_id, r.person_key);
  }
  const out: RoundSampling[] = [];
  for (const b of p.bindings) {
    const personKey = keys.get(b.personId);
    if (!personKey || !siteRounds.has(b.roundId) || removed.has(b.bindingId)) continue;
    out.push({ roundId: b.roundId, personKey, bindingId: b.bindingId, at: b.at, delta: 1 });
  }
  for (const [bindingId, r] of removed) {
    const personKey = keys.get(r.personId);
    if (!personKey || !siteRounds.has(r.roundId) || created.has(bindingId)) continue;
    out.push({ roundId: r.roundId, personKey, bindingId, at: r.at, delta: -1 });
  }
  return out;
}

/**
 * The site's marks from a batch: for each binding counted, the person's mark (a keyed hash) for
 * the other desks to warn with; for each one no longer counted, its withdrawal. One item per round.
 */
export async function shareMarks(tx: Tx, station: Station, sampling: readonly RoundSampling[], at: string): Promise<number> {
  if (sampling.length === 0) return 0;
  const key = (await tx.one<{ mark_key: string | null }>('SELECT mark_key FROM site WHERE id = @siteId', { siteId: station.siteId }))?.mark_key;
  if (!key) return 0;
  const perRound = new Map<string, { add: { b: string; m: string; at: string }[]; remove: string[] }>();
  for (const x of sampling) {
    let entry = perRound.get(x.roundId);
    if (!entry) perRound.set(x.roundId, (entry = { add: [], remove: [] }));
    if (x.delta > 0) entry.add.push({ b: x.bindingId, m: personMark(key, x.personKey), at: x.at });
    else entry.remove.push(x.bindingId);
  }
  for (const [roundId, marks] of perRound) {
    const payload = JSON.stringify({ roundId, stationNumber: station.number, stationName: station.name, add: marks.add, remove: marks.remove });
    await addFeed(tx, { siteId: station.siteId, stationId: null, kind: 'round.marks', payload, at });
  }
  return perRound.size;
}

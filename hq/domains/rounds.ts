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

export async function closeRound(tx: Tx, input: { roundId: string; at: string; by: string }): Promise<RoundOutcome> {
  const existing = await round(tx, input.roundId);
  if (!existing) return { ok: false, error: 'round.unknown' };
  if (existing.closedAt) return { ok: false, error: 'round.closed' };
  await tx.run('UPDATE site_round SET closed_at = @at, closed_by = @by WHERE id = @roundId AND closed_at IS NULL', { at: input.at, by: input.by, roundId: input.roundId });
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
    await closeRound(tx, { roundId: c.roundId, at: c.at, by: station.id });
  }
}

/**
 * The marks of a batch: for each binding into a round of the station's site, the person's mark;
 * for each binding undone, or in a tube voided, its withdrawal. One feed item per round.
 */
export async function shareMarks(tx: Tx, station: Station, p: Projection, at: string): Promise<number> {
  const voidedTubes = p.tubeStates.filter((t) => t.state === 'voided').map((t) => t.tubeId);
  if (p.bindings.length === 0 && p.bindingsUndone.length === 0 && voidedTubes.length === 0) return 0;
  const removed = new Map<string, string>();
  if (p.bindingsUndone.length > 0) {
    const rows = await tx.all<{ binding_id: string; round_id: string }>(
      `SELECT binding_id, round_id FROM binding WHERE station_id = @st AND ${anyOf(tx, 'binding_id', 'ids')}`,
      { st: station.id, ids: p.bindingsUndone },
    );
    for (const r of rows) removed.set(r.binding_id, r.round_id);
  }
  if (voidedTubes.length > 0) {
    const rows = await tx.all<{ binding_id: string; round_id: string }>(
      `SELECT binding_id, round_id FROM binding WHERE station_id = @st AND ${anyOf(tx, 'tube_id', 'ids')}`,
      { st: station.id, ids: voidedTubes },
    );
    for (const r of rows) removed.set(r.binding_id, r.round_id);
  }
  const roundIds = [...new Set([...p.bindings.map((b) => b.roundId), ...removed.values()])];
  const siteRounds = new Set(
    (await tx.all<{ id: string }>(`SELECT id FROM site_round WHERE site_id = @siteId AND ${anyOf(tx, 'id', 'ids')}`, { siteId: station.siteId, ids: roundIds })).map((r) => r.id),
  );
  if (siteRounds.size === 0) return 0;
  const key = (await tx.one<{ mark_key: string | null }>('SELECT mark_key FROM site WHERE id = @siteId', { siteId: station.siteId }))?.mark_key;
  if (!key) return 0;
  const wanted = p.bindings.filter((b) => siteRounds.has(b.roundId));
  const keys = new Map(p.persons.map((x) => [x.personId, x.personKey]));
  const missing = [...new Set(wanted.map((b) => b.personId).filter((id) => !keys.has(id)))];
  if (missing.length > 0) {
    const rows = await tx.all<{ person_id: string; person_key: string }>(
      `SELECT person_id, person_key FROM person WHERE station_id = @st AND ${anyOf(tx, 'person_id', 'ids')}`,
      { st: station.id, ids: missing },
    );
    for (const r of rows) keys.set(r.person_id, r.person_key);
  }
  const undone = new Set(removed.keys());
  const perRound = new Map<string, { add: { b: string; m: string; at: string }[]; remove: string[] }>();
  const of = (roundId: string) => {
    let entry = perRound.get(roundId);
    if (!entry) perRound.set(roundId, (entry = { add: [], remove: [] }));
    return entry;
  };
  for (const b of wanted) {
    const personKey = keys.get(b.personId);
    // Made and undone in this very batch: it never counted.
    if (!personKey || undone.has(b.bindingId)) continue;
    of(b.roundId).add.push({ b: b.bindingId, m: personMark(key, personKey), at: b.at });
  }
  for (const [bindingId, roundId] of removed) if (siteRounds.has(roundId)) of(roundId).remove.push(bindingId);
  let items = 0;
  for (const [roundId, marks] of perRound) {
    if (marks.add.length === 0 && marks.remove.length === 0) continue;
    const payload = JSON.stringify({ roundId, stationNumber: station.number, stationName: station.name, add: marks.add, remove: marks.remove });
    await addFeed(tx, { siteId: station.siteId, stationId: null, kind: 'round.marks', payload, at });
    items++;
  }
  return items;
}

/**
 * Door to door at HQ: each visit a station journals (`door.visit`) is relayed to every station of
 * the site through the feed, so a group on another device sees a household visited (nobody home,
 * someone refusing, someone sampled) and does not take it for one still to visit. The person is
 * relayed by mark (the site's keyed hash, as "sampled in this round" is), never by who they are;
 * the household and a refusal's reason go as stations keep them. The station that made the visit
 * receives it too and skips its own. A visit of a round that is not the site's, or of a person HQ
 * cannot mark (no site key yet, their registration not held), is not relayed.
 */
import { personMark } from '../../electron/core/person/mark';
import { createLogger } from '../../electron/core/log';
import type { Projection, StationDoorVisit } from '../ingest';
import type { DoorVisitFeedPayload } from '../protocol';
import { anyOf, type Tx } from '../store/sql';
import { addFeed } from './feed';

const log = createLogger('hq-doors');

type Station = { id: string; siteId: string; number: number; name: string };

/** Relays a batch's door visits to the site, in journal order; returns how many were relayed. */
export async function relayDoorVisits(tx: Tx, station: Station, visits: readonly StationDoorVisit[], persons: Projection['persons']): Promise<number> {
  const key = (await tx.one<{ mark_key: string | null }>('SELECT mark_key FROM site WHERE id = @siteId', { siteId: station.siteId }))?.mark_key;
  if (!key) return 0;
  const roundIds = [...new Set(visits.map((v) => v.roundId))];
  const rounds = new Set(
    (await tx.all<{ id: string }>(`SELECT id FROM site_round WHERE site_id = @siteId AND ${anyOf(tx, 'id', 'ids')}`, { siteId: station.siteId, ids: roundIds })).map((r) => r.id),
  );
  const keys = new Map(persons.map((p) => [p.personId, p.personKey]));
  const missing = [...new Set(visits.map((v) => v.personId).filter((id): id is string => id !== null && !keys.has(id)))];
  if (missing.length > 0) {
    const rows = await tx.all<{ person_id: string; person_key: string }>(
      `SELECT person_id, person_key FROM person WHERE station_id = @st AND ${anyOf(tx, 'person_id', 'ids')}`,
      { st: station.id, ids: missing },
    );
    for (const r of rows) keys.set(r.person_id, r.person_key);
  }
  let relayed = 0;
  for (const v of visits) {
    const personKey = v.personId === null ? null : keys.get(v.personId);
    if (!rounds.has(v.roundId) || personKey === undefined || personKey?.startsWith('purged:')) {
      log.warn({ stationId: station.id, visitId: v.visitId }, 'door visit not relayed: round not the site’s, or person not known');
      continue;
    }
    const payload: DoorVisitFeedPayload = {
      visitId: v.visitId,
      siteId: station.siteId,
      roundId: v.roundId,
      stationId: station.id,
      stationNumber: station.number,
      stationName: station.name,
      building: v.building,
      unit: v.unit,
      room: v.room,
      mark: personKey === null ? null : personMark(key, personKey),
      outcome: v.outcome,
      reason: v.reason,
      revisitAt: v.revisitAt === null ? null : new Date(v.revisitAt).toISOString(),
      at: v.at,
    };
    await addFeed(tx, { siteId: station.siteId, stationId: null, kind: 'door.visit', payload: JSON.stringify(payload), at: v.at });
    relayed++;
  }
  return relayed;
}

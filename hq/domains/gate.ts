/**
 * The gate checkpoint at HQ: what the site's gates and sentinels journal (passages, readings,
 * referrals, key-person actions, visitors, vehicles), projected in the batch's transaction, and
 * read back per site, day and hour for the dashboard; key-person hits with who they were and what
 * the gate keeper did, for HQ's staff to follow up.
 *
 * Personal data stays in the journal records (`record.payload`), never in these tables: a hit
 * names the record that says who the person was (`person_seq`), a referral or an action the
 * record with its note, and they are read from there when shown. What the journal no longer holds
 * (retention) is shown as purged, never from a copy.
 */
import { maskCode, maskIdNumber } from '../../electron/core/person/mask';
import type { GateProjection } from '../ingest';
import { anyOf, num, type SqlParams, type Tx } from '../store/sql';

type Station = { id: string; siteId: string };
type Column = { name: string; type: 'text' | 'int' | 'real' };
type Cell = string | number | null;

const text = (name: string): Column => ({ name, type: 'text' });
const int = (name: string): Column => ({ name, type: 'int' });
const real = (name: string): Column => ({ name, type: 'real' });

/**
 * Rows into a projection table of the station; a row HQ already has (an entity journalled twice)
 * is kept as it was. PostgreSQL: one statement over arrays (`unnest`). SQLite: a prepared
 * statement per row, in process; reading the rows out of one JSON parameter costs more there.
 */
async function insertRows(tx: Tx, table: string, station: Station, columns: readonly Column[], rows: readonly Cell[][]): Promise<void> {
  if (rows.length === 0) return;
  const names = columns.map((c) => c.name).join(', ');
  if (tx.dialect === 'postgres') {
    const pgType = { text: 'text', int: 'bigint', real: 'double precision' } as const;
    const params: SqlParams = { stationId: station.id, siteId: station.siteId };
    columns.forEach((_, i) => (params[`c${i}`] = rows.map((r) => r[i] ?? null)));
    await tx.run(
      `INSERT INTO ${table} (station_id, site_id, ${names})
       SELECT @stationId, @siteId, u.* FROM unnest(${columns.map((c, i) => `@c${i}::${pgType[c.type]}[]`).join(', ')}) AS u ON CONFLICT DO NOTHING`,
      params,
    );
    return;
  }
  const sql = `INSERT INTO ${table} (station_id, site_id, ${names}) VALUES (@stationId, @siteId, ${columns.map((_, i) => `@c${i}`).join(', ')}) ON CONFLICT DO NOTHING`;
  for (const row of rows) {
    const params: SqlParams = { stationId: station.id, siteId: station.siteId };
    row.forEach((v, i) => (params[`c${i}`] = v));
    await tx.run(sql, params);
  }
}

const bit = (b: boolean): number => (b ? 1 : 0);

/** What a batch's gate records change; inside the batch's transaction, the station's row locked. */
export async function projectGate(tx: Tx, station: Station, g: GateProjection): Promise<void> {
  await insertRows(
    tx,
    'gate_passage',
    station,
    [text('passage_id'), int('seq'), text('at'), text('day'), int('hour'), text('operator_id'), text('person_id'), text('subject'), text('direction'), text('residency'), text('level'), int('key_person'), text('key_person_lists'), real('threshold_c')],
    g.passages.map((p) => [p.passageId, p.seq, p.at, p.day, p.hour, p.operatorId, p.personId, p.subject, p.direction, p.residency, p.level, bit(p.keyPerson), JSON.stringify(p.lists), p.thresholdC]),
  );
  for (const p of g.passages) if (p.keyPerson) await notePerson(tx, station.id, p.passageId, p.personId, p.seq);
  await insertRows(
    tx,
    'gate_reading',
    station,
    [text('reading_id'), int('seq'), text('at'), text('measured_at'), text('day'), int('hour'), text('passage_id'), real('celsius'), real('threshold_c'), int('high'), text('source'), text('match'), text('temperature')],
    g.readings.map((r) => [r.readingId, r.seq, r.at, r.measuredAt, r.day, r.hour, r.passageId, r.celsius, r.thresholdC, bit(r.high), r.source, r.match, r.temperature]),
  );
  // A passage's temperature is what its latest reading made it (readings come in seq order).
  const temperature = new Map<string, string>();
  for (const r of g.readings) if (r.passageId !== null && r.temperature !== null) temperature.set(r.passageId, r.temperature);
  if (temperature.size > 0 && tx.dialect === 'postgres') {
    // The keys named with `= ANY` too, so the primary key is read for just those (as in store/postgres.ts).
    await tx.run(
      `UPDATE gate_passage p SET temperature = u.t FROM unnest(@ids::text[], @temperatures::text[]) AS u(id, t)
       WHERE p.station_id = @stationId AND p.passage_id = ANY(@ids::text[]) AND p.passage_id = u.id`,
      { stationId: station.id, ids: [...temperature.keys()], temperatures: [...temperature.values()] },
    );
  } else if (temperature.size > 0) {
    // SQLite would read a whole JSON list once per passage row (an UPDATE ... FROM a table-valued
    // function has no index to join on): one statement per passage, each a primary-key lookup.
    for (const [passageId, t] of temperature) {
      await tx.run('UPDATE gate_passage SET temperature = @t WHERE station_id = @stationId AND passage_id = @passageId', { t, stationId: station.id, passageId });
    }
  }
  if (g.referrals.length > 0) {
    // Counted in the hour of the passage they refer (as the station counts them); their own hour if HQ has no such passage.
    const hours = new Map(
      (
        await tx.all<{ passage_id: string; day: string; hour: number | string }>(
          `SELECT passage_id, day, hour FROM gate_passage WHERE station_id = @stationId AND ${anyOf(tx, 'passage_id', 'ids')}`,
          { stationId: station.id, ids: g.referrals.map((r) => r.passageId) },
        )
      ).map((p) => [p.passage_id, { day: p.day, hour: num(p.hour) }]),
    );
    await insertRows(
      tx,
      'gate_referral',
      station,
      [text('referral_id'), int('seq'), text('at'), text('day'), int('hour'), text('passage_id'), text('operator_id'), text('destination'), text('escort')],
      g.referrals.map((r) => {
        const when = hours.get(r.passageId) ?? siteHourOf(r.at);
        return [r.referralId, r.seq, r.at, when.day, when.hour, r.passageId, r.operatorId, r.destination, r.escort];
      }),
    );
  }
  await insertRows(
    tx,
    'gate_key_person_action',
    station,
    [text('action_id'), int('seq'), text('at'), text('passage_id'), text('operator_id'), text('action')],
    g.actions.map((a) => [a.actionId, a.seq, a.at, a.passageId, a.operatorId, a.action]),
  );
  await insertRows(
    tx,
    'gate_visit',
    station,
    [text('visit_id'), int('seq'), text('at'), text('day'), int('hour'), text('passage_id'), text('person_id'), text('expected_until')],
    g.visits.map((v) => [v.visitId, v.seq, v.at, v.day, v.hour, v.passageId, v.personId, v.expectedUntil]),
  );
  await insertRows(
    tx,
    'gate_visit_left',
    station,
    [text('visit_id'), int('seq'), text('at'), text('day'), int('hour'), text('passage_id'), int('stayed_minutes')],
    g.visitsLeft.map((v) => [v.visitId, v.seq, v.at, v.day, v.hour, v.passageId, v.stayedMinutes]),
  );
  await insertRows(
    tx,
    'gate_vehicle',
    station,
    [text('vehicle_id'), int('seq'), text('at'), text('day'), int('hour'), text('direction'), text('plate_kind'), int('passengers'), text('entry_id')],
    g.vehicles.map((v) => [v.vehicleId, v.seq, v.at, v.day, v.hour, v.direction, v.plateKind, v.passengers, v.entryId]),
  );
  if (g.workplace) {
    await tx.run(
      `INSERT INTO station_workplace (station_id, workplace, seq, at) VALUES (@stationId, @workplace, @seq, @at)
       ON CONFLICT (station_id) DO UPDATE SET workplace = excluded.workplace, seq = excluded.seq, at = excluded.at WHERE excluded.seq > station_workplace.seq`,
      { stationId: station.id, ...g.workplace },
    );
  }
}

function siteHourOf(at: string): { day: string; hour: number } {
  const local = new Date(Date.parse(at) + 8 * 3600_000).toISOString();
  return { day: local.slice(0, 10), hour: Number(local.slice(11, 13)) };
}

/**
 * For a key-person passage: the station's latest record of the person before it (registered, or
 * updated with what a later code told), so the hit can say who it was. The station registers a
 * person in the same transaction as their first passage, so the record is found a few entries
 * back; for someone seen before, the search starts from their previous hit and takes that hit's
 * record if nothing changed since. Records are found by the station's own (station, seq) key.
 */
async function notePerson(tx: Tx, stationId: string, passageId: string, personId: string, seq: number): Promise<void> {
  const earlier = `FROM gate_passage h WHERE h.station_id = @stationId AND h.person_id = @personId AND h.key_person = 1 AND h.seq < @seq AND h.person_seq IS NOT NULL`;
  await tx.run(
    `UPDATE gate_passage SET person_seq = coalesce(
       (SELECT r.seq FROM record r WHERE r.station_id = @stationId AND r.seq < @seq AND r.seq > coalesce((SELECT max(h.seq) ${earlier}), 0)
          AND r.entity_id = @personId AND r.kind IN ('person.registered', 'person.updated') AND r.rejection IS NULL ORDER BY r.seq DESC LIMIT 1),
       (SELECT h.person_seq ${earlier} ORDER BY h.seq DESC LIMIT 1))
     WHERE station_id = @stationId AND passage_id = @passageId AND person_seq IS NULL`,
    { stationId, personId, seq, passageId },
  );
}

// ---- reads ----------------------------------------------------------------------------------------

export type GateHour = {
  hour: number;
  in: number;
  out: number;
  /** Passages whose temperature a re-measure confirmed as fever. */
  fevers: number;
  /** Readings at or above the threshold that applied (a first high reading and its re-measure each count). */
  highReadings: number;
  referrals: number;
  visitorsIn: number;
  visitorsOut: number;
  vehiclesIn: number;
  vehiclesOut: number;
};

export type GateTotals = Omit<GateHour, 'hour'> & {
  passages: number;
  keyPersonHits: number;
  /** Visitors registered that day with no leaving recorded (at any gate of the site) yet. */
  visitorsStaying: number;
  passengers: number;
};

export type GateReferral = {
  stationId: string;
  stationName: string;
  stationNumber: number;
  passageId: string;
  at: string;
  hour: number;
  destination: string;
  escort: string;
  /** The gate keeper's note; null once the journal's personal fields are purged. */
  note: string | null;
  operatorName: string | null;
};

export type GateStationDay = { stationId: string; name: string; number: number; workplace: string | null; in: number; out: number };

export type GateDay = {
  siteId: string;
  siteName: string;
  day: string;
  hours: GateHour[];
  totals: GateTotals;
  stations: GateStationDay[];
  referrals: GateReferral[];
};

export type KeyPersonAction = { at: string; action: string; note: string | null; operatorName: string | null };
export type GateFollowUp = { at: string; note: string; by: string };

export type KeyPersonHit = {
  stationId: string;
  stationName: string;
  stationNumber: number;
  passageId: string;
  at: string;
  day: string;
  direction: 'in' | 'out';
  level: string;
  temperature: string | null;
  /** HQ's key-person lists that named them; empty when the site's roster tagged them (重点人员). */
  lists: string[];
  /** Who, as the station registered them; null once the journal's personal fields are purged. */
  person: { name: string | null; idNumber: string | null } | null;
  operatorName: string | null;
  actions: KeyPersonAction[];
  followUps: GateFollowUp[];
};

const emptyHour = (hour: number): GateHour => ({ hour, in: 0, out: 0, fevers: 0, highReadings: 0, referrals: 0, visitorsIn: 0, visitorsOut: 0, vehiclesIn: 0, vehiclesOut: 0 });

/** Per hour of a site day, in the site's time: passages, fevers, referrals, visitors and vehicles; totals; the day's referrals. */
export async function gateDay(tx: Tx, siteId: string, day: string): Promise<GateDay | null> {
  const site = await tx.one<{ name: string }>('SELECT name FROM site WHERE id = @siteId', { siteId });
  if (!site) return null;
  const p = { siteId, day };
  const hours = Array.from({ length: 24 }, (_, h) => emptyHour(h));
  const at = (h: number | string) => hours[num(h)]!;
  // One read of the (site, day) part of a covering index gives the hours and each station's counts.
  const counts = new Map<string, number>();
  for (const r of await tx.all<{ station_id: string; hour: number | string; direction: 'in' | 'out'; n: number | string; fevers: number | string }>(
    `SELECT station_id, hour, direction, count(*) AS n, sum(CASE WHEN temperature = 'fever' THEN 1 ELSE 0 END) AS fevers
     FROM gate_passage WHERE site_id = @siteId AND day = @day GROUP BY station_id, hour, direction`,
    p,
  )) {
    at(r.hour)[r.direction] += num(r.n);
    at(r.hour).fevers += num(r.fevers);
    const k = `${r.station_id}\u0000${r.direction}`;
    counts.set(k, (counts.get(k) ?? 0) + num(r.n));
  }
  const perHour = async (sql: string, field: keyof Omit<GateHour, 'hour'>) => {
    for (const r of await tx.all<{ hour: number | string; n: number | string }>(sql, p)) at(r.hour)[field] += num(r.n);
  };
  await perHour('SELECT hour, count(*) AS n FROM gate_reading WHERE site_id = @siteId AND day = @day AND high = 1 GROUP BY hour', 'highReadings');
  await perHour('SELECT hour, count(*) AS n FROM gate_referral WHERE site_id = @siteId AND day = @day GROUP BY hour', 'referrals');
  await perHour('SELECT hour, count(*) AS n FROM gate_visit WHERE site_id = @siteId AND day = @day GROUP BY hour', 'visitorsIn');
  await perHour('SELECT hour, count(*) AS n FROM gate_visit_left WHERE site_id = @siteId AND day = @day GROUP BY hour', 'visitorsOut');
  await perHour(`SELECT hour, count(*) AS n FROM gate_vehicle WHERE site_id = @siteId AND day = @day AND direction = 'in' GROUP BY hour`, 'vehiclesIn');
  await perHour(`SELECT hour, count(*) AS n FROM gate_vehicle WHERE site_id = @siteId AND day = @day AND direction = 'out' GROUP BY hour`, 'vehiclesOut');
  const sum = (f: keyof Omit<GateHour, 'hour'>) => hours.reduce((n, h) => n + h[f], 0);
  const one = async (sql: string) => num((await tx.one<{ n: number | string | null }>(sql, p))?.n);
  const totals: GateTotals = {
    in: sum('in'),
    out: sum('out'),
    fevers: sum('fevers'),
    highReadings: sum('highReadings'),
    referrals: sum('referrals'),
    visitorsIn: sum('visitorsIn'),
    visitorsOut: sum('visitorsOut'),
    vehiclesIn: sum('vehiclesIn'),
    vehiclesOut: sum('vehiclesOut'),
    passages: sum('in') + sum('out'),
    keyPersonHits: await one('SELECT count(*) AS n FROM gate_passage WHERE site_id = @siteId AND day = @day AND key_person = 1'),
    visitorsStaying: await one(
      'SELECT count(*) AS n FROM gate_visit v WHERE v.site_id = @siteId AND v.day = @day AND NOT EXISTS (SELECT 1 FROM gate_visit_left l WHERE l.visit_id = v.visit_id AND l.site_id = v.site_id)',
    ),
    passengers: await one('SELECT sum(passengers) AS n FROM gate_vehicle WHERE site_id = @siteId AND day = @day'),
  };
  const stations = (
    await tx.all<{ id: string; name: string; number: number | string; workplace: string | null }>(
      `SELECT s.id, s.name, s.number, w.workplace FROM station s LEFT JOIN station_workplace w ON w.station_id = s.id
       WHERE s.site_id = @siteId ORDER BY s.number, s.id`,
      p,
    )
  )
    .map((s) => ({ stationId: s.id, name: s.name, number: num(s.number), workplace: s.workplace, in: counts.get(`${s.id}\u0000in`) ?? 0, out: counts.get(`${s.id}\u0000out`) ?? 0 }))
    .filter((s) => s.workplace === 'gate' || s.workplace === 'sentinel' || s.in + s.out > 0);
  const referrals = (
    await tx.all<{
      station_id: string;
      station_name: string;
      number: number | string;
      passage_id: string;
      at: string;
      hour: number | string;
      destination: string;
      escort: string;
      payload: string | null;
      operator_name: string | null;
    }>(
      `SELECT f.station_id, s.name AS station_name, s.number, f.passage_id, f.at, f.hour, f.destination, f.escort, r.payload, o.name AS operator_name
       FROM gate_referral f JOIN station s ON s.id = f.station_id
       LEFT JOIN record r ON r.station_id = f.station_id AND r.seq = f.seq
       LEFT JOIN site_operator o ON o.id = f.operator_id
       WHERE f.site_id = @siteId AND f.day = @day ORDER BY f.at, f.station_id, f.referral_id`,
      p,
    )
  ).map((r) => ({
    stationId: r.station_id,
    stationName: r.station_name,
    stationNumber: num(r.number),
    passageId: r.passage_id,
    at: r.at,
    hour: num(r.hour),
    destination: r.destination,
    escort: r.escort,
    note: noteOf(r.payload),
    operatorName: r.operator_name,
  }));
  return { siteId, siteName: site.name, day, hours, totals, stations, referrals };
}

function parsed(payload: string | null): Record<string, unknown> | null {
  if (payload === null) return null;
  try {
    const v = JSON.parse(payload) as unknown;
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function listsOf(json: string): string[] {
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v) ? v.filter((l): l is string => typeof l === 'string') : [];
  } catch {
    return [];
  }
}

function noteOf(payload: string | null): string | null {
  const note = parsed(payload)?.note;
  return typeof note === 'string' ? note : null;
}

/** Who a person record says they were, masked as every screen shows them; null when nothing personal is left in it. */
function personOf(payload: string | null): KeyPersonHit['person'] {
  const p = parsed(payload);
  if (!p) return null;
  const name = typeof p.name === 'string' && p.name ? p.name : null;
  const idNumber = typeof p.idNumber === 'string' && p.idNumber ? maskIdNumber(p.idNumber) : typeof p.regCode === 'string' && p.regCode ? maskCode(p.regCode) : null;
  return name === null && idNumber === null ? null : { name, idNumber };
}

/** The most hits one page lists (a day's, or those still open). */
export const MAX_HITS = 500;

/**
 * Key-person passages of a site: those of `day`, or (`open`) those of any day no one at HQ has
 * followed up yet, newest first. Each with who it was, the gate keeper's actions and HQ's follow-ups.
 */
export async function keyPersonHits(tx: Tx, siteId: string, which: { day: string } | { open: true; notDay?: string }, limit = MAX_HITS): Promise<KeyPersonHit[]> {
  const open = 'open' in which;
  const where = open
    ? `p.site_id = @siteId AND p.key_person = 1 AND p.day <> @day AND NOT EXISTS (SELECT 1 FROM gate_follow_up u WHERE u.station_id = p.station_id AND u.passage_id = p.passage_id)`
    : `p.site_id = @siteId AND p.key_person = 1 AND p.day = @day`;
  const params = { siteId, day: open ? (which.notDay ?? '') : which.day, limit };
  const rows = await tx.all<{
    station_id: string;
    station_name: string;
    number: number | string;
    passage_id: string;
    at: string;
    day: string;
    direction: 'in' | 'out';
    level: string;
    temperature: string | null;
    key_person_lists: string;
    payload: string | null;
    operator_name: string | null;
  }>(
    `SELECT p.station_id, s.name AS station_name, s.number, p.passage_id, p.at, p.day, p.direction, p.level, p.temperature, p.key_person_lists, r.payload, o.name AS operator_name
     FROM gate_passage p JOIN station s ON s.id = p.station_id
     LEFT JOIN record r ON r.station_id = p.station_id AND r.seq = p.person_seq
     LEFT JOIN site_operator o ON o.id = p.operator_id
     WHERE ${where} ORDER BY p.at ${open ? 'DESC' : 'ASC'}, p.station_id, p.passage_id LIMIT @limit`,
    params,
  );
  if (rows.length === 0) return [];
  const key = (stationId: string, passageId: string) => `${stationId}\u0000${passageId}`;
  const hits = new Map<string, KeyPersonHit>();
  for (const r of rows) {
    hits.set(key(r.station_id, r.passage_id), {
      stationId: r.station_id,
      stationName: r.station_name,
      stationNumber: num(r.number),
      passageId: r.passage_id,
      at: r.at,
      day: r.day,
      direction: r.direction,
      level: r.level,
      temperature: r.temperature,
      lists: listsOf(r.key_person_lists),
      person: personOf(r.payload),
      operatorName: r.operator_name,
      actions: [],
      followUps: [],
    });
  }
  const ids = rows.map((r) => r.passage_id);
  const actions = await tx.all<{ station_id: string; passage_id: string; at: string; action: string; payload: string | null; operator_name: string | null }>(
    `SELECT a.station_id, a.passage_id, a.at, a.action, r.payload, o.name AS operator_name FROM gate_key_person_action a
     LEFT JOIN record r ON r.station_id = a.station_id AND r.seq = a.seq LEFT JOIN site_operator o ON o.id = a.operator_id
     WHERE ${anyOf(tx, 'a.passage_id', 'ids')} AND a.site_id = @siteId ORDER BY a.seq`,
    { siteId, ids },
  );
  for (const a of actions) hits.get(key(a.station_id, a.passage_id))?.actions.push({ at: a.at, action: a.action, note: noteOf(a.payload), operatorName: a.operator_name });
  const followUps = await tx.all<{ station_id: string; passage_id: string; at: string; note: string; followed_up_by: string }>(
    `SELECT station_id, passage_id, at, note, followed_up_by FROM gate_follow_up WHERE ${anyOf(tx, 'passage_id', 'ids')} AND site_id = @siteId ORDER BY id`,
    { siteId, ids },
  );
  for (const f of followUps) hits.get(key(f.station_id, f.passage_id))?.followUps.push({ at: f.at, note: f.note, by: f.followed_up_by });
  return [...hits.values()];
}

export type FollowUpOutcome = { ok: true; siteId: string } | { ok: false; error: 'gate.hitUnknown' };

/**
 * HQ's staff mark a key-person hit followed up, with a note (what was done, whom they told). Kept
 * as a record of its own, with who and when; a later note is added beside it, never over it.
 */
export async function followUpHit(tx: Tx, f: { stationId: string; passageId: string; note: string; by: string; at: string }): Promise<FollowUpOutcome> {
  const hit = await tx.one<{ site_id: string }>('SELECT site_id FROM gate_passage WHERE station_id = @stationId AND passage_id = @passageId AND key_person = 1', {
    stationId: f.stationId,
    passageId: f.passageId,
  });
  if (!hit) return { ok: false, error: 'gate.hitUnknown' };
  await tx.run(
    `INSERT INTO gate_follow_up (station_id, passage_id, site_id, note, followed_up_by, at) VALUES (@stationId, @passageId, @siteId, @note, @by, @at)`,
    { stationId: f.stationId, passageId: f.passageId, siteId: hit.site_id, note: f.note, by: f.by, at: f.at },
  );
  return { ok: true, siteId: hit.site_id };
}

/**
 * Home isolation (居家隔离) at HQ: projected from the `isolation.started` / `.ended` / `.reading`
 * entries of the site's stations, started and ended by HQ's staff too, and relayed to every
 * station of the site through the feed (a station applies them by id, so the one that made it
 * receives its own back and changes nothing). A site's isolations are shown on the dashboard with
 * their day, today's tasks and the overdue ones: from the readings projected here and HQ's
 * bindings (a person is sampled on a day when a station of the site bound their ID number that day).
 */
import { randomUUID } from 'node:crypto';
import { isValidIdNumber, normalizeIdNumber } from '../../electron/api/gb11643';
import { DEFAULT_ISOLATION_DAYS, ISOLATION_MAX_DAYS, type IsolationTaskKind, type IsolationTaskStatus } from '../../electron/api/isolation';
import { addDays, dayNumberOf, isolationSamplingDays, scheduleOf } from '../../electron/core/isolation/schedule';
import { createLogger } from '../../electron/core/log';
import { DEMO_SITE_CONFIG, parseSiteConfig } from '../../electron/core/site/config';
import { siteDay, type StationIsolationChange } from '../ingest';
import type { IsolationEndedFeedPayload, IsolationReadingFeedPayload, IsolationStartedFeedPayload } from '../protocol';
import type { Tx } from '../store/sql';
import { addFeed } from './feed';

const log = createLogger('hq-isolation');

/** How HQ names itself to the stations when it starts or ends an isolation. */
export const HQ_NAME = '总部';

type Station = { id: string; siteId: string; number: number; name: string };

type Started = { isolationId: string; siteId: string; subject: 'household' | 'person'; household: string; persons: { personId: string; idNumber: string; name: string }[]; reason: string; startDay: string; untilDay: string; samplingDays: number[] };

async function insertStarted(tx: Tx, s: Started, by: { stationId: string | null; stationName: string; at: string }): Promise<boolean> {
  const inserted = await tx.one<{ id: string }>(
    `INSERT INTO isolation (id, site_id, subject, household, reason, start_day, until_day, sampling_days, station_id, started_at)
     VALUES (@id, @siteId, @subject, @household, @reason, @startDay, @untilDay, @samplingDays, @stationId, @at) ON CONFLICT DO NOTHING RETURNING id`,
    { id: s.isolationId, siteId: s.siteId, subject: s.subject, household: s.household, reason: s.reason, startDay: s.startDay, untilDay: s.untilDay, samplingDays: JSON.stringify(s.samplingDays), stationId: by.stationId, at: by.at },
  );
  if (!inserted) return false;
  for (const p of s.persons) {
    await tx.run('INSERT INTO isolation_person (id, isolation_id, id_number, name) VALUES (@id, @isolationId, @idNumber, @name) ON CONFLICT DO NOTHING', {
      id: p.personId,
      isolationId: s.isolationId,
      idNumber: p.idNumber,
      name: p.name,
    });
  }
  const payload: IsolationStartedFeedPayload = { ...s, stationId: by.stationId, stationName: by.stationName, startedAt: by.at };
  await addFeed(tx, { siteId: s.siteId, stationId: null, kind: 'isolation.started', payload: JSON.stringify(payload), at: by.at });
  return true;
}

async function insertEnded(tx: Tx, e: { isolationId: string; siteId: string; reason: string }, by: { stationId: string | null; stationName: string; at: string }): Promise<boolean> {
  const changed = await tx.run('UPDATE isolation SET ended_at = @at, end_reason = @reason, ended_by = @by WHERE id = @id AND site_id = @siteId AND ended_at IS NULL', {
    at: by.at,
    reason: e.reason,
    by: by.stationId ?? 'HQ',
    id: e.isolationId,
    siteId: e.siteId,
  });
  if (changed === 0) return false;
  const payload: IsolationEndedFeedPayload = { isolationId: e.isolationId, siteId: e.siteId, reason: e.reason, stationName: by.stationName, endedAt: by.at };
  await addFeed(tx, { siteId: e.siteId, stationId: null, kind: 'isolation.ended', payload: JSON.stringify(payload), at: by.at });
  return true;
}

/** The isolations a batch of a station's journal started and ended, and their readings, in journal order. One of another site is not taken. */
export async function projectStationIsolations(tx: Tx, station: Station, changes: readonly StationIsolationChange[]): Promise<void> {
  const by = { stationId: station.id, stationName: station.name };
  for (const c of changes) {
    if (c.siteId !== station.siteId) {
      log.warn({ stationId: station.id }, 'isolation of another site not taken');
      continue;
    }
    if (c.kind === 'started') {
      if (c.untilDay < c.startDay) {
        log.warn({ stationId: station.id, isolationId: c.isolationId }, 'isolation not relayed: its last day is before its first');
        continue;
      }
      await insertStarted(tx, { ...c }, { ...by, at: c.at });
    } else if (c.kind === 'ended') {
      if (!(await insertEnded(tx, c, { ...by, at: c.at }))) log.warn({ stationId: station.id, isolationId: c.isolationId }, 'end of an isolation HQ does not hold open: not relayed');
    } else {
      const inserted = await tx.run(
        `INSERT INTO isolation_reading (id, isolation_id, person_id, day, slot, celsius, station_id, at)
         VALUES (@id, @isolationId, @personId, @day, @slot, @celsius, @stationId, @at) ON CONFLICT DO NOTHING`,
        { id: c.readingId, isolationId: c.isolationId, personId: c.personId, day: c.day, slot: c.slot, celsius: c.celsius, stationId: station.id, at: c.at },
      );
      if (inserted === 0) continue;
      const payload: IsolationReadingFeedPayload = {
        readingId: c.readingId,
        siteId: c.siteId,
        isolationId: c.isolationId,
        personId: c.personId,
        day: c.day,
        slot: c.slot,
        celsius: c.celsius,
        source: c.source,
        stationName: station.name,
        at: c.at,
      };
      await addFeed(tx, { siteId: c.siteId, stationId: null, kind: 'isolation.reading', payload: JSON.stringify(payload), at: c.at });
    }
  }
}

// ---- HQ's staff ---------------------------------------------------------------------------------

export type HqIsolationError = 'site.unknown' | 'isolation.idNumberInvalid' | 'isolation.untilBeforeStart' | 'isolation.tooLong' | 'isolation.untilPast' | 'isolation.alreadyIsolated' | 'isolation.notFound' | 'isolation.alreadyEnded';

export type HqStart = {
  siteId: string;
  household: string;
  persons: { idNumber: string; name: string }[];
  reason: string;
  startDay?: string | undefined;
  untilDay?: string | undefined;
};

/**
 * An isolation HQ starts for a site: a household (its persons listed by ID number and name) or
 * one person; checked as a station checks it, relayed to the site's stations. Nothing is stored when refused.
 */
export async function startIsolationAtHq(tx: Tx, s: HqStart, at: string): Promise<{ ok: true; isolationId: string } | { ok: false; error: HqIsolationError }> {
  const site = await tx.one<{ config: string | null }>('SELECT config FROM site WHERE id = @id', { id: s.siteId });
  if (!site) return { ok: false, error: 'site.unknown' };
  const persons = s.persons.map((p) => ({ idNumber: normalizeIdNumber(p.idNumber), name: p.name.trim() }));
  if (persons.some((p) => !isValidIdNumber(p.idNumber))) return { ok: false, error: 'isolation.idNumberInvalid' };
  const today = siteDay(at);
  const startDay = s.startDay ?? today;
  const untilDay = s.untilDay ?? addDays(startDay, DEFAULT_ISOLATION_DAYS - 1);
  if (untilDay < startDay) return { ok: false, error: 'isolation.untilBeforeStart' };
  if (dayNumberOf(startDay, untilDay) > ISOLATION_MAX_DAYS) return { ok: false, error: 'isolation.tooLong' };
  if (untilDay < today) return { ok: false, error: 'isolation.untilPast' };
  for (const p of persons) {
    const open = await tx.one<{ id: string }>(
      `SELECT i.id FROM isolation_person ip JOIN isolation i ON i.id = ip.isolation_id
       WHERE ip.id_number = @idNumber AND i.site_id = @siteId AND i.until_day >= @today AND i.ended_at IS NULL`,
      { idNumber: p.idNumber, siteId: s.siteId, today },
    );
    if (open) return { ok: false, error: 'isolation.alreadyIsolated' };
  }
  let config = DEMO_SITE_CONFIG;
  try {
    if (site.config) config = parseSiteConfig(JSON.parse(site.config));
  } catch {
    // A site whose configuration HQ cannot read (none is stored unread): the default days.
  }
  const isolationId = randomUUID();
  await insertStarted(
    tx,
    {
      isolationId,
      siteId: s.siteId,
      subject: persons.length === 1 && s.household === '' ? 'person' : 'household',
      household: s.household,
      persons: persons.map((p) => ({ personId: randomUUID(), ...p })),
      reason: s.reason,
      startDay,
      untilDay,
      samplingDays: isolationSamplingDays(config),
    },
    { stationId: null, stationName: HQ_NAME, at },
  );
  return { ok: true, isolationId };
}

/** An isolation HQ ends (its schedule closed at every station of the site). */
export async function endIsolationAtHq(tx: Tx, e: { isolationId: string; reason: string }, at: string): Promise<{ ok: true } | { ok: false; error: HqIsolationError }> {
  const held = await tx.one<{ site_id: string; ended_at: string | null }>('SELECT site_id, ended_at FROM isolation WHERE id = @id', { id: e.isolationId });
  if (!held) return { ok: false, error: 'isolation.notFound' };
  if (held.ended_at !== null) return { ok: false, error: 'isolation.alreadyEnded' };
  await insertEnded(tx, { isolationId: e.isolationId, siteId: held.site_id, reason: e.reason }, { stationId: null, stationName: HQ_NAME, at });
  return { ok: true };
}

// ---- the dashboard ---------------------------------------------------------------------------------

export type SiteIsolationTask = { name: string; day: string; dayNumber: number; kind: IsolationTaskKind; status: IsolationTaskStatus };

export type SiteIsolation = {
  id: string;
  subject: 'household' | 'person';
  household: string;
  persons: { name: string; maskedIdNumber: string }[];
  reason: string;
  startDay: string;
  untilDay: string;
  /** Today's day of it (1 = the first); null when it is closed or to come. */
  dayNumber: number | null;
  state: 'upcoming' | 'active' | 'completed' | 'ended';
  startedBy: string;
  ended: { reason: string; at: string; by: string } | null;
  today: SiteIsolationTask[];
  overdue: SiteIsolationTask[];
};

const mask = (idNumber: string) => `${idNumber.slice(0, 6)}********${idNumber.slice(14)}`;

/** A site's isolations not ended (and those ended or completed in the last `days` days), with their tasks today and overdue. */
export async function isolationsOfSite(tx: Tx, siteId: string, at: string, days = 7): Promise<SiteIsolation[]> {
  const today = siteDay(at);
  const hour = Number(new Date(Date.parse(at) + 8 * 3600_000).toISOString().slice(11, 13));
  const since = addDays(today, -days);
  const rows = await tx.all<{
    id: string;
    subject: 'household' | 'person';
    household: string;
    reason: string;
    start_day: string;
    until_day: string;
    sampling_days: string;
    station_id: string | null;
    ended_at: string | null;
    end_reason: string | null;
    ended_by: string | null;
    station_name: string | null;
  }>(
    `SELECT i.id, i.subject, i.household, i.reason, i.start_day, i.until_day, i.sampling_days, i.station_id, i.ended_at, i.end_reason, i.ended_by, s.name AS station_name
     FROM isolation i LEFT JOIN station s ON s.id = i.station_id
     WHERE i.site_id = @siteId AND i.until_day >= @since AND (i.ended_at IS NULL OR i.ended_at >= @sinceAt)
     ORDER BY i.ended_at IS NOT NULL, i.start_day, i.id`,
    { siteId, since, sinceAt: new Date(Date.parse(`${since}T00:00:00.000Z`) - 8 * 3600_000).toISOString() },
  );
  const out: SiteIsolation[] = [];
  for (const r of rows) {
    const persons = await tx.all<{ id: string; id_number: string; name: string }>('SELECT id, id_number, name FROM isolation_person WHERE isolation_id = @id ORDER BY id_number', { id: r.id });
    const state = r.ended_at !== null ? 'ended' : today < r.start_day ? 'upcoming' : today > r.until_day ? 'completed' : 'active';
    let tasks: SiteIsolationTask[] = [];
    if (state === 'active') {
      const readings = await tx.all<{ person_id: string; day: string; slot: string; celsius: number; at: string }>(
        'SELECT person_id, day, slot, celsius, at FROM isolation_reading WHERE isolation_id = @id ORDER BY at',
        { id: r.id },
      );
      const sampled = new Map<string, Map<string, string>>();
      for (const p of persons) {
        const bound = await tx.all<{ day: string; at: string }>(
          `SELECT b.day, MIN(b.at) AS at FROM binding b JOIN person pe ON pe.station_id = b.station_id AND pe.person_id = b.person_id
           WHERE b.site_id = @siteId AND pe.person_key = @key AND b.undone = 0 AND b.day >= @from AND b.day <= @to GROUP BY b.day`,
          { siteId, key: `id:${p.id_number}`, from: r.start_day, to: today },
        );
        sampled.set(p.id, new Map(bound.map((b) => [b.day, b.at])));
      }
      const names = new Map(persons.map((p) => [p.id, p.name]));
      tasks = scheduleOf(
        { startDay: r.start_day, untilDay: r.until_day, samplingDays: JSON.parse(r.sampling_days) as number[], personIds: persons.map((p) => p.id) },
        { today, hour },
        (personId) => sampled.get(personId) ?? new Map(),
        new Map(readings.map((x) => [`${x.person_id}|${x.day}|${x.slot}`, { celsius: Number(x.celsius), at: x.at }])),
      ).map((t) => ({ name: names.get(t.personId) ?? '', day: t.day, dayNumber: t.dayNumber, kind: t.kind, status: t.status }));
    }
    out.push({
      id: r.id,
      subject: r.subject,
      household: r.household,
      persons: persons.map((p) => ({ name: p.name, maskedIdNumber: mask(p.id_number) })),
      reason: r.reason,
      startDay: r.start_day,
      untilDay: r.until_day,
      dayNumber: state === 'active' ? dayNumberOf(r.start_day, today) : null,
      state,
      startedBy: r.station_id === null ? HQ_NAME : (r.station_name ?? r.station_id),
      ended: r.ended_at === null ? null : { reason: r.end_reason ?? '', at: r.ended_at, by: r.ended_by ?? '' },
      today: tasks.filter((t) => t.day === today),
      overdue: tasks.filter((t) => t.day < today && t.status === 'overdue'),
    });
  }
  return out;
}

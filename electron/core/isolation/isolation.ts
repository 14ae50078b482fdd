import type { Statement } from 'better-sqlite3-multiple-ciphers';
import { isValidIdNumber, normalizeIdNumber } from '../../api/gb11643';
import {
  DEFAULT_ISOLATION_DAYS,
  ISOLATION_MAX_DAYS,
  type IsolationReadingView,
  type IsolationSlot,
  type IsolationState,
  type IsolationTasksView,
  type IsolationTaskView,
  type IsolationView,
} from '../../api/isolation';
import type { HouseholdRef } from '../../api/passes';
import type { IsolationEndedFeedPayload, IsolationReadingFeedPayload, IsolationStartedFeedPayload } from '../../../hq/protocol';
import type { CoreContext } from '../context';
import { PreparedStatements } from '../db/statements';
import { DomainError } from '../errors';
import type { FeedHandlers } from '../feed/feed';
import { siteDayStart, siteHour, siteMinute } from '../gate/settings';
import { addDays, dayNumberOf, isolationSamplingDays, scheduleOf } from './schedule';
import { newId } from '../ids';
import { createLogger } from '../log';
import { NO_OPERATOR } from '../operators/operators';
import { maskIdNumber } from '../person/mask';
import { household as householdOf, type Roster } from '../roster/roster';

const log = createLogger('isolation');


type IsolationRow = {
  id: string;
  site_id: string;
  subject: 'household' | 'person';
  household: string;
  reason: string;
  start_day: string;
  until_day: string;
  sampling_days: string;
  origin: 'here' | 'feed';
  station_name: string;
  started_at: string;
  end_reason: string | null;
  end_at: string | null;
  end_station: string | null;
};

type PersonRow = { id: string; id_number: string | null; name: string };

const SELECT = `SELECT i.id, i.site_id, i.subject, i.household, i.reason, i.start_day, i.until_day, i.sampling_days, i.origin, i.station_name, i.started_at,
  e.reason AS end_reason, e.at AS end_at, e.station_name AS end_station
  FROM isolation i LEFT JOIN isolation_end e ON e.isolation_id = i.id`;

export type IsolationHost = {
  /** The site's keyed hash of a person (their ID number), as other stations' bindings are marked. */
  markOf(idNumber: string): string | null;
};

/**
 * Home isolation (居家隔离) at this station: a household of the roster in use (all its residents)
 * or one person (by ID number) put in isolation (`isolation.started`), ended with a reason
 * (`isolation.ended`), temperature readings recorded (`isolation.reading`). Its schedule is
 * derived from the start and last days and the sampling days it was started with: sampling on
 * those days, temperature morning and evening every day. A sampling task is done by the person's
 * binding that site day (this station's, not undone and not in a voided tube, or another
 * station's mark from HQ); a temperature task by a reading. Overdue: a task of a day gone by (a
 * morning's after noon) not done, of an isolation still active. Ended, or past its last day, an
 * isolation is closed: no task, nothing overdue.
 *
 * Isolations of the site's other stations and HQ's come through HQ's feed, applied idempotently
 * by id. Changes run inside the writer's transaction.
 */
export class Isolation {
  private prepared: PreparedStatements | null = null;

  constructor(
    private readonly ctx: CoreContext,
    private readonly roster: Roster,
    private readonly host: IsolationHost,
  ) {}

  private sql(source: string): Statement {
    return (this.prepared ??= new PreparedStatements(this.ctx.db)).get(source);
  }

  private stamp(at: Date) {
    return { stationId: this.ctx.identity.station.id, operatorId: this.ctx.operatorId(), at: at.toISOString() };
  }

  private static operatorColumn(operatorId: string): string | null {
    return operatorId === NO_OPERATOR ? null : operatorId;
  }

  private static today(now: Date): string {
    return siteHour(now.getTime()).day;
  }

  private static state(row: IsolationRow, today: string): IsolationState {
    if (row.end_at !== null) return 'ended';
    if (today < row.start_day) return 'upcoming';
    if (today > row.until_day) return 'completed';
    return 'active';
  }

  private row(id: string): IsolationRow {
    const row = this.sql(`${SELECT} WHERE i.id = ?`).get(id) as IsolationRow | undefined;
    if (!row || row.site_id !== this.ctx.identity.site.id) throw new DomainError('isolation.notFound', { id });
    return row;
  }

  private persons(isolationId: string): PersonRow[] {
    return this.sql('SELECT id, id_number, name FROM isolation_person WHERE isolation_id = ? ORDER BY rowid').all(isolationId) as PersonRow[];
  }

  private view(row: IsolationRow, now: Date): IsolationView {
    const today = Isolation.today(now);
    const state = Isolation.state(row, today);
    const persons = this.persons(row.id);
    return {
      id: row.id,
      subject: row.subject,
      household: row.household,
      persons: persons.map((p) => ({ id: p.id, name: p.name, maskedIdNumber: p.id_number ? maskIdNumber(p.id_number) : '' })),
      reason: row.reason,
      startDay: row.start_day,
      untilDay: row.until_day,
      samplingDays: JSON.parse(row.sampling_days) as number[],
      dayNumber: state === 'active' ? dayNumberOf(row.start_day, today) : null,
      state,
      origin: row.origin,
      stationName: row.station_name,
      startedAt: row.started_at,
      ended: row.end_at === null ? null : { reason: row.end_reason ?? '', at: row.end_at, stationName: row.end_station ?? '' },
      overdue: state === 'active' ? this.tasksOf(row, persons, now).filter((t) => t.status === 'overdue').length : 0,
    };
  }

  get(id: string, now: Date): IsolationView {
    return this.view(this.row(id), now);
  }

  // ---- the schedule -------------------------------------------------------------------------------

  /** The site days on which each person was sampled, from `from` to `to` (site days, inclusive). */
  private sampledDays(person: PersonRow, from: string, to: string): Map<string, string> {
    const days = new Map<string, string>();
    if (!person.id_number) return days;
    const range = { idNumber: person.id_number, from: siteDayStart(from), to: siteDayStart(addDays(to, 1)) };
    const here = this.sql(
      `SELECT b.at FROM binding b JOIN person p ON p.id = b.person_id JOIN tube t ON t.id = b.tube_id
       WHERE p.id_number = @idNumber AND b.undo_correction_id IS NULL AND t.state != 'voided' AND b.at >= @from AND b.at < @to ORDER BY b.at`,
    ).all(range) as { at: string }[];
    const mark = this.host.markOf(person.id_number);
    const elsewhere = mark === null ? [] : (this.sql('SELECT at FROM round_mark WHERE mark = @mark AND at >= @from AND at < @to ORDER BY at').all({ mark, from: range.from, to: range.to }) as { at: string }[]);
    for (const { at } of [...here, ...elsewhere]) {
      const day = siteHour(Date.parse(at)).day;
      if (!days.has(day)) days.set(day, at);
    }
    return days;
  }

  /**
   * An active isolation's tasks from its first day to today, each with its status; none for an
   * isolation that is closed or has not begun.
   */
  private tasksOf(row: IsolationRow, persons: PersonRow[], now: Date): IsolationTaskView[] {
    const { day: today, hour } = siteHour(now.getTime());
    if (Isolation.state(row, today) !== 'active') return [];
    const readings = this.sql('SELECT person_id, day, slot, celsius, at FROM isolation_reading WHERE isolation_id = ? ORDER BY at').all(row.id) as {
      person_id: string;
      day: string;
      slot: IsolationSlot;
      celsius: number;
      at: string;
    }[];
    const byId = new Map(persons.map((p) => [p.id, p]));
    const tasks = scheduleOf(
      { startDay: row.start_day, untilDay: row.until_day, samplingDays: JSON.parse(row.sampling_days) as number[], personIds: persons.map((p) => p.id) },
      { today, hour },
      (personId) => this.sampledDays(byId.get(personId)!, row.start_day, today),
      new Map(readings.map((r) => [`${r.person_id}|${r.day}|${r.slot}`, r])),
    );
    return tasks.map((t) => {
      const p = byId.get(t.personId)!;
      return { isolationId: row.id, name: p.name, maskedIdNumber: p.id_number ? maskIdNumber(p.id_number) : '', household: row.household, ...t };
    });
  }

  /** Today's tasks of every active isolation of the site, and the overdue ones of days gone by. */
  tasks(now: Date): IsolationTasksView {
    const today = Isolation.today(now);
    const rows = this.sql(`${SELECT} WHERE i.site_id = ? AND e.isolation_id IS NULL AND i.start_day <= ? AND i.until_day >= ? ORDER BY i.start_day, i.started_at`).all(
      this.ctx.identity.site.id,
      today,
      today,
    ) as IsolationRow[];
    const all = rows.flatMap((r) => this.tasksOf(r, this.persons(r.id), now));
    return {
      today,
      tasks: all.filter((t) => t.day === today),
      overdue: all.filter((t) => t.day < today && t.status === 'overdue'),
    };
  }

  /** Isolations of the site: the open ones (to come or active), or all; newest first. */
  list(filter: { open: boolean; limit: number; offset: number }, now: Date): { total: number; isolations: IsolationView[] } {
    const today = Isolation.today(now);
    const where = filter.open ? 'i.site_id = @site AND e.isolation_id IS NULL AND i.until_day >= @today' : 'i.site_id = @site';
    const params = { site: this.ctx.identity.site.id, today };
    const total = (this.sql(`SELECT COUNT(*) AS n FROM isolation i LEFT JOIN isolation_end e ON e.isolation_id = i.id WHERE ${where}`).get(params) as { n: number }).n;
    const rows = this.sql(`${SELECT} WHERE ${where} ORDER BY i.started_at DESC, i.id DESC LIMIT @limit OFFSET @offset`).all({
      ...params,
      limit: filter.limit,
      offset: filter.offset,
    }) as IsolationRow[];
    return { total, isolations: rows.map((r) => this.view(r, now)) };
  }

  // ---- starting, ending, readings ----------------------------------------------------------------

  private who(subject: IsolationStartArgs['subject']): { subject: 'household' | 'person'; household: string; persons: { idNumber: string; name: string }[] } {
    if (subject.kind === 'person') {
      const idNumber = normalizeIdNumber(subject.idNumber);
      if (!isValidIdNumber(idNumber)) throw new DomainError('isolation.idNumberInvalid');
      return { subject: 'person', household: subject.household, persons: [{ idNumber, name: subject.name }] };
    }
    if (this.roster.currentId() === null) throw new DomainError('isolation.noRoster');
    const h: HouseholdRef = subject.household;
    const label = householdOf(h);
    const rows = this.sql('SELECT id_number, name FROM roster.resident WHERE building = ? AND unit = ? AND room = ? ORDER BY rowid').all(h.building, h.unit, h.room) as {
      id_number: string;
      name: string;
    }[];
    if (rows.length === 0) throw new DomainError('isolation.householdUnknown', { household: label });
    return { subject: 'household', household: label, persons: rows.map((r) => ({ idNumber: r.id_number, name: r.name })) };
  }

  /** Someone put in isolation: checked (who, the days, nobody named in an open isolation already), journalled, kept. */
  start(args: IsolationStartArgs, at: Date): IsolationView {
    const today = Isolation.today(at);
    const startDay = args.startDay ?? today;
    const untilDay = args.untilDay ?? addDays(startDay, DEFAULT_ISOLATION_DAYS - 1);
    if (untilDay < startDay) throw new DomainError('isolation.untilBeforeStart', { start: startDay, until: untilDay });
    if (dayNumberOf(startDay, untilDay) > ISOLATION_MAX_DAYS) throw new DomainError('isolation.tooLong', { maxDays: ISOLATION_MAX_DAYS });
    if (untilDay < today) throw new DomainError('isolation.untilPast', { until: untilDay });
    const who = this.who(args.subject);
    const site = this.ctx.identity.site;
    for (const p of who.persons) {
      const open = this.sql(
        `SELECT i.household, i.until_day FROM isolation_person ip JOIN isolation i ON i.id = ip.isolation_id
         WHERE ip.id_number = ? AND i.site_id = ? AND i.until_day >= ? AND NOT EXISTS (SELECT 1 FROM isolation_end e WHERE e.isolation_id = i.id) LIMIT 1`,
      ).get(p.idNumber, site.id, today) as { household: string; until_day: string } | undefined;
      if (open) throw new DomainError('isolation.alreadyIsolated', { name: p.name, household: open.household, until: open.until_day });
    }
    const id = newId();
    const persons = who.persons.map((p) => ({ personId: newId(), ...p }));
    const samplingDays = isolationSamplingDays(site.config);
    const s = this.stamp(at);
    const station = this.ctx.identity.station;
    const seq = this.ctx.journal.append({
      ...s,
      kind: 'isolation.started',
      entityId: id,
      payload: { siteId: site.id, subject: who.subject, household: who.household, persons, reason: args.reason, startDay, untilDay, samplingDays },
    });
    this.insert({ id, siteId: site.id, subject: who.subject, household: who.household, reason: args.reason, startDay, untilDay, samplingDays, persons }, {
      origin: 'here',
      stationId: station.id,
      stationName: station.name,
      operatorId: Isolation.operatorColumn(s.operatorId),
      startedAt: s.at,
      seq,
      cursor: null,
    });
    return this.get(id, at);
  }

  private insert(
    i: { id: string; siteId: string; subject: string; household: string; reason: string; startDay: string; untilDay: string; samplingDays: number[]; persons: { personId: string; idNumber: string; name: string }[] },
    by: { origin: 'here' | 'feed'; stationId: string | null; stationName: string; operatorId: string | null; startedAt: string; seq: number | null; cursor: number | null },
  ): boolean {
    const inserted =
      this.sql(
        `INSERT INTO isolation (id, site_id, subject, household, reason, start_day, until_day, sampling_days, origin, station_id, station_name, operator_id, started_at, seq, feed_cursor)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      ).run(i.id, i.siteId, i.subject, i.household, i.reason, i.startDay, i.untilDay, JSON.stringify(i.samplingDays), by.origin, by.stationId, by.stationName, by.operatorId, by.startedAt, by.seq, by.cursor)
        .changes > 0;
    if (!inserted) return false;
    for (const p of i.persons) this.sql('INSERT INTO isolation_person (id, isolation_id, id_number, name) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING').run(p.personId, i.id, p.idNumber, p.name);
    return true;
  }

  /** An isolation ended (early, or at its last day) with the reason: its schedule is closed. Once. */
  end(isolationId: string, reason: string, at: Date): IsolationView {
    const row = this.row(isolationId);
    if (row.end_at !== null) throw new DomainError('isolation.alreadyEnded', { reason: row.end_reason ?? '', at: siteMinute(Date.parse(row.end_at)) });
    const s = this.stamp(at);
    const seq = this.ctx.journal.append({ ...s, kind: 'isolation.ended', entityId: row.id, payload: { siteId: row.site_id, reason } });
    this.sql(`INSERT INTO isolation_end (isolation_id, reason, origin, station_name, operator_id, at, seq) VALUES (?, ?, 'here', ?, ?, ?, ?)`).run(
      row.id,
      reason,
      this.ctx.identity.station.name,
      Isolation.operatorColumn(s.operatorId),
      s.at,
      seq,
    );
    return this.get(row.id, at);
  }

  /** Today's morning or evening temperature of a person in an active isolation. */
  reading(args: { isolationId: string; personId: string; slot: IsolationSlot; celsius: number; source: 'typed' | 'thermometer' }, at: Date): IsolationReadingView {
    const row = this.row(args.isolationId);
    const day = Isolation.today(at);
    const state = Isolation.state(row, day);
    if (state !== 'active') throw new DomainError('isolation.notActive', { state });
    if (!this.persons(row.id).some((p) => p.id === args.personId)) throw new DomainError('isolation.notInIsolation');
    const celsius = Math.round(args.celsius * 10) / 10;
    const id = newId();
    const s = this.stamp(at);
    const seq = this.ctx.journal.append({
      ...s,
      kind: 'isolation.reading',
      entityId: id,
      payload: { siteId: row.site_id, isolationId: row.id, personId: args.personId, day, slot: args.slot, celsius, source: args.source },
    });
    this.sql(
      `INSERT INTO isolation_reading (id, isolation_id, person_id, day, slot, celsius, source, origin, station_name, operator_id, at, seq) VALUES (?, ?, ?, ?, ?, ?, ?, 'here', ?, ?, ?, ?)`,
    ).run(id, row.id, args.personId, day, args.slot, celsius, args.source, this.ctx.identity.station.name, Isolation.operatorColumn(s.operatorId), s.at, seq);
    return { id, isolationId: row.id, personId: args.personId, day, slot: args.slot, celsius, source: args.source, at: s.at };
  }

  // ---- the site's other stations and HQ, through HQ's feed -----------------------------------------

  private adoptStarted(p: IsolationStartedFeedPayload, cursor: number): boolean {
    if (p.siteId !== this.ctx.identity.site.id) return false;
    if (p.untilDay < p.startDay) {
      log.warn({ isolationId: p.isolationId }, 'isolation from HQ skipped: its last day is before its first');
      return false;
    }
    return this.insert(
      { id: p.isolationId, siteId: p.siteId, subject: p.subject, household: p.household, reason: p.reason, startDay: p.startDay, untilDay: p.untilDay, samplingDays: p.samplingDays, persons: p.persons },
      { origin: 'feed', stationId: p.stationId, stationName: p.stationName, operatorId: null, startedAt: new Date(p.startedAt).toISOString(), seq: null, cursor },
    );
  }

  private adoptEnded(p: IsolationEndedFeedPayload, cursor: number): boolean {
    if (p.siteId !== this.ctx.identity.site.id) return false;
    return (
      this.sql(`INSERT INTO isolation_end (isolation_id, reason, origin, station_name, operator_id, at, feed_cursor) VALUES (?, ?, 'feed', ?, NULL, ?, ?) ON CONFLICT DO NOTHING`).run(
        p.isolationId,
        p.reason,
        p.stationName,
        new Date(p.endedAt).toISOString(),
        cursor,
      ).changes > 0
    );
  }

  private adoptReading(p: IsolationReadingFeedPayload, cursor: number): boolean {
    if (p.siteId !== this.ctx.identity.site.id) return false;
    return (
      this.sql(
        `INSERT INTO isolation_reading (id, isolation_id, person_id, day, slot, celsius, source, origin, station_name, operator_id, at, feed_cursor)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'feed', ?, NULL, ?, ?) ON CONFLICT DO NOTHING`,
      ).run(p.readingId, p.isolationId, p.personId, p.day, p.slot, p.celsius, p.source, p.stationName, new Date(p.at).toISOString(), cursor).changes > 0
    );
  }

  feedHandlers(): FeedHandlers {
    return {
      'isolation.started': (item, effects) => {
        if (this.adoptStarted(item.payload, item.cursor)) effects.isolations++;
      },
      'isolation.ended': (item, effects) => {
        if (this.adoptEnded(item.payload, item.cursor)) effects.isolations++;
      },
      'isolation.reading': (item, effects) => {
        if (this.adoptReading(item.payload, item.cursor)) effects.isolations++;
      },
    };
  }
}

export type IsolationStartArgs = {
  subject: { kind: 'household'; household: HouseholdRef } | { kind: 'person'; idNumber: string; name: string; household: string };
  reason: string;
  startDay?: string | undefined;
  untilDay?: string | undefined;
};

/**
 * Reports (报表): a site day's counts per hour, at this station and at the whole site.
 *
 * "Here" is read from the station's own tables in one aggregate query (a UNION ALL of one
 * GROUP BY per measure over the day's range of each table). "This site" is HQ's answer to
 * `HQ_PATHS.siteDay`, fetched by the upload agent after each feed pull and kept in one `setting`
 * row with the time it came (a cache of HQ's figures, not a record of this station: nothing is
 * journalled, a newer answer replaces it). Households visited door to door at the site are this
 * station's visits and those HQ relayed to it through the feed (`door_visit_remote`).
 *
 * Hours and days are the site's (UTC+8, as the gate's hour chart). Times are stored as ISO UTC
 * strings, so a range of them is a string range and their site hour is the UTC hour plus 8.
 */
import type { DayReport, ReportCounts, ReportHour, ReportMeasure, ReportScope } from '../../api/reports';
import { REPORT_MEASURES } from '../../api/reports';
import { siteDayAnswerSchema, type SiteDayAnswer } from '../../../hq/protocol';
import type { StationDatabase } from '../db/database';
import { siteDayStart, siteHour } from '../gate/settings';

const SITE_KEY = 'report.site';

/** The site hour of an ISO UTC time column, in SQL. */
const hourOf = (col: string) => `((CAST(substr(${col}, 12, 2) AS INTEGER) + 8) % 24)`;

/** One GROUP BY per measure, each over the day's range of its table. */
const HERE_SQL = `
  SELECT 'people' AS m, ${hourOf('at')} AS h, COUNT(*) AS n FROM binding
    WHERE at >= @from AND at < @to AND undo_correction_id IS NULL GROUP BY h
  UNION ALL SELECT 'tubesOpened', ${hourOf('opened_at')} AS h, COUNT(*) FROM tube WHERE opened_at >= @from AND opened_at < @to GROUP BY h
  UNION ALL SELECT 'tubesSealed', ${hourOf('sealed_at')} AS h, COUNT(*) FROM tube WHERE sealed_at >= @from AND sealed_at < @to GROUP BY h
  UNION ALL SELECT 'tubesVoided', ${hourOf('at')} AS h, COUNT(*) FROM correction WHERE kind = 'tube.void' AND at >= @from AND at < @to GROUP BY h
  UNION ALL SELECT 'boxesSealed', ${hourOf('sealed_at')} AS h, COUNT(*) FROM box WHERE sealed_at >= @from AND sealed_at < @to GROUP BY h
  UNION ALL SELECT 'boxesHandedOver', ${hourOf('handed_over_at')} AS h, COUNT(*) FROM box WHERE handed_over_at >= @from AND handed_over_at < @to GROUP BY h
  UNION ALL SELECT CASE direction WHEN 'in' THEN 'gateIn' ELSE 'gateOut' END, hour, COUNT(*) FROM gate_passage WHERE day = @day GROUP BY direction, hour
  UNION ALL SELECT 'fevers', hour, COUNT(*) FROM gate_passage WHERE day = @day AND temperature = 'fever' GROUP BY hour
  UNION ALL SELECT 'visits' || outcome, ${hourOf('at')} AS h, COUNT(*) FROM door_visit WHERE at >= @from AND at < @to GROUP BY outcome, h`;

const VISIT_MEASURE: Record<string, ReportMeasure> = { visitssampled: 'visitsSampled', visitsnotHome: 'visitsNotHome', visitsrefused: 'visitsRefused' };

function zero(): ReportCounts {
  return Object.fromEntries(REPORT_MEASURES.map((m) => [m, 0])) as ReportCounts;
}

function emptyHours(): ReportHour[] {
  return Array.from({ length: 24 }, (_, hour) => ({ hour, ...zero() }));
}

function totalsOf(hours: ReportHour[], households: number): ReportScope['totals'] {
  const totals = { ...zero(), households };
  for (const h of hours) for (const m of REPORT_MEASURES) totals[m] += h[m];
  return totals;
}

/** The day after a site day (YYYY-MM-DD). */
function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) + 86_400_000).toISOString().slice(0, 10);
}

export type StoredSiteDay = { asOf: string; answer: SiteDayAnswer };

export class Reports {
  constructor(
    private readonly db: StationDatabase,
    private readonly names: () => { site: string; station: string },
  ) {}

  /** The site day of a moment. */
  static today(now: Date): string {
    return siteHour(now.getTime()).day;
  }

  private range(day: string) {
    return { day, from: siteDayStart(day), to: siteDayStart(nextDay(day)) };
  }

  /** This station's counts of a site day per hour. */
  here(day: string): ReportScope {
    const p = this.range(day);
    const hours = emptyHours();
    for (const r of this.db.prepare(HERE_SQL).all(p) as { m: string; h: number; n: number }[]) {
      const m = (VISIT_MEASURE[r.m] ?? r.m) as ReportMeasure;
      const hour = hours[r.h];
      if (hour && m in hour) hour[m] += r.n;
    }
    const households = this.db
      .prepare(`SELECT COUNT(*) AS n FROM (SELECT DISTINCT building, unit, room FROM door_visit WHERE at >= @from AND at < @to)`)
      .get(p) as { n: number };
    return { hours, totals: totalsOf(hours, households.n) };
  }

  /** The site's door visits of the day (this station's and those relayed to it), per hour and outcome, and its households. */
  private siteVisits(day: string): { hours: Map<number, Pick<ReportCounts, 'visitsSampled' | 'visitsNotHome' | 'visitsRefused'>>; households: number } {
    const p = this.range(day);
    const both = `SELECT building, unit, room, outcome, at FROM door_visit WHERE at >= @from AND at < @to
      UNION ALL SELECT building, unit, room, outcome, at FROM door_visit_remote WHERE at >= @from AND at < @to`;
    const hours = new Map<number, Pick<ReportCounts, 'visitsSampled' | 'visitsNotHome' | 'visitsRefused'>>();
    for (const r of this.db.prepare(`SELECT outcome, ${hourOf('at')} AS h, COUNT(*) AS n FROM (${both}) GROUP BY outcome, h`).all(p) as { outcome: string; h: number; n: number }[]) {
      const v = hours.get(r.h) ?? { visitsSampled: 0, visitsNotHome: 0, visitsRefused: 0 };
      const m = VISIT_MEASURE[`visits${r.outcome}`];
      if (m === 'visitsSampled' || m === 'visitsNotHome' || m === 'visitsRefused') v[m] += r.n;
      hours.set(r.h, v);
    }
    const households = this.db.prepare(`SELECT COUNT(*) AS n FROM (SELECT DISTINCT building, unit, room FROM (${both}))`).get(p) as { n: number };
    return { hours, households: households.n };
  }

  /** HQ's last answer for the site, if any. */
  storedSite(): StoredSiteDay | null {
    const row = this.db.prepare('SELECT value FROM setting WHERE key = ?').get(SITE_KEY) as { value: string } | undefined;
    if (!row) return null;
    try {
      const raw = JSON.parse(row.value) as { asOf?: unknown; answer?: unknown };
      const answer = siteDayAnswerSchema.safeParse(raw.answer);
      return answer.success && typeof raw.asOf === 'string' ? { asOf: raw.asOf, answer: answer.data } : null;
    } catch {
      return null;
    }
  }

  /** Keeps HQ's answer (a writer job): the latest replaces the one before. */
  saveSite(answer: SiteDayAnswer, at: Date): void {
    this.db.prepare('INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(
      SITE_KEY,
      JSON.stringify({ asOf: at.toISOString(), answer }),
    );
  }

  /** The whole site as of HQ's last answer for this day, or null. */
  site(day: string): (ReportScope & { asOf: string }) | null {
    const stored = this.storedSite();
    if (!stored || stored.answer.day !== day) return null;
    const visits = this.siteVisits(day);
    const hours = emptyHours();
    for (const h of stored.answer.hours) {
      const v = visits.hours.get(h.hour);
      Object.assign(hours[h.hour]!, h, v ?? {});
    }
    return { hours, totals: totalsOf(hours, visits.households), asOf: stored.asOf };
  }

  day(day: string, syncedAt: string | null): DayReport {
    const names = this.names();
    return { day, site: names.site, station: names.station, here: this.here(day), siteScope: this.site(day), syncedAt };
  }
}

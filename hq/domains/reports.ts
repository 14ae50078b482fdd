/**
 * A site day's counts per hour at HQ, for the station report's "this site": people sampled
 * (bindings not undone), tubes opened, sealed and voided, boxes sealed and handed over, gate
 * passages in and out, fevers. Read from HQ's projections of every station of the site, one
 * aggregate query per table, on SQLite and PostgreSQL alike.
 *
 * HQ keeps a tube's state, not the time it was sealed or voided: a tube of the day that is now
 * sealed or voided counts in the hour it was opened. Times are ISO UTC strings (the stations'),
 * so their site hour (UTC+8) is the UTC hour plus 8, and a range of them is a string range.
 */
import type { SiteDayAnswer, SiteDayHour } from '../protocol';
import { num, type Tx } from '../store/sql';

const SITE_OFFSET_HOURS = 8;
const hourOf = (col: string) => `((CAST(substr(${col}, 12, 2) AS INTEGER) + ${SITE_OFFSET_HOURS}) % 24)`;

/** The first moment (ISO UTC) of a site day. */
function dayStart(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) - SITE_OFFSET_HOURS * 3600_000).toISOString();
}

function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) + 86_400_000).toISOString().slice(0, 10);
}

export async function siteDayCounts(tx: Tx, siteId: string, day: string): Promise<SiteDayAnswer> {
  const hours: SiteDayHour[] = Array.from({ length: 24 }, (_, hour) => ({
    hour,
    people: 0,
    tubesOpened: 0,
    tubesSealed: 0,
    tubesVoided: 0,
    boxesSealed: 0,
    boxesHandedOver: 0,
    gateIn: 0,
    gateOut: 0,
    fevers: 0,
  }));
  const p = { siteId, day, from: dayStart(day), to: dayStart(nextDay(day)) };
  const at = (h: unknown) => hours[num(h)];
  for (const r of await tx.all<{ h: number | string; n: number | string }>(
    `SELECT ${hourOf('at')} AS h, count(*) AS n FROM binding WHERE site_id = @siteId AND day = @day AND undone = 0 GROUP BY ${hourOf('at')}`,
    p,
  )) {
    const h = at(r.h);
    if (h) h.people += num(r.n);
  }
  for (const r of await tx.all<{ h: number | string; n: number | string; sealed: number | string; voided: number | string }>(
    `SELECT ${hourOf('opened_at')} AS h, count(*) AS n,
            sum(CASE WHEN state = 'sealed' THEN 1 ELSE 0 END) AS sealed, sum(CASE WHEN state = 'voided' THEN 1 ELSE 0 END) AS voided
     FROM tube WHERE site_id = @siteId AND day = @day GROUP BY ${hourOf('opened_at')}`,
    p,
  )) {
    const h = at(r.h);
    if (!h) continue;
    h.tubesOpened += num(r.n);
    h.tubesSealed += num(r.sealed);
    h.tubesVoided += num(r.voided);
  }
  for (const r of await tx.all<{ m: string; h: number | string; n: number | string }>(
    `SELECT 'sealed' AS m, ${hourOf('sealed_at')} AS h, count(*) AS n FROM box
       WHERE site_id = @siteId AND sealed_at >= @from AND sealed_at < @to GROUP BY ${hourOf('sealed_at')}
     UNION ALL
     SELECT 'handedOver' AS m, ${hourOf('handed_over_at')} AS h, count(*) AS n FROM box
       WHERE site_id = @siteId AND handed_over_at >= @from AND handed_over_at < @to GROUP BY ${hourOf('handed_over_at')}`,
    p,
  )) {
    const h = at(r.h);
    if (!h) continue;
    if (r.m === 'sealed') h.boxesSealed += num(r.n);
    else h.boxesHandedOver += num(r.n);
  }
  for (const r of await tx.all<{ hour: number | string; direction: string; n: number | string; fevers: number | string }>(
    `SELECT hour, direction, count(*) AS n, sum(CASE WHEN temperature = 'fever' THEN 1 ELSE 0 END) AS fevers
     FROM gate_passage WHERE site_id = @siteId AND day = @day GROUP BY hour, direction`,
    p,
  )) {
    const h = at(r.hour);
    if (!h) continue;
    if (r.direction === 'in') h.gateIn += num(r.n);
    else h.gateOut += num(r.n);
    h.fevers += num(r.fevers);
  }
  return { type: 'hq.siteDay', day, hours };
}

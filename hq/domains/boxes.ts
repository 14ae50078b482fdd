/**
 * Boxes at HQ (chain of custody, 装箱 → 转运): what a site's stations journal of their boxes
 * (`box.opened`, `box.tubeAdded`, `box.tubeRemoved`, `box.sealed`, `box.handedOver`), projected in
 * the batch's transaction into `box` and `box_tube`, and read back per site for the dashboard:
 * boxes in transit (handed over, not received at the lab) and their age, boxes not handed over,
 * sealed tubes in no box, and the lab's receipts that found a discrepancy.
 *
 * Exactly once: only records new to HQ reach here (a re-sent batch is recognised by (station, seq)
 * first), and each statement is idempotent as well: an entity's row HQ has is kept, a state only
 * moves forward (open → sealed → handedOver). Who carried a box (an operator, or a name and phone)
 * stays in the journal record only.
 */
import type { BoxStep } from '../ingest';
import { num, type Tx } from '../store/sql';
import { labReceipt, receiptFeedPayload, type LabTubeStatus } from './lab';

type Station = { id: string; siteId: string };

/** A batch's box steps, in journal order; inside the batch's transaction. */
export async function projectBoxes(tx: Tx, station: Station, steps: readonly BoxStep[]): Promise<void> {
  const base = { stationId: station.id, siteId: station.siteId };
  for (const s of steps) {
    switch (s.kind) {
      case 'opened':
        await tx.run(
          `INSERT INTO box (station_id, box_id, site_id, code, count, day, at, state, opened_at, capacity)
           VALUES (@stationId, @boxId, @siteId, @code, 0, @day, @at, 'open', @at, @capacity) ON CONFLICT DO NOTHING`,
          { ...base, boxId: s.boxId, code: s.code, day: s.day, at: s.at, capacity: s.capacity },
        );
        break;
      case 'tubeAdded':
        await tx.run(
          `INSERT INTO box_tube (station_id, entry_id, box_id, tube_id, tube_code, added_at)
           VALUES (@stationId, @entryId, @boxId, @tubeId, @tubeCode, @at) ON CONFLICT DO NOTHING`,
          { stationId: station.id, entryId: s.entryId, boxId: s.boxId, tubeId: s.tubeId, tubeCode: s.tubeCode, at: s.at },
        );
        break;
      case 'tubeRemoved':
        await tx.run(
          `UPDATE box_tube SET removed_at = @at, removed_reason = @reason
           WHERE station_id = @stationId AND entry_id = @entryId AND box_id = @boxId AND removed_at IS NULL`,
          { stationId: station.id, entryId: s.entryId, boxId: s.boxId, reason: s.reason, at: s.at },
        );
        break;
      case 'sealed':
        // A box HQ never saw opened (a station that journalled only its seal) is sealed all the same.
        await tx.run(
          `INSERT INTO box (station_id, box_id, site_id, code, count, day, at, state, sealed_at, person_count)
           VALUES (@stationId, @boxId, @siteId, @code, @count, @day, @at, 'sealed', @at, @personCount)
           ON CONFLICT (station_id, box_id) DO UPDATE SET state = 'sealed', count = excluded.count, day = excluded.day, at = excluded.at,
             sealed_at = excluded.sealed_at, person_count = excluded.person_count
           WHERE box.state = 'open'`,
          { ...base, boxId: s.boxId, code: s.code, count: s.count, day: s.day, at: s.at, personCount: s.personCount },
        );
        break;
      case 'handedOver':
        await tx.run(
          `INSERT INTO box (station_id, box_id, site_id, code, count, day, at, state, person_count, handed_over_at, handed_over_count)
           VALUES (@stationId, @boxId, @siteId, @code, @count, @day, @at, 'handedOver', @personCount, @at, @count)
           ON CONFLICT (station_id, box_id) DO UPDATE SET state = 'handedOver', handed_over_at = excluded.handed_over_at,
             handed_over_count = excluded.handed_over_count
           WHERE box.state <> 'handedOver'`,
          { ...base, boxId: s.boxId, code: s.code, count: s.tubeCount, day: s.day, at: s.at, personCount: s.personCount },
        );
        break;
    }
  }
}

// ---- the site's boxes on the dashboard ---------------------------------------------------------------

export type BoxState = 'open' | 'sealed' | 'handedOver';

type BoxOfSite = {
  stationId: string;
  stationNumber: number;
  stationName: string;
  boxId: string;
  code: string;
  state: BoxState;
  /** Tubes in it: as sealed, or (open) as the station has put in so far. */
  tubeCount: number;
  personCount: number | null;
  openedAt: string | null;
  sealedAt: string | null;
};

/** A box handed over and not (yet) received at the lab; `ageMinutes` since its hand-over. */
export type BoxInTransit = BoxOfSite & { handedOverAt: string; handedOverCount: number | null; ageMinutes: number; receiving: boolean };

/** A box opened or sealed and not handed over (as far as HQ knows): `receivedAt` when the lab has it all the same. */
export type BoxNotHandedOver = BoxOfSite & { ageMinutes: number; receivedAt: string | null };

export type LooseTube = { stationId: string; stationNumber: number; stationName: string; tubeId: string; code: string; count: number; openedAt: string; day: string };

export type ReceiptDiscrepancies = {
  receiptId: string;
  stationId: string;
  stationNumber: number;
  stationName: string;
  boxCode: string;
  boxState: BoxState;
  receivedAt: string;
  receivedBy: string;
  finishedAt: string;
  expected: number;
  received: number;
  missing: number;
  extra: number;
  broken: number;
  tubes: { tubeCode: string; status: Exclude<LabTubeStatus, 'received'>; reason: string }[];
};

export type SiteBoxes = {
  siteId: string;
  siteName: string;
  /** The first site day the loose tubes and receipts are taken from (`days` days up to today). */
  since: string;
  days: number;
  inTransit: BoxInTransit[];
  notHandedOver: BoxNotHandedOver[];
  looseTubes: { total: number; tubes: LooseTube[] };
  discrepancies: ReceiptDiscrepancies[];
};

/** Rows of each list on the page (the totals are always counted). */
export const SITE_BOXES_LIMIT = 500;

const minutesSince = (at: string | null, nowMs: number): number => (at ? Math.max(0, Math.floor((nowMs - Date.parse(at)) / 60_000)) : 0);

type BoxRow = {
  station_id: string;
  number: number | string;
  station_name: string;
  box_id: string;
  code: string;
  state: BoxState;
  count: number | string;
  person_count: number | string | null;
  opened_at: string | null;
  sealed_at: string | null;
  handed_over_at: string | null;
  handed_over_count: number | string | null;
  tubes_now: number | string;
  received_at: string | null;
  receiving: number | string;
};

function boxOfSite(r: BoxRow): BoxOfSite {
  return {
    stationId: r.station_id,
    stationNumber: num(r.number),
    stationName: r.station_name,
    boxId: r.box_id,
    code: r.code,
    state: r.state,
    tubeCount: r.state === 'open' ? num(r.tubes_now) : num(r.count),
    personCount: r.person_count === null ? null : num(r.person_count),
    openedAt: r.opened_at,
    sealedAt: r.sealed_at,
  };
}

const BOX_SELECT = `SELECT x.station_id, s.number, s.name AS station_name, x.box_id, x.code, x.state, x.count, x.person_count, x.opened_at, x.sealed_at,
    x.handed_over_at, x.handed_over_count,
    (SELECT count(*) FROM box_tube bt WHERE bt.station_id = x.station_id AND bt.box_id = x.box_id AND bt.removed_at IS NULL) AS tubes_now,
    (SELECT r.closed_at FROM lab_receipt r WHERE r.station_id = x.station_id AND r.box_id = x.box_id) AS received_at,
    (SELECT count(*) FROM lab_receipt r WHERE r.station_id = x.station_id AND r.box_id = x.box_id AND r.closed_at IS NULL) AS receiving
  FROM box x JOIN station s ON s.id = x.station_id`;

/** The site day `days - 1` days before `today` (YYYY-MM-DD). */
function dayBefore(today: string, days: number): string {
  return new Date(Date.parse(`${today}T00:00:00Z`) - (days - 1) * 86_400_000).toISOString().slice(0, 10);
}

/** A site's boxes as the dashboard shows them; null for a site HQ does not have. */
export async function siteBoxes(tx: Tx, siteId: string, opts: { now: number; today: string; days: number }): Promise<SiteBoxes | null> {
  const site = await tx.one<{ name: string }>('SELECT name FROM site WHERE id = @siteId', { siteId });
  if (!site) return null;
  const since = dayBefore(opts.today, opts.days);
  // The site's day starts at 00:00 UTC+8: receipts are taken from that moment on.
  const sinceAt = new Date(Date.parse(`${since}T00:00:00Z`) - 8 * 3600_000).toISOString();
  const transit = await tx.all<BoxRow>(
    `${BOX_SELECT} WHERE x.site_id = @siteId AND x.state = 'handedOver'
       AND NOT EXISTS (SELECT 1 FROM lab_receipt r WHERE r.station_id = x.station_id AND r.box_id = x.box_id AND r.closed_at IS NOT NULL)
     ORDER BY x.handed_over_at, x.station_id, x.box_id LIMIT ${SITE_BOXES_LIMIT}`,
    { siteId },
  );
  const pending = await tx.all<BoxRow>(
    `${BOX_SELECT} WHERE x.site_id = @siteId AND x.state IN ('open', 'sealed')
     ORDER BY coalesce(x.sealed_at, x.opened_at, x.at), x.station_id, x.box_id LIMIT ${SITE_BOXES_LIMIT}`,
    { siteId },
  );
  const looseWhere = `t.site_id = @siteId AND t.day >= @since AND t.state = 'sealed'
    AND NOT EXISTS (SELECT 1 FROM box_tube bt WHERE bt.station_id = t.station_id AND bt.tube_id = t.tube_id AND bt.removed_at IS NULL)`;
  const looseTotal = await tx.one<{ n: number | string }>(`SELECT count(*) AS n FROM tube t WHERE ${looseWhere}`, { siteId, since });
  const loose = await tx.all<{ station_id: string; number: number | string; name: string; tube_id: string; code: string; count: number | string; opened_at: string; day: string }>(
    `SELECT t.station_id, s.number, s.name, t.tube_id, t.code, t.count, t.opened_at, t.day FROM tube t JOIN station s ON s.id = t.station_id
     WHERE ${looseWhere} ORDER BY t.opened_at, t.station_id, t.tube_id LIMIT ${SITE_BOXES_LIMIT}`,
    { siteId, since },
  );
  const receipts = await tx.all<{ id: string }>(
    `SELECT r.id FROM lab_receipt r
     WHERE r.site_id = @siteId AND r.received_at >= @sinceAt AND r.closed_at IS NOT NULL
       AND EXISTS (SELECT 1 FROM lab_receipt_tube rt WHERE rt.receipt_id = r.id AND rt.status <> 'received')
     ORDER BY r.received_at DESC, r.id LIMIT ${SITE_BOXES_LIMIT}`,
    { siteId, sinceAt },
  );
  const discrepancies: ReceiptDiscrepancies[] = [];
  for (const { id } of receipts) {
    const r = await labReceipt(tx, id);
    if (!r) continue;
    discrepancies.push({
      receiptId: r.receiptId,
      stationId: r.stationId,
      stationNumber: r.stationNumber,
      stationName: r.stationName,
      boxCode: r.boxCode,
      boxState: r.boxState,
      receivedAt: r.receivedAt,
      receivedBy: r.receivedBy,
      finishedAt: r.finishedAt ?? r.receivedAt,
      expected: r.counts.expected,
      received: r.counts.received,
      missing: r.counts.missing,
      extra: r.counts.extra,
      broken: r.counts.broken,
      tubes: receiptFeedPayload(r).discrepancies,
    });
  }
  return {
    siteId,
    siteName: site.name,
    since,
    days: opts.days,
    inTransit: transit.map((r) => ({
      ...boxOfSite(r),
      handedOverAt: r.handed_over_at ?? '',
      handedOverCount: r.handed_over_count === null ? null : num(r.handed_over_count),
      ageMinutes: minutesSince(r.handed_over_at, opts.now),
      receiving: num(r.receiving) > 0,
    })),
    notHandedOver: pending.map((r) => ({ ...boxOfSite(r), ageMinutes: minutesSince(r.sealed_at ?? r.opened_at, opts.now), receivedAt: r.received_at })),
    looseTubes: {
      total: num(looseTotal?.n),
      tubes: loose.map((t) => ({ stationId: t.station_id, stationNumber: num(t.number), stationName: t.name, tubeId: t.tube_id, code: t.code, count: num(t.count), openedAt: t.opened_at, day: t.day })),
    },
    discrepancies,
  };
}

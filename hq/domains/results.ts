/**
 * Lab results posted at HQ. A result is for one tube: the only tube under its code, or the one
 * HQ's staff chose when the code was opened at two stations; it is refused while that choice is
 * still to be made. Re-test tasks and the feed item name that tube, so only its members are
 * asked back.
 *
 * One result posted by staff and a lab's file or request of thousands go through the same
 * writer (`writeResults`): the results, the re-test tasks of positive pools and the feed items,
 * a few statements per few thousand results rather than several per result.
 */
import type { TubeResult } from '../protocol';
import type { ResultOutcome } from '../store/types';
import type { InsertColumn, Tx } from '../store/sql';
import { resultTarget } from './conflicts';
import { addFeeds } from './feed';

/** One open re-test task per current member of a positive pooled tube (`stationId`/`tubeId`: that tube only). */
export async function createRetestTasks(tx: Tx, input: { tubeCode: string; at: string; stationId: string | null; tubeId: string | null }): Promise<void> {
  const which = input.stationId && input.tubeId ? 'AND b.station_id = @stationId AND b.tube_id = @tubeId' : '';
  await tx.run(
    `INSERT INTO retest_task (tube_code, person_key, site_id, created_at)
     SELECT DISTINCT b.tube_code, p.person_key, b.site_id, @at FROM binding b
     JOIN person p ON p.station_id = b.station_id AND p.person_id = b.person_id
     WHERE b.tube_code = @tubeCode AND b.undone = 0 ${which}
     ON CONFLICT DO NOTHING`,
    { at: input.at, tubeCode: input.tubeCode, stationId: input.stationId, tubeId: input.tubeId },
  );
}

/** A result about to be written, for the tube HQ found for its code. */
export type NewResult = {
  tubeCode: string;
  result: TubeResult;
  stationId: string;
  tubeId: string;
  siteId: string;
  /** The lab's time of the test (imports); null when staff posted it. */
  testedAt: string | null;
  lab: string | null;
  importId: string | null;
  rowNo: number | null;
  /** No lab receipt held the tube as arrived when the result was posted. */
  notReceived: boolean;
};

/** Positive tubes per statement. */
const CHUNK = 5_000;

/**
 * Writes results posted at `at`, each for its tube: the result rows, one open re-test task per
 * member of each positive pooled tube, and a `tube.result` feed item per result for its site's
 * stations (the payload stations read today). The caller has checked every row.
 */
export async function writeResults(tx: Tx, rows: readonly NewResult[], at: string): Promise<void> {
  await insertResults(tx, rows, at);
  const positives = rows.filter((r) => r.result === 'positive');
  for (let i = 0; i < positives.length; i += CHUNK) await createRetestTasksOf(tx, positives.slice(i, i + CHUNK), at);
  await addFeeds(
    tx,
    rows.map((r) => ({
      siteId: r.siteId,
      stationId: null,
      kind: 'tube.result',
      payload: JSON.stringify({ tubeCode: r.tubeCode, result: r.result, at, stationId: r.stationId, tubeId: r.tubeId }),
      at,
    })),
  );
}

const RESULT_COLUMNS: readonly InsertColumn[] = [
  ['tube_code', 'text'],
  ['result', 'text'],
  ['at', 'text'],
  ['station_id', 'text'],
  ['tube_id', 'text'],
  ['tested_at', 'text'],
  ['lab', 'text'],
  ['import_id', 'text'],
  ['row_no', 'int'],
  ['not_received', 'int'],
];

async function insertResults(tx: Tx, rows: readonly NewResult[], at: string): Promise<void> {
  await tx.insertRows(
    'result',
    RESULT_COLUMNS,
    rows.map((r) => [r.tubeCode, r.result, at, r.stationId, r.tubeId, r.testedAt, r.lab, r.importId, r.rowNo, r.notReceived ? 1 : 0]),
  );
}

/** `createRetestTasks` for many positive tubes at once, each its own tube only. */
async function createRetestTasksOf(tx: Tx, positives: readonly NewResult[], at: string): Promise<void> {
  if (tx.dialect === 'postgres') {
    await tx.run(
      `INSERT INTO retest_task (tube_code, person_key, site_id, created_at)
       SELECT DISTINCT b.tube_code, p.person_key, b.site_id, @at FROM unnest(@codes::text[], @stations::text[], @tubes::text[]) AS u(code, station_id, tube_id)
       JOIN binding b ON b.tube_code = u.code AND b.station_id = u.station_id AND b.tube_id = u.tube_id AND b.undone = 0
       JOIN person p ON p.station_id = b.station_id AND p.person_id = b.person_id
       ON CONFLICT DO NOTHING`,
      { at, codes: positives.map((r) => r.tubeCode), stations: positives.map((r) => r.stationId), tubes: positives.map((r) => r.tubeId) },
    );
    return;
  }
  await tx.run(
    `INSERT INTO retest_task (tube_code, person_key, site_id, created_at)
     SELECT DISTINCT b.tube_code, p.person_key, b.site_id, @at FROM json_each(@tubes) AS u
     JOIN binding b ON b.tube_code = u.value ->> 0 AND b.station_id = u.value ->> 1 AND b.tube_id = u.value ->> 2 AND b.undone = 0
     JOIN person p ON p.station_id = b.station_id AND p.person_id = b.person_id
     WHERE true ON CONFLICT DO NOTHING`,
    { at, tubes: JSON.stringify(positives.map((r) => [r.tubeCode, r.stationId, r.tubeId])) },
  );
}

export async function postResult(tx: Tx, r: { tubeCode: string; result: TubeResult; at: string }): Promise<ResultOutcome> {
  const target = await resultTarget(tx, r.tubeCode);
  if (target.kind === 'unknown') return { ok: false, error: 'tube.unknown' };
  if (target.kind === 'ambiguous') return { ok: false, error: 'tube.ambiguous', stations: target.tubes.map((t) => t.stationName) };
  await writeResults(
    tx,
    [
      {
        tubeCode: r.tubeCode,
        result: r.result,
        stationId: target.stationId,
        tubeId: target.tubeId,
        siteId: target.siteId,
        testedAt: null,
        lab: null,
        importId: null,
        rowNo: null,
        notReceived: false,
      },
    ],
    r.at,
  );
  return { ok: true, sites: [target.siteId] };
}

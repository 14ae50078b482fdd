/**
 * Lab results posted at HQ. A result is for one tube: the only tube under its code, or the one
 * HQ's staff chose when the code was opened at two stations; it is refused while that choice is
 * still to be made. Re-test tasks and the feed item name that tube, so only its members are
 * asked back.
 */
import type { TubeResult } from '../protocol';
import type { ResultOutcome } from '../store/types';
import type { Tx } from '../store/sql';
import { resultTarget } from './conflicts';
import { addFeed } from './feed';

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

export async function postResult(tx: Tx, r: { tubeCode: string; result: TubeResult; at: string }): Promise<ResultOutcome> {
  const target = await resultTarget(tx, r.tubeCode);
  if (target.kind === 'unknown') return { ok: false, error: 'tube.unknown' };
  if (target.kind === 'ambiguous') return { ok: false, error: 'tube.ambiguous', stations: target.tubes.map((t) => t.stationName) };
  await tx.run('INSERT INTO result (tube_code, result, at, station_id, tube_id) VALUES (@tubeCode, @result, @at, @stationId, @tubeId)', {
    tubeCode: r.tubeCode,
    result: r.result,
    at: r.at,
    stationId: target.stationId,
    tubeId: target.tubeId,
  });
  if (r.result === 'positive') await createRetestTasks(tx, { tubeCode: r.tubeCode, at: r.at, stationId: target.stationId, tubeId: target.tubeId });
  const payload = JSON.stringify({ tubeCode: r.tubeCode, result: r.result, at: r.at, stationId: target.stationId, tubeId: target.tubeId });
  await addFeed(tx, { siteId: target.siteId, stationId: null, kind: 'tube.result', payload, at: r.at });
  return { ok: true, sites: [target.siteId] };
}

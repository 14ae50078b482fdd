import type { StationDatabase } from '../db/database';

/**
 * Home isolation's part of retention (`core/retention`): who was in an isolation (ID number, name),
 * its household and reason, and an end's reason, once the isolation closed (ended, or its last
 * day over) before the retention period and HQ holds its record (journalled here and confirmed, or
 * received through HQ's feed). What stays: every isolation, its days, its end, its readings
 * (which name the person by their id in the isolation only). Returns the rows changed.
 */
export function purgeIsolationPersonalData(db: StationDatabase, through: number, olderThan: string): number {
  const closed = `(i.origin = 'feed' OR i.seq <= @through) AND (i.until_day < substr(@olderThan, 1, 10)
    OR EXISTS (SELECT 1 FROM isolation_end e WHERE e.isolation_id = i.id AND e.at < @olderThan))`;
  const params = { through, olderThan };
  return (
    db
      .prepare(
        `UPDATE isolation_person SET id_number = NULL, name = '' WHERE id_number IS NOT NULL
           AND isolation_id IN (SELECT i.id FROM isolation i WHERE ${closed})`,
      )
      .run(params).changes +
    db.prepare(`UPDATE isolation AS i SET household = '', reason = '' WHERE (household != '' OR reason != '') AND ${closed}`).run(params).changes +
    db
      .prepare(
        `UPDATE isolation_end SET reason = '' WHERE reason != '' AND at < @olderThan AND (origin = 'feed' OR seq <= @through)`,
      )
      .run(params).changes
  );
}

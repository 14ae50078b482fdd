import type { StationDatabase } from '../db/database';

/**
 * Door to door's part of retention (`core/retention`): a visit's room (with its building and
 * unit, an address) and a refusal's reason (what the resident said), once the visit is older than
 * the retention period and HQ holds its journal entry (confirmed). What stays: the visit, its
 * building and unit, outcome, time, temperature, tube and binding, so the round's counts per
 * building stay. The same for visits at the site's other stations HQ relayed here. Returns the rows changed.
 */
export function purgeDoorPersonalData(db: StationDatabase, through: number, olderThan: string): number {
  const here = db
    .prepare(
      `UPDATE door_visit SET room = '', reason = CASE WHEN reason IS NULL THEN NULL ELSE '' END
       WHERE (room != '' OR coalesce(reason, '') != '') AND at < @olderThan AND seq <= @through`,
    )
    .run({ through, olderThan }).changes;
  // Another station's visit, relayed by HQ, is HQ's already: past the period it goes as it came.
  const elsewhere = db
    .prepare(
      `UPDATE door_visit_remote SET room = '', reason = CASE WHEN reason IS NULL THEN NULL ELSE '' END
       WHERE (room != '' OR coalesce(reason, '') != '') AND at < @olderThan`,
    )
    .run({ olderThan }).changes;
  return here + elsewhere;
}

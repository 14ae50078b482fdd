import type { StationDatabase } from '../db/database';

/**
 * Resident passes' part of retention (`core/retention`): a pass's holder (ID number, name) and
 * household, and a revocation's reason, once the pass has expired before the retention period and
 * HQ holds its record (journalled here and confirmed, or received through HQ's feed). What stays:
 * every pass and revocation, its code, times and state (a pass scanned after that is still refused
 * as revoked or expired). Returns the rows changed.
 */
export function purgePassPersonalData(db: StationDatabase, through: number, olderThan: string): number {
  const params = { through, olderThan };
  return (
    db
      .prepare(
        `UPDATE resident_pass SET id_number = NULL, name = '', household = ''
         WHERE id_number IS NOT NULL AND valid_until < @olderThan AND (origin = 'feed' OR seq <= @through)`,
      )
      .run(params).changes +
    db
      .prepare(
        `UPDATE resident_pass_revocation SET reason = '' WHERE reason != '' AND at < @olderThan AND (origin = 'feed' OR seq <= @through)
           AND NOT EXISTS (SELECT 1 FROM resident_pass p WHERE p.id = resident_pass_revocation.pass_id AND p.valid_until >= @olderThan)`,
      )
      .run(params).changes
  );
}

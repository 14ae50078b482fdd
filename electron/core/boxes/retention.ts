import type { StationDatabase } from '../db/database';

/**
 * Boxes' part of retention (`core/retention`): the name and phone of a transporter recorded by
 * name, once the box was handed over before the retention period and HQ holds its hand-over
 * (journalled here and confirmed). What stays: the box, its tubes, counts, times and states, and a
 * transporter who is an operator (staff: who did what stays on record). Returns the rows changed.
 */
export function purgeBoxPersonalData(db: StationDatabase, through: number, olderThan: string): number {
  return db
    .prepare(
      `UPDATE box SET transporter_name = '', transporter_phone = ''
       WHERE (transporter_name != '' OR transporter_phone != '') AND handed_over_at < @olderThan AND handed_over_seq <= @through`,
    )
    .run({ through, olderThan }).changes;
}

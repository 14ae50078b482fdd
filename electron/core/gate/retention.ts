import type { StationDatabase } from '../db/database';

/**
 * The gate's part of retention (`core/retention`): a passage's household and the key-person
 * lists' reasons, and staff's notes on referrals and key-person actions, once HQ has confirmed
 * them and the retention period has passed; a visit's phone, household and reason, and a vehicle
 * passage's plate, driver and driver's phone, alike. What stays: every record, its times, direction,
 * verdict, readings and counts (a key person's passage still counts as one, a visit its stay, a
 * vehicle its passengers and purpose). Returns the rows changed.
 */
export function purgeGatePersonalData(db: StationDatabase, through: number, olderThan: string): number {
  const params = { through, olderThan };
  return (
    db
      .prepare(
        `UPDATE gate_passage SET household = NULL, key_person = CASE WHEN key_person IS NULL THEN NULL ELSE '{"lists":[],"roster":false}' END
         WHERE (household IS NOT NULL OR key_person != '{"lists":[],"roster":false}') AND seq <= @through AND at < @olderThan`,
      )
      .run(params).changes +
    db.prepare(`UPDATE gate_referral SET note = '' WHERE note != '' AND seq <= @through AND at < @olderThan`).run(params).changes +
    db.prepare(`UPDATE gate_key_person_action SET note = '' WHERE note != '' AND seq <= @through AND at < @olderThan`).run(params).changes +
    db
      .prepare(`UPDATE gate_visit SET phone = NULL, household = NULL, reason = '' WHERE (phone IS NOT NULL OR household IS NOT NULL OR reason != '') AND seq <= @through AND at < @olderThan`)
      .run(params).changes +
    db
      .prepare(`UPDATE gate_vehicle_passage SET plate = '', driver = '', driver_phone = NULL WHERE (plate != '' OR driver != '' OR driver_phone IS NOT NULL) AND seq <= @through AND at < @olderThan`)
      .run(params).changes
  );
}

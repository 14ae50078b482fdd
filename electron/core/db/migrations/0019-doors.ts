import type { Migration } from './index';

/**
 * Schema 19: door to door (入户采样).
 *
 * - `door_group`: a "1 + N" group formed at this station for a round (`door.groupAssigned`).
 * - `door_assignment`: what the group was given, each time it was (journalled, `seq`): its name,
 *   information collector and helpers (operators), its buildings or units of the roster (`areas`,
 *   JSON `[{ building, unit }]`, unit null for the whole building) and whom it samples there
 *   (`tags`, the roster's tag bits; 0: everyone). The latest row is the group's; earlier rows stay.
 * - `door_visit`: an outcome at a household's door (`door.visit`): a person sampled (`binding_id`,
 *   the desk's binding it made, and its tube), a person (`person_id`) or the whole household
 *   (`person_id` NULL) not home (`revisit_at`: when to come back, if said) or refusing (`reason`);
 *   `temperature_c` when one was taken. Never changed but by retention.
 *   Personal data: `room` (with building and unit, an address) and `reason` (what a resident said).
 * - `door_visit_remote`: visits at the site's other stations, relayed by HQ's feed (`door.visit`):
 *   the person by mark (NULL: the whole household), the station's name, kept as they came (no
 *   reference to this station's rounds or people: the feed never fails on one).
 */
export const migration0019: Migration = {
  version: 19,
  name: 'doors',
  up(db) {
    db.exec(`
      CREATE TABLE door_group (
        id TEXT PRIMARY KEY,
        round_id TEXT NOT NULL REFERENCES round(id),
        station_id TEXT NOT NULL REFERENCES station(id),
        operator_id TEXT NOT NULL REFERENCES operator(id),
        created_at TEXT NOT NULL,
        seq INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX door_group_round ON door_group(round_id, seq);

      CREATE TABLE door_assignment (
        id TEXT PRIMARY KEY,
        group_id TEXT NOT NULL REFERENCES door_group(id),
        name TEXT NOT NULL,
        collector_id TEXT NOT NULL REFERENCES operator(id),
        helper_ids TEXT NOT NULL CHECK (json_valid(helper_ids)),
        areas TEXT NOT NULL CHECK (json_valid(areas)),
        tags INTEGER NOT NULL CHECK (tags BETWEEN 0 AND 7),
        operator_id TEXT NOT NULL REFERENCES operator(id),
        at TEXT NOT NULL,
        seq INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX door_assignment_group ON door_assignment(group_id, seq);

      CREATE TABLE door_visit (
        id TEXT PRIMARY KEY,
        group_id TEXT NOT NULL REFERENCES door_group(id),
        round_id TEXT NOT NULL REFERENCES round(id),
        building TEXT NOT NULL,
        unit TEXT NOT NULL,
        room TEXT NOT NULL,
        person_id TEXT REFERENCES person(id),
        outcome TEXT NOT NULL CHECK (outcome IN ('sampled', 'notHome', 'refused')),
        reason TEXT,
        revisit_at TEXT,
        temperature_c REAL CHECK (temperature_c IS NULL OR temperature_c BETWEEN 30 AND 45),
        binding_id TEXT REFERENCES binding(id),
        tube_code TEXT,
        station_id TEXT NOT NULL REFERENCES station(id),
        operator_id TEXT NOT NULL REFERENCES operator(id),
        at TEXT NOT NULL,
        seq INTEGER NOT NULL,
        CHECK ((outcome = 'sampled') = (binding_id IS NOT NULL)),
        CHECK (outcome != 'sampled' OR person_id IS NOT NULL),
        CHECK (outcome != 'refused' OR reason IS NOT NULL)
      ) STRICT;
      CREATE INDEX door_visit_household ON door_visit(round_id, building, unit, room, seq);
      CREATE INDEX door_visit_person ON door_visit(person_id) WHERE person_id IS NOT NULL;

      CREATE TABLE door_visit_remote (
        id TEXT PRIMARY KEY,
        round_id TEXT NOT NULL,
        station_id TEXT NOT NULL,
        station_name TEXT NOT NULL,
        building TEXT NOT NULL,
        unit TEXT NOT NULL,
        room TEXT NOT NULL,
        mark TEXT,
        outcome TEXT NOT NULL CHECK (outcome IN ('sampled', 'notHome', 'refused')),
        reason TEXT,
        revisit_at TEXT,
        at TEXT NOT NULL,
        feed_cursor INTEGER NOT NULL,
        received_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX door_visit_remote_household ON door_visit_remote(round_id, building, unit, room);
      CREATE INDEX door_visit_remote_mark ON door_visit_remote(round_id, mark) WHERE mark IS NOT NULL;
    `);
  },
};

import type { Migration } from './index';

/**
 * Schema 15: the gate's visitors (访客登记) and its vehicle lane (车辆通道).
 *
 * - `gate_visit`: an outsider registered at the gate on their way in: the passage they entered by
 *   (`gate_passage`, subject visitor), whom they visit (`household`, on the roster in use), why,
 *   the phone they gave, until when they expect to stay; once they leave, the passage they left by,
 *   when and how long they stayed (and who recorded it). `day` and `hour` are the site's (UTC+8) at
 *   entry, for the counts. Personal data: `phone`, `household`, `reason` (with `person` and the journal).
 * - `gate_vehicle_passage`: a vehicle through the vehicle lane, in or out: its plate (normalised,
 *   with its kind), driver, passengers counted, purpose; a vehicle leaving names the entry it
 *   leaves from (`entry_id`, the latest entry of its plate not yet left), one exit per entry.
 *   Personal data: `plate`, `driver`, `driver_phone`.
 * Operators are NULL where the station wrote on its own, as in schema 13.
 */
export const migration0015: Migration = {
  version: 15,
  name: 'gate-visitors-vehicles',
  up(db) {
    db.exec(`
      CREATE TABLE gate_visit (
        id TEXT PRIMARY KEY,
        person_id TEXT NOT NULL REFERENCES person(id),
        entry_passage_id TEXT NOT NULL UNIQUE REFERENCES gate_passage(id),
        phone TEXT,
        reason TEXT NOT NULL,
        household TEXT,
        expected_until TEXT NOT NULL,
        station_id TEXT NOT NULL REFERENCES station(id),
        operator_id TEXT REFERENCES operator(id),
        at TEXT NOT NULL,
        day TEXT NOT NULL,
        hour INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
        seq INTEGER NOT NULL,
        exit_passage_id TEXT UNIQUE REFERENCES gate_passage(id),
        left_at TEXT,
        stayed_minutes INTEGER CHECK (stayed_minutes >= 0),
        left_operator_id TEXT REFERENCES operator(id),
        left_seq INTEGER,
        CHECK ((left_at IS NULL) = (exit_passage_id IS NULL) AND (left_at IS NULL) = (left_seq IS NULL))
      ) STRICT;
      CREATE INDEX gate_visit_open ON gate_visit(person_id) WHERE left_at IS NULL;
      CREATE INDEX gate_visit_day ON gate_visit(day, hour);
      CREATE INDEX gate_visit_seq ON gate_visit(seq);

      CREATE TABLE gate_vehicle_passage (
        id TEXT PRIMARY KEY,
        plate TEXT NOT NULL,
        plate_kind TEXT NOT NULL CHECK (plate_kind IN ('standard', 'newEnergy', 'other')),
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        driver TEXT NOT NULL,
        driver_phone TEXT,
        passengers INTEGER NOT NULL CHECK (passengers BETWEEN 0 AND 60),
        purpose TEXT NOT NULL,
        entry_id TEXT REFERENCES gate_vehicle_passage(id),
        station_id TEXT NOT NULL REFERENCES station(id),
        operator_id TEXT REFERENCES operator(id),
        at TEXT NOT NULL,
        day TEXT NOT NULL,
        hour INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
        seq INTEGER NOT NULL,
        CHECK (entry_id IS NULL OR direction = 'out')
      ) STRICT;
      CREATE UNIQUE INDEX gate_vehicle_exit ON gate_vehicle_passage(entry_id) WHERE entry_id IS NOT NULL;
      CREATE INDEX gate_vehicle_plate ON gate_vehicle_passage(plate, seq);
      CREATE INDEX gate_vehicle_day ON gate_vehicle_passage(day, hour);
      CREATE INDEX gate_vehicle_at ON gate_vehicle_passage(at);
      CREATE INDEX gate_vehicle_seq ON gate_vehicle_passage(seq);
    `);
  },
};

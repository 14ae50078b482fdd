import type { Migration } from './index';

/**
 * Schema 17: boxes of sealed tubes and their hand-over to a transporter (装箱, 样本转运).
 *
 * - `box`: a box opened here by its code (unique), with the capacity it was opened with; sealed
 *   (`sealed_*`, its tube and person counts then) and handed over (`handed_over_*`: the transporter
 *   as an operator of the site, or by name and phone, the count they confirmed, a cold-chain
 *   note). Its state only moves forward: open → sealed → handedOver. Each step is journalled (`*_seq`).
 *   Personal data: `transporter_name`, `transporter_phone` (someone recorded by name).
 * - `box_tube`: a tube put in a box (journalled `box.tubeAdded`, `seq`); taken out again with a
 *   reason (`removed_*`, `box.tubeRemoved`): the row stays. A tube is in one box at most at a time.
 */
export const migration0017: Migration = {
  version: 17,
  name: 'boxes',
  up(db) {
    db.exec(`
      CREATE TABLE box (
        id TEXT PRIMARY KEY,
        code TEXT NOT NULL UNIQUE,
        state TEXT NOT NULL CHECK (state IN ('open', 'sealed', 'handedOver')),
        capacity INTEGER NOT NULL CHECK (capacity > 0),
        station_id TEXT NOT NULL REFERENCES station(id),
        operator_id TEXT NOT NULL REFERENCES operator(id),
        opened_at TEXT NOT NULL,
        seq INTEGER NOT NULL,
        sealed_at TEXT,
        sealed_by TEXT REFERENCES operator(id),
        sealed_seq INTEGER,
        tube_count INTEGER,
        person_count INTEGER,
        handed_over_at TEXT,
        handed_over_by TEXT REFERENCES operator(id),
        handed_over_seq INTEGER,
        transporter_operator_id TEXT REFERENCES operator(id),
        transporter_name TEXT,
        transporter_phone TEXT,
        confirmed_count INTEGER,
        cold_chain_note TEXT,
        CHECK (state = 'open' OR sealed_at IS NOT NULL),
        CHECK (state != 'handedOver' OR handed_over_at IS NOT NULL)
      ) STRICT;
      CREATE INDEX box_station_state ON box(station_id, state, seq);

      CREATE TABLE box_tube (
        id TEXT PRIMARY KEY,
        box_id TEXT NOT NULL REFERENCES box(id),
        tube_id TEXT NOT NULL REFERENCES tube(id),
        operator_id TEXT NOT NULL REFERENCES operator(id),
        at TEXT NOT NULL,
        seq INTEGER NOT NULL,
        removed_at TEXT,
        removed_by TEXT REFERENCES operator(id),
        removed_reason TEXT,
        removed_seq INTEGER,
        CHECK ((removed_at IS NULL) = (removed_reason IS NULL))
      ) STRICT;
      CREATE UNIQUE INDEX box_tube_current ON box_tube(tube_id) WHERE removed_at IS NULL;
      CREATE INDEX box_tube_box ON box_tube(box_id, seq);
    `);
  },
};

import type { Migration } from './index';

/**
 * The first schema. Every row says which station and operator made it, and when: `at` is the
 * wall clock (ISO 8601, UTC, ms) and `seq` the station journal's sequence number of the entry
 * that created it, a monotonic order that survives clock changes. Nothing is deleted: voiding a
 * tube or undoing a binding adds a `correction` row and marks the target with it.
 *
 * Personal data lives in exactly two places: `person` and the payloads of `person.registered`
 * journal entries (HQ must receive who was sampled).
 */
export const migration0001: Migration = {
  version: 1,
  name: 'initial',
  up(db) {
    db.exec(`
      CREATE TABLE site (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        config TEXT NOT NULL,
        at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE station (
        id TEXT PRIMARY KEY,
        site_id TEXT NOT NULL REFERENCES site(id),
        name TEXT NOT NULL,
        number INTEGER NOT NULL CHECK (number BETWEEN 0 AND 999),
        is_local INTEGER NOT NULL DEFAULT 0 CHECK (is_local IN (0, 1)),
        at TEXT NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX station_single_local ON station(is_local) WHERE is_local = 1;

      CREATE TABLE operator (
        id TEXT PRIMARY KEY,
        station_id TEXT NOT NULL REFERENCES station(id),
        code TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('collector', 'sampler', 'gatekeeper', 'admin', 'transporter')),
        badge TEXT UNIQUE,
        at TEXT NOT NULL,
        seq INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE round (
        id TEXT PRIMARY KEY,
        site_id TEXT NOT NULL REFERENCES site(id),
        name TEXT NOT NULL,
        started_at TEXT NOT NULL,
        closed_at TEXT,
        station_id TEXT NOT NULL REFERENCES station(id),
        operator_id TEXT NOT NULL REFERENCES operator(id),
        seq INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE person (
        id TEXT PRIMARY KEY,
        person_key TEXT NOT NULL UNIQUE,
        id_number TEXT,
        reg_code TEXT,
        name TEXT,
        phone TEXT,
        source_format TEXT NOT NULL,
        station_id TEXT NOT NULL REFERENCES station(id),
        operator_id TEXT NOT NULL REFERENCES operator(id),
        at TEXT NOT NULL,
        seq INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE tube (
        id TEXT PRIMARY KEY,
        code TEXT NOT NULL UNIQUE,
        capacity INTEGER NOT NULL CHECK (capacity IN (1, 5, 10, 20)),
        state TEXT NOT NULL CHECK (state IN ('open', 'sealed', 'voided')),
        round_id TEXT NOT NULL REFERENCES round(id),
        station_id TEXT NOT NULL REFERENCES station(id),
        operator_id TEXT NOT NULL REFERENCES operator(id),
        opened_at TEXT NOT NULL,
        sealed_at TEXT,
        seal_cause TEXT CHECK (seal_cause IN ('capacity', 'next-tube', 'manual')),
        void_correction_id TEXT,
        seq INTEGER NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX tube_single_open_per_station ON tube(station_id) WHERE state = 'open';
      CREATE INDEX tube_station_recent ON tube(station_id, seq);

      CREATE TABLE binding (
        id TEXT PRIMARY KEY,
        tube_id TEXT NOT NULL REFERENCES tube(id),
        person_id TEXT NOT NULL REFERENCES person(id),
        round_id TEXT NOT NULL REFERENCES round(id),
        repeat_confirmed INTEGER NOT NULL DEFAULT 0 CHECK (repeat_confirmed IN (0, 1)),
        undo_correction_id TEXT,
        station_id TEXT NOT NULL REFERENCES station(id),
        operator_id TEXT NOT NULL REFERENCES operator(id),
        at TEXT NOT NULL,
        seq INTEGER NOT NULL
      ) STRICT;
      CREATE UNIQUE INDEX binding_active_person_tube ON binding(tube_id, person_id) WHERE undo_correction_id IS NULL;
      CREATE INDEX binding_tube ON binding(tube_id, seq);
      CREATE INDEX binding_person_round ON binding(person_id, round_id);

      CREATE TABLE correction (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('binding.undo', 'tube.void')),
        target_id TEXT NOT NULL,
        reason TEXT NOT NULL CHECK (length(reason) > 0),
        station_id TEXT NOT NULL REFERENCES station(id),
        operator_id TEXT NOT NULL REFERENCES operator(id),
        at TEXT NOT NULL,
        seq INTEGER NOT NULL
      ) STRICT;

      -- The append-only journal: what HQ receives, exactly once, in order. seq is contiguous
      -- per station (one writer, computed inside the same transaction as the change).
      CREATE TABLE journal (
        seq INTEGER PRIMARY KEY,
        station_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        entity_id TEXT NOT NULL,
        operator_id TEXT NOT NULL,
        at TEXT NOT NULL,
        payload TEXT NOT NULL
      ) STRICT;
      CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
        BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END;
      CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
        BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END;

      CREATE TABLE setting (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;
    `);
  },
};

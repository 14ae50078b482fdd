import type { Migration } from './index';

/**
 * Schema 13: the gate checkpoint (卡点).
 *
 * - `gate_passage`: a person through the gate, in or out, with what the checks at the scan found
 *   (resident of which household, key person, the entry rule, HQ's results) and its verdict; the
 *   person is a `person` row, like anyone sampled. `temperature` follows its readings. `day` and
 *   `hour` are the site's (UTC+8), for the counts. Personal data: `household` and `key_person`
 *   (the lists' reasons), with `person` and the journal.
 * - `gate_reading`: every thermometer reading the gate took, attached to a passage or not (`match`
 *   says how, or why not), with the threshold that applied; a re-measure is a second row, never
 *   an overwrite.
 * - `gate_referral`: where a person with a confirmed fever was sent, who took them; one per passage.
 * - `gate_key_person_action`: what the gate keeper did about a key person.
 * - `round_mark(mark, at)`: "sampled within N hours" asks for a person's latest mark in any round.
 * Operators are NULL where the station wrote on its own (a reading arriving while the screen was locked).
 */
export const migration0013: Migration = {
  version: 13,
  name: 'gate',
  up(db) {
    db.exec(`
      CREATE TABLE gate_passage (
        id TEXT PRIMARY KEY,
        subject TEXT NOT NULL CHECK (subject IN ('person', 'visitor', 'pass')),
        person_id TEXT NOT NULL REFERENCES person(id),
        format TEXT NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        residency TEXT NOT NULL CHECK (residency IN ('resident', 'outsider', 'unknown')),
        household TEXT,
        resident_tags INTEGER NOT NULL DEFAULT 0,
        key_person TEXT,
        rule TEXT NOT NULL,
        results TEXT NOT NULL,
        temperature TEXT NOT NULL CHECK (temperature IN ('awaiting', 'notRequired', 'normal', 'remeasure', 'fever')),
        temperature_required INTEGER NOT NULL CHECK (temperature_required IN (0, 1)),
        threshold_c REAL NOT NULL,
        level TEXT NOT NULL CHECK (level IN ('pass', 'check', 'stop')),
        station_id TEXT NOT NULL REFERENCES station(id),
        operator_id TEXT REFERENCES operator(id),
        at TEXT NOT NULL,
        day TEXT NOT NULL,
        hour INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
        seq INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX gate_passage_seq ON gate_passage(seq);
      CREATE INDEX gate_passage_day ON gate_passage(day, hour);
      CREATE INDEX gate_passage_at ON gate_passage(at);
      CREATE INDEX gate_passage_person ON gate_passage(person_id, at);

      CREATE TABLE gate_reading (
        id TEXT PRIMARY KEY,
        passage_id TEXT REFERENCES gate_passage(id),
        celsius REAL NOT NULL,
        measured_at TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('thermometer', 'manual')),
        device_id TEXT,
        threshold_c REAL NOT NULL,
        high INTEGER NOT NULL CHECK (high IN (0, 1)),
        match TEXT NOT NULL CHECK (match IN ('auto', 'manual', 'ambiguous', 'unmatched', 'stale')),
        station_id TEXT NOT NULL REFERENCES station(id),
        operator_id TEXT REFERENCES operator(id),
        at TEXT NOT NULL,
        seq INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX gate_reading_passage ON gate_reading(passage_id, seq);

      CREATE TABLE gate_referral (
        id TEXT PRIMARY KEY,
        passage_id TEXT NOT NULL UNIQUE REFERENCES gate_passage(id),
        destination TEXT NOT NULL,
        escort TEXT NOT NULL,
        note TEXT NOT NULL,
        station_id TEXT NOT NULL REFERENCES station(id),
        operator_id TEXT REFERENCES operator(id),
        at TEXT NOT NULL,
        seq INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE gate_key_person_action (
        id TEXT PRIMARY KEY,
        passage_id TEXT NOT NULL REFERENCES gate_passage(id),
        action TEXT NOT NULL CHECK (action IN ('admitted', 'turnedBack', 'reported', 'escorted', 'other')),
        note TEXT NOT NULL,
        station_id TEXT NOT NULL REFERENCES station(id),
        operator_id TEXT REFERENCES operator(id),
        at TEXT NOT NULL,
        seq INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX gate_key_person_action_passage ON gate_key_person_action(passage_id, seq);

      CREATE INDEX round_mark_recent ON round_mark(mark, at);
    `);
  },
};

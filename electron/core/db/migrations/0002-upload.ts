import type { Migration } from './index';

/**
 * Schema 2: the station's link to HQ.
 *
 * - `hq_link`: the identity HQ gave this station at enrollment (one row). The private key is a
 *   file in the data folder (mode 0600), never a column: it must not travel with a copy of the
 *   database.
 * - `upload_state`: how far HQ has acknowledged the journal, the clock offset learnt from HQ,
 *   the feed cursor and what staff see (last success, last failure). One row.
 * - `upload_batch`: the batches in flight (a contiguous run right after the acknowledged point),
 *   each frozen before its first send: its id, range and the exact gzip bytes, so every retry,
 *   even after a restart, sends the same bytes.
 * - `upload_rejection`: records HQ processed but rejected, with the code staff see translated.
 * - `hq_result`, `retest_task`: tube results pulled from HQ and the single-tube re-tests a
 *   positive pooled tube creates for its members.
 * - `key_person_list`, `key_person`: lists HQ sends for the gate. Personal data: with `person`
 *   and the journal, this is the third place it lives.
 */
export const migration0002: Migration = {
  version: 2,
  name: 'upload',
  up(db) {
    db.exec(`
      CREATE TABLE hq_link (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        hq_url TEXT NOT NULL,
        station_id TEXT NOT NULL,
        site_id TEXT NOT NULL,
        site_name TEXT NOT NULL,
        public_key TEXT NOT NULL,
        enrolled_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE upload_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        acked_through INTEGER NOT NULL DEFAULT 0 CHECK (acked_through >= 0),
        clock_offset_ms INTEGER NOT NULL DEFAULT 0,
        feed_cursor INTEGER NOT NULL DEFAULT 0,
        last_success_at TEXT,
        last_failure_at TEXT,
        last_failure TEXT
      ) STRICT;
      INSERT INTO upload_state (id) VALUES (1);

      CREATE TABLE upload_batch (
        batch_id TEXT PRIMARY KEY,
        from_seq INTEGER NOT NULL CHECK (from_seq >= 1),
        to_seq INTEGER NOT NULL CHECK (to_seq >= from_seq),
        record_count INTEGER NOT NULL,
        body BLOB NOT NULL,
        frozen_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE upload_rejection (
        seq INTEGER PRIMARY KEY,
        code TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '',
        batch_id TEXT NOT NULL,
        at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE hq_result (
        feed_cursor INTEGER PRIMARY KEY,
        tube_code TEXT NOT NULL,
        result TEXT NOT NULL CHECK (result IN ('negative', 'positive', 'invalid')),
        result_at TEXT NOT NULL,
        received_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX hq_result_tube ON hq_result(tube_code);
      CREATE INDEX hq_result_positive ON hq_result(result_at) WHERE result = 'positive';

      CREATE TABLE retest_task (
        id TEXT PRIMARY KEY,
        person_id TEXT NOT NULL REFERENCES person(id),
        source_tube_code TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('open', 'sampled')),
        created_at TEXT NOT NULL,
        seq INTEGER NOT NULL,
        sampled_tube_code TEXT,
        sampled_binding_id TEXT,
        sampled_at TEXT,
        sampled_seq INTEGER
      ) STRICT;
      CREATE UNIQUE INDEX retest_task_once ON retest_task(source_tube_code, person_id);
      CREATE INDEX retest_task_open_person ON retest_task(person_id) WHERE state = 'open';

      CREATE TABLE key_person_list (
        list_id TEXT PRIMARY KEY,
        feed_cursor INTEGER NOT NULL,
        received_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE key_person (
        list_id TEXT NOT NULL REFERENCES key_person_list(list_id),
        id_number TEXT NOT NULL,
        name TEXT,
        reason TEXT NOT NULL,
        PRIMARY KEY (list_id, id_number)
      ) STRICT;
      CREATE INDEX key_person_id_number ON key_person(id_number);
    `);
  },
};

import type { Migration } from './index';

/**
 * Schema 5: the resident roster (台账).
 *
 * The residents themselves live in a file per roster version (`roster/<id>.sqlite`, see
 * `core/roster/file.ts`); this table says which versions exist and which one is in use. A
 * version is `reading` (being written), `needsMapping`, `ready` (waiting for the admin), `current`
 * (exactly one at a time), `superseded`, `discarded` or `failed`; `receiving` is a version from HQ
 * still arriving. `journalled_rows` counts the rows of a version imported here that are already
 * in the journal (they follow its `roster.committed` entry, a chunk at a time); `journal_cursor`
 * is the roster file's rowid they reached.
 */
export const migration0005: Migration = {
  version: 5,
  name: 'roster',
  up(db) {
    db.exec(`
      CREATE TABLE roster_import (
        id TEXT PRIMARY KEY,
        source TEXT NOT NULL CHECK (source IN ('station', 'hq')),
        file_name TEXT,
        state TEXT NOT NULL CHECK (state IN ('reading', 'needsMapping', 'ready', 'failed', 'current', 'superseded', 'discarded', 'receiving')),
        total_rows INTEGER NOT NULL DEFAULT 0,
        residents INTEGER NOT NULL DEFAULT 0,
        refused INTEGER NOT NULL DEFAULT 0,
        warned INTEGER NOT NULL DEFAULT 0,
        changes TEXT,
        headers TEXT NOT NULL DEFAULT '[]',
        plan TEXT,
        failure TEXT,
        mark_key_id TEXT,
        created_at TEXT NOT NULL,
        applied_at TEXT,
        operator_id TEXT,
        seq INTEGER,
        journalled_rows INTEGER NOT NULL DEFAULT 0,
        journal_cursor INTEGER NOT NULL DEFAULT 0
      ) STRICT;
      CREATE UNIQUE INDEX roster_import_current ON roster_import(state) WHERE state = 'current';
    `);
  },
};

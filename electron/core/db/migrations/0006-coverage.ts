import type { Migration } from './index';

/**
 * Schema 6: coverage (应检尽检) of each round against the roster.
 *
 * - `coverage_tested`: who counts as sampled in a round, by mark (the keyed hash every desk of
 *   the site computes alike), with how many live bindings say so (this desk's and other desks'):
 *   a person stops counting only when the last of them is undone or voided.
 * - `coverage_exempt`: residents who need not be sampled in the round, with the reason
 *   (away, in hospital, sampled at home, other).
 * - `coverage_cell`: per round, building and unit, how many residents are sampled and exempt,
 *   kept up to date with every change so coverage reads in milliseconds whatever the roster's
 *   size; `coverage_state` says which roster version the cells were counted against.
 * - `upload_state.feed_pulled_at`: when HQ's feed was last read, for "as of the last sync".
 */
export const migration0006: Migration = {
  version: 6,
  name: 'coverage',
  up(db) {
    db.exec(`
      CREATE TABLE coverage_tested (
        round_id TEXT NOT NULL,
        mark TEXT NOT NULL,
        sources INTEGER NOT NULL CHECK (sources > 0),
        PRIMARY KEY (round_id, mark)
      ) STRICT, WITHOUT ROWID;
      CREATE TABLE coverage_exempt (
        round_id TEXT NOT NULL,
        mark TEXT NOT NULL,
        reason TEXT NOT NULL CHECK (reason IN ('away', 'hospital', 'sampledAtHome', 'other')),
        note TEXT NOT NULL DEFAULT '',
        origin TEXT NOT NULL CHECK (origin IN ('here', 'feed')),
        operator_id TEXT,
        at TEXT NOT NULL,
        seq INTEGER,
        PRIMARY KEY (round_id, mark)
      ) STRICT, WITHOUT ROWID;
      CREATE TABLE coverage_cell (
        round_id TEXT NOT NULL,
        building TEXT NOT NULL,
        unit TEXT NOT NULL,
        tested INTEGER NOT NULL DEFAULT 0,
        exempt INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (round_id, building, unit)
      ) STRICT, WITHOUT ROWID;
      CREATE TABLE coverage_state (round_id TEXT PRIMARY KEY, roster_id TEXT NOT NULL, counted_at TEXT NOT NULL) STRICT;
      ALTER TABLE upload_state ADD COLUMN feed_pulled_at TEXT;
    `);
  },
};

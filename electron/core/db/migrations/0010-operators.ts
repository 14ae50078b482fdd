import type { Migration } from './index';

/**
 * Schema 10: operators sign in with a PIN, have roles the core checks, and are shared by the site.
 *
 * `operator` is rebuilt (SQLite cannot relax a NOT NULL in place):
 * - `pin_hash`: the PIN's Argon2id PHC string (never the PIN); NULL for an operator who cannot
 *   sign in yet, like the "默认采集员" every station made at its first start until now;
 * - `disabled`, `locked_out` (after too many wrong PINs, until a site admin unlocks),
 *   `wrong_pins` and `last_wrong_at` (the wait before the next try grows with them);
 * - `origin`: made here (`here`, journalled) or received from HQ (`feed`); an operator from HQ
 *   has no `station_id` or `seq` of this station's; `updated_at` orders changes from both.
 * Existing operators and every record's `operator_id` stay as they are. Who is signed in is no
 * longer a setting: a station starts signed out, so `operator.current` goes.
 */
export const migration0010: Migration = {
  version: 10,
  name: 'operators',
  rebuildsReferencedTable: true,
  up(db) {
    db.exec(`
      CREATE TABLE operator_new (
        id TEXT PRIMARY KEY,
        station_id TEXT REFERENCES station(id),
        code TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('collector', 'sampler', 'gatekeeper', 'admin', 'transporter')),
        badge TEXT UNIQUE,
        pin_hash TEXT,
        disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
        locked_out INTEGER NOT NULL DEFAULT 0 CHECK (locked_out IN (0, 1)),
        wrong_pins INTEGER NOT NULL DEFAULT 0 CHECK (wrong_pins >= 0),
        last_wrong_at TEXT,
        origin TEXT NOT NULL DEFAULT 'here' CHECK (origin IN ('here', 'feed')),
        updated_at TEXT NOT NULL,
        at TEXT NOT NULL,
        seq INTEGER
      ) STRICT;
      INSERT INTO operator_new (id, station_id, code, name, role, badge, updated_at, at, seq)
        SELECT id, station_id, code, name, role, badge, at, at, seq FROM operator;
      DROP TABLE operator;
      ALTER TABLE operator_new RENAME TO operator;
      DELETE FROM setting WHERE key = 'operator.current';
    `);
  },
};

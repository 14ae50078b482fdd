import type { Migration } from './index';

/**
 * Schema 16: resident passes (出入证).
 *
 * - `resident_pass`: a pass issued from the roster to one resident of a household, here (`origin`
 *   here, journalled `pass.issued`, `seq`) or at another station of the site (`origin` feed, from
 *   HQ's feed, `feed_cursor`). `code` is what its QR holds (unique); `household` as the roster
 *   writes it (`3-2-502`). Valid from / until are UTC ISO times. `station_id` / `station_name`:
 *   the station that issued it (another station's id, HQ's, for one from the feed: no reference).
 *   Personal data: `id_number`, `name`, `household`; purged past the retention period once the pass
 *   has expired (`id_number` NULL, `name` and `household` empty).
 * - `resident_pass_revocation`: a pass revoked, with the reason gate keepers are shown; one per
 *   pass (the first known here wins). Kept apart from the pass so a revocation that arrives before
 *   its pass (it cannot through HQ's feed, see `passes.ts`) is kept and applies when the pass comes.
 * - `gate_passage.pass_id`: the pass a passage with subject `pass` was made by.
 * Operators are NULL for what came through the feed.
 */
export const migration0016: Migration = {
  version: 16,
  name: 'resident-passes',
  up(db) {
    db.exec(`
      CREATE TABLE resident_pass (
        id TEXT PRIMARY KEY,
        code TEXT NOT NULL UNIQUE,
        site_id TEXT NOT NULL,
        household TEXT NOT NULL,
        id_number TEXT,
        name TEXT NOT NULL,
        valid_from TEXT NOT NULL,
        valid_until TEXT NOT NULL,
        origin TEXT NOT NULL CHECK (origin IN ('here', 'feed')),
        station_id TEXT NOT NULL,
        station_name TEXT NOT NULL,
        operator_id TEXT REFERENCES operator(id),
        issued_at TEXT NOT NULL,
        seq INTEGER,
        feed_cursor INTEGER,
        CHECK (valid_until > valid_from)
      ) STRICT;
      CREATE INDEX resident_pass_holder ON resident_pass(id_number, valid_until);
      CREATE INDEX resident_pass_household ON resident_pass(household, issued_at);
      CREATE INDEX resident_pass_issued ON resident_pass(issued_at);

      CREATE TABLE resident_pass_revocation (
        pass_id TEXT PRIMARY KEY,
        code TEXT NOT NULL,
        reason TEXT NOT NULL,
        origin TEXT NOT NULL CHECK (origin IN ('here', 'feed')),
        station_name TEXT NOT NULL,
        operator_id TEXT REFERENCES operator(id),
        at TEXT NOT NULL,
        seq INTEGER,
        feed_cursor INTEGER
      ) STRICT;

      ALTER TABLE gate_passage ADD COLUMN pass_id TEXT REFERENCES resident_pass(id);
    `);
  },
};

import type { Migration } from './index';

/**
 * Schema 4: rounds belong to the site.
 *
 * - `round` is rebuilt: a round may now come from HQ (started there or at another desk of the
 *   site), so who started it here is optional; it has planned dates (`starts_on`, `ends_on`), and
 *   its closing is recorded. `origin` says whether it was started at this station (`here`) or
 *   received through the feed (`feed`).
 * - `round_mark`: the site's "sampled in this round" marks from other desks, one per binding,
 *   each a keyed hash of the person (never their identity), so a person sampled at desk 1 is
 *   asked about at desk 2.
 */
export const migration0004: Migration = {
  version: 4,
  name: 'site-rounds',
  rebuildsReferencedTable: true,
  up(db) {
    db.exec(`
      CREATE TABLE round_new (
        id TEXT PRIMARY KEY,
        site_id TEXT NOT NULL,
        name TEXT NOT NULL,
        starts_on TEXT,
        ends_on TEXT,
        started_at TEXT NOT NULL,
        closed_at TEXT,
        origin TEXT NOT NULL CHECK (origin IN ('here', 'feed')),
        started_by TEXT,
        operator_id TEXT REFERENCES operator(id),
        seq INTEGER,
        closed_operator_id TEXT REFERENCES operator(id),
        closed_seq INTEGER
      ) STRICT;
      INSERT INTO round_new (id, site_id, name, started_at, closed_at, origin, started_by, operator_id, seq)
        SELECT r.id, r.site_id, r.name, r.started_at, r.closed_at, 'here', s.name, r.operator_id, r.seq
        FROM round r LEFT JOIN station s ON s.id = r.station_id;
      DROP TABLE round;
      ALTER TABLE round_new RENAME TO round;
      CREATE INDEX round_open ON round(site_id, started_at) WHERE closed_at IS NULL;

      CREATE TABLE round_mark (
        binding_id TEXT PRIMARY KEY,
        round_id TEXT NOT NULL,
        mark TEXT NOT NULL,
        station_number INTEGER NOT NULL,
        station_name TEXT NOT NULL,
        at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX round_mark_person ON round_mark(round_id, mark);
    `);
  },
};

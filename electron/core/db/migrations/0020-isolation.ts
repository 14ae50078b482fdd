import type { Migration } from './index';

/**
 * Schema 20: home isolation (居家隔离).
 *
 * - `isolation`: a household of the roster (all its residents) or one person in isolation from
 *   `start_day` to `until_day` (site days, YYYY-MM-DD), sampled on `sampling_days` (a JSON array of
 *   day numbers, the site's configuration when it was started, kept with it). Started here
 *   (`origin` here, journalled `isolation.started`, `seq`) or at another station of the site or by
 *   HQ (`origin` feed, `feed_cursor`; `station_id` NULL for HQ's). Its tasks are derived from these,
 *   never stored one by one.
 * - `isolation_person`: who is in it (`id` the person's id in the isolation, as readings name them).
 * - `isolation_end`: the isolation ended, with the reason; one per isolation (the first known wins).
 * - `isolation_reading`: a temperature task done: the person, the site day, morning or evening, the
 *   reading, typed or the thermometer's. A sampling task is done by a binding (or a site mark) of
 *   that day: nothing is stored for it here.
 * Personal data: `household`, `reason`, a person's `id_number` and `name`, an end's `reason`.
 * Operators are NULL for what came through the feed.
 */
export const migration0020: Migration = {
  version: 20,
  name: 'isolation',
  up(db) {
    db.exec(`
      CREATE TABLE isolation (
        id TEXT PRIMARY KEY,
        site_id TEXT NOT NULL,
        subject TEXT NOT NULL CHECK (subject IN ('household', 'person')),
        household TEXT NOT NULL,
        reason TEXT NOT NULL,
        start_day TEXT NOT NULL,
        until_day TEXT NOT NULL,
        sampling_days TEXT NOT NULL,
        origin TEXT NOT NULL CHECK (origin IN ('here', 'feed')),
        station_id TEXT,
        station_name TEXT NOT NULL,
        operator_id TEXT REFERENCES operator(id),
        started_at TEXT NOT NULL,
        seq INTEGER,
        feed_cursor INTEGER,
        CHECK (until_day >= start_day)
      ) STRICT;
      CREATE INDEX isolation_days ON isolation(site_id, until_day);

      CREATE TABLE isolation_person (
        id TEXT PRIMARY KEY,
        isolation_id TEXT NOT NULL REFERENCES isolation(id),
        id_number TEXT,
        name TEXT NOT NULL
      ) STRICT;
      CREATE INDEX isolation_person_of ON isolation_person(isolation_id);
      CREATE INDEX isolation_person_id_number ON isolation_person(id_number);

      CREATE TABLE isolation_end (
        isolation_id TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        origin TEXT NOT NULL CHECK (origin IN ('here', 'feed')),
        station_name TEXT NOT NULL,
        operator_id TEXT REFERENCES operator(id),
        at TEXT NOT NULL,
        seq INTEGER,
        feed_cursor INTEGER
      ) STRICT;

      CREATE TABLE isolation_reading (
        id TEXT PRIMARY KEY,
        isolation_id TEXT NOT NULL,
        person_id TEXT NOT NULL,
        day TEXT NOT NULL,
        slot TEXT NOT NULL CHECK (slot IN ('morning', 'evening')),
        celsius REAL NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('typed', 'thermometer')),
        origin TEXT NOT NULL CHECK (origin IN ('here', 'feed')),
        station_name TEXT NOT NULL,
        operator_id TEXT REFERENCES operator(id),
        at TEXT NOT NULL,
        seq INTEGER,
        feed_cursor INTEGER
      ) STRICT;
      CREATE INDEX isolation_reading_task ON isolation_reading(isolation_id, person_id, day, slot);
    `);
  },
};

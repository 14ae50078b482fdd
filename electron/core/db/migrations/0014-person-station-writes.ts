import type { Migration } from './index';

/**
 * Schema 14: a person may be registered by the station itself, with nobody signed in.
 *
 * An unattended sentinel scans people with no operator: a person seen there for the first time
 * is registered by the station (`operator_id` NULL, as the gate's own records already are). The
 * `person` table required an operator, so such a scan failed (the person was never let through
 * by the kiosk, and nothing was recorded). SQLite cannot drop a NOT NULL in place: the table is
 * made again with every row, its references checked before the commit.
 */
export const migration0014: Migration = {
  version: 14,
  name: 'person-station-writes',
  rebuildsReferencedTable: true,
  up(db) {
    db.exec(`
      CREATE TABLE person_new (
        id TEXT PRIMARY KEY,
        person_key TEXT NOT NULL UNIQUE,
        id_number TEXT,
        reg_code TEXT,
        name TEXT,
        phone TEXT,
        source_format TEXT NOT NULL,
        station_id TEXT NOT NULL REFERENCES station(id),
        operator_id TEXT REFERENCES operator(id),
        at TEXT NOT NULL,
        seq INTEGER NOT NULL
      ) STRICT;
      INSERT INTO person_new (id, person_key, id_number, reg_code, name, phone, source_format, station_id, operator_id, at, seq)
        SELECT id, person_key, id_number, reg_code, name, phone, source_format, station_id, operator_id, at, seq FROM person;
      DROP TABLE person;
      ALTER TABLE person_new RENAME TO person;
    `);
  },
};

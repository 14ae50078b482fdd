import Database from 'better-sqlite3-multiple-ciphers';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../../electron/core/db/migrations';

function plan(db: Database.Database, sql: string): string {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ');
}

describe('migration 0001 initial', () => {
  const db = new Database(':memory:');
  migrate(db, 1);

  it('creates the domain tables and the journal', () => {
    const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[]).map((r) => r.name);
    expect(tables).toEqual(['binding', 'correction', 'journal', 'operator', 'person', 'round', 'setting', 'site', 'station', 'tube']);
    expect(db.pragma('user_version', { simple: true })).toBe(1);
  });

  it('keeps the journal append-only', () => {
    db.prepare(`INSERT INTO journal VALUES (1, 's', 'tube.opened', 'e', 'o', 'now', '{}')`).run();
    expect(() => db.prepare(`UPDATE journal SET kind = 'x'`).run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM journal').run()).toThrow(/append-only/);
  });

  it('allows one open tube per station and one active binding of a person per tube', () => {
    db.exec(`INSERT INTO site VALUES ('s1', 'site', '{}', 'now');
      INSERT INTO station VALUES ('st', 's1', 'desk', 1, 1, 'now');
      INSERT INTO operator VALUES ('op', 'st', 'C', 'n', 'collector', NULL, 'now', 1);
      INSERT INTO round VALUES ('r', 's1', 'r1', 'now', NULL, 'st', 'op', 1);
      INSERT INTO person VALUES ('p', 'id:1', NULL, NULL, NULL, NULL, 'id18', 'st', 'op', 'now', 1);
      INSERT INTO tube VALUES ('t1', 'SY1', 10, 'open', 'r', 'st', 'op', 'now', NULL, NULL, NULL, 1);`);
    expect(() => db.exec(`INSERT INTO tube VALUES ('t2', 'SY2', 10, 'open', 'r', 'st', 'op', 'now', NULL, NULL, NULL, 2)`)).toThrow(/UNIQUE/);
    expect(() => db.exec(`INSERT INTO tube VALUES ('t3', 'SY3', 7, 'sealed', 'r', 'st', 'op', 'now', NULL, NULL, NULL, 3)`)).toThrow(/CHECK/);
    db.exec(`INSERT INTO binding VALUES ('b1', 't1', 'p', 'r', 0, NULL, 'st', 'op', 'now', 5)`);
    expect(() => db.exec(`INSERT INTO binding VALUES ('b2', 't1', 'p', 'r', 0, NULL, 'st', 'op', 'now', 6)`)).toThrow(/UNIQUE/);
    db.exec(`UPDATE binding SET undo_correction_id = 'c1' WHERE id = 'b1'`);
    db.exec(`INSERT INTO binding VALUES ('b3', 't1', 'p', 'r', 0, NULL, 'st', 'op', 'now', 7)`);
  });

  it('serves the desk’s hot queries from indexes', () => {
    expect(plan(db, `SELECT * FROM tube WHERE station_id = 'st' AND state = 'open'`)).toMatch(/USING INDEX tube_single_open_per_station/);
    expect(plan(db, `SELECT * FROM tube WHERE station_id = 'st' ORDER BY seq DESC LIMIT 8`)).toMatch(/USING INDEX tube_station_recent/);
    expect(plan(db, `SELECT 1 FROM binding WHERE tube_id = 't1' AND person_id = 'p' AND undo_correction_id IS NULL`)).toMatch(/USING INDEX binding_active_person_tube/);
    expect(plan(db, `SELECT * FROM binding WHERE person_id = 'p' AND round_id = 'r'`)).toMatch(/USING INDEX binding_person_round/);
    expect(plan(db, `SELECT * FROM person WHERE person_key = 'id:1'`)).toMatch(/USING INDEX sqlite_autoindex_person/);
    expect(plan(db, 'SELECT * FROM journal WHERE seq > 10 ORDER BY seq LIMIT 100')).toMatch(/USING INTEGER PRIMARY KEY/);
  });
});

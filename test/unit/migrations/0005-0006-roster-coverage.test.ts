import Database from 'better-sqlite3-multiple-ciphers';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LATEST_VERSION, migrate } from '../../../electron/core/db/migrations';
import { tempDir } from '../../helpers/core';

function plan(db: Database.Database, sql: string): string {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ');
}

describe('migrations 5 (roster) and 6 (coverage)', () => {
  it('upgrade a version-4 station in place, keeping its journal and records', () => {
    const db = new Database(path.join(tempDir(), 'station.db'));
    db.pragma('foreign_keys = ON');
    migrate(db, 4);
    db.exec(`INSERT INTO journal VALUES (1, 's', 'station.created', 'e', 'o', 'now', '{}');
      INSERT INTO setting VALUES ('desk.capacity', '5');`);
    expect(migrate(db)).toBe(LATEST_VERSION);
    expect(db.prepare('SELECT count(*) AS n FROM journal').get()).toEqual({ n: 1 });
    expect(db.prepare(`SELECT value FROM setting WHERE key = 'desk.capacity'`).get()).toEqual({ value: '5' });
    expect(db.prepare('SELECT feed_pulled_at FROM upload_state').get()).toEqual({ feed_pulled_at: null });
    db.close();
  });

  it('allow one roster in use at a time and keep coverage counts positive', () => {
    const db = new Database(':memory:');
    migrate(db);
    const add = db.prepare(`INSERT INTO roster_import (id, source, state, created_at) VALUES (?, 'station', ?, 'now')`);
    add.run('a', 'current');
    add.run('b', 'ready');
    expect(() => add.run('c', 'current')).toThrow(/UNIQUE/);
    expect(() => add.run('d', 'imagined')).toThrow(/CHECK/);
    expect(() => db.prepare(`INSERT INTO coverage_tested VALUES ('r', 'm', 0)`).run()).toThrow(/CHECK/);
    expect(() => db.prepare(`INSERT INTO coverage_exempt (round_id, mark, reason, origin, at) VALUES ('r', 'm', 'bored', 'here', 'now')`).run()).toThrow(/CHECK/);
    // What every binding and every coverage read looks up goes through a key.
    expect(plan(db, `SELECT sources FROM coverage_tested WHERE round_id = 'r' AND mark = 'm'`)).toMatch(/PRIMARY KEY/);
    expect(plan(db, `SELECT tested FROM coverage_cell WHERE round_id = 'r'`)).toMatch(/PRIMARY KEY/);
    expect(plan(db, `SELECT 1 FROM coverage_exempt WHERE round_id = 'r' AND mark = 'm'`)).toMatch(/PRIMARY KEY/);
    expect(plan(db, `SELECT * FROM roster_import WHERE state = 'current'`)).toMatch(/roster_import_current/);
  });
});

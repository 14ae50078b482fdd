import Database from 'better-sqlite3-multiple-ciphers';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LATEST_VERSION, migrate } from '../../../electron/core/db/migrations';
import { tempDir } from '../../helpers/core';

let db: Database.Database | undefined;
afterEach(() => db?.close());

function plan(sql: string, ...params: unknown[]): string {
  return (db!.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join('; ');
}

describe('migration 0002 (upload)', () => {
  it('upgrades a version-1 database, keeping its journal, and starts with nothing acknowledged', () => {
    db = new Database(path.join(tempDir(), 'station.db'));
    expect(migrate(db, 1)).toBe(1);
    db.prepare(`INSERT INTO journal (seq, station_id, kind, entity_id, operator_id, at, payload) VALUES (1, 's', 'station.created', 'e', 'o', 'now', '{}')`).run();
    expect(migrate(db)).toBe(LATEST_VERSION);
    expect(LATEST_VERSION).toBeGreaterThanOrEqual(2);
    expect(db.prepare('SELECT COUNT(*) AS n FROM journal').get()).toEqual({ n: 1 });
    expect(db.prepare('SELECT acked_through, feed_cursor, clock_offset_ms FROM upload_state').get()).toEqual({
      acked_through: 0,
      feed_cursor: 0,
      clock_offset_ms: 0,
    });
    expect(() => db!.prepare(`INSERT INTO upload_state (id) VALUES (2)`).run()).toThrow(/CHECK/);
    expect(() =>
      db!.prepare(`INSERT INTO upload_batch (batch_id, from_seq, to_seq, record_count, body, frozen_at) VALUES ('b', 5, 4, 0, x'00', 'now')`).run(),
    ).toThrow(/CHECK/);
  });

  it('finds results by tube and open re-tests by person through indexes', () => {
    db = new Database(':memory:');
    migrate(db);
    expect(plan('SELECT * FROM hq_result WHERE tube_code = ?', 'SY1')).toContain('USING INDEX hq_result_tube');
    expect(plan(`SELECT * FROM retest_task WHERE person_id = ? AND state = 'open'`, 'p')).toContain('USING INDEX retest_task_open_person');
    expect(plan('SELECT * FROM key_person WHERE id_number = ?', 'x')).toContain('USING INDEX key_person_id_number');
  });
});

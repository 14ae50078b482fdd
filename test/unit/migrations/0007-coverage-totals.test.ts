import Database from 'better-sqlite3-multiple-ciphers';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LATEST_VERSION, migrate } from '../../../electron/core/db/migrations';
import { tempDir } from '../../helpers/core';

describe('migration 7 (coverage totals)', () => {
  it('upgrades a version-6 station in place, counting who is sampled per round from the marks it holds', () => {
    const db = new Database(path.join(tempDir(), 'station.db'));
    migrate(db, 6);
    db.exec(`INSERT INTO coverage_tested VALUES ('r1', 'a', 1), ('r1', 'b', 2), ('r1', 'c', 1), ('r2', 'a', 1);
      INSERT INTO coverage_cell VALUES ('r1', '1', '1', 3, 0);`);
    expect(migrate(db)).toBe(LATEST_VERSION);
    expect(db.prepare('SELECT round_id, tested FROM coverage_total ORDER BY round_id').all()).toEqual([
      { round_id: 'r1', tested: 3 },
      { round_id: 'r2', tested: 1 },
    ]);
    expect(db.prepare('SELECT count(*) AS n FROM coverage_tested').get()).toEqual({ n: 4 });
    expect(db.prepare('SELECT tested FROM coverage_cell').get()).toEqual({ tested: 3 });
    expect(() => db.prepare(`UPDATE coverage_total SET tested = -1 WHERE round_id = 'r2'`).run()).toThrow(/CHECK/);
    db.close();
  });
});

import Database from 'better-sqlite3-multiple-ciphers';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../../electron/core/db/migrations';
import { flaggedResults } from '../../../hq/domains/result-imports';
import { checkLabToken, issueLabToken } from '../../../hq/domains/lab-tokens';
import { openPostgresStore } from '../../../hq/store/postgres';
import { HQ_PG_MIGRATIONS } from '../../../hq/store/postgres-migrations';
import { HQ_SQLITE_MIGRATIONS } from '../../../hq/store/sqlite-migrations';
import { openSqliteStore } from '../../../hq/store/sqlite';
import type { HqStore } from '../../../hq/store/types';
import { tempDir } from '../../helpers/core';
import { startPostgres, type PgCluster } from '../../helpers/postgres';

const AT = '2026-12-01T02:00:00.000Z';
const BEFORE = HQ_SQLITE_MIGRATIONS.findIndex((m) => m.name === 'hq-result-imports');

/** What the new tables and columns take, and refuse. */
async function importsWork(store: HqStore): Promise<void> {
  await store.sql.transaction(async (tx) => {
    await tx.run(
      `INSERT INTO result_import (id, source, file_name, file_hash, state, complete, total_rows, imported, already, duplicates, errors, not_received, positives, good_rows, at, imported_at)
       VALUES ('i1', 'file', 'a.csv', 'h1', 'imported', 1, 2, 2, 0, 0, 0, 1, 0, 2, @at, @at)`,
      { at: AT },
    );
    await tx.run(`INSERT INTO result (tube_code, result, at, tested_at, lab, import_id, row_no, not_received) VALUES ('T-9', 'negative', @at, @at, '检验所', 'i1', 3, 1)`, { at: AT });
    await tx.run(`INSERT INTO result_import_error (import_id, row_no, n, col, code) VALUES ('i1', 4, 0, 'tubeCode', 'row.tubeUnknown')`);
  });
  expect(await store.sql.read((tx) => flaggedResults(tx))).toEqual([expect.objectContaining({ tubeCode: 'T-9', lab: '检验所', rowNo: 3, fileName: 'a.csv', receivedSince: false })]);
  // A state or source the import does not know is refused by the table itself.
  await expect(
    store.sql.transaction((tx) =>
      tx.run(
        `INSERT INTO result_import (id, source, state, total_rows, imported, already, duplicates, errors, not_received, positives, good_rows, at) VALUES ('i2', 'file', 'half', 0, 0, 0, 0, 0, 0, 0, 0, @at)`,
        { at: AT },
      ),
    ),
  ).rejects.toThrow();
  const issued = await store.sql.transaction((tx) => issueLabToken(tx, { lab: '检验所', at: AT }));
  if (!issued.ok) throw new Error('not issued');
  expect(await store.sql.read((tx) => checkLabToken(tx, `Bearer ${issued.token}`))).toMatchObject({ ok: true, labToken: { lab: '检验所' } });
  expect(await store.sql.read((tx) => tx.all('SELECT token_hash FROM lab_token'))).not.toContainEqual({ token_hash: issued.token });
}

describe('HQ migration 18 (result imports)', () => {
  it('is the same version in both stores, after 17', () => {
    expect(BEFORE).toBeGreaterThan(0);
    expect(HQ_SQLITE_MIGRATIONS[BEFORE]!.version).toBe(18);
    expect(HQ_PG_MIGRATIONS.findIndex((m) => m.name === 'hq-result-imports')).toBe(BEFORE);
  });

  it('upgrades an HQ with results in place: each kept, posted by staff, none flagged', async () => {
    const dir = tempDir('hq-migrate-');
    const db = new Database(path.join(dir, 'hq.sqlite'));
    migrate(db, BEFORE, HQ_SQLITE_MIGRATIONS);
    db.exec(`INSERT INTO result (tube_code, result, at, station_id, tube_id) VALUES ('T-1', 'positive', '${AT}', 's1', 't1');`);
    db.close();
    const store = openSqliteStore(dir);
    try {
      expect(await store.sql.read((tx) => tx.all('SELECT tube_code, result, at, tested_at, lab, import_id, row_no, not_received FROM result'))).toEqual([
        { tube_code: 'T-1', result: 'positive', at: AT, tested_at: null, lab: null, import_id: null, row_no: null, not_received: 0 },
      ]);
      await importsWork(store);
    } finally {
      await store.close();
    }
  });

  describe('on PostgreSQL', () => {
    let cluster: PgCluster;
    beforeAll(async () => {
      cluster = await startPostgres();
    }, 120_000);
    afterAll(async () => {
      await cluster?.stop();
    });

    it('makes the same tables', async () => {
      const store = await openPostgresStore(await cluster.createDatabase());
      try {
        await importsWork(store);
      } finally {
        await store.close();
      }
    });
  });
});

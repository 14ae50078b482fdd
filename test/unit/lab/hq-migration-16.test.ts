import Database from 'better-sqlite3-multiple-ciphers';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../../electron/core/db/migrations';
import { receivedTubeCodes } from '../../../hq/domains/lab';
import { openPostgresStore } from '../../../hq/store/postgres';
import { HQ_PG_MIGRATIONS } from '../../../hq/store/postgres-migrations';
import { HQ_SQLITE_MIGRATIONS } from '../../../hq/store/sqlite-migrations';
import { openSqliteStore } from '../../../hq/store/sqlite';
import type { HqStore } from '../../../hq/store/types';
import { tempDir } from '../../helpers/core';
import { startPostgres, type PgCluster } from '../../helpers/postgres';

const AT = '2026-12-01T02:00:00.000Z';
const BEFORE = HQ_SQLITE_MIGRATIONS.findIndex((m) => m.name === 'hq-box-custody');

async function receiptsWork(store: HqStore): Promise<void> {
  await store.sql.transaction(async (tx) => {
    await tx.run(`INSERT INTO lab_receipt (id, station_id, box_id, site_id, box_code, received_at, received_by) VALUES ('r1', 's1', 'b1', 'a', 'BOX-1', @at, '检验科')`, { at: AT });
    for (const [code, status] of [
      ['T-1', 'received'],
      ['T-2', 'missing'],
      ['T-3', 'extra'],
      ['T-4', 'broken'],
    ] as const) {
      await tx.run('INSERT INTO lab_receipt_tube (receipt_id, tube_code, status, at) VALUES (@r, @code, @status, @at)', { r: 'r1', code, status, at: AT });
    }
  });
  expect([...(await store.sql.read((tx) => receivedTubeCodes(tx, ['T-1', 'T-2', 'T-3', 'T-4', 'T-5'])))].sort()).toEqual(['T-1', 'T-3']);
  // A status the receipt does not know is refused by the table itself, and changes nothing.
  await expect(
    store.sql.transaction((tx) => tx.run(`INSERT INTO lab_receipt_tube (receipt_id, tube_code, status, at) VALUES ('r1', 'T-6', 'lost', @at)`, { at: AT })),
  ).rejects.toThrow();
  expect(await store.sql.read((tx) => tx.all('SELECT tube_code FROM lab_receipt_tube ORDER BY tube_code'))).toHaveLength(4);
  // A receipt begun this way is open, of a box handed over, not yet sent to its station; its steps are numbered once each.
  expect(await store.sql.read((tx) => tx.one('SELECT closed_at, box_state, revision FROM lab_receipt WHERE id = @id', { id: 'r1' }))).toMatchObject({ closed_at: null, box_state: 'handedOver', revision: 0 });
  await store.sql.transaction((tx) => tx.run(`INSERT INTO lab_receipt_step (receipt_id, n, kind, done_by, at) VALUES ('r1', 1, 'opened', '检验科', @at)`, { at: AT }));
  await expect(store.sql.transaction((tx) => tx.run(`INSERT INTO lab_receipt_step (receipt_id, n, kind, done_by, at) VALUES ('r1', 1, 'scanned', '检验科', @at)`, { at: AT }))).rejects.toThrow();
  await expect(store.sql.transaction((tx) => tx.run(`INSERT INTO lab_receipt_step (receipt_id, n, kind, done_by, at) VALUES ('r1', 2, 'lost', '检验科', @at)`, { at: AT }))).rejects.toThrow();
}

describe('HQ migration 16 (boxes and the lab)', () => {
  it('is the same version in both stores', () => {
    expect(BEFORE).toBeGreaterThan(0);
    expect(HQ_PG_MIGRATIONS.findIndex((m) => m.name === 'hq-box-custody')).toBe(BEFORE);
  });

  it('upgrades an HQ with sealed boxes in place: each box kept as sealed, with no hand-over yet', async () => {
    const dir = tempDir('hq-migrate-');
    const db = new Database(path.join(dir, 'hq.sqlite'));
    migrate(db, BEFORE, HQ_SQLITE_MIGRATIONS);
    db.exec(`INSERT INTO site (id, name, config, at) VALUES ('a', '东区', NULL, '${AT}');
      INSERT INTO box (station_id, box_id, site_id, code, count, day, at) VALUES ('s1', 'b1', 'a', 'BOX-1', 12, '2026-12-01', '${AT}');`);
    db.close();
    const store = openSqliteStore(dir);
    try {
      expect(
        await store.sql.read((tx) => tx.all('SELECT box_id, code, count, day, at, state, sealed_at, opened_at, capacity, person_count, handed_over_at, handed_over_count FROM box')),
      ).toEqual([
        { box_id: 'b1', code: 'BOX-1', count: 12, day: '2026-12-01', at: AT, state: 'sealed', sealed_at: AT, opened_at: null, capacity: null, person_count: null, handed_over_at: null, handed_over_count: null },
      ]);
      // Still counted among the site's boxes of its day, as before.
      expect((await store.dashboard('2026-12-01')).sites).toMatchObject([{ siteId: 'a', boxes: 1 }]);
      await receiptsWork(store);
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
        await receiptsWork(store);
      } finally {
        await store.close();
      }
    });
  });
});

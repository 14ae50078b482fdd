import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHqServer } from '../../hq/server';
import { HQ_PG_MIGRATIONS } from '../../hq/store/postgres-migrations';
import { tempDir } from '../helpers/core';
import { startPostgres, type PgCluster } from '../helpers/postgres';

let cluster: PgCluster | null = null;
beforeAll(async () => {
  cluster = await startPostgres({ fsync: false });
});
afterAll(async () => {
  await cluster?.stop();
});

describe('HQ PostgreSQL migration 11 (journal chain)', () => {
  it('keeps every record and station of an HQ of version 10, with no chain until the station’s first chained batch', async () => {
    const databaseUrl = await cluster!.createDatabase();
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query('CREATE TABLE hq_schema (version INTEGER NOT NULL)');
      for (const m of HQ_PG_MIGRATIONS.slice(0, 10)) await m.up(client as unknown as pg.PoolClient);
      await client.query('INSERT INTO hq_schema VALUES (10)');
      await client.query(`INSERT INTO site (id, name, config, at) VALUES ('a', '东区', NULL, 'now');
        INSERT INTO station (id, site_id, name, local_station_id, public_key, enrolled_at, acked_through, number) VALUES ('s1', 'a', '东门台', 'l1', 'k', '2026-11-01', 2, 1);
        INSERT INTO record (station_id, seq, kind, entity_id, operator_id, at, payload, digest) VALUES
          ('s1', 1, 'tube.opened', 't1', 'o', 'now', '{}', 'd1'), ('s1', 2, 'tube.sealed', 't1', 'o', 'now', '{}', 'd2');`);
    } finally {
      await client.end();
    }
    const hq = await createHqServer({ dataDir: tempDir('hq-pg-upgrade-'), databaseUrl });
    try {
      expect(await hq.store.holdings('s1')).toEqual({ records: 2, conflicts: 0, maxSeq: 2 });
      expect(await hq.store.station('s1')).toMatchObject({ ackedThrough: 2, chainHead: null, chainError: null });
      expect(await hq.store.record('s1', 2)).toMatchObject({ digest: 'd2', chainHash: null });
      expect(await hq.store.sql.read((tx) => tx.one('SELECT version FROM hq_schema'))).toEqual({ version: HQ_PG_MIGRATIONS.length });
    } finally {
      await hq.close();
    }
  });
});

import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { createHqServer } from '../../../hq/server';
import { tempDir } from '../../helpers/core';
import { startPostgres, type PgCluster } from '../../helpers/postgres';
import { describeChainIngest } from './chain-ingest-suite';

/**
 * The journal chain fuzz suite of `journal-chain.test.ts` on PostgreSQL, HQ's backend at scale:
 * its ingest plans a batch before locking the station (the usual case: it follows what HQ holds),
 * a path of its own that the chain check must hold on as well. Fewer runs: each is a few round trips more.
 */
let cluster: PgCluster;
beforeAll(async () => {
  cluster = await startPostgres({ fsync: false });
});
afterAll(async () => {
  await cluster?.stop();
});

/**
 * One digest of every table but the signatures seen and the station rows (in tables with a
 * `station_id`, the station's rows only), and the station's own row but why its last batch was
 * refused and when it was last heard from: what a refused batch may not change.
 */
async function digestQuery(client: pg.Client): Promise<string> {
  const tables = await client.query<{ table_name: string; scoped: boolean }>(
    `SELECT t.table_name, EXISTS (SELECT 1 FROM information_schema.columns c WHERE c.table_schema = 'public' AND c.table_name = t.table_name AND c.column_name = 'station_id') AS scoped
     FROM information_schema.tables t WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND t.table_name NOT IN ('seen_signature', 'station') ORDER BY t.table_name`,
  );
  const parts = tables.rows.map(
    (t) => `SELECT '${t.table_name}' AS n, (SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM "${t.table_name}" x${t.scoped ? ' WHERE x.station_id = $1' : ''}) AS d`,
  );
  parts.push(`SELECT 'station' AS n, (SELECT (to_jsonb(s) - 'chain_error' - 'last_contact_at')::text FROM station s WHERE s.id = $1) AS d`);
  return `SELECT string_agg(n || ':' || coalesce(d, ''), ',' ORDER BY n) AS digest FROM (${parts.join(' UNION ALL ')}) parts`;
}

describeChainIngest(
  'PostgreSQL',
  async () => {
    const databaseUrl = await cluster.createDatabase();
    const hq = await createHqServer({ dataDir: tempDir('hq-chain-pg-fuzz-'), databaseUrl });
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    const sql = await digestQuery(client);
    return {
      hq,
      holdings: async (stationId) => (await client.query<{ digest: string }>(sql, [stationId])).rows[0]!.digest,
      async close() {
        await client.end();
        await hq.close();
      },
    };
  },
  60,
);

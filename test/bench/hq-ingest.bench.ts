import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, it } from 'vitest';
import { planIngest } from '../../hq/ingest';
import { HQ_PATHS } from '../../hq/protocol';
import { createHqServer, type HqServer } from '../../hq/server';
import type { HqStore } from '../../hq/store/types';
import { tempDir } from '../helpers/core';
import { startPostgres, type PgCluster } from '../helpers/postgres';
import { report } from '../helpers/stats';
import { SimStation, samplingJournal } from '../unit/hq/fixtures';

/**
 * HQ ingest rate: into PostgreSQL against `psql \copy` of the same rows in the same run (a
 * ratio), and into SQLite. HQ's figure includes what `\copy` does not do: validating every record,
 * its digest, and the dashboard projections (persons, tubes, bindings). Figures only, no asserts.
 */
const RECORDS = Number(process.env.HQ_BENCH_RECORDS ?? 300_000);
const BATCH = 5_000;

let cluster: PgCluster;
beforeAll(async () => {
  cluster = await startPostgres();
});
afterAll(async () => {
  await cluster?.stop();
});

type Journal = ReturnType<typeof samplingJournal>;

async function enroll(hq: HqServer, base: string): Promise<SimStation> {
  const { code } = await hq.createEnrollmentCode('bench-site', '基准采样点');
  const station = new SimStation(base, 'bench');
  const res = await station.enroll(code);
  if (res.status !== 200) throw new Error(`enroll failed: ${res.status}`);
  return station;
}

/**
 * Straight into the store: one transaction per batch, with the input the HTTP handler builds after
 * its checks (the station's site included, which lets the store plan a batch before locking).
 */
async function storeIngest(store: HqStore, stationId: string, siteId: string, journal: Journal): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < journal.length; i += BATCH) {
    const records = journal.slice(i, i + BATCH);
    const out = await store.ingest({
      stationId,
      batchId: crypto.randomUUID(),
      fromSeq: records[0]!.seq,
      toSeq: records[records.length - 1]!.seq,
      headSeq: journal.length,
      records,
      receivedAt: new Date().toISOString(),
      siteId,
    });
    if (out.kind !== 'ack') throw new Error('unexpected gap');
  }
  return (performance.now() - start) / 1000;
}

/** Over loopback HTTP: signed gzip batches (compressed before the clock starts), as a station sends them. */
async function httpIngest(station: SimStation, journal: Journal): Promise<number> {
  const bodies: Buffer[] = [];
  for (let i = 0; i < journal.length; i += BATCH) bodies.push(station.batchBody(journal.slice(i, i + BATCH), { headSeq: journal.length }).body);
  const start = performance.now();
  for (const body of bodies) {
    const res = await station.send(station.sign('POST', HQ_PATHS.batches, body));
    if (res.status !== 200) throw new Error(`batch refused: ${res.status} ${JSON.stringify(res.json)}`);
  }
  return (performance.now() - start) / 1000;
}

function copyText(value: string | number | null): string {
  if (value === null) return '\\N';
  return String(value).replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

/**
 * `psql \copy` of exactly the rows HQ writes, into the same tables in a fresh database: the
 * `record` rows alone (the journal), and every row of the ingest (record, person, tube, binding).
 */
async function psqlCopy(journal: Journal, stationId: string, siteId: string): Promise<{ records: number; everything: number }> {
  const plan = planIngest(journal, 0, []);
  const p = plan.projection;
  const finalTube = new Map(p.tubeStates.map((t) => [t.tubeId, t]));
  const tables: Record<string, (string | number | null)[][]> = {
    record: plan.newRecords.map((r) => [stationId, r.seq, r.kind, r.entityId, r.operatorId, r.at, r.payload, r.digest, r.rejection, r.detail]),
    person: p.persons.map((x) => [stationId, x.personId, siteId, x.personKey]),
    tube: p.tubesOpened.map((x) => [stationId, x.tubeId, siteId, x.code, x.capacity, x.roundId, x.day, x.at, finalTube.get(x.tubeId)?.state ?? 'open', finalTube.get(x.tubeId)?.count ?? 0]),
    binding: p.bindings.map((x) => [stationId, x.bindingId, siteId, x.tubeId, x.tubeCode, x.personId, x.roundId, x.day, x.at, 0]),
  };
  const dir = tempDir('hq-bench-copy-');
  const files: Record<string, string> = {};
  for (const [table, rows] of Object.entries(tables)) {
    files[table] = path.join(dir, `${table}.tsv`);
    fs.writeFileSync(files[table]!, `${rows.map((row) => row.map(copyText).join('\t')).join('\n')}\n`);
  }
  const timeCopy = async (which: string[]): Promise<number> => {
    const url = await cluster.createDatabase();
    const hq = await createHqServer({ dataDir: tempDir('hq-bench-copy-'), databaseUrl: url });
    await hq.close();
    const args = [url, '-v', 'ON_ERROR_STOP=1', '-q', ...which.flatMap((t) => ['-c', `\\copy ${t} FROM '${files[t]}'`])];
    const start = performance.now();
    execFileSync(path.join(cluster.binDir, 'psql'), args, { stdio: 'pipe' });
    return (performance.now() - start) / 1000;
  };
  return { records: await timeCopy(['record']), everything: await timeCopy(['record', 'person', 'tube', 'binding']) };
}

function rate(records: number, seconds: number): string {
  return `${Math.round(records / seconds).toLocaleString('en')} records/s (${seconds.toFixed(2)} s)`;
}

it(`HQ ingest of ${RECORDS.toLocaleString('en')} records: PostgreSQL vs psql \\copy, and SQLite`, async () => {
  const journal = samplingJournal(RECORDS);

  const pgStoreHq = await createHqServer({ dataDir: tempDir('hq-bench-'), databaseUrl: await cluster.createDatabase() });
  const pgStation = await enroll(pgStoreHq, await pgStoreHq.listen(0));
  const pgStore = await storeIngest(pgStoreHq.store, pgStation.stationId, 'bench-site', journal);
  await pgStoreHq.close();

  const pgHttpHq = await createHqServer({ dataDir: tempDir('hq-bench-'), databaseUrl: await cluster.createDatabase() });
  const pgHttpStation = await enroll(pgHttpHq, await pgHttpHq.listen(0));
  const pgHttp = await httpIngest(pgHttpStation, journal);
  await pgHttpHq.close();

  const copy = await psqlCopy(journal, pgStation.stationId, 'bench-site');

  const liteStoreHq = await createHqServer({ dataDir: tempDir('hq-bench-') });
  const liteStation = await enroll(liteStoreHq, await liteStoreHq.listen(0));
  const liteStore = await storeIngest(liteStoreHq.store, liteStation.stationId, 'bench-site', journal);
  await liteStoreHq.close();

  const liteHttpHq = await createHqServer({ dataDir: tempDir('hq-bench-') });
  const liteHttpStation = await enroll(liteHttpHq, await liteHttpHq.listen(0));
  const liteHttp = await httpIngest(liteHttpStation, journal);
  await liteHttpHq.close();

  report(`HQ ingest, ${RECORDS.toLocaleString('en')} sampling-desk records, batches of ${BATCH.toLocaleString('en')}`, [
    ['psql \\copy of the record rows', rate(RECORDS, copy.records)],
    ['psql \\copy of every row HQ writes', rate(RECORDS, copy.everything)],
    ['PostgreSQL: HQ store ingest', rate(RECORDS, pgStore)],
    ['PostgreSQL: HQ store / \\copy (record rows)', `${(pgStore / copy.records).toFixed(2)}x`],
    ['PostgreSQL: HQ store / \\copy (every row)', `${(pgStore / copy.everything).toFixed(2)}x`],
    ['PostgreSQL: signed gzip HTTP', rate(RECORDS, pgHttp)],
    ['PostgreSQL: HTTP / \\copy (record rows)', `${(pgHttp / copy.records).toFixed(2)}x`],
    ['SQLite: HQ store ingest', rate(RECORDS, liteStore)],
    ['SQLite: signed gzip HTTP', rate(RECORDS, liteHttp)],
  ]);
});

import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, it } from 'vitest';
import { chainColumns } from '../../electron/core/journal';
import { GENESIS_HASH } from '../../hq/chain';
import { inspectSliced, planIngest } from '../../hq/ingest';
import {
  answerBinding,
  canonicalRequest,
  HQ_PATHS,
  signAnswer,
  signRequest,
  verifyAnswer,
  verifySignature,
  type BatchRecord,
} from '../../hq/protocol';
import { createHqServer, type HqServer } from '../../hq/server';
import type { HqStore } from '../../hq/store/types';
import { openCore, tempDir } from '../helpers/core';
import { startPostgres, type PgCluster } from '../helpers/postgres';
import { ms, report, summarize } from '../helpers/stats';
import { chainRecords, SimStation, samplingJournal, type ChainedRun } from '../unit/hq/fixtures';

/**
 * What the journal chain and HQ's signatures cost (issue "Trust"): HQ's ingest of chained batches
 * against the same records unchained, in the same run (SQLite and PostgreSQL stores, and signed
 * gzip HTTP, where every answer is signed too); the parts measured apart (a batch's chain check,
 * the extra digest of entries with personal fields, one Ed25519 signature or check per answer and
 * per request); and the station's side: the chain of one journal entry, a whole append, and the
 * check of a whole journal. Figures only, no assertions.
 */
const RECORDS = Number(process.env.TRUST_BENCH_RECORDS ?? 100_000);
const BATCH = 5_000;

let cluster: PgCluster | null = null;
beforeAll(async () => {
  try {
    cluster = await startPostgres({ fsync: false });
  } catch (err) {
    process.stdout.write(`\ntrust bench: PostgreSQL not available (${err instanceof Error ? err.message : String(err)}); SQLite only\n`);
  }
});
afterAll(async () => {
  await cluster?.stop();
});

/** `journal` cut into batches, each chained after the one before it (as a station sends them) or not chained at all. */
function batches(journal: BatchRecord[], chained: boolean): ChainedRun[] {
  const out: ChainedRun[] = [];
  let prev = GENESIS_HASH;
  for (let i = 0; i < journal.length; i += BATCH) {
    const slice = journal.slice(i, i + BATCH);
    const run = chained ? chainRecords(slice, prev) : { prevHash: '', chainHead: '', records: slice };
    prev = run.chainHead;
    out.push(run);
  }
  return out;
}

const chainOf = (run: ChainedRun) => (run.prevHash ? { prevHash: run.prevHash, chainHead: run.chainHead } : {});

async function enroll(hq: HqServer, base: string): Promise<SimStation> {
  const { code } = await hq.createEnrollmentCode('bench-site', '基准采样点');
  const station = new SimStation(base, 'bench');
  const res = await station.enroll(code);
  if (res.status !== 200) throw new Error(`enroll failed: ${res.status}`);
  return station;
}

/** Straight into the store, one transaction per batch: seconds for all of them. */
async function storeIngest(store: HqStore, stationId: string, runs: ChainedRun[]): Promise<number> {
  const start = performance.now();
  for (const run of runs) {
    const out = await store.ingest({
      stationId,
      batchId: randomUUID(),
      fromSeq: run.records[0]!.seq,
      toSeq: run.records[run.records.length - 1]!.seq,
      headSeq: RECORDS,
      records: run.records,
      ...chainOf(run),
      receivedAt: new Date().toISOString(),
      siteId: 'bench-site',
    });
    if (out.kind !== 'ack') throw new Error(`batch not taken: ${JSON.stringify(out)}`);
  }
  return (performance.now() - start) / 1000;
}

/** Signed gzip batches over loopback (compressed before the clock starts); every answer signed by HQ. */
async function httpIngest(station: SimStation, runs: ChainedRun[]): Promise<number> {
  const bodies = runs.map((run) => station.batchBody(run.records, { headSeq: RECORDS, ...chainOf(run) }).body);
  const start = performance.now();
  for (const body of bodies) {
    const res = await station.send(station.sign('POST', HQ_PATHS.batches, body));
    if (res.status !== 200) throw new Error(`batch refused: ${res.status} ${JSON.stringify(res.json)}`);
  }
  return (performance.now() - start) / 1000;
}

/**
 * Ingest of the same records chained and not, each into a fresh HQ, twice, the two alternating so
 * that drift (other work on the machine) hits both; the better of each pair of runs is kept.
 */
async function ingestPair(databaseUrl: () => Promise<string | undefined>, via: 'store' | 'http', journal: BatchRecord[]): Promise<{ chained: number; plain: number }> {
  const seconds = { chained: Infinity, plain: Infinity };
  for (const chained of [false, true, false, true]) {
    const url = await databaseUrl();
    const hq = await createHqServer({ dataDir: tempDir('hq-trust-bench-'), ...(url ? { databaseUrl: url } : {}) });
    try {
      const station = await enroll(hq, await hq.listen(0));
      const runs = batches(journal, chained);
      const took = via === 'store' ? await storeIngest(hq.store, station.stationId, runs) : await httpIngest(station, runs);
      seconds[chained ? 'chained' : 'plain'] = Math.min(seconds[chained ? 'chained' : 'plain'], took);
    } finally {
      await hq.close();
    }
  }
  return seconds;
}

const rate = (records: number, seconds: number) => `${Math.round(records / seconds).toLocaleString('en')} records/s (${seconds.toFixed(2)} s)`;
const pair = (p: { chained: number; plain: number }): [string, string][] => [
  ['  unchained', rate(RECORDS, p.plain)],
  ['  chained', rate(RECORDS, p.chained)],
  ['  chained / unchained (time)', `${(p.chained / p.plain).toFixed(2)}×`],
];

/** Time per call of `fn`, `n` times after a few to warm up. */
function timed(n: number, fn: (i: number) => unknown): ReturnType<typeof summarize> {
  for (let i = 0; i < Math.min(50, n); i++) fn(i);
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    fn(i);
    samples.push(performance.now() - start);
  }
  return summarize(samples);
}

const us = (s: ReturnType<typeof summarize>) => `p50 ${(s.p50 * 1000).toFixed(1)} µs  p99 ${(s.p99 * 1000).toFixed(1)} µs  (${s.n} runs)`;
const perBatch = (s: ReturnType<typeof summarize>) => `p50 ${ms(s.p50)}  p99 ${ms(s.p99)}  (${s.n} batches; ${((s.p50 * 1000) / BATCH).toFixed(2)} µs per record)`;

it(`trust: HQ ingest of ${RECORDS.toLocaleString('en')} records, chained against unchained, and the chain and signatures measured apart`, async () => {
  const journal = samplingJournal(RECORDS);

  // The parts, without a database: one batch of BATCH sampling-desk records (a third of them with personal fields).
  const plainBatch = batches(journal.slice(0, BATCH), false)[0]!;
  const chainedBatch = batches(journal.slice(0, BATCH), true)[0]!;
  const inspectPlain: number[] = [];
  const inspectChained: number[] = [];
  const planPlain: number[] = [];
  const planChained: number[] = [];
  for (let round = 0; round < 30; round++) {
    let start = performance.now();
    const plainChecks = await inspectSliced(plainBatch.records);
    inspectPlain.push(performance.now() - start);
    start = performance.now();
    const chainedChecks = await inspectSliced(chainedBatch.records);
    inspectChained.push(performance.now() - start);
    start = performance.now();
    planIngest(plainBatch.records, 0, [], plainChecks);
    planPlain.push(performance.now() - start);
    start = performance.now();
    const plan = planIngest(chainedBatch.records, 0, [], chainedChecks, { head: null, prevHash: chainedBatch.prevHash, chainHead: chainedBatch.chainHead });
    planChained.push(performance.now() - start);
    if (!plan.chain.ok) throw new Error('the chained batch does not verify');
  }

  // Signatures: HQ signs every answer and checks every request; the station checks every answer and signs every request.
  const hqKey = generateKeyPairSync('ed25519');
  const stationKey = generateKeyPairSync('ed25519');
  const stationPem = stationKey.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const ack = Buffer.from(JSON.stringify({ type: 'hq.ack', batchId: randomUUID(), stationId: randomUUID(), ackedThrough: 5000, expectedSeq: 5001, rejections: [] }));
  const body = Buffer.alloc(200_000, 7);
  const request = signRequest({ stationId: 's', privateKey: stationKey.privateKey, method: 'POST', pathWithQuery: HQ_PATHS.batches, body, now: Date.now() });
  const answer = (i: number) => ({ status: 200, hqTime: String(1_700_000_000_000 + i), held: `5000:${GENESIS_HASH}`, request: answerBinding(request['x-station-signature'], body), body: ack });
  const signed = signAnswer(hqKey.privateKey, answer(0));
  const sign = timed(3000, (i) => signAnswer(hqKey.privateKey, answer(i)));
  const verify = timed(3000, () => verifyAnswer(hqKey.publicKey, answer(0), signed));
  const canonical = canonicalRequest('POST', HQ_PATHS.batches, request['x-station-timestamp'], body);
  const requestSign = timed(1000, () => signRequest({ stationId: 's', privateKey: stationKey.privateKey, method: 'POST', pathWithQuery: HQ_PATHS.batches, body, now: Date.now() }));
  const requestVerify = timed(1000, () => verifySignature(stationPem, canonical, request['x-station-signature']));

  const lite = () => Promise.resolve(undefined);
  const sqliteStore = await ingestPair(lite, 'store', journal);
  const sqliteHttp = await ingestPair(lite, 'http', journal);
  const pg = cluster ? () => cluster!.createDatabase() : null;
  const pgStore = pg ? await ingestPair(pg, 'store', journal) : null;
  const pgHttp = pg ? await ingestPair(pg, 'http', journal) : null;

  report(`Trust at HQ: ingest of ${RECORDS.toLocaleString('en')} sampling-desk records in batches of ${BATCH.toLocaleString('en')}, chained against unchained`, [
    ['SQLite store', ''],
    ...pair(sqliteStore),
    ['SQLite, signed gzip HTTP (answers signed)', ''],
    ...pair(sqliteHttp),
    ...(pgStore && pgHttp ? [['PostgreSQL store', ''] as [string, string], ...pair(pgStore), ['PostgreSQL, signed gzip HTTP (answers signed)', ''] as [string, string], ...pair(pgHttp)] : []),
  ]);
  const inspectP = summarize(inspectPlain);
  const inspectC = summarize(inspectChained);
  const planP = summarize(planPlain);
  const planC = summarize(planChained);
  report(`Trust at HQ, the parts: one batch of ${BATCH.toLocaleString('en')} records (no database)`, [
    ['inspect, unchained', perBatch(inspectP)],
    ['inspect, chained (+ digest without personal fields)', perBatch(inspectC)],
    ['plan, unchained', perBatch(planP)],
    ['plan, chained (+ the chain check)', perBatch(planC)],
    ['chain check of a batch (plan chained − unchained)', `${ms(planC.p50 - planP.p50)} per batch, ${(((planC.p50 - planP.p50) * 1000) / BATCH).toFixed(2)} µs per record`],
    ['personal-field digests of a batch (inspect chained − unchained)', `${ms(inspectC.p50 - inspectP.p50)} per batch`],
    ['HQ signs an answer (Ed25519, ack body)', us(sign)],
    ['station checks an answer', us(verify)],
    ['station signs a request (200 kB body: SHA-256 + Ed25519)', us(requestSign)],
    ['HQ checks a request (key from its PEM, as stored)', us(requestVerify)],
  ]);

  // The station: the chain of one entry, a whole append (in a transaction of 500), and the check of the whole journal.
  const binding = journal.find((r) => r.kind === 'binding.created')!;
  const person = journal.find((r) => r.kind === 'person.registered')!;
  const chainBinding = timed(20_000, () => chainColumns(GENESIS_HASH, binding));
  const chainPerson = timed(20_000, () => chainColumns(GENESIS_HASH, person));
  const core = await openCore(tempDir('station-trust-bench-'));
  try {
    const stationId = core.identity.station.id;
    const appends: number[] = [];
    const ENTRIES = 100_000;
    for (let done = 0; done < ENTRIES; done += 500) {
      const start = performance.now();
      await core.writer.run(() => {
        for (let k = 0; k < 500; k++) {
          const r = journal[(done + k) % journal.length]!;
          core.journal.append({ stationId, kind: r.kind as never, entityId: r.entityId, operatorId: r.operatorId, at: r.at, payload: r.payload });
        }
      });
      appends.push((performance.now() - start) / 500);
    }
    const append = summarize(appends);
    const entries = core.journal.lastSeq();
    const start = performance.now();
    const check = await core.invoke('journal.verify', {});
    const checkSeconds = (performance.now() - start) / 1000;
    if (!check.ok || !check.value.ok) throw new Error(`journal check failed: ${JSON.stringify(check)}`);
    report('Trust at the station: the journal chain', [
      ['chain of a binding entry (hash)', us(chainBinding)],
      ['chain of a person entry (salt, personal digest, hash)', us(chainPerson)],
      ['journal append, chain included (500 per transaction)', `p50 ${(append.p50 * 1000).toFixed(1)} µs per entry  (${append.n} transactions)`],
      ['chain share of an append (mean of binding and person)', `${(((chainBinding.p50 + chainPerson.p50) / 2 / append.p50) * 100).toFixed(0)} %`],
      [`check of the whole journal (${entries.toLocaleString('en')} entries)`, `${checkSeconds.toFixed(2)} s, ${Math.round(entries / checkSeconds).toLocaleString('en')} entries/s`],
    ]);
  } finally {
    core.close();
  }
}, 900_000);

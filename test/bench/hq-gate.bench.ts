import { afterAll, beforeAll, it } from 'vitest';
import { gateDay, keyPersonHits } from '../../hq/domains/gate';
import { createHqServer, type HqServer } from '../../hq/server';
import { tempDir } from '../helpers/core';
import { startPostgres, type PgCluster } from '../helpers/postgres';
import { ms, report, summarize } from '../helpers/stats';
import { SimStation } from '../unit/hq/fixtures';
import { GateJournal, siteAt } from '../unit/hq/gate-fixtures';

/**
 * The gate at HQ: a site's day of `HQ_GATE_BENCH_PASSAGES` passages (100,000 by default) through
 * two gates, ingested into the store (the gate's projections included), then the dashboard's
 * reads: the day per hour with its totals, and the day's key-person hits. Figures only, no asserts.
 */
const PASSAGES = Number(process.env.HQ_GATE_BENCH_PASSAGES ?? 100_000);
const BATCH = 5_000;
const DAY = '2026-11-20';
const READS = 20;

let cluster: PgCluster;
beforeAll(async () => {
  cluster = await startPostgres();
});
afterAll(async () => {
  await cluster?.stop();
});

/** Half the passages at each gate: residents passing ten times a day, a reading on the way in, 1 % key persons, a few fevers. */
function gateJournal(prefix: string, passages: number): GateJournal {
  const j = new GateJournal(prefix);
  const people = Math.max(1, Math.floor(passages / 10));
  const span = 16 * 3600; // 06:00 to 22:00, site time
  const persons = Array.from({ length: people }, (_, i) => j.person(siteAt(DAY, '05:00', i % 3600), { n: i }));
  for (let i = 0; i < passages; i++) {
    const person = persons[i % people]!;
    const at = siteAt(DAY, '06:00', Math.floor((i * span) / passages));
    const direction = Math.floor(i / people) % 2 === 0 ? 'in' : 'out';
    const key = i % people < people / 100;
    const id = j.passage(person, at, { direction, ...(key ? { keyPerson: ['kp-bench'], residency: 'outsider' as const } : {}) });
    if (direction === 'in') j.reading(id, at, i % 200 === 0 ? 37.9 : 36.5, i % 200 === 0 ? 'fever' : 'normal');
  }
  return j;
}

async function run(hq: HqServer, base: string, label: string): Promise<[string, string][]> {
  const journals = [gateJournal('A', PASSAGES / 2), gateJournal('B', PASSAGES / 2)];
  let records = 0;
  const start = performance.now();
  for (const [i, journal] of journals.entries()) {
    const { code } = await hq.createEnrollmentCode('bench-gate', '基准卡点');
    const station = new SimStation(base, `gate-${i}`);
    if ((await station.enroll(code)).status !== 200) throw new Error('enroll failed');
    for (let k = 0; k < journal.records.length; k += BATCH) {
      const batch = journal.records.slice(k, k + BATCH);
      const out = await hq.store.ingest({
        stationId: station.stationId,
        batchId: crypto.randomUUID(),
        fromSeq: batch[0]!.seq,
        toSeq: batch[batch.length - 1]!.seq,
        headSeq: journal.records.length,
        records: batch,
        receivedAt: new Date().toISOString(),
        siteId: 'bench-gate',
      });
      if (out.kind !== 'ack' || out.rejections.length > 0) throw new Error(`batch not taken: ${JSON.stringify(out).slice(0, 300)}`);
    }
    records += journal.records.length;
  }
  const ingestS = (performance.now() - start) / 1000;
  const day: number[] = [];
  const hits: number[] = [];
  let passages = 0;
  let hitCount = 0;
  for (let i = 0; i < READS; i++) {
    let t = performance.now();
    passages = (await hq.store.sql.read((tx) => gateDay(tx, 'bench-gate', DAY)))!.totals.passages;
    day.push(performance.now() - t);
    t = performance.now();
    hitCount = (await hq.store.sql.read((tx) => keyPersonHits(tx, 'bench-gate', { day: DAY }))).length;
    hits.push(performance.now() - t);
  }
  const d = summarize(day);
  const h = summarize(hits);
  return [
    [`${label}: gate records ingested`, `${records} in ${ingestS.toFixed(1)} s (${Math.round(records / ingestS)}/s)`],
    [`${label}: a day per hour + totals (${passages} passages)`, `p50 ${ms(d.p50)}, p99 ${ms(d.p99)}`],
    [`${label}: the day's key-person hits (${hitCount}, up to 500)`, `p50 ${ms(h.p50)}, p99 ${ms(h.p99)}`],
  ];
}

it('reads a site’s day of gate passages per hour, and its key-person hits', async () => {
  const rows: [string, string][] = [];
  for (const backend of ['sqlite', 'postgres'] as const) {
    const databaseUrl = backend === 'postgres' ? await cluster.createDatabase() : undefined;
    const hq = await createHqServer({ dataDir: tempDir('hq-gate-bench-'), databaseUrl });
    try {
      rows.push(...(await run(hq, await hq.listen(0), backend)));
    } finally {
      await hq.close();
    }
  }
  report(`HQ gate dashboard, ${PASSAGES} passages in one site day (${READS} reads each)`, rows);
});

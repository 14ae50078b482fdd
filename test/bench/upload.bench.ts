import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { afterAll, beforeAll, it } from 'vitest';
import { StationCore } from '../../electron/core/core';
import { newId } from '../../electron/core/ids';
import { DEFAULT_TUNING } from '../../electron/core/upload/agent';
import { dataKeyOf, tempDir } from '../helpers/core';
import { startPostgres, type PgCluster } from '../helpers/postgres';
import { report } from '../helpers/stats';
import { ROOT, STATION_BIN } from '../helpers/station-process';
import { personId } from '../e2e/upload-env';

/**
 * Upload throughput, one station to HQ over loopback: the journal already holds RECORDS entries
 * (a desk that was offline), the agent in this process ships them through a real `station hq`
 * process, SQLite and PostgreSQL backends. Also the agent's memory while it runs (this process
 * holds the agent; HQ is the child). Figures only, no asserts.
 */
const RECORDS = Number(process.env.UPLOAD_BENCH_RECORDS ?? 1_000_000);
const ADMIN = 'upload-bench-admin';
/** Records per batch; the agent's default unless UPLOAD_BENCH_BATCH says otherwise. */
const LIMITS = { ...DEFAULT_TUNING.limits, maxRecords: Number(process.env.UPLOAD_BENCH_BATCH ?? DEFAULT_TUNING.limits.maxRecords) };

let cluster: PgCluster | null = null;
const children: ChildProcess[] = [];

beforeAll(async () => {
  try {
    cluster = await startPostgres({ fsync: true });
  } catch (err) {
    process.stdout.write(`\nupload bench: PostgreSQL not available (${err instanceof Error ? err.message : String(err)}); SQLite only\n`);
  }
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await cluster?.stop();
});

async function startHqProcess(databaseUrl: string | undefined, dataDir: string): Promise<string> {
  const child = spawn(process.execPath, [STATION_BIN, 'hq', '--data', dataDir, '--port', '0'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HQ_ADMIN_TOKEN: ADMIN, HQ_DATABASE_URL: databaseUrl ?? '', STATION_LOG_LEVEL: 'warn' },
  });
  children.push(child);
  return new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`hq exited with ${code}: ${err}`)));
  });
}

/**
 * The journal of a busy desk, written straight into the table in one transaction (the desk
 * itself would take hours): per tube, opened, ten people registered and bound, sealed; ids made
 * as the desk makes them (`newId`).
 */
function fillJournal(core: StationCore, records: number): void {
  const stationId = core.identity.station.id;
  const operatorId = core.session.operatorId();
  const roundId = core.rounds.current()!.id;
  const insert = core.db.prepare('INSERT INTO journal (seq, station_id, kind, entity_id, operator_id, at, payload) VALUES (?, ?, ?, ?, ?, ?, ?)');
  let seq = core.journal.lastSeq();
  const target = seq + records;
  const at = new Date().toISOString();
  const add = (kind: string, entityId: string, payload: object) => {
    if (seq < target) insert.run(++seq, stationId, kind, entityId, operatorId, at, JSON.stringify(payload));
  };
  core.db.transaction(() => {
    for (let tube = 1; seq < target; tube++) {
      const tubeId = newId();
      const code = `SY${String(tube).padStart(10, '0')}`;
      add('tube.opened', tubeId, { code, capacity: 10, roundId });
      for (let i = 0; i < 10; i++) {
        const personUuid = newId();
        const idNumber = personId((tube * 10 + i) % 20_000);
        add('person.registered', personUuid, { key: `id:${idNumber}:${tube}`, idNumber, regCode: null, name: '测试人员', phone: null, format: 'id18' });
        add('binding.created', newId(), { tubeId, tubeCode: code, personId: personUuid, roundId, repeatConfirmed: false });
      }
      add('tube.sealed', tubeId, { code, count: 10, cause: 'capacity' });
    }
  })();
}

async function uploadRun(backend: 'sqlite' | 'postgres'): Promise<void> {
  const databaseUrl = backend === 'postgres' ? await cluster!.createDatabase() : undefined;
  const hqDir = tempDir('hq-bench-');
  const stationDir = tempDir('station-bench-');
  const hqUrl = await startHqProcess(databaseUrl, hqDir);
  const codeAnswer = await fetch(new URL('/api/v1/admin/codes', hqUrl), {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ siteId: 'bench-site', siteName: '基准采样点' }),
  });
  const { code } = (await codeAnswer.json()) as { code: string };
  const core = new StationCore({ dataDir: stationDir, dataKey: dataKeyOf(stationDir), upload: { tuning: { idleMs: 20, feedIdleMs: 60_000, limits: LIMITS } } });
  try {
    const enrolled = await core.invoke('upload.enroll', { hqUrl, code });
    if (!enrolled.ok) throw new Error(`enroll failed: ${enrolled.error.code}`);
    // A round of the site, started at this desk: HQ sends every binding of it back as marks for the other desks.
    const round = await core.invoke('round.start', { name: '基准轮次' });
    if (!round.ok) throw new Error(`round start failed: ${round.error.code}`);
    const fillStart = performance.now();
    fillJournal(core, RECORDS);
    const fillSeconds = (performance.now() - fillStart) / 1000;
    const head = core.journal.lastSeq();

    global.gc?.();
    const base = process.memoryUsage();
    let peakRss = base.rss;
    let peakHeap = base.heapUsed;
    // RSS is cheap to read and sampled often; the heap figure walks V8's spaces and is read less often.
    let ticks = 0;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage.rss());
      if (++ticks % 10 === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    }, 20);
    const start = performance.now();
    core.upload.start();
    while (core.upload.store.state().ackedThrough < head) await new Promise((r) => setTimeout(r, 20));
    const seconds = (performance.now() - start) / 1000;
    clearInterval(sampler);
    const status = core.upload.status();
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
    report(`Upload, one station -> HQ (${backend}) over loopback, ${head.toLocaleString('en')} records`, [
      ['records/s end to end', Math.round(head / seconds).toLocaleString('en')],
      ['upload time', `${seconds.toFixed(1)} s`],
      ['batch limits', `${LIMITS.maxRecords} records / ${mb(LIMITS.maxBytes)} JSON`],
      ['rejections', String(status.rejectionCount)],
      ['agent process RSS: before / peak', `${mb(base.rss)} / ${mb(peakRss)}`],
      ['agent process heap: before / peak', `${mb(base.heapUsed)} / ${mb(peakHeap)}`],
      ['journal fill (direct inserts)', `${fillSeconds.toFixed(1)} s`],
    ]);
  } finally {
    core.close();
    const child = children.pop();
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    // The next run starts on a quiet disk: this run's files are removed and the rest written back
    // first (a run started while a gigabyte of the previous one was still being written back was
    // about a tenth slower in a trial).
    fs.rmSync(hqDir, { recursive: true, force: true });
    fs.rmSync(stationDir, { recursive: true, force: true });
    execFileSync('sync');
  }
}

it('upload throughput and agent memory, SQLite HQ', async () => {
  await uploadRun('sqlite');
});

it('upload throughput and agent memory, PostgreSQL HQ', async () => {
  if (!cluster) return;
  await uploadRun('postgres');
});

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StationCore } from '../../../electron/core/core';
import { siteDayCounts } from '../../../hq/domains/reports';
import { HQ_PATHS } from '../../../hq/protocol';
import { createHqServer, type HqServer } from '../../../hq/server';
import { dataKeyOf, ok, signInAdmin, tempDir, TEST_ADMIN } from '../../helpers/core';
import { idNumber, tubeCode } from '../../helpers/ids';
import { startPostgres, type PgCluster } from '../../helpers/postgres';

let cluster: PgCluster | undefined;
beforeAll(async () => {
  cluster = await startPostgres({ fsync: false });
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

const cores: StationCore[] = [];
let hq: HqServer | undefined;
afterEach(async () => {
  for (const c of cores.splice(0)) {
    await c.upload.stop();
    c.close();
  }
  await hq?.close();
  hq = undefined;
});

const scan = (text: string) => ({ text, source: 'manual' as const });
const DAY = '2026-11-20';
const at = (hhmm: string, day = DAY) => Date.parse(`${day}T${hhmm}:00.000+08:00`);

async function until(what: string, check: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not reached: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.each(['sqlite', 'postgres'] as const)('the site day at HQ on %s', (backend) => {
  it('counts every station of the site per site hour, and a station keeps the answer for its report', async () => {
    const databaseUrl = backend === 'postgres' ? await cluster!.createDatabase() : undefined;
    let now = at('09:10');
    hq = await createHqServer({ dataDir: tempDir('hq-report-'), databaseUrl, now: () => now });
    const url = await hq.listen(0);
    // Only a station of the site, signed: nobody else reads a site's day.
    const unsigned = await fetch(`${url}${HQ_PATHS.siteDay}?day=${DAY}`);
    expect(unsigned.status).toBe(401);
    const stations: StationCore[] = [];
    for (const n of [1, 2]) {
      const { code } = await hq.createEnrollmentCode('site-r', '东区采样点');
      const dataDir = tempDir();
      const core = await signInAdmin(new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), devices: 'off', now: () => new Date(now), upload: { tuning: { feedIdleMs: 50 } } }));
      cores.push(core);
      await ok(core, 'upload.enroll', { hqUrl: url, code });
      stations.push(core);
      void n;
    }
    const [a, b] = stations as [StationCore, StationCore];
    const told: unknown[] = [];
    a.subscribe((e) => e.event === 'report.siteChanged' && told.push(e.payload));
    // The site's round, from HQ through the feed.
    await hq.startRound({ siteId: 'site-r', name: '第1轮', startsOn: '2026-11-19', endsOn: '2026-11-21' });
    for (const c of stations) c.upload.start();
    await until('the round at both', async () => {
      for (const c of stations) if (!(await ok(c, 'round.list', {})).some((r) => r.closedAt === null)) return false;
      return true;
    });
    // Desk A, 09:10: a tube of two people, one undone; the day before, one more (not counted).
    now = at('23:40', '2026-11-19');
    await ok(a, 'operator.signIn', { code: TEST_ADMIN.code, pin: TEST_ADMIN.pin });
    await ok(a, 'scan.submit', scan(tubeCode(1)));
    await ok(a, 'scan.submit', scan(idNumber(1)));
    now = at('09:10');
    for (const c of stations) await ok(c, 'operator.signIn', { code: TEST_ADMIN.code, pin: TEST_ADMIN.pin });
    await ok(a, 'scan.submit', scan(tubeCode(2)));
    await ok(a, 'scan.submit', scan(idNumber(2)));
    await ok(a, 'scan.submit', scan(idNumber(3)));
    await ok(a, 'binding.undo', { reason: '扫错了' });
    // Station B, 15:20: works as a gate; one in (with a fever), one out.
    now = at('15:20');
    for (const c of stations) await ok(c, 'operator.signIn', { code: TEST_ADMIN.code, pin: TEST_ADMIN.pin });
    await ok(b, 'station.setWorkplace', { workplace: 'gate' });
    const entered = await ok(b, 'gate.scan', { ...scan(idNumber(7)), direction: 'in' });
    if (entered.kind !== 'gate.passage') throw new Error('not a passage');
    await ok(b, 'gate.reading', { passageId: entered.passage.id, celsius: 38.6 });
    const second = await ok(b, 'gate.reading', { passageId: entered.passage.id, celsius: 38.7 });
    expect(second.temperature.state).toBe('fever');
    await ok(b, 'gate.scan', { ...scan(idNumber(8)), direction: 'out' });

    await until('both uploaded', () => stations.every((c) => c.upload.status().waiting === 0));

    const counts = await hq.store.sql.read((tx) => siteDayCounts(tx, 'site-r', DAY));
    const nonZero = (m: keyof (typeof counts.hours)[number]) => counts.hours.filter((h) => h[m] > 0).map((h) => [h.hour, h[m]]);
    expect(nonZero('people')).toEqual([[9, 1]]);
    expect(nonZero('tubesOpened')).toEqual([[9, 1]]);
    expect(nonZero('gateIn')).toEqual([[15, 1]]);
    expect(nonZero('gateOut')).toEqual([[15, 1]]);
    expect(nonZero('fevers')).toEqual([[15, 1]]);
    const before = await hq.store.sql.read((tx) => siteDayCounts(tx, 'site-r', '2026-11-19'));
    expect(before.hours[23]!.people).toBe(1);
    expect(before.hours.reduce((n, h) => n + h.tubesOpened, 0)).toBe(1);
    // Another site's day is its own.
    const other = await hq.store.sql.read((tx) => siteDayCounts(tx, 'site-other', DAY));
    expect(other.hours.every((h) => h.people === 0 && h.gateIn === 0)).toBe(true);

    // Station A's report: its own figures, and the site's as HQ answered after a feed pull.
    await until('the site answer kept', async () => (await ok(a, 'report.day', {})).siteScope?.totals.gateIn === 1);
    const report = await ok(a, 'report.day', {});
    expect(report.here.totals).toMatchObject({ people: 1, gateIn: 0 });
    expect(report.siteScope).toMatchObject({ asOf: new Date(now).toISOString(), totals: { people: 1, tubesOpened: 1, gateIn: 1, gateOut: 1, fevers: 1 } });
    expect(report.syncedAt).not.toBeNull();
    // The screen was told each time HQ answered.
    expect(told).toContainEqual({ day: DAY, asOf: new Date(now).toISOString() });
  }, 60_000);
});

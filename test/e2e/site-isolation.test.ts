import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StationCore } from '../../electron/core/core';
import { HQ_PATHS } from '../../hq/protocol';
import { ok } from '../helpers/core';
import { startPostgres, type PgCluster } from '../helpers/postgres';
import { personId, siteDesk, startHq, waitFor, type RunningHq } from './upload-env';

let cluster: PgCluster | null = null;
beforeAll(async () => {
  cluster = await startPostgres({ fsync: false });
});
afterAll(async () => {
  await cluster?.stop();
});

const ADMIN = 'isolation-admin';
const SITE = { id: 'site-isolation', name: '隔离社区' };

const count = (core: StationCore, sql: string, ...params: unknown[]) => (core.db.prepare(sql).get(...params) as { n: number }).n;

describe.each(['sqlite', 'postgres'] as const)('home isolation across a site, HQ on %s', (backend) => {
  let hq: RunningHq | undefined;
  const desks: StationCore[] = [];
  afterEach(async () => {
    for (const d of desks.splice(0)) d.close();
    await hq?.server.close();
  });

  async function admin(path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(`${hq!.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }

  const sync = (...cores: StationCore[]) => {
    for (const c of cores) c.upload.syncNow();
  };

  it('an isolation HQ starts reaches both desks; readings, a desk’s own isolation and HQ’s end go round; the dashboard shows the tasks', async () => {
    const databaseUrl = backend === 'postgres' ? await cluster!.createDatabase() : undefined;
    hq = await startHq({ databaseUrl, adminToken: ADMIN });
    const one = await siteDesk(hq, SITE, desks);
    const two = await siteDesk(hq, SITE, desks);

    // Refused at HQ (an ID number whose check character is wrong): nothing stored, nothing relayed.
    const bad = personId(1).slice(0, 17) + (personId(1).endsWith('1') ? '2' : '1');
    expect(await admin(HQ_PATHS.adminIsolation, { siteId: SITE.id, household: '3-2-502', persons: [{ idNumber: bad, name: '张三' }], reason: '密接' })).toMatchObject({
      status: 409,
      json: { error: 'isolation.idNumberInvalid' },
    });
    expect(await admin(HQ_PATHS.adminIsolation, { siteId: SITE.id, persons: [], reason: '密接' })).toMatchObject({ status: 400 });

    // HQ puts a household of two in isolation: both desks receive it.
    const started = await admin(HQ_PATHS.adminIsolation, {
      siteId: SITE.id,
      household: '3-2-502',
      persons: [
        { idNumber: personId(1), name: '张三' },
        { idNumber: personId(2), name: '李四' },
      ],
      reason: '密接',
    });
    expect(started.status).toBe(200);
    const isolationId = started.json.isolationId as string;
    for (const d of [one, two]) {
      await waitFor('HQ’s isolation at the desk', async () => {
        sync(d);
        return (await ok(d, 'isolation.list', { open: true, limit: 10, offset: 0 })).total === 1;
      }, 30_000);
    }
    const atTwo = (await ok(two, 'isolation.list', { open: true, limit: 10, offset: 0 })).isolations[0]!;
    expect(atTwo).toMatchObject({ id: isolationId, origin: 'feed', stationName: '总部', household: '3-2-502', state: 'active', dayNumber: 1, samplingDays: [1, 4, 7, 10, 14] });
    const zhang = atTwo.persons.find((p) => p.name === '张三')!;

    // Desk 1 takes Zhang's morning temperature and samples him: desk 2 sees the reading; HQ counts both tasks done.
    await ok(one, 'isolation.reading', { isolationId, personId: zhang.id, slot: 'morning', celsius: 36.6, source: 'typed' });
    await ok(one, 'round.start', { name: '第1轮' });
    await ok(one, 'scan.submit', { text: 'SY0000000101', source: 'manual' });
    await ok(one, 'scan.submit', { text: personId(1), source: 'manual' });
    sync(one);
    await waitFor('the reading at desk 2', () => {
      sync(two);
      return count(two, "SELECT count(*) AS n FROM isolation_reading WHERE origin = 'feed'") === 1;
    }, 30_000);
    const tasksAtTwo = await ok(two, 'isolation.tasks', {});
    expect(tasksAtTwo.tasks.find((t) => t.name === '张三' && t.kind === 'temperatureMorning')).toMatchObject({ status: 'done', celsius: 36.6 });
    await waitFor('the sampling at HQ', async () => {
      sync(one);
      const view = await admin(`${HQ_PATHS.adminIsolation}?siteId=${SITE.id}`);
      const today = (view.json.isolations as { today: { name: string; kind: string; status: string }[] }[])[0]?.today ?? [];
      return today.some((t) => t.name === '张三' && t.kind === 'sampling' && t.status === 'done');
    }, 30_000);
    const view = await admin(`${HQ_PATHS.adminIsolation}?siteId=${SITE.id}`);
    const hqToday = (view.json.isolations as { today: { name: string; kind: string; status: string }[] }[])[0]!.today.map((t) => `${t.name} ${t.kind} ${t.status}`);
    expect(hqToday).toEqual(expect.arrayContaining(['张三 sampling done', '张三 temperatureMorning done', '李四 sampling pending']));

    // Desk 2 puts one person in isolation itself: desk 1 receives it through HQ.
    const own = await ok(two, 'isolation.start', { subject: { kind: 'person', idNumber: personId(3), name: '王五', household: '4-1-101' }, reason: '境外返回' });
    sync(two);
    await waitFor('desk 2’s isolation at desk 1', async () => {
      sync(one);
      return (await ok(one, 'isolation.list', { open: true, limit: 10, offset: 0 })).isolations.some((i) => i.id === own.id && i.origin === 'feed');
    }, 30_000);

    // HQ ends its isolation: closed at both desks; ending it again is refused.
    expect(await admin(`${HQ_PATHS.adminIsolation}/end`, { isolationId, reason: '转集中隔离' })).toMatchObject({ status: 200 });
    expect(await admin(`${HQ_PATHS.adminIsolation}/end`, { isolationId, reason: '再次' })).toMatchObject({ status: 409, json: { error: 'isolation.alreadyEnded' } });
    for (const d of [one, two]) {
      await waitFor('the end at the desk', async () => {
        sync(d);
        return (await ok(d, 'isolation.list', { open: false, limit: 10, offset: 0 })).isolations.some((i) => i.id === isolationId && i.state === 'ended');
      }, 30_000);
      expect((await ok(d, 'isolation.tasks', {})).tasks.every((t) => t.isolationId !== isolationId)).toBe(true);
    }

    // The dashboard's page: the site's isolations, the one ended with its reason.
    const page = await fetch(`${hq.url}/dashboard/isolation?site=${SITE.id}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('居家隔离');
    expect(html).toContain('转集中隔离');
    expect(html).toContain('王五');
    expect(html).not.toContain(personId(3));
  });
});

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HQ_PATHS, feedResponseSchema, parseFeedItem, type FeedItem } from '../../hq/protocol';
import { createHqServer, type HqServer } from '../../hq/server';
import { tempDir } from '../helpers/core';
import { startPostgres, type PgCluster } from '../helpers/postgres';
import { SimStation, samplingJournal } from '../unit/hq/fixtures';

const ADMIN = 'site-desks-admin';
let cluster: PgCluster | null = null;

beforeAll(async () => {
  cluster = await startPostgres({ fsync: false });
});
afterAll(async () => {
  await cluster?.stop();
});

describe.each(['sqlite', 'postgres'] as const)('many desks at one site, HQ on %s', (backend) => {
  let hq: HqServer;
  let base: string;

  beforeEach(async () => {
    const databaseUrl = backend === 'postgres' ? await cluster!.createDatabase() : undefined;
    hq = await createHqServer({ dataDir: tempDir('hq-desks-'), databaseUrl, adminToken: ADMIN });
    base = await hq.listen(0);
  });
  afterEach(async () => {
    await hq.close();
  });

  async function admin(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` }, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }

  async function enroll(siteId: string): Promise<{ station: SimStation; number: number; name: string }> {
    const { code } = await hq.createEnrollmentCode(siteId, `采样点 ${siteId}`);
    const station = new SimStation(base);
    const res = await station.enroll(code);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { stationNumber: number; stationName: string };
    return { station, number: body.stationNumber, name: body.stationName };
  }

  async function feedOf(station: SimStation): Promise<FeedItem[]> {
    const raw = feedResponseSchema.parse((await station.feed(0, 1000)).json);
    return raw.items.map((i) => {
      const checked = parseFeedItem(i);
      if (!checked.ok) throw new Error(`feed item does not parse: ${checked.detail}`);
      return checked.item;
    });
  }

  it('numbers the stations of a site 1, 2, 3 and never gives a number twice', async () => {
    const a = await enroll('site-a');
    const b = await enroll('site-a');
    const elsewhere = await enroll('site-b');
    expect([a.number, a.name, b.number, b.name]).toEqual([1, '1号采样台', 2, '2号采样台']);
    expect(elsewhere.number).toBe(1);
    // A taken number is refused; a free one is given and the station hears of it.
    expect(await admin(HQ_PATHS.adminStations, { stationId: b.station.stationId, number: 1 })).toMatchObject({ status: 409, json: { error: 'station.numberTaken' } });
    expect((await admin(HQ_PATHS.adminStations, { stationId: b.station.stationId, number: 7, name: '东门 7 号台' })).status).toBe(200);
    const identity = (await feedOf(b.station)).filter((i) => i.kind === 'station.identity');
    expect(identity.map((i) => i.payload)).toEqual([{ siteId: 'site-a', siteName: '采样点 site-a', number: 7, name: '东门 7 号台' }]);
    expect((await feedOf(a.station)).filter((i) => i.kind === 'station.identity')).toEqual([]);
    // Number 2, once station b's, is not given to the next station.
    const c = await enroll('site-a');
    expect(c.number).toBe(3);
    expect(await admin(HQ_PATHS.adminStations, { stationId: c.station.stationId, number: 2 })).toMatchObject({ status: 409, json: { error: 'station.numberTaken' } });
    expect(await admin(HQ_PATHS.adminStations, { stationId: 'nope', name: 'x' })).toMatchObject({ status: 404, json: { error: 'station.unknown' } });
    expect((await admin(HQ_PATHS.adminStations, { stationId: c.station.stationId, number: 1000 })).status).toBe(400);
  });

  it('flags a pre-printed tube code opened at two stations, holds its result until staff say which tube it is, then recalls only that tube', async () => {
    const first = await enroll('site-a');
    const later = await enroll('site-a');
    const at = Date.now();
    // Both desks open SY0010000001 (the same pre-printed label), with different people.
    await first.station.upload(samplingJournal(23, { at: new Date(at) }));
    await later.station.upload(samplingJournal(23, { at: new Date(at + 60_000), personOffset: 500 }));
    const firstItems = (await feedOf(first.station)).filter((i) => i.kind === 'tube.conflict');
    const laterItems = (await feedOf(later.station)).filter((i) => i.kind === 'tube.conflict');
    expect(firstItems).toHaveLength(1);
    expect(laterItems).toHaveLength(1);
    expect(firstItems[0]!.payload).toMatchObject({ code: 'SY0010000001', later: false, resolved: null, others: [{ stationNumber: 2, stationName: '2号采样台' }] });
    expect(laterItems[0]!.payload).toMatchObject({ code: 'SY0010000001', later: true, resolved: null, others: [{ stationNumber: 1, stationName: '1号采样台' }] });
    const dash = await hq.store.dashboard(new Date().toISOString().slice(0, 10));
    expect(dash.tubeConflicts.map((c) => [c.code, c.tubes.map((t) => t.stationNumber), c.resolved])).toEqual([['SY0010000001', [1, 2], null]]);

    // No result while the code is ambiguous, on the API and on the dashboard form alike.
    expect(await admin(HQ_PATHS.adminResults, { tubeCode: 'SY0010000001', result: 'positive' })).toMatchObject({ status: 409, json: { error: 'tube.ambiguous' } });
    expect(await hq.store.retestTasks('SY0010000001')).toEqual([]);

    expect((await admin(`${HQ_PATHS.adminTubeConflicts}/resolve`, { code: 'SY0010000001', stationId: later.station.stationId, note: '实验室核对：送检的是 2 号台的管' })).status).toBe(200);
    const resolved = (await feedOf(later.station)).filter((i) => i.kind === 'tube.conflict').pop()!;
    expect(resolved.payload).toMatchObject({ resolved: { stationNumber: 2, mine: true } });
    expect((await feedOf(first.station)).filter((i) => i.kind === 'tube.conflict').pop()!.payload).toMatchObject({ resolved: { stationNumber: 2, mine: false } });

    expect((await admin(HQ_PATHS.adminResults, { tubeCode: 'SY0010000001', result: 'positive' })).status).toBe(200);
    // Ten re-tests: the later desk's ten people, none of the first desk's.
    const tasks = await hq.store.retestTasks('SY0010000001');
    expect(tasks).toHaveLength(10);
    const laterKeys = samplingJournal(23, { personOffset: 500 })
      .filter((r) => r.kind === 'person.registered')
      .map((r) => String(r.payload.key));
    expect(tasks.map((t) => t.personKey).sort()).toEqual(laterKeys.sort());
    const result = (await feedOf(first.station)).find((i) => i.kind === 'tube.result');
    expect(result?.payload).toMatchObject({ tubeCode: 'SY0010000001', stationId: later.station.stationId, tubeId: 'tube-SY001-1' });
    // A code opened once is not a conflict.
    expect((await feedOf(first.station)).filter((i) => i.kind === 'tube.conflict' && i.payload.code !== 'SY0010000001')).toEqual([]);
  });

  it('turns bindings that arrive after their tube came back positive into re-tests, of that tube only', async () => {
    const first = await enroll('site-a');
    const later = await enroll('site-a');
    const journal = samplingJournal(23);
    // The tube is opened and five people bound; the result comes; then the rest arrive.
    await first.station.upload(journal.slice(0, 12));
    expect((await admin(HQ_PATHS.adminResults, { tubeCode: 'SY0010000001', result: 'positive' })).status).toBe(200);
    expect(await hq.store.retestTasks('SY0010000001')).toHaveLength(5);
    expect((await first.station.upload(journal.slice(12))).status).toBe(200);
    expect(await hq.store.retestTasks('SY0010000001')).toHaveLength(10);
    // Another desk opening the same code later is a conflict, and its people are not this result's.
    expect((await later.station.upload(samplingJournal(23, { personOffset: 700 }))).status).toBe(200);
    expect(await hq.store.retestTasks('SY0010000001')).toHaveLength(10);
    const dash = await hq.store.dashboard(new Date().toISOString().slice(0, 10));
    expect(dash.tubeConflicts.map((c) => c.code)).toEqual(['SY0010000001']);
  });
});

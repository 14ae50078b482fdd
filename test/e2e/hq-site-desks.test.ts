import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HQ_PATHS, feedResponseSchema, parseFeedItem, type FeedItem } from '../../hq/protocol';
import { createHqServer, type HqServer } from '../../hq/server';
import { tempDir } from '../helpers/core';
import { startPostgres, type PgCluster } from '../helpers/postgres';
import pg from 'pg';
import { HQ_PG_MIGRATIONS } from '../../hq/store/postgres-migrations';
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

/** A PostgreSQL database of HQ at an older schema version, with rows of that version in it. */
async function pgAtVersion(version: number, rows: string): Promise<string> {
  const databaseUrl = await cluster!.createDatabase();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('CREATE TABLE hq_schema (version INTEGER NOT NULL)');
    for (const m of HQ_PG_MIGRATIONS.slice(0, version)) await m.up(client as unknown as pg.PoolClient);
    await client.query('INSERT INTO hq_schema VALUES ($1)', [version]);
    await client.query(rows);
  } finally {
    await client.end();
  }
  return databaseUrl;
}

describe('HQ PostgreSQL migrations 3-7', () => {
  it('upgrade an HQ of version 2 in place: stations numbered per site, duplicated codes flagged, nothing lost', async () => {
    const databaseUrl = await pgAtVersion(
      2,
`INSERT INTO site VALUES ('a', '东区', NULL, 'now');
        INSERT INTO station (id, site_id, name, local_station_id, public_key, enrolled_at) VALUES ('s1', 'a', '东门台', 'l1', 'k', '2026-11-01'), ('s2', 'a', '西门台', 'l2', 'k', '2026-11-02');
        INSERT INTO record VALUES ('s1', 1, 'tube.opened', 't1', 'o', 'now', '{}', 'd', NULL, NULL);
        INSERT INTO tube VALUES ('s1', 't1', 'a', 'SY1', 10, 'r', '2026-11-01', '2026-11-01T01:00:00Z', 'sealed', 10), ('s2', 't2', 'a', 'SY1', 10, 'r', '2026-11-01', '2026-11-01T02:00:00Z', 'sealed', 10);`,
    );
    const hq = await createHqServer({ dataDir: tempDir('hq-pg-upgrade-'), databaseUrl });
    try {
      const stations = await hq.store.sql.read((tx) => tx.all<{ id: string; number: number }>('SELECT id, number FROM station ORDER BY id'));
      expect(stations).toEqual([
        { id: 's1', number: 1 },
        { id: 's2', number: 2 },
      ]);
      expect(await hq.store.sql.read((tx) => tx.all('SELECT code FROM tube_conflict'))).toEqual([{ code: 'SY1' }]);
      expect(await hq.store.holdings('s1')).toEqual({ records: 1, conflicts: 0, maxSeq: 1 });
      expect(await hq.postResult('SY1', 'positive')).toMatchObject({ ok: false, error: 'tube.ambiguous' });
    } finally {
      await hq.close();
    }
  });

  it('upgrade an HQ of version 6 in place: who is sampled per round counted from what HQ holds', async () => {
    const databaseUrl = await pgAtVersion(6, `INSERT INTO coverage_tested VALUES ('r1', 'id:1', 1), ('r1', 'id:2', 3), ('r2', 'tel:3#王', 1);`);
    const hq = await createHqServer({ dataDir: tempDir('hq-pg-upgrade-'), databaseUrl });
    try {
      const totals = await hq.store.sql.read((tx) => tx.all<{ round_id: string; tested: string }>('SELECT round_id, tested FROM coverage_total ORDER BY round_id'));
      expect(totals.map((t) => [t.round_id, Number(t.tested)])).toEqual([
        ['r1', 2],
        ['r2', 1],
      ]);
    } finally {
      await hq.close();
    }
  });
});

describe('HQ PostgreSQL migration 8 (roster readers)', () => {
  it('upgrade an HQ of version 7 in place: one version in use per site, an import left reading given up at the first start', async () => {
    const databaseUrl = await pgAtVersion(
      7,
      `INSERT INTO site (id, name, config, at) VALUES ('a', '东区', NULL, 'now');
       INSERT INTO roster_import (id, site_id, source, state, created_at, applied_at) VALUES
         ('r1', 'a', 'hq', 'current', '2026-11-01T00:00:00Z', '2026-11-01T01:00:00Z'),
         ('r2', 'a', 'station', 'current', '2026-11-01T00:30:00Z', '2026-11-01T02:00:00Z'),
         ('r3', 'a', 'hq', 'reading', '2026-11-02T00:00:00Z', NULL);
       INSERT INTO roster_resident VALUES ('r3', 1, '110105194912310021', '张三', NULL, '1', '1', '101', 0);`,
    );
    const hq = await createHqServer({ dataDir: tempDir('hq-pg-upgrade-'), databaseUrl });
    try {
      const rows = await hq.store.sql.read((tx) => tx.all<{ id: string; state: string }>('SELECT id, state FROM roster_import ORDER BY id'));
      expect(rows).toEqual([
        { id: 'r1', state: 'superseded' },
        { id: 'r2', state: 'current' },
        { id: 'r3', state: 'failed' },
      ]);
      expect(await hq.store.sql.read((tx) => tx.all(`SELECT 1 FROM roster_resident WHERE import_id = 'r3'`))).toEqual([]);
      await expect(hq.store.sql.transaction((tx) => tx.run(`UPDATE roster_import SET state = 'current' WHERE id = 'r1'`))).rejects.toThrow(/roster_import_one_current/);
    } finally {
      await hq.close();
    }
  });
});

describe('HQ PostgreSQL migration 9 (bindings by tube)', () => {
  it('upgrade an HQ of version 8 in place: bindings found by station and tube through an index', async () => {
    const databaseUrl = await pgAtVersion(8, 'SELECT 1');
    const hq = await createHqServer({ dataDir: tempDir('hq-pg-upgrade-'), databaseUrl });
    try {
      const index = await hq.store.sql.read((tx) => tx.one<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE indexname = 'binding_tube'`));
      expect(index?.indexdef).toMatch(/\(station_id, tube_id\)/);
    } finally {
      await hq.close();
    }
  });
});

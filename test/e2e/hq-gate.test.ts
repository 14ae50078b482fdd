import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { maskIdNumber } from '../../electron/core/person/mask';
import { gateDay, keyPersonHits, type GateHour } from '../../hq/domains/gate';
import { HQ_PATHS } from '../../hq/protocol';
import { createHqServer, type HqServer } from '../../hq/server';
import { HQ_PG_MIGRATIONS } from '../../hq/store/postgres-migrations';
import { tempDir } from '../helpers/core';
import { startPostgres, type PgCluster } from '../helpers/postgres';
import { chainRecords, idNumber, SimStation, type ChainedRun } from '../unit/hq/fixtures';
import { GateJournal, HQ_GATE_TABLES, siteAt } from '../unit/hq/gate-fixtures';

const ADMIN = 'gate-admin-token';
const SITE = { id: 'site-gate', name: '幸福社区东门' };
const DAY = '2026-11-20';
const NEXT = '2026-11-21';
const at = (hhmm: string, seconds = 0) => siteAt(DAY, hhmm, seconds);

let cluster: PgCluster | null = null;
beforeAll(async () => {
  cluster = await startPostgres({ fsync: false });
});
afterAll(async () => {
  await cluster?.stop();
});

/**
 * Two gates of one site over a day. Gate A (1号) registers a key person without a name (an ID
 * card) in its first batch and lets them through in its second, where a later code also gives
 * their name; gate B (a sentinel) meets the same person as tagged on the roster.
 */
function journals() {
  const a = new GateJournal('A');
  a.operator('门岗张三', 'G001', at('06:55'));
  a.workplace('gate', at('07:00'));
  const r1 = a.person(at('07:05'), { n: 1, name: '居民甲' });
  const p1 = a.passage(r1, at('07:05'));
  a.reading(p1, at('07:05', 5), 36.5, 'normal');
  const r2 = a.person(at('07:10'), { n: 2 });
  const p2 = a.passage(r2, at('07:10'));
  a.reading(p2, at('07:10', 4), 37.8, 'remeasure');
  a.reading(p2, at('07:12'), 37.9, 'fever');
  a.referral(p2, at('07:15'), '家属已通知');
  const r3 = a.person(at('07:40'), { n: 3 });
  a.passage(r3, at('07:40'), { direction: 'out' });
  const k1 = a.person(at('07:59'), { n: 42, name: null });
  const splitA = a.records.length;
  const kp1 = a.passage(k1, at('08:02'), { keyPerson: ['kp-list-1'], residency: 'outsider' });
  a.reading(kp1, at('08:02', 3), 36.6, 'normal');
  a.keyPersonAction(kp1, at('08:03'), 'reported', '已报告社区民警');
  const v1 = a.person(at('08:20'), { n: 7, name: '访客乙' });
  const vp1 = a.passage(v1, at('08:20'), { subject: 'visitor', residency: 'outsider' });
  const visit1 = a.visitor(vp1, v1, at('08:21'));
  const car = a.vehicle(at('08:30'), 'in', 2);
  a.passage(r1, at('09:15'), { direction: 'out' });
  const vp1out = a.passage(v1, at('09:50'), { direction: 'out', subject: 'visitor', residency: 'outsider' });
  a.visitorLeft(visit1, vp1out, at('09:50'), 89);
  a.vehicle(at('09:55'), 'out', 1, car);
  a.updated(k1, at('10:00'), '重点甲');
  const kp2 = a.passage(k1, at('10:30'), { direction: 'out', keyPerson: ['kp-list-1'], residency: 'outsider' });

  const b = new GateJournal('B');
  b.operator('门岗李四', 'G002', at('06:50'));
  b.workplace('sentinel', at('06:51'));
  const r4 = b.person(at('07:30'), { n: 4 });
  const p4 = b.passage(r4, at('07:30'));
  b.reading(p4, at('07:30', 2), 36.4, 'normal');
  const r5 = b.person(at('08:45'), { n: 5 });
  const p5 = b.passage(r5, at('08:45'));
  b.reading(p5, at('08:45', 3), 38.1, 'remeasure');
  b.reading(p5, at('08:47'), 38.0, 'fever');
  b.referral(p5, at('08:50'), '');
  const kb = b.person(at('08:59'), { n: 42, name: '重点甲' });
  const kpb = b.passage(kb, at('08:59'), { keyPerson: 'roster' });
  b.reading(kpb, at('08:59', 2), 36.7, 'normal');
  const v2 = b.person(at('09:05'), { n: 8 });
  const vp2 = b.passage(v2, at('09:05'), { subject: 'visitor', residency: 'outsider' });
  b.visitor(vp2, v2, at('09:05', 30));
  b.reading(null, at('09:30'), 37.5, null);
  b.passage(r4, at('23:30'), { direction: 'out' });
  b.passage(r5, siteAt(NEXT, '00:10'), { direction: 'out' });
  return { a, b, splitA, kp1, kp2, kpb };
}

/** The day's figures per hour as they must be: only the hours with something in them. */
const EXPECTED_HOURS: Record<number, Partial<GateHour>> = {
  7: { in: 3, out: 1, fevers: 1, highReadings: 2, referrals: 1 },
  8: { in: 4, fevers: 1, highReadings: 2, referrals: 1, visitorsIn: 1, vehiclesIn: 1 },
  9: { in: 1, out: 2, highReadings: 1, visitorsIn: 1, visitorsOut: 1, vehiclesOut: 1 },
  10: { out: 1 },
  23: { out: 1 },
};
const ZERO_HOUR = { in: 0, out: 0, fevers: 0, highReadings: 0, referrals: 0, visitorsIn: 0, visitorsOut: 0, vehiclesIn: 0, vehiclesOut: 0 };

describe.each(['sqlite', 'postgres'] as const)('the gate at HQ on %s', (backend) => {
  let hq: HqServer;
  let base: string;
  afterEach(async () => {
    await hq?.close();
  });

  async function upload(station: SimStation, run: ChainedRun, offset = 0): Promise<void> {
    const { body } = station.batchBody(run.records, { prevHash: run.prevHash, chainHead: run.chainHead });
    const res = await station.send(station.sign('POST', HQ_PATHS.batches, body, { now: Date.now() + offset }));
    expect(res.status).toBe(200);
    expect(res.json.rejections).toEqual([]);
  }

  const admin = { authorization: `Bearer ${ADMIN}` };
  const form = (body: Record<string, string>) => ({ method: 'POST', headers: { ...admin, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body).toString(), redirect: 'manual' as const });

  /** Every gate projection row, for comparing before and after a re-sent batch. */
  async function projectionRows(): Promise<string> {
    const out: Record<string, unknown[]> = {};
    for (const table of HQ_GATE_TABLES) out[table] = await hq.store.sql.read((tx) => tx.all(`SELECT * FROM ${table} ORDER BY 1, 2`));
    return JSON.stringify(out);
  }

  it('counts two gates of a site per hour, lists key-person hits with who and what was done, takes HQ’s follow-up, and shows it all on the dashboard', async () => {
    const databaseUrl = backend === 'postgres' ? await cluster!.createDatabase() : undefined;
    hq = await createHqServer({ dataDir: tempDir('hq-gate-'), databaseUrl, adminToken: ADMIN });
    base = await hq.listen(0);
    const gateA = new SimStation(base, '1号卡点');
    const gateB = new SimStation(base, '2号哨兵');
    expect((await gateA.enroll((await hq.createEnrollmentCode(SITE.id, SITE.name)).code)).status).toBe(200);
    expect((await gateB.enroll((await hq.createEnrollmentCode(SITE.id)).code)).status).toBe(200);

    const { a, b, splitA, kp1, kp2, kpb } = journals();
    const a1 = chainRecords(a.slice(1, splitA));
    const a2 = chainRecords(a.slice(splitA + 1), a1.chainHead);
    await upload(gateA, a1);
    await upload(gateB, chainRecords(b.records));
    await upload(gateA, a2);

    const view = (await hq.store.sql.read((tx) => gateDay(tx, SITE.id, DAY)))!;
    expect(view.hours).toEqual(Array.from({ length: 24 }, (_, hour) => ({ hour, ...ZERO_HOUR, ...EXPECTED_HOURS[hour] })));
    expect(view.totals).toEqual({
      in: 8,
      out: 5,
      passages: 13,
      fevers: 2,
      highReadings: 5,
      referrals: 2,
      visitorsIn: 2,
      visitorsOut: 1,
      visitorsStaying: 1,
      vehiclesIn: 1,
      vehiclesOut: 1,
      passengers: 3,
      keyPersonHits: 3,
    });
    expect(view.stations.map((s) => ({ name: s.name, workplace: s.workplace, in: s.in, out: s.out }))).toEqual([
      { name: '1号采样台', workplace: 'gate', in: 4, out: 4 },
      { name: '2号采样台', workplace: 'sentinel', in: 4, out: 1 },
    ]);
    expect(view.referrals.map((r) => ({ station: r.stationName, hour: r.hour, destination: r.destination, escort: r.escort, note: r.note, operator: r.operatorName }))).toEqual([
      { station: '1号采样台', hour: 7, destination: '发热门诊', escort: '王医生', note: '家属已通知', operator: '门岗张三' },
      { station: '2号采样台', hour: 8, destination: '发热门诊', escort: '王医生', note: '', operator: '门岗李四' },
    ]);
    // The passage after midnight belongs to the next site day.
    const next = (await hq.store.sql.read((tx) => gateDay(tx, SITE.id, NEXT)))!;
    expect(next.hours[0]).toMatchObject({ out: 1 });
    expect(next.totals.passages).toBe(1);

    const masked = maskIdNumber(idNumber(42));
    const hits = await hq.store.sql.read((tx) => keyPersonHits(tx, SITE.id, { day: DAY }));
    expect(hits.map((h) => ({ passage: h.passageId, station: h.stationName, direction: h.direction, lists: h.lists, person: h.person, operator: h.operatorName }))).toEqual([
      // Registered from an ID card (no name) in the batch before; the name came later.
      { passage: kp1, station: '1号采样台', direction: 'in', lists: ['kp-list-1'], person: { name: null, idNumber: masked }, operator: '门岗张三' },
      { passage: kpb, station: '2号采样台', direction: 'in', lists: [], person: { name: '重点甲', idNumber: masked }, operator: '门岗李四' },
      { passage: kp2, station: '1号采样台', direction: 'out', lists: ['kp-list-1'], person: { name: '重点甲', idNumber: masked }, operator: '门岗张三' },
    ]);
    expect(hits[0]!.actions).toEqual([{ at: at('08:03'), action: 'reported', note: '已报告社区民警', operatorName: '门岗张三' }]);
    expect(hits[0]!.temperature).toBe('normal');
    expect(hits[1]!.actions).toEqual([]);
    expect(hits.every((h) => h.followUps.length === 0)).toBe(true);

    // No personal field in the projections: who, notes, households, plates and phones stay in the journal.
    const rows = await projectionRows();
    for (const personal of [idNumber(42), '重点甲', '居民甲', '家属已通知', '已报告社区民警', '3-2-502', '5-1-101', '沪A12345', '13900001111', '13800002222', '李师傅', '探亲']) {
      expect(rows).not.toContain(personal);
    }

    // A batch sent again changes nothing.
    await upload(gateA, a2, 1);
    expect(await projectionRows()).toBe(rows);
    expect(await hq.store.sql.read((tx) => gateDay(tx, SITE.id, DAY))).toEqual(view);

    // HQ's staff follow hits up: the dashboard's form, and the admin API.
    const posted = await fetch(`${base}/dashboard/gate/follow-up?lang=zh-CN`, form({ stationId: gateA.stationId, passageId: kp1, site: SITE.id, day: DAY, note: '已电话联系本人，居家观察' }));
    expect(posted.status).toBe(303);
    expect(posted.headers.get('location')).toContain('posted=followUp.ok');
    const empty = await fetch(`${base}/dashboard/gate/follow-up?lang=zh-CN`, form({ stationId: gateA.stationId, passageId: kp1, site: SITE.id, day: DAY, note: '  ' }));
    expect(empty.headers.get('location')).toContain('posted=followUp.invalid');
    // A passage that is not a key person's, or not that station's, is no hit.
    const notHit = await fetch(`${base}/dashboard/gate/follow-up?lang=zh-CN`, form({ stationId: gateB.stationId, passageId: kp1, site: SITE.id, day: DAY, note: '随便' }));
    expect(notHit.headers.get('location')).toContain('posted=gate.hitUnknown');
    const api = await fetch(`${base}${HQ_PATHS.adminGate}/follow-up`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify({ stationId: gateB.stationId, passageId: kpb, note: '已通报派出所' }) });
    expect(api.status).toBe(200);
    const unknown = await fetch(`${base}${HQ_PATHS.adminGate}/follow-up`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify({ stationId: gateB.stationId, passageId: 'nope', note: 'x' }) });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: 'gate.hitUnknown' });
    const unsigned = await fetch(`${base}${HQ_PATHS.adminGate}/follow-up`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ stationId: gateB.stationId, passageId: kpb, note: 'x' }) });
    expect(unsigned.status).toBe(401);

    const after = await hq.store.sql.read((tx) => keyPersonHits(tx, SITE.id, { day: DAY }));
    expect(after.map((h) => h.followUps.map((f) => ({ note: f.note, by: f.by })))).toEqual([[{ note: '已电话联系本人，居家观察', by: 'HQ' }], [{ note: '已通报派出所', by: 'HQ' }], []]);
    // Seen from the next day, the one hit nobody followed up is still open.
    expect((await hq.store.sql.read((tx) => keyPersonHits(tx, SITE.id, { open: true, notDay: NEXT }))).map((h) => h.passageId)).toEqual([kp2]);

    // The JSON for scripts.
    const json = (await (await fetch(`${base}${HQ_PATHS.adminGate}?siteId=${SITE.id}&day=${DAY}`, { headers: admin })).json()) as { totals: { in: number }; hits: unknown[] };
    expect(json.totals.in).toBe(8);
    expect(json.hits).toHaveLength(3);

    // The dashboard page, over 127.0.0.1: the figures, the hits, who (masked) and the follow-ups.
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:/);
    expect((await fetch(`${base}/dashboard/gate`, { redirect: 'manual' })).headers.get('location')).toBe('/login');
    const res = await fetch(`${base}/dashboard/gate?site=${SITE.id}&day=${DAY}`, { headers: admin });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    const cell = (hour: number | 'total', field: string) => new RegExp(`data-hour="${hour}">(?:(?!</tr>).)*data-field="${field}">(?:<strong>)?(\\d+)<`, 's').exec(html)?.[1];
    for (const [hour, figures] of Object.entries(EXPECTED_HOURS)) for (const [field, n] of Object.entries(figures)) expect(cell(Number(hour), field), `${hour} ${field}`).toBe(String(n));
    expect(cell(12, 'in')).toBe('0');
    expect(cell('total', 'in')).toBe('8');
    expect(cell('total', 'fevers')).toBe('2');
    const total = (field: string) => new RegExp(`data-total="${field}">(\\d+)<`).exec(html)?.[1];
    expect([total('in'), total('out'), total('fevers'), total('referrals'), total('visitorsIn'), total('visitorsStaying'), total('vehiclesIn'), total('keyPersonHits')]).toEqual(['8', '5', '2', '2', '2', '1', '1', '3']);
    expect(html).toContain('卡点通行');
    expect(html).toContain(masked);
    expect(html).not.toContain(idNumber(42));
    expect(html).toContain('重点甲');
    expect(html).toContain('已报告社区民警');
    expect(html).toContain('已电话联系本人，居家观察');
    expect(html).toContain('家属已通知');
    expect(html).toContain(`data-hit="${kp1}" data-followed="1"`);
    expect(html).toContain(`data-hit="${kp2}" data-followed="0"`);
    expect(html).toContain(`/dashboard/gate/chart.svg?site=${SITE.id}&#38;day=${DAY}&#38;lang=zh-CN`);
    const chart = await fetch(`${base}/dashboard/gate/chart.svg?site=${SITE.id}&day=${DAY}&lang=zh-CN`, { headers: admin });
    expect(chart.headers.get('content-type')).toContain('image/svg+xml');
    const svg = await chart.text();
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('发热');
    // Reached from the dashboard.
    expect(await (await fetch(`${base}/dashboard`, { headers: admin })).text()).toContain('href="/dashboard/gate?lang=zh-CN" data-link="gate"');
    expect((await fetch(`${base}/dashboard/gate?site=${SITE.id}&day=20261120`, { headers: admin })).status).toBe(400);
    expect((await fetch(`${base}/dashboard/gate?site=nowhere&day=${DAY}`, { headers: admin })).status).toBe(404);
  });
});

describe('HQ PostgreSQL migration 14 (gate)', () => {
  it('upgrades an HQ of version 13 in place: what it held stays, the gate’s tables start empty', async () => {
    const databaseUrl = await cluster!.createDatabase();
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query('CREATE TABLE hq_schema (version INTEGER NOT NULL)');
      for (const m of HQ_PG_MIGRATIONS.slice(0, 13)) await m.up(client as unknown as pg.PoolClient);
      await client.query('INSERT INTO hq_schema VALUES (13)');
      await client.query(`INSERT INTO site (id, name, config, at) VALUES ('a', '东区', NULL, 'now');
        INSERT INTO station (id, site_id, name, local_station_id, public_key, enrolled_at, acked_through, number) VALUES ('s1', 'a', '东门台', 'l1', 'k', '2026-11-01', 1, 1);
        INSERT INTO record (station_id, seq, kind, entity_id, operator_id, at, payload, digest) VALUES ('s1', 1, 'tube.opened', 't1', 'o', 'now', '{}', 'd1');`);
    } finally {
      await client.end();
    }
    const hq = await createHqServer({ dataDir: tempDir('hq-pg-upgrade-'), databaseUrl });
    try {
      expect(await hq.store.holdings('s1')).toEqual({ records: 1, conflicts: 0, maxSeq: 1 });
      expect(await hq.store.sql.read((tx) => tx.one('SELECT version FROM hq_schema'))).toEqual({ version: HQ_PG_MIGRATIONS.length });
      for (const table of HQ_GATE_TABLES) expect(await hq.store.sql.read((tx) => tx.one(`SELECT count(*)::int AS n FROM ${table}`))).toEqual({ n: 0 });
      expect((await hq.store.sql.read((tx) => gateDay(tx, 'a', DAY)))?.totals.passages).toBe(0);
    } finally {
      await hq.close();
    }
  });
});


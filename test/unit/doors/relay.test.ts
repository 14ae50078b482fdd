import { afterEach, describe, expect, it } from 'vitest';
import type { DoorHousehold } from '../../../electron/api/doors';
import { StationCore } from '../../../electron/core/core';
import { relayDoorVisits } from '../../../hq/domains/doors';
import { project } from '../../../hq/ingest';
import { checkRecord, parseFeedItem, type FeedItem, type ValidRecord } from '../../../hq/protocol';
import { openSqliteStore } from '../../../hq/store/sqlite';
import { dataKeyOf, ok, signInAdmin, tempDir } from '../../helpers/core';
import { idNumber } from '../../helpers/ids';

const cores: StationCore[] = [];
const closing: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cores.splice(0)) {
    await c.devices.stop();
    c.close();
  }
  for (const close of closing.splice(0)) await close();
});

const START = Date.parse('2026-11-20T02:00:00.000Z');
const ROUND = '0190a0a0-0000-7000-8000-00000000a001';
const H101: DoorHousehold = { building: '1', unit: '1', room: '101' };
const H102: DoorHousehold = { building: '1', unit: '1', room: '102' };
const H201: DoorHousehold = { building: '1', unit: '2', room: '201' };
const ROSTER: [n: number, home: string][] = [
  [1, '1,1,101'],
  [2, '1,1,101'],
  [4, '1,1,102'],
  [5, '1,2,201'],
  [6, '1,2,201'],
];

/** A door-to-door device of the demo site, with the site's roster and the round HQ started (the same at every device). */
async function device(number: number) {
  let now = START;
  const dataDir = tempDir();
  const core = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), devices: 'off', now: () => new Date(now) });
  cores.push(core);
  await signInAdmin(core);
  const lines = ['姓名,身份证号,楼栋,单元,房号', ...ROSTER.map(([n, home]) => `居民${n},${idNumber(n)},${home}`)];
  const csv = Buffer.from(lines.join('\n'));
  const { uploadId } = await ok(core, 'roster.upload', { fileName: 'r.csv', size: csv.length });
  await ok(core, 'roster.uploadChunk', { uploadId, offset: 0, data: csv.toString('base64') });
  const read = await ok(core, 'roster.read', { uploadId });
  await core.roster.idle();
  await ok(core, 'roster.apply', { importId: read.id });
  const round: FeedItem = {
    cursor: 1,
    kind: 'round.started',
    payload: { roundId: ROUND, siteId: 'demo-site', name: '第5轮全员核酸', startsOn: null, endsOn: null, startedAt: new Date(START + 1000).toISOString(), startedBy: 'HQ', closedAt: null },
  };
  await core.writer.run(() => core.feed.apply([round], new Date(now).toISOString()));
  await ok(core, 'station.setWorkplace', { workplace: 'doors' });
  const group = await ok(core, 'door.assign', { name: `第${number}组`, collectorId: core.session.operatorId(), areas: [{ building: '1', unit: null }] });
  expect(group.round.id).toBe(ROUND);
  return { core, groupId: group.id, advance: (ms: number) => (now += ms) };
}

/** What HQ relays of a station's journal to the site: its door visits as feed items, through HQ's own ingest projection. */
async function relayed(from: StationCore, markKey: string, station: { id: string; number: number; name: string }): Promise<FeedItem[]> {
  const records = from.journal
    .readAfter(0, 100_000)
    .map((e) => checkRecord({ seq: e.seq, kind: e.kind, entityId: e.entityId, operatorId: e.operatorId, at: e.at, payload: e.payload }))
    .map((c) => {
      if (!c.ok) throw new Error(c.detail);
      return c.record as ValidRecord;
    });
  const p = project(records);
  const dir = tempDir('hq-doors-');
  const store = openSqliteStore(dir);
  closing.push(() => store.close());
  await store.sql.transaction(async (tx) => {
    await tx.run(`INSERT INTO site (id, name, config, at, mark_key) VALUES ('demo-site', '演示社区', NULL, @at, @key)`, { at: new Date(START).toISOString(), key: markKey });
    await tx.run(`INSERT INTO site_round (id, site_id, name, started_at, started_by) VALUES (@id, 'demo-site', '第5轮全员核酸', @at, 'HQ')`, { id: ROUND, at: new Date(START).toISOString() });
    await relayDoorVisits(tx, { ...station, siteId: 'demo-site' }, p.doorVisits, p.persons);
  });
  const rows = await store.sql.read((tx) => tx.all<{ cursor: number; kind: string; payload: string; station_id: string | null }>(`SELECT cursor, kind, payload, station_id FROM feed_item WHERE kind = 'door.visit' ORDER BY cursor`));
  return rows.map((r) => {
    expect(r.station_id).toBeNull();
    const checked = parseFeedItem({ cursor: 100 + r.cursor, kind: r.kind, payload: JSON.parse(r.payload) });
    if (!checked.ok) throw new Error(checked.detail);
    return checked.item;
  });
}

describe('door to door across a site’s devices, through HQ', () => {
  it('shows device 2 the households device 1 visited: not home on its revisit list, a refusal with the reason, someone sampled, the person by mark', async () => {
    const one = await device(1);
    const two = await device(2);
    // Device 1's morning: nobody at 1-1-102, 居民6 refusing at 1-2-201, 居民1 sampled at 1-1-101.
    const comeBack = new Date(START + 6 * 3600_000).toISOString();
    await ok(one.core, 'door.notHome', { groupId: one.groupId, household: H102, revisitAt: comeBack });
    const at201 = await ok(one.core, 'door.household', { groupId: one.groupId, household: H201 });
    await ok(one.core, 'door.refuse', { groupId: one.groupId, household: H201, ref: at201.residents.find((r) => r.name === '居民6')!.ref, reason: '称已在单位采样' });
    await ok(one.core, 'door.openTube', { groupId: one.groupId, household: H101, mode: 'single' });
    const at101 = await ok(one.core, 'door.household', { groupId: one.groupId, household: H101 });
    await ok(one.core, 'door.sample', { groupId: one.groupId, household: H101, ref: at101.residents.find((r) => r.name === '居民1')!.ref });

    const stationOne = { id: one.core.identity.station.id, number: 1, name: '1号入户设备' };
    const items = await relayed(one.core, two.core.siteIdentity.markKey(), stationOne);
    expect(items.map((i) => (i.kind === 'door.visit' ? [i.payload.outcome, i.payload.room, i.payload.mark === null] : null))).toEqual([
      ['notHome', '102', true],
      ['refused', '201', false],
      ['sampled', '101', false],
    ]);
    // Nobody's name or ID number travels: the person is a mark.
    expect(JSON.stringify(items)).not.toContain(idNumber(6));
    expect(JSON.stringify(items)).not.toContain('居民6');

    // Device 2 pulls HQ's feed (twice: the same visits are kept once).
    await two.core.writer.run(() => two.core.feed.apply(items, new Date(START).toISOString()));
    await two.core.writer.run(() => two.core.feed.apply(items, new Date(START).toISOString()));
    expect(two.core.db.prepare('SELECT count(*) AS n FROM door_visit_remote').get()).toEqual({ n: 3 });
    const list = await ok(two.core, 'door.list', { groupId: two.groupId });
    expect(list.revisits.map((h) => [h.room, h.revisitAt])).toEqual([['102', comeBack]]);
    expect(list.households.map((h) => [h.room, h.status])).toEqual([
      ['101', 'toVisit'],
      ['102', 'revisit'],
      ['201', 'toVisit'],
    ]);
    const door201 = await ok(two.core, 'door.household', { groupId: two.groupId, household: H201 });
    expect(door201.residents.map((r) => [r.name, r.state, r.lastVisit?.reason ?? null])).toEqual([
      ['居民5', 'due', null],
      ['居民6', 'refused', '称已在单位采样'],
    ]);
    expect(door201.history).toMatchObject([{ outcome: 'refused', person: '居民6', station: '1号入户设备', operator: '' }]);
    // Sampled there: the visit is in the household's history; whether they count as sampled is coverage's (HQ's marks).
    const door101 = await ok(two.core, 'door.household', { groupId: two.groupId, household: H101 });
    expect(door101.history).toMatchObject([{ outcome: 'sampled', person: '居民1', station: '1号入户设备' }]);

    // Device 2 comes back later: its own visit, after device 1's, decides.
    two.advance(60_000);
    const again = await ok(two.core, 'door.household', { groupId: two.groupId, household: H102 });
    await ok(two.core, 'door.openTube', { groupId: two.groupId, household: H102, mode: 'single' });
    const done = await ok(two.core, 'door.sample', { groupId: two.groupId, household: H102, ref: again.residents[0]!.ref });
    expect(done.household).toMatchObject({ status: 'done' });
    expect(done.household.history.map((v) => [v.outcome, v.station])).toEqual([
      ['sampled', null],
      ['notHome', '1号入户设备'],
    ]);

    // Past the retention period the relayed room and reason go (HQ holds them); the visits and their outcomes stay.
    two.core.identity.site.config = { ...two.core.identity.site.config, retention: { personalDataDays: 15 } };
    two.advance(20 * 86_400_000);
    expect((await two.core.retention.purge())?.doorRows).toBe(3);
    expect(two.core.db.prepare('SELECT building, room, outcome, reason FROM door_visit_remote ORDER BY feed_cursor').all()).toEqual([
      { building: '1', room: '', outcome: 'notHome', reason: null },
      { building: '1', room: '', outcome: 'refused', reason: '' },
      { building: '1', room: '', outcome: 'sampled', reason: null },
    ]);

    // A station's own visits come back to it in the feed: not kept twice.
    await one.core.writer.run(() => one.core.feed.apply(items, new Date(START).toISOString()));
    expect(one.core.db.prepare('SELECT count(*) AS n FROM door_visit_remote').get()).toEqual({ n: 0 });
  });

  it('relays no visit of a round that is not the site’s, nor before the site has its mark key', async () => {
    const one = await device(1);
    await ok(one.core, 'door.notHome', { groupId: one.groupId, household: H102 });
    const records = one.core.journal.readAfter(0, 100_000).map((e) => {
      const c = checkRecord({ seq: e.seq, kind: e.kind, entityId: e.entityId, operatorId: e.operatorId, at: e.at, payload: e.payload });
      if (!c.ok) throw new Error(c.detail);
      return c.record;
    });
    const p = project(records);
    expect(p.doorVisits).toHaveLength(1);
    const store = openSqliteStore(tempDir('hq-doors-'));
    closing.push(() => store.close());
    const station = { id: 's-1', siteId: 'demo-site', number: 1, name: '1号' };
    const counts = await store.sql.transaction(async (tx) => {
      await tx.run(`INSERT INTO site (id, name, config, at) VALUES ('demo-site', '演示社区', NULL, @at)`, { at: new Date(START).toISOString() });
      const keyless = await relayDoorVisits(tx, station, p.doorVisits, p.persons);
      await tx.run(`UPDATE site SET mark_key = 'k'`);
      const otherRound = await relayDoorVisits(tx, station, p.doorVisits, p.persons);
      return [keyless, otherRound];
    });
    expect(counts).toEqual([0, 0]);
  });
});

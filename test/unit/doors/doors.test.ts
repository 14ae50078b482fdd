import { afterEach, describe, expect, it } from 'vitest';
import type { ArgsOf } from '../../../electron/api/contract';
import type { DoorGroupSummary, DoorHousehold, DoorHouseholdView } from '../../../electron/api/doors';
import { StationCore } from '../../../electron/core/core';
import { PERSONAL_FIELDS, splitPersonal } from '../../../hq/chain';
import { checkRecord } from '../../../hq/protocol';
import { dataKeyOf, ok, refused, signInAdmin, TEST_ADMIN, tempDir } from '../../helpers/core';
import { idNumber, tubeCode } from '../../helpers/ids';

const cores: StationCore[] = [];
afterEach(async () => {
  for (const c of cores.splice(0)) {
    await c.devices.stop();
    c.close();
  }
});

/** 10:00 at the site (UTC+8), 2026-11-20. */
const START = Date.parse('2026-11-20T02:00:00.000Z');
const MINUTE = 60_000;
const COLLECTOR = { name: '李采集', code: 'C001', role: 'collector' as const, pin: '580317' };
const SAMPLER = { name: '王采样', code: 'S001', role: 'sampler' as const, pin: '604918' };
const KEEPER = { name: '赵值守', code: 'G001', role: 'gatekeeper' as const, pin: '471902' };

const H101: DoorHousehold = { building: '1', unit: '1', room: '101' };
const H102: DoorHousehold = { building: '1', unit: '1', room: '102' };
const H201: DoorHousehold = { building: '1', unit: '2', room: '201' };
const H2101: DoorHousehold = { building: '2', unit: '1', room: '101' };

/** Residents (居民N, idNumber(N)) by household, with their tags. */
const ROSTER: [n: number, home: string, tags: string][] = [
  [1, '1,1,101', '老人'],
  [2, '1,1,101', ''],
  [3, '1,1,101', ''],
  [4, '1,1,102', '卧床'],
  [5, '1,2,201', '居家隔离'],
  [6, '1,2,201', ''],
  [7, '2,1,101', '独居老人'],
  [8, '2,1,102', ''],
];

async function applyRoster(core: StationCore): Promise<void> {
  const lines = ['姓名,身份证号,手机号,楼栋,单元,房号,标签', ...ROSTER.map(([n, home, tags]) => `居民${n},${idNumber(n)},,${home},${tags}`)];
  const csv = Buffer.from(lines.join('\n'));
  const { uploadId } = await ok(core, 'roster.upload', { fileName: 'r.csv', size: csv.length });
  await ok(core, 'roster.uploadChunk', { uploadId, offset: 0, data: csv.toString('base64') });
  const started = await ok(core, 'roster.read', { uploadId });
  await core.roster.idle();
  await ok(core, 'roster.apply', { importId: started.id });
}

/** A door-to-door station: its clock the test moves, the roster applied, a collector, a sampler and a gate keeper made, the collector signed in. */
async function doorStation(options: { roster?: boolean } = {}) {
  let now = START;
  const dataDir = tempDir();
  const core = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), devices: 'off', now: () => new Date(now) });
  cores.push(core);
  await signInAdmin(core);
  if (options.roster !== false) await applyRoster(core);
  await ok(core, 'station.setWorkplace', { workplace: 'doors' });
  const ids: Record<string, string> = {};
  for (const op of [COLLECTOR, SAMPLER, KEEPER]) ids[op.code] = (await ok(core, 'operator.create', op)).id;
  const as = async (op: { code: string; pin: string }) => ok(core, 'operator.signIn', { code: op.code, pin: op.pin });
  await as(COLLECTOR);
  return { core, ids, as, advance: (ms: number) => (now += ms), now: () => new Date(now).toISOString() };
}

type Station = Awaited<ReturnType<typeof doorStation>>;

async function assign(s: Station, args: Partial<ArgsOf<'door.assign'>> = {}): Promise<DoorGroupSummary> {
  return ok(s.core, 'door.assign', {
    name: '第1组',
    collectorId: s.ids[COLLECTOR.code] as string,
    helperIds: [s.ids[SAMPLER.code] as string],
    areas: [{ building: '1', unit: null }],
    tags: [],
    ...args,
  });
}

function refOf(view: DoorHouseholdView, n: number): string {
  const r = view.residents.find((x) => x.name === `居民${n}`);
  if (!r) throw new Error(`居民${n} is not at ${view.building}-${view.unit}-${view.room}`);
  return r.ref;
}

function states(view: DoorHouseholdView): Record<string, string> {
  return Object.fromEntries(view.residents.map((r) => [r.name, r.state]));
}

function journal(core: StationCore, kind: string) {
  return core.journal.readAfter(0, 100_000).filter((e) => e.kind === kind);
}

/** What HQ would refuse of this station's journal. */
function refusedByHq(core: StationCore): string[] {
  return core.journal
    .readAfter(0, 100_000)
    .map((e) => checkRecord({ seq: e.seq, kind: e.kind, entityId: e.entityId, operatorId: e.operatorId, at: e.at, payload: e.payload }))
    .flatMap((c) => (c.ok ? [] : [c.detail]));
}

/** The journal and every table a door's work writes: a refusal leaves them as they were. */
function snapshot(core: StationCore): unknown {
  return {
    seq: core.journal.lastSeq(),
    tables: ['door_group', 'door_assignment', 'door_visit', 'tube', 'binding', 'person', 'correction'].map((t) => core.db.prepare(`SELECT * FROM ${t} ORDER BY id`).all()),
  };
}

describe('door to door: a group and its list', () => {
  it('forms a group for the round and lists its households by building, unit and room, with tags and who is sampled already', async () => {
    const s = await doorStation();
    // 居民2 came down to the desk (this station's desk methods here; another desk's reach it as marks through HQ: coverage alike).
    await ok(s.core, 'scan.submit', { text: tubeCode(90), source: 'manual' });
    await ok(s.core, 'scan.submit', { text: idNumber(2), source: 'manual' });
    await ok(s.core, 'tube.seal', {});

    const group = await assign(s);
    expect(group).toMatchObject({
      name: '第1组',
      round: { closed: false },
      collector: { name: COLLECTOR.name },
      helpers: [{ name: SAMPLER.name }],
      areas: [{ building: '1', unit: null }],
      tags: [],
      progress: { households: 3, done: 0, revisit: 0, toVisit: 3, residents: 6, sampled: 1, due: 5 },
    });
    const list = await ok(s.core, 'door.list', { groupId: group.id });
    expect(list.households.map((h) => [`${h.building}-${h.unit}-${h.room}`, h.status, h.tags, h.counts.residents, h.counts.sampled])).toEqual([
      ['1-1-101', 'toVisit', ['elderly'], 3, 1],
      ['1-1-102', 'toVisit', ['bedridden'], 1, 0],
      ['1-2-201', 'toVisit', ['isolation'], 2, 0],
    ]);
    expect(list.poolSize).toBe(10);
    const door = await ok(s.core, 'door.household', { groupId: group.id, household: H101 });
    expect(states(door)).toEqual({ 居民1: 'due', 居民2: 'sampled', 居民3: 'due' });
    expect(door.residents.find((r) => r.name === '居民1')).toMatchObject({ tags: ['elderly'], targeted: true, maskedIdNumber: expect.stringMatching(/^110105\*+\d{3}[\dX]$/) });

    const [entry] = journal(s.core, 'door.groupAssigned');
    expect(entry).toMatchObject({ entityId: group.id, payload: { name: '第1组', areas: [{ building: '1', unit: null }], tags: [] } });
    expect(refusedByHq(s.core)).toEqual([]);
  });

  it('sends a group for tagged residents only: households without them are not on its list, the others count only them', async () => {
    const s = await doorStation();
    const group = await assign(s, { areas: [{ building: '2', unit: null }, { building: '1', unit: '1' }, { building: '1', unit: '1' }], tags: ['elderly', 'bedridden'] });
    // The same unit twice is once.
    expect(group.areas).toEqual([{ building: '1', unit: '1' }, { building: '2', unit: null }]);
    expect(group.tags).toEqual(['elderly', 'bedridden']);
    const list = await ok(s.core, 'door.list', { groupId: group.id });
    expect(list.households.map((h) => `${h.building}-${h.unit}-${h.room}:${h.counts.residents}/${h.living}`)).toEqual(['1-1-101:1/3', '1-1-102:1/1', '2-1-101:1/1']);
    const door = await ok(s.core, 'door.household', { groupId: group.id, household: H101 });
    expect(states(door)).toEqual({ 居民1: 'due', 居民2: 'notDue', 居民3: 'notDue' });
    // A household outside the group's list is not this group's door.
    expect(await refused(s.core, 'door.household', { groupId: group.id, household: { building: '2', unit: '1', room: '102' } })).toBe('door.householdNotInGroup');
    expect(await refused(s.core, 'door.household', { groupId: group.id, household: H201 })).toBe('door.householdNotInGroup');
    // A whole building takes in its units.
    const wide = await assign(s, { groupId: group.id, areas: [{ building: '1', unit: '2' }, { building: '1', unit: null }], tags: [] });
    expect(wide.id).toBe(group.id);
    expect(wide.areas).toEqual([{ building: '1', unit: null }]);
    expect(wide.progress.households).toBe(3);
    expect(s.core.db.prepare('SELECT count(*) AS n FROM door_assignment').get()).toEqual({ n: 2 });
  });
});

describe('door to door: at the door', () => {
  it('samples a household in single tubes: one tube per person, sealed at one, the same tube and binding records as the desk', async () => {
    const s = await doorStation();
    const { id: groupId } = await assign(s);
    let door = await ok(s.core, 'door.household', { groupId, household: H101 });
    const opened = await ok(s.core, 'door.scan', { groupId, household: H101, text: tubeCode(1), source: 'manual', mode: 'single' });
    expect(opened).toMatchObject({ kind: 'tube.opened', tubeCode: tubeCode(1), capacity: 1 });
    const first = await ok(s.core, 'door.sample', { groupId, household: H101, ref: refOf(door, 1), temperatureC: 36.54 });
    expect(first).toMatchObject({ kind: 'sampled', person: { name: '居民1' }, tubeCode: tubeCode(1), count: 1, capacity: 1, tubeSealed: true, temperatureC: 36.5 });
    // The next person needs the next tube.
    expect(await refused(s.core, 'door.sample', { groupId, household: H101, ref: refOf(door, 3) })).toBe('door.tubeNeeded');
    await ok(s.core, 'door.scan', { groupId, household: H101, text: tubeCode(2), source: 'manual', mode: 'single' });
    const second = await ok(s.core, 'door.scan', { groupId, household: H101, text: idNumber(3), source: 'manual', mode: 'single' });
    expect(second).toMatchObject({ kind: 'sampled', person: { name: '居民3' }, tubeCode: tubeCode(2), tubeSealed: true, livesAt: null });
    door = second.household;
    expect(states(door)).toEqual({ 居民1: 'sampled', 居民2: 'due', 居民3: 'sampled' });

    // The desk's records: tubes sealed at capacity, bindings in the round, journalled as the desk's.
    expect(s.core.db.prepare('SELECT code, capacity, state, seal_cause FROM tube ORDER BY code').all()).toEqual([
      { code: tubeCode(1), capacity: 1, state: 'sealed', seal_cause: 'capacity' },
      { code: tubeCode(2), capacity: 1, state: 'sealed', seal_cause: 'capacity' },
    ]);
    const bindings = journal(s.core, 'binding.created');
    expect(bindings.map((b) => b.payload.tubeCode)).toEqual([tubeCode(1), tubeCode(2)]);
    const visits = journal(s.core, 'door.visit');
    expect(visits.map((v) => [v.payload.outcome, v.payload.bindingId, v.payload.tubeCode, v.payload.temperatureC])).toEqual([
      ['sampled', bindings[0]?.entityId, tubeCode(1), 36.5],
      ['sampled', bindings[1]?.entityId, tubeCode(2), null],
    ]);
    // Coverage counts them as any desk's, and a sealed door tube boxes as any other.
    await s.as({ code: TEST_ADMIN.code, pin: TEST_ADMIN.pin });
    expect((await ok(s.core, 'coverage.residents', { building: '1', unit: '1', state: 'tested' })).rows.map((r) => r.name).sort()).toEqual(['居民1', '居民3']);
    await ok(s.core, 'box.open', { code: 'BX00000001' });
    expect(await ok(s.core, 'box.addTube', { boxCode: 'BX00000001', tubeCode: tubeCode(1) })).toMatchObject({ tubeCount: 1, personCount: 1 });
    expect(refusedByHq(s.core)).toEqual([]);
  });

  it('samples a household into one pooled tube of the site’s pool size, which stays open for the next door', async () => {
    const s = await doorStation();
    const { id: groupId } = await assign(s);
    const opened = await ok(s.core, 'door.openTube', { groupId, household: H101, mode: 'pooled' });
    expect(opened).toMatchObject({ kind: 'tube.opened', capacity: 10 });
    if (opened.kind !== 'tube.opened') throw new Error(opened.kind);
    // A new code from the site's generator: the station's number in it.
    expect(opened.tubeCode).toMatch(/^SY001\d{7}$/);
    let door = opened.household;
    for (const n of [1, 2, 3]) {
      const done = await ok(s.core, 'door.sample', { groupId, household: H101, ref: refOf(door, n) });
      expect(done).toMatchObject({ kind: 'sampled', tubeCode: opened.tubeCode, count: n, capacity: 10, tubeSealed: false });
      door = done.household;
    }
    expect(door).toMatchObject({ status: 'done', tube: { code: opened.tubeCode, state: 'open', count: 3, capacity: 10 } });
    // The next household goes on in the same tube.
    const next = await ok(s.core, 'door.household', { groupId, household: H102 });
    expect(await ok(s.core, 'door.sample', { groupId, household: H102, ref: refOf(next, 4) })).toMatchObject({ tubeCode: opened.tubeCode, count: 4 });
    expect(s.core.db.prepare('SELECT count(*) AS n FROM binding b JOIN tube t ON t.id = b.tube_id WHERE t.code = ?').get(opened.tubeCode)).toEqual({ n: 4 });
  });

  it('puts a household nobody answered on the revisit list with the time, then samples it on the second visit', async () => {
    const s = await doorStation();
    const { id: groupId } = await assign(s);
    const comeBack = new Date(START + 8 * 60 * MINUTE).toISOString();
    const away = await ok(s.core, 'door.notHome', { groupId, household: H201, revisitAt: comeBack });
    expect(away).toMatchObject({ status: 'revisit', notHomeAt: s.now(), revisitAt: comeBack, counts: { notHome: 2, due: 0 } });
    expect(states(away)).toEqual({ 居民5: 'notHome', 居民6: 'notHome' });
    s.advance(30 * MINUTE);
    // The screen locked itself meanwhile (idle): the collector signs in again.
    await s.as(COLLECTOR);
    await ok(s.core, 'door.notHome', { groupId, household: H102 });
    let list = await ok(s.core, 'door.list', { groupId });
    expect(list.revisits.map((h) => `${h.unit}-${h.room}`)).toEqual(['1-102', '2-201']);
    expect(list.group.progress).toMatchObject({ households: 3, revisit: 2, toVisit: 1, done: 0, notHome: 3 });
    expect(list.buildings).toEqual([expect.objectContaining({ building: '1', households: 3, revisit: 2, toVisit: 1 })]);

    // Back in the evening: both at home now.
    s.advance(8 * 60 * MINUTE);
    await s.as(COLLECTOR);
    await ok(s.core, 'door.openTube', { groupId, household: H201, mode: 'pooled', code: tubeCode(5) });
    let door = away;
    for (const n of [5, 6]) door = (await ok(s.core, 'door.sample', { groupId, household: H201, ref: refOf(door, n), temperatureC: 36.8 })).household;
    expect(door).toMatchObject({ status: 'done', visits: 3, lastVisit: { outcome: 'sampled' } });
    expect(door.history.map((v) => [v.outcome, v.person])).toEqual([
      ['sampled', '居民6'],
      ['sampled', '居民5'],
      ['notHome', null],
    ]);
    list = await ok(s.core, 'door.list', { groupId });
    expect(list.revisits.map((h) => `${h.unit}-${h.room}`)).toEqual(['1-102']);
    expect(list.group.progress).toMatchObject({ done: 1, revisit: 1, toVisit: 1, sampled: 2, notHome: 1 });
    const notHome = journal(s.core, 'door.visit').filter((v) => v.payload.outcome === 'notHome');
    expect(notHome.map((v) => [v.payload.room, v.payload.personId, v.payload.revisitAt])).toEqual([
      ['201', null, comeBack],
      ['102', null, null],
    ]);
    expect(refusedByHq(s.core)).toEqual([]);
  });

  it('records a person not home among those sampled: the household goes on the revisit list for them alone', async () => {
    const s = await doorStation();
    const { id: groupId } = await assign(s);
    let door = await ok(s.core, 'door.household', { groupId, household: H101 });
    await ok(s.core, 'door.openTube', { groupId, household: H101, mode: 'pooled', code: tubeCode(1) });
    door = (await ok(s.core, 'door.sample', { groupId, household: H101, ref: refOf(door, 1) })).household;
    door = await ok(s.core, 'door.notHome', { groupId, household: H101, ref: refOf(door, 2) });
    expect(states(door)).toEqual({ 居民1: 'sampled', 居民2: 'notHome', 居民3: 'due' });
    expect(door.status).toBe('revisit');
    // Who is left is not home: the household's "not home" is theirs, not the sampled one's.
    door = await ok(s.core, 'door.notHome', { groupId, household: H101 });
    expect(states(door)).toEqual({ 居民1: 'sampled', 居民2: 'notHome', 居民3: 'notHome' });
    // A person sampled is not recorded not home or refusing after it.
    expect(await refused(s.core, 'door.notHome', { groupId, household: H101, ref: refOf(door, 1) })).toBe('door.alreadySampled');
  });

  it('records a person refusing with the reason and the temperature taken; the household is done when the rest are sampled', async () => {
    const s = await doorStation();
    const { id: groupId } = await assign(s);
    let door = await ok(s.core, 'door.household', { groupId, household: H201 });
    door = await ok(s.core, 'door.refuse', { groupId, household: H201, ref: refOf(door, 6), reason: '本人拒绝，称已在单位采样', temperatureC: 36.6 });
    expect(door.residents.find((r) => r.name === '居民6')).toMatchObject({ state: 'refused', lastVisit: { outcome: 'refused', reason: '本人拒绝，称已在单位采样' } });
    expect(door).toMatchObject({ status: 'toVisit', counts: { refused: 1, due: 1 } });
    await ok(s.core, 'door.scan', { groupId, household: H201, text: tubeCode(1), source: 'manual', mode: 'single' });
    door = (await ok(s.core, 'door.sample', { groupId, household: H201, ref: refOf(door, 5) })).household;
    expect(door).toMatchObject({ status: 'done', counts: { sampled: 1, refused: 1, due: 0 } });
    expect(door.history[1]).toMatchObject({ outcome: 'refused', person: '居民6', reason: '本人拒绝，称已在单位采样', temperatureC: 36.6, operator: COLLECTOR.name });
    // Nobody is left to visit there: the household is not recorded refusing or not home again.
    expect(await refused(s.core, 'door.refuse', { groupId, household: H201, reason: '不开门' })).toBe('door.nobodyToVisit');
    expect(await refused(s.core, 'door.notHome', { groupId, household: H201 })).toBe('door.nobodyToVisit');
    // Changing their mind later: sampled wins.
    await ok(s.core, 'door.scan', { groupId, household: H201, text: tubeCode(2), source: 'manual', mode: 'single' });
    door = (await ok(s.core, 'door.sample', { groupId, household: H201, ref: refOf(door, 6) })).household;
    expect(states(door)).toEqual({ 居民5: 'sampled', 居民6: 'sampled' });

    const refusal = journal(s.core, 'door.visit').find((v) => v.payload.outcome === 'refused');
    expect(refusal?.payload).toMatchObject({ reason: '本人拒绝，称已在单位采样', temperatureC: 36.6, room: '201', bindingId: null });
    // The refusal's reason and the room are personal: purged with the rest past the retention period.
    expect(PERSONAL_FIELDS['door.visit']).toEqual(['room', 'reason']);
    expect(splitPersonal('door.visit', refusal?.payload).personal).toEqual({ room: '201', reason: '本人拒绝，称已在单位采样' });
    expect(refusedByHq(s.core)).toEqual([]);
  });

  it('asks before sampling someone sampled already this round, and samples them when told to', async () => {
    const s = await doorStation();
    const { id: groupId } = await assign(s);
    await ok(s.core, 'door.openTube', { groupId, household: H101, mode: 'single', code: tubeCode(1) });
    const door = await ok(s.core, 'door.household', { groupId, household: H101 });
    await ok(s.core, 'door.sample', { groupId, household: H101, ref: refOf(door, 1) });
    await ok(s.core, 'door.openTube', { groupId, household: H101, mode: 'single', code: tubeCode(2) });
    const asked = await ok(s.core, 'door.sample', { groupId, household: H101, ref: refOf(door, 1) });
    expect(asked).toMatchObject({ kind: 'needsConfirmation', pending: { person: { name: '居民1' }, previousTubeCode: tubeCode(1) } });
    expect(journal(s.core, 'door.visit')).toHaveLength(1);
    const again = await ok(s.core, 'door.sample', { groupId, household: H101, ref: refOf(door, 1), confirmRepeat: true });
    expect(again).toMatchObject({ kind: 'sampled', tubeCode: tubeCode(2) });
    expect(journal(s.core, 'binding.created').map((b) => b.payload.repeatConfirmed)).toEqual([false, true]);
  });

  it('samples someone scanned at a door who lives elsewhere where they are found, and says where they live', async () => {
    const s = await doorStation();
    const { id: groupId } = await assign(s);
    await ok(s.core, 'door.openTube', { groupId, household: H101, mode: 'pooled', code: tubeCode(1) });
    const visitor = await ok(s.core, 'door.scan', { groupId, household: H101, text: idNumber(8), source: 'manual', mode: 'pooled' });
    expect(visitor).toMatchObject({ kind: 'sampled', person: { name: '居民8' }, livesAt: '2-1-102' });
    // Someone not on the roster at all is sampled too (the desk registers them).
    const stranger = await ok(s.core, 'door.scan', { groupId, household: H101, text: idNumber(77), source: 'manual', mode: 'pooled' });
    expect(stranger).toMatchObject({ kind: 'sampled', livesAt: null, count: 2 });
    expect(stranger.household.history.map((v) => v.outcome)).toEqual(['sampled', 'sampled']);
  });

  it('counts progress per building and for the group as households are done, revisited and refused', async () => {
    const s = await doorStation();
    const { id: groupId } = await assign(s, { areas: [{ building: '1', unit: null }, { building: '2', unit: null }] });
    await ok(s.core, 'door.openTube', { groupId, household: H2101, mode: 'pooled', code: tubeCode(1) });
    const door = await ok(s.core, 'door.household', { groupId, household: H2101 });
    await ok(s.core, 'door.sample', { groupId, household: H2101, ref: refOf(door, 7) });
    await ok(s.core, 'door.refuse', { groupId, household: H101, reason: '全户拒绝' });
    await ok(s.core, 'door.notHome', { groupId, household: H102 });
    const list = await ok(s.core, 'door.list', { groupId });
    expect(list.group.progress).toEqual({ households: 5, done: 2, revisit: 1, toVisit: 2, residents: 8, sampled: 1, exempt: 0, refused: 3, notHome: 1, due: 3 });
    expect(list.buildings).toEqual([
      { building: '1', households: 3, done: 1, revisit: 1, toVisit: 1, residents: 6, sampled: 0, exempt: 0, refused: 3, notHome: 1, due: 2 },
      { building: '2', households: 2, done: 1, revisit: 0, toVisit: 1, residents: 2, sampled: 1, exempt: 0, refused: 0, notHome: 0, due: 1 },
    ]);
    expect(list.households.filter((h) => h.status === 'toVisit').map((h) => `${h.building}-${h.unit}-${h.room}`)).toEqual(['1-2-201', '2-1-102']);
    expect(await ok(s.core, 'door.groups', { all: false })).toMatchObject([{ id: groupId, progress: list.group.progress }]);
  });
});

describe('door to door: what is refused changes nothing', () => {
  it('refuses every bad request with its reason and leaves the journal and every table as they were', async () => {
    const s = await doorStation();
    const group = await assign(s, { areas: [{ building: '1', unit: '1' }] });
    const groupId = group.id;
    const door = await ok(s.core, 'door.household', { groupId, household: H101 });
    await ok(s.core, 'door.openTube', { groupId, household: H101, mode: 'single', code: tubeCode(1) });
    await ok(s.core, 'door.sample', { groupId, household: H101, ref: refOf(door, 1) });
    const other = await ok(s.core, 'door.household', { groupId, household: H102 });
    const collectorId = s.ids[COLLECTOR.code] as string;

    const cases: [() => Promise<string>, string][] = [
      [() => refused(s.core, 'door.assign', { name: '第2组', collectorId, helperIds: [], areas: [{ building: '9', unit: null }], tags: [] }), 'door.areaUnknown'],
      [() => refused(s.core, 'door.assign', { name: '第2组', collectorId, helperIds: [], areas: [{ building: '1', unit: '7' }], tags: [] }), 'door.areaUnknown'],
      [() => refused(s.core, 'door.assign', { name: '第2组', collectorId: s.ids[SAMPLER.code] as string, helperIds: [], areas: [{ building: '1', unit: null }], tags: [] }), 'door.collectorRole'],
      [() => refused(s.core, 'door.assign', { name: '第2组', collectorId: 'nobody', helperIds: [], areas: [{ building: '1', unit: null }], tags: [] }), 'door.operatorUnknown'],
      [() => refused(s.core, 'door.assign', { name: '第2组', collectorId, helperIds: ['nobody'], areas: [{ building: '1', unit: null }], tags: [] }), 'door.operatorUnknown'],
      [() => refused(s.core, 'door.assign', { name: '  ', collectorId, helperIds: [], areas: [{ building: '1', unit: null }], tags: [] }), 'request.invalid'],
      [() => refused(s.core, 'door.assign', { groupId: '0190a0a0-0000-7000-8000-000000000009', name: '第2组', collectorId, helperIds: [], areas: [{ building: '1', unit: null }], tags: [] }), 'door.groupUnknown'],
      [() => refused(s.core, 'door.list', { groupId: '0190a0a0-0000-7000-8000-000000000009' }), 'door.groupUnknown'],
      [() => refused(s.core, 'door.household', { groupId, household: H201 }), 'door.householdNotInGroup'],
      [() => refused(s.core, 'door.sample', { groupId, household: H101, ref: refOf(other, 4) }), 'door.residentNotInHousehold'],
      [() => refused(s.core, 'door.sample', { groupId, household: H101, ref: 'not-a-ref' }), 'roster.residentUnknown'],
      [() => refused(s.core, 'door.sample', { groupId, household: H101, ref: refOf(door, 2) }), 'door.tubeNeeded'],
      [() => refused(s.core, 'door.sample', { groupId, household: H101, ref: refOf(door, 2), temperatureC: 45.5 }), 'door.temperatureInvalid'],
      [() => refused(s.core, 'door.refuse', { groupId, household: H101, ref: refOf(door, 2), reason: '拒绝', temperatureC: 12 }), 'door.temperatureInvalid'],
      [() => refused(s.core, 'door.refuse', { groupId, household: H101, ref: refOf(door, 2), reason: ' ' }), 'request.invalid'],
      [() => refused(s.core, 'door.notHome', { groupId, household: H101, ref: refOf(door, 1) }), 'door.alreadySampled'],
      [() => refused(s.core, 'door.refuse', { groupId, household: H101, ref: refOf(door, 1), reason: '拒绝' }), 'door.alreadySampled'],
      [() => refused(s.core, 'door.scan', { groupId, household: H101, text: 'BX00000001', source: 'manual', mode: 'single' }), 'door.scanNotPerson'],
      [() => refused(s.core, 'door.scan', { groupId, household: H101, text: tubeCode(1), source: 'manual', mode: 'single' }), 'tube.alreadyUsed'],
      [() => refused(s.core, 'door.scan', { groupId, household: H101, text: '110105194912310021', source: 'manual', mode: 'single' }), 'scan.idCheckFailed'],
      [() => refused(s.core, 'door.openTube', { groupId, household: H101, mode: 'single', code: 'BX00000001' }), 'door.scanNotPerson'],
      [() => refused(s.core, 'door.openTube', { groupId, household: H201, mode: 'single' }), 'door.householdNotInGroup'],
    ];
    for (const [call, code] of cases) {
      const before = snapshot(s.core);
      expect(await call(), code).toBe(code);
      expect(snapshot(s.core), code).toEqual(before);
    }

    // Roles: a gate keeper does not sample at doors; a sampler (a helper) samples but does not form groups.
    await s.as(KEEPER);
    let before = snapshot(s.core);
    expect(await refused(s.core, 'door.list', { groupId })).toBe('operator.forbidden');
    expect(await refused(s.core, 'door.notHome', { groupId, household: H101 })).toBe('operator.forbidden');
    expect(snapshot(s.core)).toEqual(before);
    await s.as(SAMPLER);
    before = snapshot(s.core);
    expect(await refused(s.core, 'door.assign', { name: '第2组', collectorId, helperIds: [], areas: [{ building: '1', unit: null }], tags: [] })).toBe('operator.forbidden');
    expect(snapshot(s.core)).toEqual(before);
    await ok(s.core, 'door.notHome', { groupId, household: H101, ref: refOf(door, 2) });

    // The round closed: the group's list stays readable, nothing more is recorded on it.
    await s.as({ code: TEST_ADMIN.code, pin: TEST_ADMIN.pin });
    const round = s.core.rounds.current();
    await ok(s.core, 'round.close', { roundId: round?.id as string });
    await ok(s.core, 'round.start', { name: '第2轮' });
    before = snapshot(s.core);
    expect(await refused(s.core, 'door.notHome', { groupId, household: H101 })).toBe('door.roundClosed');
    expect(await refused(s.core, 'door.assign', { groupId, name: '第1组', collectorId, helperIds: [], areas: [{ building: '1', unit: null }], tags: [] })).toBe('door.roundClosed');
    expect(snapshot(s.core)).toEqual(before);
    expect((await ok(s.core, 'door.list', { groupId })).group.round.closed).toBe(true);
    // A group of the new round cannot sample into the old round's tube.
    const fresh = await assign(s, { name: '第2组' });
    const sealedOld = await ok(s.core, 'door.groups', { all: true });
    expect(sealedOld.map((g) => g.name)).toEqual(['第2组', '第1组']);
    expect((await ok(s.core, 'door.groups', { all: false })).map((g) => g.id)).toEqual([fresh.id]);
  });

  it('forms no group without a roster in use', async () => {
    const s = await doorStation({ roster: false });
    const before = snapshot(s.core);
    expect(await refused(s.core, 'door.assign', { name: '第1组', collectorId: s.ids[COLLECTOR.code] as string, helperIds: [], areas: [{ building: '1', unit: null }], tags: [] })).toBe('door.noRoster');
    expect(snapshot(s.core)).toEqual(before);
    expect(await ok(s.core, 'door.groups', { all: true })).toEqual([]);
  });
});

describe('door to door: a station that works at doors', () => {
  it('sends its serial and HID scans to the door screen, not to the desk or the gate, and keeps the gate closed', async () => {
    const s = await doorStation();
    const seen: { event: string; payload: unknown }[] = [];
    s.core.subscribe((e) => seen.push(e));
    expect(await refused(s.core, 'gate.scan', { text: idNumber(1), source: 'manual' })).toBe('operator.forbidden');
    await s.as({ code: TEST_ADMIN.code, pin: TEST_ADMIN.pin });
    expect(await refused(s.core, 'gate.scan', { text: idNumber(1), source: 'manual' })).toBe('gate.notAtGate');
    await s.as(COLLECTOR);
    // What a serial scanner's scan does at this station (`DeviceManager` calls the core's submitScan).
    const submit = (s.core.devices as unknown as { host: { submitScan(text: string, source: 'serial' | 'hid'): Promise<unknown> } }).host.submitScan;
    expect(await submit(idNumber(1), 'serial')).toBeNull();
    expect(seen.filter((e) => e.event === 'doors.deviceScan').map((e) => e.payload)).toEqual([{ text: idNumber(1), source: 'serial' }]);
    expect(s.core.db.prepare('SELECT count(*) AS n FROM binding').get()).toEqual({ n: 0 });
  });

  it('purges a visit’s room and a refusal’s reason past the retention period once HQ holds them; the visit and its counts stay', async () => {
    const s = await doorStation();
    const { id: groupId } = await assign(s);
    const door = await ok(s.core, 'door.household', { groupId, household: H101 });
    await ok(s.core, 'door.refuse', { groupId, household: H101, ref: refOf(door, 2), reason: '家属代为拒绝' });
    s.core.identity.site.config = { ...s.core.identity.site.config, retention: { personalDataDays: 15 } };
    s.advance(20 * 86_400_000);
    expect((await s.core.retention.purge())?.doorRows).toBe(0);
    // Not yet confirmed: the resident refusing keeps their data too.
    expect(s.core.db.prepare(`SELECT count(*) AS n FROM person WHERE name = '居民2'`).get()).toEqual({ n: 1 });
    s.core.db.prepare('UPDATE upload_state SET confirmed_through = ?').run(s.core.journal.lastSeq());
    expect((await s.core.retention.purge())?.doorRows).toBe(1);
    expect(s.core.db.prepare('SELECT building, unit, room, outcome, reason FROM door_visit').all()).toEqual([{ building: '1', unit: '1', room: '', outcome: 'refused', reason: '' }]);
    expect(s.core.db.prepare(`SELECT count(*) AS n FROM person WHERE name = '居民2'`).get()).toEqual({ n: 0 });
    const entry = journal(s.core, 'door.visit')[0];
    expect(entry?.payload).not.toHaveProperty('reason');
    expect(entry?.payload).not.toHaveProperty('room');
    // HQ still takes the purged visit as it is.
    expect(refusedByHq(s.core).filter((d) => d.startsWith('door.'))).toEqual([]);
  });
});

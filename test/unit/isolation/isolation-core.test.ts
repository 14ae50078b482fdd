import { afterEach, describe, expect, it } from 'vitest';
import type { IsolationTaskView } from '../../../electron/api/isolation';
import { StationCore } from '../../../electron/core/core';
import { addDays } from '../../../electron/core/isolation/schedule';
import { checkRecord, parseFeedItem, type FeedItem } from '../../../hq/protocol';
import { dataKeyOf, ok, refused, signInAdmin, tempDir, TEST_ADMIN } from '../../helpers/core';
import { idNumber, tubeCode } from '../../helpers/ids';

const cores: StationCore[] = [];
afterEach(async () => {
  for (const c of cores.splice(0)) {
    await c.devices.stop();
    c.close();
  }
});

/** 10:00 at the site (UTC+8), 2026-12-01: day 1. */
const START = Date.parse('2026-12-01T02:00:00.000Z');
const DAY = 86_400_000;
const DAY1 = '2026-12-01';
const H101 = { building: '1', unit: '1', room: '101' };

/** Residents 1–3 at 1-1-101, 4 at 1-1-102. */
const ROSTER: [number, string][] = [
  [1, '1,1,101'],
  [2, '1,1,101'],
  [3, '1,1,101'],
  [4, '1,1,102'],
];

async function applyRoster(core: StationCore): Promise<void> {
  const lines = ['姓名,身份证号,手机号,楼栋,单元,房号,标签', ...ROSTER.map(([n, home]) => `居民${n},${idNumber(n)},,${home},`)];
  const csv = Buffer.from(lines.join('\n'));
  const { uploadId } = await ok(core, 'roster.upload', { fileName: 'r.csv', size: csv.length });
  await ok(core, 'roster.uploadChunk', { uploadId, offset: 0, data: csv.toString('base64') });
  const started = await ok(core, 'roster.read', { uploadId });
  await core.roster.idle();
  await ok(core, 'roster.apply', { importId: started.id });
}

/** A desk whose clock the test moves, with the roster applied and the site admin signed in. */
async function desk(options: { roster?: boolean } = {}) {
  let now = START;
  const dataDir = tempDir();
  const core = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), devices: 'off', now: () => new Date(now) });
  cores.push(core);
  await signInAdmin(core);
  if (options.roster !== false) await applyRoster(core);
  // The screen locks after a while without input: the site admin signs in again after the clock moves.
  const advance = async (ms: number) => {
    now += ms;
    await ok(core, 'operator.signIn', { code: TEST_ADMIN.code, pin: TEST_ADMIN.pin });
  };
  return { core, advance, now: () => now };
}

function journal(core: StationCore, kind: string) {
  return (core.db.prepare('SELECT seq, kind, entity_id, operator_id, at, payload FROM journal WHERE kind = ? ORDER BY seq').all(kind) as {
    seq: number;
    kind: string;
    entity_id: string;
    operator_id: string;
    at: string;
    payload: string;
  }[]).map((r) => ({ seq: r.seq, kind: r.kind, entityId: r.entity_id, operatorId: r.operator_id, at: r.at, payload: JSON.parse(r.payload) as Record<string, unknown> }));
}

/** Everything isolation keeps, and the journal's length: a refusal leaves all of it as it was. */
function snapshot(core: StationCore) {
  return {
    journal: core.db.prepare('SELECT COUNT(*) AS n FROM journal').get(),
    ...Object.fromEntries(['isolation', 'isolation_person', 'isolation_end', 'isolation_reading'].map((t) => [t, core.db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()])),
  };
}

const brief = (t: IsolationTaskView) => `${t.name} d${t.dayNumber} ${t.kind} ${t.status}`;

async function sample(core: StationCore, tube: number, ...people: number[]): Promise<void> {
  await ok(core, 'scan.submit', { text: tubeCode(tube), source: 'manual' });
  for (const p of people) {
    // Sampled in this round already (an earlier day of the isolation): the desk asks, staff confirm.
    const outcome = await ok(core, 'scan.submit', { text: idNumber(p), source: 'manual' });
    if (outcome.kind === 'person.needsConfirmation') await ok(core, 'binding.confirm', { token: outcome.pending.token });
  }
  await ok(core, 'tube.seal', {});
}

describe('an isolation’s schedule', () => {
  it('puts a household of the roster in isolation for 14 days, journalled as HQ takes it, with today’s tasks for each resident', async () => {
    const d = await desk();
    const view = await ok(d.core, 'isolation.start', { subject: { kind: 'household', household: H101 }, reason: '密接' });
    expect(view).toMatchObject({
      subject: 'household',
      household: '1-1-101',
      startDay: DAY1,
      untilDay: '2026-12-14',
      samplingDays: [1, 4, 7, 10, 14],
      dayNumber: 1,
      state: 'active',
      origin: 'here',
      ended: null,
      overdue: 0,
    });
    expect(view.persons.map((p) => p.name)).toEqual(['居民1', '居民2', '居民3']);
    expect(view.persons[0]!.maskedIdNumber).not.toContain(idNumber(1).slice(6, 14));
    const [entry] = journal(d.core, 'isolation.started');
    expect(entry).toMatchObject({ entityId: view.id, payload: { subject: 'household', household: '1-1-101', reason: '密接', startDay: DAY1, untilDay: '2026-12-14', samplingDays: [1, 4, 7, 10, 14] } });
    expect((entry!.payload.persons as { idNumber: string }[]).map((p) => p.idNumber)).toEqual([idNumber(1), idNumber(2), idNumber(3)]);
    expect(checkRecord(entry)).toMatchObject({ ok: true });

    const tasks = await ok(d.core, 'isolation.tasks', {});
    expect(tasks.today).toBe(DAY1);
    expect(tasks.overdue).toEqual([]);
    expect(tasks.tasks.map(brief)).toEqual(
      ['居民1', '居民2', '居民3'].flatMap((n) => [`${n} d1 sampling pending`, `${n} d1 temperatureMorning pending`, `${n} d1 temperatureEvening pending`]),
    );
  });

  it('samples on the days the site configures, and only up to the last day', async () => {
    const d = await desk();
    d.core.useSiteConfig({ ...d.core.identity.site, config: { ...d.core.identity.site.config, isolation: { samplingDays: [5, 2, 9] } } });
    const view = await ok(d.core, 'isolation.start', {
      subject: { kind: 'person', idNumber: idNumber(7).toLowerCase(), name: '外来人员', household: '5-1-101' },
      reason: '境外返回',
      untilDay: addDays(DAY1, 6),
    });
    expect(view).toMatchObject({ subject: 'person', household: '5-1-101', samplingDays: [2, 5, 9], untilDay: '2026-12-07' });
    const kinds: string[] = [];
    for (let day = 1; day <= 8; day++) {
      const { tasks } = await ok(d.core, 'isolation.tasks', {});
      kinds.push(tasks.filter((t) => t.kind === 'sampling').map((t) => `d${t.dayNumber}`).join() || '-');
      await d.advance(DAY);
    }
    // Day 8 is past the last day: the isolation is completed, nothing is due.
    expect(kinds).toEqual(['-', 'd2', '-', '-', 'd5', '-', '-', '-']);
    expect((await ok(d.core, 'isolation.list', { open: false, limit: 50, offset: 0 })).isolations[0]!.state).toBe('completed');
  });

  it('marks a sampling task done by the person’s binding that day, a temperature task by a reading, and the rest overdue once their time is past', async () => {
    const d = await desk();
    const view = await ok(d.core, 'isolation.start', { subject: { kind: 'household', household: H101 }, reason: '密接' });
    const [p1, p2] = view.persons;
    // Day 1: resident 1 sampled at this desk, resident 2 in a tube voided after (it does not count); morning readings for resident 1.
    await sample(d.core, 1, 1);
    await ok(d.core, 'scan.submit', { text: tubeCode(2), source: 'manual' });
    await ok(d.core, 'scan.submit', { text: idNumber(2), source: 'manual' });
    await ok(d.core, 'tube.void', { tubeCode: tubeCode(2), reason: '污染' });
    const reading = await ok(d.core, 'isolation.reading', { isolationId: view.id, personId: p1!.id, slot: 'morning', celsius: 36.44, source: 'typed' });
    expect(reading).toMatchObject({ day: DAY1, slot: 'morning', celsius: 36.4, source: 'typed' });
    expect(checkRecord(journal(d.core, 'isolation.reading')[0])).toMatchObject({ ok: true });
    let tasks = await ok(d.core, 'isolation.tasks', {});
    const of = (name: string) => tasks.tasks.filter((t) => t.name === name).map(brief);
    expect(of('居民1')).toEqual(['居民1 d1 sampling done', '居民1 d1 temperatureMorning done', '居民1 d1 temperatureEvening pending']);
    expect(of('居民2')).toEqual(['居民2 d1 sampling pending', '居民2 d1 temperatureMorning pending', '居民2 d1 temperatureEvening pending']);
    expect(tasks.tasks.find((t) => t.name === '居民1' && t.kind === 'temperatureMorning')).toMatchObject({ celsius: 36.4, doneAt: reading.at });

    // 13:00: the morning readings not taken are overdue now (today's, so among today's tasks).
    await d.advance(3 * 3600_000);
    tasks = await ok(d.core, 'isolation.tasks', {});
    expect(of('居民2')).toEqual(['居民2 d1 sampling pending', '居民2 d1 temperatureMorning overdue', '居民2 d1 temperatureEvening pending']);

    // Day 4, 10:00: days 1–3 gone by; day 4's sampling due.
    await d.advance(3 * DAY - 3 * 3600_000);
    tasks = await ok(d.core, 'isolation.tasks', {});
    expect(tasks.today).toBe('2026-12-04');
    expect(of('居民1')).toEqual(['居民1 d4 sampling pending', '居民1 d4 temperatureMorning pending', '居民1 d4 temperatureEvening pending']);
    expect(tasks.overdue.filter((t) => t.name === '居民1').map(brief)).toEqual([
      '居民1 d1 temperatureEvening overdue',
      '居民1 d2 temperatureMorning overdue',
      '居民1 d2 temperatureEvening overdue',
      '居民1 d3 temperatureMorning overdue',
      '居民1 d3 temperatureEvening overdue',
    ]);
    expect(tasks.overdue.filter((t) => t.name === '居民2').map(brief)[0]).toBe('居民2 d1 sampling overdue');
    const listed = (await ok(d.core, 'isolation.list', { open: true, limit: 50, offset: 0 })).isolations[0]!;
    expect(listed).toMatchObject({ dayNumber: 4, overdue: tasks.overdue.length });

    // Resident 2 sampled at another desk of the site on day 4 (HQ's mark); resident 1 here.
    const round = (await ok(d.core, 'desk.state', {})).round!;
    const mark = d.core.rounds.mark(`id:${idNumber(2)}`);
    const items = feed([{ kind: 'round.marks', payload: { roundId: round.id, stationNumber: 2, stationName: '采样台 2', add: [{ b: 'b-remote', m: mark, at: new Date(d.now()).toISOString() }], remove: [] } }]);
    await d.core.writer.run(() => d.core.feed.apply(items, new Date(d.now()).toISOString()));
    await sample(d.core, 3, 1);
    await ok(d.core, 'isolation.reading', { isolationId: view.id, personId: p2!.id, slot: 'evening', celsius: 37.0, source: 'thermometer' });
    tasks = await ok(d.core, 'isolation.tasks', {});
    expect(of('居民1')[0]).toBe('居民1 d4 sampling done');
    expect(of('居民2')).toEqual(['居民2 d4 sampling done', '居民2 d4 temperatureMorning pending', '居民2 d4 temperatureEvening done']);
  });

  it('closes the schedule when the isolation is ended: no task, nothing overdue, no reading; ended once', async () => {
    const d = await desk();
    const view = await ok(d.core, 'isolation.start', { subject: { kind: 'household', household: H101 }, reason: '密接' });
    await d.advance(13 * DAY);
    let tasks = await ok(d.core, 'isolation.tasks', {});
    expect(new Set(tasks.tasks.map((t) => t.dayNumber))).toEqual(new Set([14]));
    expect(tasks.tasks.filter((t) => t.kind === 'sampling')).toHaveLength(3);
    const ended = await ok(d.core, 'isolation.end', { isolationId: view.id, reason: '期满解除' });
    expect(ended).toMatchObject({ state: 'ended', dayNumber: null, overdue: 0, ended: { reason: '期满解除' } });
    expect(checkRecord(journal(d.core, 'isolation.ended')[0])).toMatchObject({ ok: true });
    tasks = await ok(d.core, 'isolation.tasks', {});
    expect(tasks).toEqual({ today: '2026-12-14', tasks: [], overdue: [] });
    expect((await ok(d.core, 'isolation.list', { open: true, limit: 50, offset: 0 })).total).toBe(0);
    expect((await ok(d.core, 'isolation.list', { open: false, limit: 50, offset: 0 })).total).toBe(1);

    const before = snapshot(d.core);
    expect(await refused(d.core, 'isolation.end', { isolationId: view.id, reason: '再次' })).toBe('isolation.alreadyEnded');
    expect(await refused(d.core, 'isolation.reading', { isolationId: view.id, personId: view.persons[0]!.id, slot: 'evening', celsius: 36.5, source: 'typed' })).toBe('isolation.notActive');
    expect(snapshot(d.core)).toEqual(before);
    // Ended, the household can be put in isolation again.
    await ok(d.core, 'isolation.start', { subject: { kind: 'household', household: H101 }, reason: '再次密接' });
  });
});

describe('refusals', () => {
  it('refuses each bad start, end and reading with its code, changing nothing', async () => {
    const d = await desk();
    const view = await ok(d.core, 'isolation.start', { subject: { kind: 'household', household: H101 }, reason: '密接' });
    const before = snapshot(d.core);
    const person = (n: number, extra: Record<string, string> = {}) => ({ subject: { kind: 'person' as const, idNumber: idNumber(n), name: '某人', household: '' }, reason: '密接', ...extra });
    const bad = idNumber(9).slice(0, 17) + (idNumber(9).endsWith('1') ? '2' : '1');
    const cases: [Promise<string>, string][] = [
      [refused(d.core, 'isolation.start', { subject: { kind: 'person', idNumber: bad, name: '某人', household: '' }, reason: '密接' }), 'isolation.idNumberInvalid'],
      [refused(d.core, 'isolation.start', { subject: { kind: 'household', household: { building: '9', unit: '9', room: '909' } }, reason: '密接' }), 'isolation.householdUnknown'],
      [refused(d.core, 'isolation.start', person(9, { startDay: '2026-12-05', untilDay: '2026-12-04' })), 'isolation.untilBeforeStart'],
      [refused(d.core, 'isolation.start', person(9, { untilDay: '2027-03-01' })), 'isolation.tooLong'],
      [refused(d.core, 'isolation.start', person(9, { startDay: '2026-11-01', untilDay: '2026-11-14' })), 'isolation.untilPast'],
      [refused(d.core, 'isolation.start', person(2)), 'isolation.alreadyIsolated'],
      [refused(d.core, 'isolation.start', { subject: { kind: 'household', household: H101 }, reason: '' }), 'request.invalid'],
      [refused(d.core, 'isolation.end', { isolationId: 'nope', reason: '期满' }), 'isolation.notFound'],
      [refused(d.core, 'isolation.reading', { isolationId: view.id, personId: 'someone-else', slot: 'morning', celsius: 36.5, source: 'typed' }), 'isolation.notInIsolation'],
      [refused(d.core, 'isolation.reading', { isolationId: view.id, personId: view.persons[0]!.id, slot: 'morning', celsius: 50, source: 'typed' }), 'request.invalid'],
    ];
    for (const [result, code] of cases) expect(await result).toBe(code);
    expect(snapshot(d.core)).toEqual(before);
    // An isolation to come takes no reading yet.
    const later = await ok(d.core, 'isolation.start', person(9, { startDay: '2026-12-03' }));
    expect(later).toMatchObject({ state: 'upcoming', dayNumber: null });
    expect(await refused(d.core, 'isolation.reading', { isolationId: later.id, personId: later.persons[0]!.id, slot: 'morning', celsius: 36.5, source: 'typed' })).toBe('isolation.notActive');
  });

  it('refuses a household without a roster in use, and the gate keeper', async () => {
    const d = await desk({ roster: false });
    expect(await refused(d.core, 'isolation.start', { subject: { kind: 'household', household: H101 }, reason: '密接' })).toBe('isolation.noRoster');
    await ok(d.core, 'operator.create', { name: '王值守', code: 'G001', role: 'gatekeeper', pin: '580317' });
    await ok(d.core, 'operator.signIn', { code: 'G001', pin: '580317' });
    expect(await refused(d.core, 'isolation.tasks', {})).toBe('operator.forbidden');
    expect(journal(d.core, 'isolation.started')).toEqual([]);
  });
});

function feed(raw: { kind: string; payload: unknown }[], firstCursor = 1): FeedItem[] {
  return raw.map((r, i) => {
    const checked = parseFeedItem({ cursor: firstCursor + i, ...r });
    if (!checked.ok) throw new Error(checked.detail);
    return checked.item;
  });
}

describe('isolations of the site’s other stations and HQ’s, from the feed', () => {
  it('takes an isolation HQ started, its readings and its end, once each; another site’s not at all', async () => {
    const d = await desk();
    const site = d.core.identity.site.id;
    const started = (siteId: string, isolationId = 'iso-hq-1') => ({
      kind: 'isolation.started',
      payload: {
        isolationId,
        siteId,
        subject: 'person',
        household: '2-1-201',
        persons: [{ personId: 'ip-1', idNumber: idNumber(5), name: '居民5' }],
        reason: '密接',
        startDay: DAY1,
        untilDay: '2026-12-14',
        samplingDays: [1, 4, 7, 10, 14],
        stationId: null,
        stationName: '总部',
        startedAt: new Date(START).toISOString(),
      },
    });
    const apply = (items: FeedItem[]) => d.core.writer.run(() => d.core.feed.apply(items, new Date(d.now()).toISOString()));
    const effects = await apply(feed([started(site), started(site), started('other-site', 'iso-x')]));
    expect(effects.isolations).toBe(1);
    const list = await ok(d.core, 'isolation.list', { open: true, limit: 50, offset: 0 });
    expect(list.isolations).toEqual([expect.objectContaining({ id: 'iso-hq-1', origin: 'feed', stationName: '总部', state: 'active', household: '2-1-201' })]);
    const reading = { kind: 'isolation.reading', payload: { readingId: 'rd-1', siteId: site, isolationId: 'iso-hq-1', personId: 'ip-1', day: DAY1, slot: 'morning', celsius: 36.6, source: 'typed', stationName: '采样台 2', at: new Date(START).toISOString() } };
    expect((await apply(feed([reading, reading], 4))).isolations).toBe(1);
    expect((await ok(d.core, 'isolation.tasks', {})).tasks.map(brief)).toEqual(['居民5 d1 sampling pending', '居民5 d1 temperatureMorning done', '居民5 d1 temperatureEvening pending']);
    // A person in HQ's isolation is refused a second one here.
    expect(await refused(d.core, 'isolation.start', { subject: { kind: 'person', idNumber: idNumber(5), name: '居民5', household: '' }, reason: '密接' })).toBe('isolation.alreadyIsolated');
    const ended = { kind: 'isolation.ended', payload: { isolationId: 'iso-hq-1', siteId: site, reason: '转集中隔离', stationName: '总部', endedAt: new Date(START + 3600_000).toISOString() } };
    expect((await apply(feed([ended, ended], 6))).isolations).toBe(1);
    expect((await ok(d.core, 'isolation.list', { open: false, limit: 50, offset: 0 })).isolations[0]).toMatchObject({ state: 'ended', ended: { reason: '转集中隔离', stationName: '总部' } });
  });
});

describe('retention', () => {
  it('purges who was in an isolation closed before the period once HQ holds it; the isolation, its end and readings stay', async () => {
    const d = await desk();
    const closed = await ok(d.core, 'isolation.start', { subject: { kind: 'household', household: H101 }, reason: '密接', untilDay: '2026-12-03' });
    await ok(d.core, 'isolation.reading', { isolationId: closed.id, personId: closed.persons[0]!.id, slot: 'morning', celsius: 36.5, source: 'typed' });
    const open = await ok(d.core, 'isolation.start', { subject: { kind: 'person', idNumber: idNumber(4), name: '居民4', household: '1-1-102' }, reason: '境外返回', untilDay: '2027-01-20' });
    await ok(d.core, 'isolation.end', { isolationId: closed.id, reason: '转院，电话 13800138000' });
    d.core.db.prepare('UPDATE upload_state SET confirmed_through = ?').run(d.core.journal.lastSeq());
    d.core.identity.site.config = { ...d.core.identity.site.config, retention: { personalDataDays: 15 } };
    await d.advance(20 * DAY);
    const summary = await d.core.retention.purge();
    expect(summary?.isolationRows).toBe(5);
    expect(d.core.db.prepare('SELECT isolation_id, id_number, name FROM isolation_person ORDER BY rowid').all()).toEqual([
      { isolation_id: closed.id, id_number: null, name: '' },
      { isolation_id: closed.id, id_number: null, name: '' },
      { isolation_id: closed.id, id_number: null, name: '' },
      { isolation_id: open.id, id_number: idNumber(4), name: '居民4' },
    ]);
    expect(d.core.db.prepare('SELECT id, household, reason FROM isolation ORDER BY rowid').all()).toEqual([
      { id: closed.id, household: '', reason: '' },
      { id: open.id, household: '1-1-102', reason: '境外返回' },
    ]);
    expect(d.core.db.prepare('SELECT reason FROM isolation_end').all()).toEqual([{ reason: '' }]);
    expect(d.core.db.prepare('SELECT count(*) AS n FROM isolation_reading').get()).toEqual({ n: 1 });
  });
});

import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatePassageView, GateScanOutcome } from '../../../electron/api/gate';
import type { WireEvent } from '../../../electron/api/wire';
import { StationCore } from '../../../electron/core/core';
import { SIM_SCANNER_ID, SIM_THERMOMETER_ID } from '../../../electron/core/devices/simulation';
import { personMark } from '../../../electron/core/person/mark';
import { checkJournalFile } from '../../../electron/core/journal';
import { checkRecord, type FeedItem } from '../../../hq/protocol';
import { dataKeyOf, ok, refused, signInAdmin, tempDir, TEST_ADMIN, withKey } from '../../helpers/core';
import { idNumber, tubeCode } from '../../helpers/ids';
import { until } from '../../helpers/pty';
import { closeGates, closeWithGates, COLLECTOR, gate, journal, KEEPER, START } from './gate-station';

afterEach(closeGates);

function passageOf(outcome: GateScanOutcome): GatePassageView {
  if (outcome.kind !== 'gate.passage') throw new Error(`not a passage: ${outcome.kind}`);
  return outcome.passage;
}

const scan = async (core: StationCore, text: string, direction?: 'in' | 'out') =>
  passageOf(await ok(core, 'gate.scan', direction ? { text, source: 'manual', direction } : { text, source: 'manual' }));

describe('a passage through the gate', () => {
  it('a resident with a normal reading: household from the roster, the entry rule, then the reading attached', async () => {
    const g = await gate({ roster: ['1', '2'] });
    const p = await scan(g.core, idNumber(1));
    expect(p).toMatchObject({
      direction: 'in',
      subject: 'person',
      person: { name: '居民1', maskedIdNumber: '110105********' + idNumber(1).slice(-4) },
      residency: { kind: 'resident', household: '1-1-101', tags: [] },
      keyPerson: null,
      rule: { kind: 'sampledWithin', hours: 72, met: false, lastSampledAt: null },
      temperature: { state: 'awaiting', thresholdC: 37.3, readings: [] },
      verdict: { level: 'check', reasons: ['rule.notMet', 'temperature.awaiting'], final: false },
    });
    expect(JSON.stringify(p)).not.toContain(idNumber(1));
    // Measured 3 s after the scan: theirs once nobody else can have been scanned for it (2 s later).
    g.advance(3000);
    g.reading(36.5);
    expect(g.core.gate.waiting()).toBe(1);
    g.advance(2001);
    await g.core.gate.checkDue();
    const after = await ok(g.core, 'gate.passage', { id: p.id });
    expect(after.temperature).toMatchObject({ state: 'normal', readings: [{ celsius: 36.5, source: 'thermometer', deviceId: 'thermo-1', thresholdC: 37.3, high: false, match: 'auto', measuredAt: new Date(START + 3000).toISOString() }] });
    expect(after.verdict).toEqual({ level: 'check', reasons: ['rule.notMet'], final: true });
    // Journalled with the signed-in gate keeper; the household is a personal field (purged with retention, covered by the chain's digest).
    const keeper = (await ok(g.core, 'operator.session', {})).operator!.id;
    expect(journal(g.core, 'gate.passage')).toEqual([
      {
        entity_id: p.id,
        operator_id: keeper,
        payload: expect.objectContaining({ personId: p.person.id, direction: 'in', residency: 'resident', household: '1-1-101', keyPerson: false, ruleMet: false, level: 'check', thresholdC: 37.3 }),
      },
    ]);
    expect(journal(g.core, 'gate.reading')[0]!.payload).toMatchObject({ passageId: p.id, celsius: 36.5, match: 'auto', high: false, temperature: 'normal' });
    expect(journal(g.core, 'person.registered')[0]!.payload).toMatchObject({ idNumber: idNumber(1), name: '居民1', format: 'id18' });
    // The screens were told: the passage, then the reading and the passage with it.
    expect(g.events.filter((e) => e.event.startsWith('gate.')).map((e) => e.event)).toEqual(['gate.passage', 'gate.reading', 'gate.passage']);
  });

  it('meets the entry rule from this desk’s sampling and from other desks’ marks, within N hours only', async () => {
    const g = await gate({ roster: ['1', '2', '3', '4'] });
    // The site admin sampled resident 1 at this station's desk 5 hours ago; a voided tube does not count.
    await ok(g.core, 'operator.signIn', { code: TEST_ADMIN.code, pin: TEST_ADMIN.pin });
    await ok(g.core, 'scan.submit', { text: tubeCode(1), source: 'manual' });
    await ok(g.core, 'scan.submit', { text: idNumber(1), source: 'manual' });
    await ok(g.core, 'scan.submit', { text: tubeCode(2), source: 'manual' });
    await ok(g.core, 'scan.submit', { text: idNumber(4), source: 'manual' });
    await ok(g.core, 'tube.void', { tubeCode: tubeCode(2), reason: '污染' });
    const sampledAt = new Date(g.now()).toISOString();
    // Desk 2 sampled resident 2 at 06:00 and resident 3 four days ago: HQ's marks.
    const round = (await ok(g.core, 'desk.state', {})).round!;
    const key = g.core.siteIdentity.markKey();
    const marks: FeedItem = {
      cursor: 1,
      kind: 'round.marks',
      payload: {
        roundId: round.id,
        stationNumber: 2,
        stationName: '2号采样台',
        add: [
          { b: 'b-2', m: personMark(key, `id:${idNumber(2)}`), at: new Date(g.now() + 1_000).toISOString() },
          { b: 'b-3', m: personMark(key, `id:${idNumber(3)}`), at: new Date(g.now() - 96 * 3600_000).toISOString() },
        ],
        remove: [],
      },
    };
    await g.core.writer.run(() => g.core.feed.apply([marks], new Date(g.now()).toISOString()));
    await g.later(5 * 3600_000);
    expect((await scan(g.core, idNumber(1))).rule).toEqual({ kind: 'sampledWithin', hours: 72, met: true, lastSampledAt: sampledAt, where: 'here' });
    expect((await scan(g.core, idNumber(2))).rule).toMatchObject({ met: true, where: 'site' });
    expect((await scan(g.core, idNumber(3))).rule).toMatchObject({ met: false, where: 'site' });
    expect((await scan(g.core, idNumber(4))).rule).toMatchObject({ met: false, lastSampledAt: null });
    // 68 hours later resident 1 is past the 72.
    await g.later(68 * 3600_000);
    expect((await scan(g.core, idNumber(1))).rule).toMatchObject({ met: false, where: 'here' });
  });

  it('a fever: alarm and a re-measure, high again, a referral; both readings kept with their threshold', async () => {
    const g = await gate({ roster: ['1', '2'] });
    const p = await scan(g.core, idNumber(1));
    g.advance(1000);
    g.reading(37.8);
    g.advance(2001);
    await g.core.gate.checkDue();
    let view = await ok(g.core, 'gate.passage', { id: p.id });
    expect(view.temperature.state).toBe('remeasure');
    expect(view.verdict).toMatchObject({ level: 'stop', final: false });
    expect(view.verdict.reasons).toContain('temperature.remeasure');
    expect(await refused(g.core, 'gate.refer', { passageId: p.id, destination: '发热门诊', escort: '王值守', note: '' })).toBe('gate.referralNotNeeded');
    // Twenty seconds on, past the scan's window: the gate keeper starts the re-measure.
    g.advance(20_000);
    await ok(g.core, 'gate.remeasure', { passageId: p.id });
    g.advance(1500);
    g.reading(37.6);
    g.advance(2001);
    await g.core.gate.checkDue();
    view = await ok(g.core, 'gate.passage', { id: p.id });
    expect(view.temperature.state).toBe('fever');
    expect(view.temperature.readings.map((r) => [r.celsius, r.thresholdC, r.high, r.match])).toEqual([
      [37.8, 37.3, true, 'auto'],
      [37.6, 37.3, true, 'auto'],
    ]);
    expect(view.verdict).toMatchObject({ level: 'stop', final: true });
    expect(view.verdict.reasons).toContain('temperature.fever');
    view = await ok(g.core, 'gate.refer', { passageId: p.id, destination: '区发热门诊', escort: '王值守', note: '自述咳嗽两天' });
    expect(view.referral).toMatchObject({ destination: '区发热门诊', escort: '王值守', note: '自述咳嗽两天' });
    expect(await refused(g.core, 'gate.refer', { passageId: p.id, destination: '区发热门诊', escort: '王值守', note: '' })).toBe('gate.alreadyReferred');
    expect(journal(g.core, 'gate.referral').map((e) => e.payload)).toEqual([{ passageId: p.id, destination: '区发热门诊', escort: '王值守', note: '自述咳嗽两天' }]);

    // Exactly at the threshold is high; a normal re-measure clears it, both kept.
    const q = await scan(g.core, idNumber(2));
    await ok(g.core, 'gate.reading', { passageId: q.id, celsius: 37.3 });
    const cleared = await ok(g.core, 'gate.reading', { passageId: q.id, celsius: 36.9 });
    expect(cleared.temperature).toMatchObject({ state: 'normal' });
    expect(cleared.temperature.readings.map((r) => [r.celsius, r.high, r.match, r.source])).toEqual([
      [37.3, true, 'manual', 'manual'],
      [36.9, false, 'manual', 'manual'],
    ]);
    expect(await refused(g.core, 'gate.refer', { passageId: q.id, destination: '发热门诊', escort: '王值守', note: '' })).toBe('gate.referralNotNeeded');
  });

  it('a key person: an alarm with HQ’s reason, and what the gate keeper did is journalled', async () => {
    const g = await gate({ roster: ['1', '2:重点人员'] });
    const list: FeedItem = { cursor: 1, kind: 'keyperson.list', payload: { listId: 'kp-1', persons: [{ idNumber: idNumber(7), name: '赵某', reason: '密接' }] } };
    await g.core.writer.run(() => g.core.feed.apply([list], new Date(g.now()).toISOString()));
    const outsider = await scan(g.core, idNumber(7));
    expect(outsider).toMatchObject({ residency: { kind: 'outsider' }, keyPerson: { lists: [{ listId: 'kp-1', reason: '密接' }], roster: false } });
    expect(outsider.verdict.level).toBe('stop');
    expect(outsider.verdict.reasons.slice(0, 1)).toEqual(['keyPerson']);
    expect(outsider.verdict.reasons).toContain('outsider');
    const tagged = await scan(g.core, idNumber(2));
    expect(tagged.keyPerson).toEqual({ lists: [], roster: true });
    const done = await ok(g.core, 'gate.keyPersonAction', { passageId: outsider.id, action: 'turnedBack', note: '劝返并上报社区' });
    expect(done.keyPersonActions).toMatchObject([{ action: 'turnedBack', note: '劝返并上报社区' }]);
    expect(journal(g.core, 'gate.keyPersonAction').map((e) => e.payload)).toEqual([{ passageId: outsider.id, action: 'turnedBack', note: '劝返并上报社区' }]);
    expect(journal(g.core, 'gate.passage').map((e) => [e.payload.keyPerson, e.payload.keyPersonLists])).toEqual([
      [true, ['kp-1']],
      [true, []],
    ]);
    const plain = await scan(g.core, idNumber(1));
    expect(await refused(g.core, 'gate.keyPersonAction', { passageId: plain.id, action: 'admitted', note: '' })).toBe('gate.notKeyPerson');
    expect(await refused(g.core, 'gate.keyPersonAction', { passageId: outsider.id, action: 'other', note: '' })).toBe('request.invalid');
  });
});

describe('readings that come early or late', () => {
  it('attaches a reading measured just before the scan to that scan, in its answer', async () => {
    const g = await gate();
    g.reading(36.4);
    g.advance(800);
    const p = await scan(g.core, idNumber(11));
    expect(p.temperature).toMatchObject({ state: 'normal', readings: [{ celsius: 36.4, match: 'auto' }] });
    expect(p.verdict.final).toBe(true);
  });

  it('judges a reading delivered after the next scan by when it was measured', async () => {
    const g = await gate();
    const a = await scan(g.core, idNumber(21));
    const measured = g.now() + 3000;
    g.advance(20_000);
    const b = await scan(g.core, idNumber(22));
    g.advance(500);
    g.reading(36.7, measured);
    await g.settle();
    expect((await ok(g.core, 'gate.passage', { id: a.id })).temperature.readings.map((r) => r.celsius)).toEqual([36.7]);
    expect((await ok(g.core, 'gate.passage', { id: b.id })).temperature.readings).toEqual([]);
  });

  it('attaches to neither person a reading measured between two scans a second apart, and says so', async () => {
    const g = await gate();
    const a = await scan(g.core, idNumber(31));
    g.advance(5000);
    g.reading(38.1);
    g.advance(1000);
    const b = await scan(g.core, idNumber(32));
    await g.settle();
    expect(b.temperature.readings).toEqual([]);
    expect((await ok(g.core, 'gate.passage', { id: a.id })).temperature.readings).toEqual([]);
    const unattached = g.events.find((e) => e.event === 'gate.reading');
    expect(unattached?.payload).toMatchObject({ passageId: null, reading: { celsius: 38.1, high: true, match: 'ambiguous' } });
    expect(journal(g.core, 'gate.reading').map((e) => e.payload)).toMatchObject([{ passageId: null, match: 'ambiguous', high: true, temperature: null }]);
  });

  it('a refused scan parts its neighbours: the reading after it is nobody’s', async () => {
    const g = await gate();
    await scan(g.core, idNumber(41));
    g.advance(1000);
    const bad = idNumber(42).slice(0, 17) + (idNumber(42).endsWith('0') ? '1' : '0');
    expect(await refused(g.core, 'gate.scan', { text: bad, source: 'manual' })).toBe('scan.idCheckFailed');
    g.advance(1000);
    g.reading(36.6);
    g.advance(2001);
    await g.core.gate.checkDue();
    expect(journal(g.core, 'gate.reading').map((e) => e.payload.match)).toEqual(['unmatched']);
  });

  it('does not attach a reading delivered more than a minute after it was measured', async () => {
    const g = await gate();
    const p = await scan(g.core, idNumber(51));
    g.advance(70_000);
    g.reading(36.6, Date.parse(p.at) + 2000);
    await g.settle();
    expect(journal(g.core, 'gate.reading').map((e) => [e.payload.passageId, e.payload.match])).toEqual([[null, 'stale']]);
  });
});

describe('directions and counts', () => {
  it('takes the station’s direction, holds nobody leaving for the entry rule, and counts per hour', async () => {
    const g = await gate({ roster: ['1', '2', '3'] });
    await scan(g.core, idNumber(1));
    await scan(g.core, idNumber(2));
    const visitor = await scan(g.core, idNumber(9));
    expect(visitor.verdict.reasons).toEqual(['rule.notMet', 'outsider', 'temperature.awaiting']);
    await g.later(3600_000);
    expect((await ok(g.core, 'gate.setDirection', { direction: 'out' })).direction).toBe('out');
    const leaving = await scan(g.core, idNumber(1));
    expect(leaving).toMatchObject({ direction: 'out', rule: { kind: 'none' }, temperature: { state: 'notRequired' }, verdict: { level: 'pass', reasons: [], final: true } });
    await scan(g.core, idNumber(9));
    // A fever at 11:00, referred.
    const hot = await scan(g.core, idNumber(3), 'in');
    await ok(g.core, 'gate.reading', { passageId: hot.id, celsius: 38.2 });
    await ok(g.core, 'gate.reading', { passageId: hot.id, celsius: 38.0 });
    await ok(g.core, 'gate.refer', { passageId: hot.id, destination: '发热门诊', escort: '王值守', note: '' });
    const counts = await ok(g.core, 'gate.counts', {});
    expect(counts).toMatchObject({ day: '2026-11-20', in: 4, out: 2, onSiteNow: 2, fevers: 1, referrals: 1, keyPersons: 0 });
    expect(counts.hours).toHaveLength(24);
    expect(counts.hours.filter((h) => h.in + h.out > 0)).toEqual([
      { hour: 10, in: 3, out: 0, fevers: 0 },
      { hour: 11, in: 1, out: 2, fevers: 1 },
    ]);
    expect((await ok(g.core, 'gate.counts', { day: '2026-11-19' })).in).toBe(0);
    expect((await ok(g.core, 'gate.recent', { limit: 2 })).map((p) => p.person.name)).toEqual(['居民3', null]);
  });
});

describe('who may use the gate', () => {
  it('refuses other roles, a locked screen, a sampling desk and codes that are not people, and a refusal writes nothing', async () => {
    const g = await gate();
    const seqBefore = g.core.journal.lastSeq();
    expect(await refused(g.core, 'station.setWorkplace', { workplace: 'desk' })).toBe('operator.forbidden');
    expect(await refused(g.core, 'scan.submit', { text: idNumber(1), source: 'manual' })).toBe('operator.forbidden');
    expect(await refused(g.core, 'gate.scan', { text: tubeCode(5), source: 'manual' })).toBe('gate.notAPerson');
    expect(await refused(g.core, 'gate.passage', { id: 'nope' })).toBe('gate.passageNotFound');
    expect(await refused(g.core, 'gate.reading', { passageId: 'nope', celsius: 36.5 })).toBe('gate.passageNotFound');
    expect(await refused(g.core, 'gate.reading', { passageId: 'nope', celsius: 47 })).toBe('request.invalid');
    expect(g.core.journal.lastSeq()).toBe(seqBefore);

    await ok(g.core, 'operator.lock', {});
    expect(await refused(g.core, 'gate.scan', { text: idNumber(1), source: 'manual' })).toBe('session.locked');
    // Which screen to show is known on the lock screen too.
    expect(await ok(g.core, 'station.workplace', {})).toEqual({ workplace: 'gate', direction: 'in' });

    await ok(g.core, 'operator.signIn', { code: TEST_ADMIN.code, pin: TEST_ADMIN.pin });
    await ok(g.core, 'operator.create', COLLECTOR);
    await ok(g.core, 'operator.signIn', { code: COLLECTOR.code, pin: COLLECTOR.pin });
    for (const method of ['gate.scan', 'gate.counts', 'gate.settings'] as const) {
      const result = await g.core.invoke(method, method === 'gate.scan' ? { text: idNumber(1), source: 'manual' } : {});
      expect(result).toMatchObject({ ok: false, error: { code: 'operator.forbidden', params: { needed: 'gatekeeper,admin' } } });
    }

    await ok(g.core, 'operator.signIn', { code: TEST_ADMIN.code, pin: TEST_ADMIN.pin });
    const view = await ok(g.core, 'station.setWorkplace', { workplace: 'desk' });
    expect(view.workplace).toBe('desk');
    expect(journal(g.core, 'station.workplaceSet').map((e) => e.payload.workplace)).toEqual(['gate', 'desk']);
    expect(await refused(g.core, 'gate.scan', { text: idNumber(1), source: 'manual' })).toBe('gate.notAtGate');
    // The choice outlives a restart.
    const dataDir = g.dataDir;
    await ok(g.core, 'station.setWorkplace', { workplace: 'sentinel' });
    g.core.close();
    const again = new StationCore({ ...withKey(dataDir), devices: 'off' });
    closeWithGates(again);
    expect(await ok(again, 'station.workplace', {})).toEqual({ workplace: 'sentinel', direction: 'in' });
  });
});

describe('the gate’s records at HQ and after the retention period', () => {
  it('journals entries HQ accepts, and purges households, list reasons and notes with the persons, keeping the chain and the counts', async () => {
    const g = await gate({ roster: ['1', '2'] });
    const list: FeedItem = { cursor: 1, kind: 'keyperson.list', payload: { listId: 'kp-1', persons: [{ idNumber: idNumber(2), name: '', reason: '密接' }] } };
    await g.core.writer.run(() => g.core.feed.apply([list], new Date(g.now()).toISOString()));
    const a = await scan(g.core, idNumber(1));
    await ok(g.core, 'gate.reading', { passageId: a.id, celsius: 38.4 });
    await ok(g.core, 'gate.reading', { passageId: a.id, celsius: 38.3 });
    await ok(g.core, 'gate.refer', { passageId: a.id, destination: '发热门诊', escort: '王值守', note: '咳嗽' });
    const b = await scan(g.core, idNumber(2));
    await ok(g.core, 'gate.keyPersonAction', { passageId: b.id, action: 'reported', note: '已报社区网格员' });
    g.reading(36.6);
    await g.core.gate.checkDue();
    g.advance(3000);
    await g.core.gate.checkDue();
    await ok(g.core, 'operator.signIn', { code: TEST_ADMIN.code, pin: TEST_ADMIN.pin });
    await ok(g.core, 'station.setWorkplace', { workplace: 'sentinel' });
    // Back to an attended gate: a sentinel lets only site admins sign in, and the gate keeper reads the counts below.
    await ok(g.core, 'station.setWorkplace', { workplace: 'gate' });
    const entries = g.core.journal.readAfter(0, 10_000);
    const kinds = new Set(entries.map((e) => e.kind));
    for (const kind of ['gate.passage', 'gate.reading', 'gate.referral', 'gate.keyPersonAction', 'station.workplaceSet']) expect(kinds).toContain(kind);
    for (const e of entries) expect(checkRecord({ seq: e.seq, kind: e.kind, entityId: e.entityId, operatorId: e.operatorId, at: e.at, payload: e.payload }), e.kind).toMatchObject({ ok: true });

    // HQ confirmed it all, and the site keeps personal data 15 days.
    g.core.db.prepare('UPDATE upload_state SET confirmed_through = ?').run(g.core.journal.lastSeq());
    g.core.identity.site.config = { ...g.core.identity.site.config, retention: { personalDataDays: 15 } };
    g.advance(16 * 86_400_000);
    await g.core.retention.purge();
    const text = JSON.stringify([
      g.core.db.prepare('SELECT household, key_person FROM gate_passage').all(),
      g.core.db.prepare('SELECT note FROM gate_referral').all(),
      g.core.db.prepare('SELECT note FROM gate_key_person_action').all(),
      g.core.db.prepare(`SELECT payload FROM journal WHERE kind LIKE 'gate.%'`).all(),
    ]);
    for (const gone of ['1-1-10', '密接', '咳嗽', '已报社区网格员', idNumber(1)]) expect(text).not.toContain(gone);
    expect(g.core.db.prepare('SELECT count(*) AS n FROM person WHERE id_number IS NOT NULL').get()).toEqual({ n: 0 });
    expect((await checkJournalFile(path.join(g.dataDir, 'station.db'), dataKeyOf(g.dataDir))).ok).toBe(true);
    await ok(g.core, 'operator.signIn', { code: KEEPER.code, pin: KEEPER.pin });
    const counts = await ok(g.core, 'gate.counts', { day: '2026-11-20' });
    expect(counts).toMatchObject({ in: 2, fevers: 1, referrals: 1, keyPersons: 1 });
    expect((await ok(g.core, 'gate.passage', { id: b.id })).verdict.reasons).toContain('keyPerson');
  });
});

describe('devices at a gate', () => {
  it('sends a serial scanner’s scans to the gate and attaches the simulated thermometer’s reading', async () => {
    const dataDir = tempDir();
    const core = await signInAdmin(new StationCore({ ...withKey(dataDir), devices: 'simulated', deviceOptions: { retryMs: 20, maxRetryMs: 200, pseudoTerminals: true } }));
    closeWithGates(core);
    await ok(core, 'station.setWorkplace', { workplace: 'gate' });
    const events: WireEvent[] = [];
    core.subscribe((e) => events.push(e));
    const statusOf = (id: string) => core.devices.list().devices.find((d) => d.config.id === id)?.status.state;
    await until(() => statusOf(SIM_SCANNER_ID) === 'connected' && statusOf(SIM_THERMOMETER_ID) === 'connected', 5000, 'simulators connected');
    await ok(core, 'devices.simulate', { id: SIM_SCANNER_ID, scan: idNumber(61) });
    await until(() => events.some((e) => e.event === 'gate.scanned'), 5000, 'gate scan');
    const scanned = events.find((e) => e.event === 'gate.scanned');
    expect(scanned?.payload).toMatchObject({ source: 'serial', result: { ok: true, value: { kind: 'gate.passage' } } });
    expect(events.some((e) => e.event === 'scan.outcome')).toBe(false);
    await ok(core, 'devices.simulate', { id: SIM_THERMOMETER_ID, celsius: 36.8 });
    // Decided once the reading window before a scan has passed (2 s by default).
    await until(() => events.some((e) => e.event === 'gate.reading'), 8000, 'reading attached');
    const [passage] = await ok(core, 'gate.recent', { limit: 1 });
    expect(passage?.temperature).toMatchObject({ state: 'normal', readings: [{ celsius: 36.8, deviceId: SIM_THERMOMETER_ID, match: 'auto' }] });
  });
});

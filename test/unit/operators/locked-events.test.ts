import { afterEach, describe, expect, it } from 'vitest';
import type { EventName, Events, ScanOutcome } from '../../../electron/api/contract';
import type { GatePassageView } from '../../../electron/api/gate';
import { EVENT_ACCESS, METHOD_ACCESS } from '../../../electron/api/operators';
import type { WireEvent } from '../../../electron/api/wire';
import type { StationCore } from '../../../electron/core/core';
import { ok, signInAdmin, stationCore, TEST_ADMIN } from '../../helpers/core';
import { idNumber, tubeCode } from '../../helpers/ids';

const cores: StationCore[] = [];
afterEach(() => {
  for (const c of cores.splice(0)) c.close();
});

const NAME = '王小明';
const PERSON = JSON.stringify({ name: NAME, idNumber: idNumber(7) });
/** Someone through the gate: the gate keeper's to see, nobody's on a locked screen. */
const GATE_NAME = '孙过门';
const COLLECTOR = { name: '李采集', code: 'C001', role: 'collector' as const, badge: 'OP0002', pin: '580317' };

/** A station whose clock the test moves, with everything it pushes recorded. */
function station() {
  let now = Date.parse('2026-11-20T08:00:00.000Z');
  const core = stationCore({ devices: 'off', now: () => new Date(now) });
  cores.push(core);
  const seen: WireEvent[] = [];
  core.subscribe((e) => seen.push(e));
  return { core, seen, advance: (ms: number) => (now += ms) };
}

/** The admin signed in, a tube open with a named person in it: what a locked screen must not receive. */
async function deskWithPerson(core: StationCore): Promise<Extract<ScanOutcome, { kind: 'person.bound' }>> {
  await signInAdmin(core);
  await ok(core, 'scan.submit', { text: tubeCode(1), source: 'manual' });
  const bound = await ok(core, 'scan.submit', { text: PERSON, source: 'manual' });
  if (bound.kind !== 'person.bound') throw new Error(`not bound: ${bound.kind}`);
  return bound;
}

/**
 * One payload or more of every event the core pushes, as it would push them now. A
 * `{ [E in EventName]: … }`: a new event fails the type check here until it has samples, so the
 * test below holds it back on a locked screen too unless the lock screen is said to need it.
 */
function everyEvent(core: StationCore, bound: Extract<ScanOutcome, { kind: 'person.bound' }>): { [E in EventName]: Events[E][] } {
  const at = new Date().toISOString();
  return {
    'desk.changed': [core.desk.state()],
    'upload.status': [core.upload.status()],
    'results.changed': [{ openRetests: 1 }],
    'device.status': [{ id: 'desk-scanner', kind: 'scanner', status: { state: 'connected' } }],
    'thermometer.reading': [{ id: 'gate-thermometer', celsius: 37.6, at }],
    'scan.outcome': [
      { id: 'desk-scanner', source: 'serial', result: { ok: true, value: bound } },
      { id: 'desk-scanner', source: 'serial', result: { ok: false, error: { code: 'person.alreadyInTube', params: { person: NAME, code: tubeCode(1) } } } },
      { id: 'desk-scanner', source: 'serial', result: { ok: true, value: { kind: 'operator.pinNeeded', operator: { id: 'op-1', code: COLLECTOR.code, name: COLLECTOR.name, role: 'collector' }, badge: COLLECTOR.badge } } },
      { id: 'desk-scanner', source: 'serial', result: { ok: false, error: { code: 'session.locked', params: { method: 'scan.submit' } } } },
    ],
    'label.job': [{ code: tubeCode(1), template: 'tube', printed: false, fault: 'paper-out', status: null, at, trigger: 'tube.opened' }],
    'rounds.changed': [{ current: core.rounds.current() }],
    'roster.progress': [{ importId: 'imp-1', progress: { phase: 'reading', rows: 10, bytes: 100, totalBytes: 1000 } }],
    'roster.changed': [{ importId: 'imp-1', state: 'ready' }],
    'coverage.changed': [{ roundId: core.rounds.current()?.id ?? 'r-1' }],
    'report.siteChanged': [{ day: '2026-11-20', asOf: '2026-11-20T06:00:00.000Z' }],
    'operator.session': [core.session.view()],
    'operators.changed': [{ count: 1 }],
    'station.workplace': [{ workplace: 'gate', direction: 'in' }],
    'gate.passage': [gatePassage(at)],
    'gate.reading': [{ reading: { id: 'rd-1', celsius: 37.6, measuredAt: at, source: 'thermometer', deviceId: 'gate-thermometer', thresholdC: 37.3, high: true, match: 'auto' }, passageId: 'g-1' }],
    'gate.scanned': [
      { source: 'serial', result: { ok: true, value: { kind: 'gate.passage', passage: gatePassage(at) } } },
      { source: 'serial', result: { ok: false, error: { code: 'session.locked', params: { method: 'gate.scan' } } } },
    ],
    // Held back too at a desk (the station is not a sentinel), locked or not.
    'sentinel.verdict': [{ id: 'g-1:staff:0', passageId: 'g-1', at, name: GATE_NAME, prompt: 'staff', level: 'check', final: true, temperature: 'normal', celsius: 36.5 }],
    'gate.visit': [
      {
        id: 'v-1',
        person: { id: 'p-9', name: GATE_NAME, maskedIdNumber: '110105********0018', label: GATE_NAME },
        maskedPhone: '139****0000',
        reason: '探亲',
        household: '1-1-101',
        enteredAt: at,
        expectedUntil: at,
        overstay: false,
        entry: { passageId: 'g-1', verdict: { level: 'pass', reasons: [], final: true }, temperature: 'normal' },
        left: null,
      },
    ],
    'gate.vehiclePassage': [
      { id: 'vh-1', at, direction: 'in', plate: '粤BD12345', plateDisplay: '粤B·D12345', plateKind: 'newEnergy', driver: GATE_NAME, maskedDriverPhone: null, passengers: 1, purpose: '送货', entryId: null, exit: null },
    ],
    'passes.changed': [{ count: 2 }],
    'isolation.changed': [{ count: 1 }],
    'boxes.changed': [{ code: 'BX00000001' }],
    'doors.changed': [{ groupId: '0190a0a0-0000-7000-8000-000000000001' }],
    'doors.deviceScan': [{ text: PERSON, source: 'serial' }],
  };
}

function gatePassage(at: string): GatePassageView {
  return {
    id: 'g-1',
    at,
    direction: 'in',
    subject: 'person',
    pass: null,
    person: { id: 'p-9', name: GATE_NAME, maskedIdNumber: '110105********0018', label: GATE_NAME },
    residency: { kind: 'outsider' },
    keyPerson: null,
    rule: { kind: 'none' },
    results: { latest: null, openRetest: false },
    temperature: { state: 'awaiting', thresholdC: 37.3, readings: [] },
    referral: null,
    keyPersonActions: [],
    verdict: { level: 'check', reasons: ['outsider', 'temperature.awaiting'], final: false },
  };
}

function fireAll(core: StationCore, samples: { [E in EventName]: Events[E][] }): void {
  for (const event of Object.keys(samples) as EventName[]) {
    for (const payload of samples[event]) core.emit(event, payload as never);
  }
}

const names = (events: WireEvent[]) => events.map((e) => e.event);
const deskEvents = (events: WireEvent[]) => events.filter((e): e is Extract<WireEvent, { event: 'desk.changed' }> => e.event === 'desk.changed');

describe('what the core pushes while nobody may read it', () => {
  it('names, for every event, a method of the API whose data it carries', () => {
    for (const carries of Object.values(EVENT_ACCESS)) {
      if (typeof carries === 'string') expect(Object.keys(METHOD_ACCESS)).toContain(carries);
    }
    // Only what the lock screen shows is a sign-in step or a status anyone may read (which screen is behind it too).
    const lockScreen = Object.entries(EVENT_ACCESS).filter(([, carries]) => typeof carries === 'string' && typeof METHOD_ACCESS[carries] === 'string' && METHOD_ACCESS[carries] !== 'sentinel');
    expect(lockScreen.map(([event]) => event).sort()).toEqual(['operator.session', 'station.workplace', 'upload.status']);
    // And the sentinel's own (a station working as one, signed in or not): its verdicts only.
    const sentinel = Object.entries(EVENT_ACCESS).filter(([, carries]) => typeof carries === 'string' && METHOD_ACCESS[carries] === 'sentinel');
    expect(sentinel.map(([event]) => event)).toEqual(['sentinel.verdict']);
  });

  it('holds back every event that is not the lock screen’s while locked, and sends the desk as it is at sign-in', async () => {
    const { core, seen } = station();
    const bound = await deskWithPerson(core);
    expect(deskEvents(seen).at(-1)?.payload.openTube?.members.map((m) => m.person.name)).toEqual([NAME]);
    const samples = everyEvent(core, bound);

    await ok(core, 'operator.lock', {});
    seen.length = 0;
    fireAll(core, samples);
    // A real change too: a site configuration from HQ tells the screens what the desk looks like now.
    core.useSiteConfig(core.identity.site);
    expect(names(seen)).toEqual(['upload.status', 'scan.outcome', 'scan.outcome', 'operator.session', 'station.workplace', 'gate.scanned']);
    expect(seen.filter((e) => e.event === 'scan.outcome').map((e) => (e.payload as Events['scan.outcome']).result)).toEqual([
      { ok: true, value: expect.objectContaining({ kind: 'operator.pinNeeded' }) },
      { ok: false, error: { code: 'session.locked', params: { method: 'scan.submit' } } },
    ]);
    expect(JSON.stringify(seen)).not.toContain(NAME);
    expect(JSON.stringify(seen)).not.toContain(GATE_NAME);
    expect(JSON.stringify(seen)).not.toContain(idNumber(7).slice(-4));

    // Unlocked: the state held back, as it is now, without anyone asking.
    await ok(core, 'operator.signIn', { code: TEST_ADMIN.code, pin: TEST_ADMIN.pin });
    expect(names(seen).slice(-4)).toEqual(['operator.session', 'desk.changed', 'rounds.changed', 'results.changed']);
    expect(deskEvents(seen).at(-1)?.payload.openTube?.members.map((m) => m.person.name)).toEqual([NAME]);

    // Signed out: the same as locked.
    await ok(core, 'operator.signOut', {});
    seen.length = 0;
    fireAll(core, samples);
    expect(names(seen)).toEqual(['upload.status', 'scan.outcome', 'scan.outcome', 'operator.session', 'station.workplace', 'gate.scanned']);
    expect(JSON.stringify(seen)).not.toContain(NAME);
    expect(JSON.stringify(seen)).not.toContain(GATE_NAME);
  });

  it('holds back on the first-run screen, before anyone exists to sign in', async () => {
    const { core, seen } = station();
    expect(core.session.view().state).toBe('setup');
    core.emit('desk.changed', core.desk.state());
    core.emit('rounds.changed', { current: core.rounds.current() });
    core.emit('operators.changed', { count: 1 });
    expect(seen).toEqual([]);
  });

  it('holds back once the idle time is over, before the core’s own check has locked the screen', async () => {
    const { core, seen, advance } = station();
    await deskWithPerson(core);
    seen.length = 0;
    advance(5 * 60_000 + 1);
    core.emit('desk.changed', core.desk.state());
    expect(names(seen)).toEqual(['operator.session']);
    expect(seen[0]?.payload).toMatchObject({ state: 'locked', operator: { code: TEST_ADMIN.code } });
  });

  it('gives a signed-in role only the events of what it may read', async () => {
    const { core, seen } = station();
    const bound = await deskWithPerson(core);
    await ok(core, 'operator.create', COLLECTOR);
    await ok(core, 'operator.create', { name: '赵值守', code: 'G001', role: 'gatekeeper', pin: '471902' });
    const samples = everyEvent(core, bound);

    seen.length = 0;
    fireAll(core, samples);
    // The site admin reads everything; a sentinel's verdicts go to a sentinel only.
    expect(new Set(names(seen))).toEqual(new Set(Object.keys(samples).filter((e) => e !== 'sentinel.verdict')));

    // The collector samples: the desk, the round, the results, the devices; not the roster, coverage or operators.
    await ok(core, 'operator.signIn', { code: COLLECTOR.code, pin: COLLECTOR.pin });
    seen.length = 0;
    fireAll(core, samples);
    expect(new Set(names(seen))).toEqual(
      new Set(['desk.changed', 'upload.status', 'results.changed', 'device.status', 'thermometer.reading', 'scan.outcome', 'label.job', 'rounds.changed', 'operator.session', 'station.workplace', 'gate.scanned', 'boxes.changed', 'doors.changed', 'doors.deviceScan', 'isolation.changed', 'report.siteChanged']),
    );
    expect(JSON.stringify(seen)).not.toContain(GATE_NAME);

    // The gate keeper does not work the sampling desk: its tubes and the people in them are not theirs.
    await ok(core, 'operator.signIn', { code: 'G001', pin: '471902' });
    seen.length = 0;
    fireAll(core, samples);
    expect(new Set(names(seen))).toEqual(
      new Set(['upload.status', 'device.status', 'thermometer.reading', 'scan.outcome', 'rounds.changed', 'operator.session', 'station.workplace', 'gate.passage', 'gate.reading', 'gate.scanned', 'gate.visit', 'gate.vehiclePassage', 'passes.changed', 'report.siteChanged']),
    );
    expect(JSON.stringify(seen)).not.toContain(NAME);
    expect(JSON.stringify(seen)).toContain(GATE_NAME);
  });
});

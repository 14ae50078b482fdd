import { afterEach, describe, expect, it } from 'vitest';
import type { SentinelView } from '../../../electron/api/sentinel';
import type { WireEvent } from '../../../electron/api/wire';
import { StationCore } from '../../../electron/core/core';
import { SIM_SCANNER_ID, SIM_THERMOMETER_ID } from '../../../electron/core/devices/simulation';
import { dataKeyOf, ok, refused, signInAdmin, tempDir, TEST_ADMIN, withKey } from '../../helpers/core';
import { until } from '../../helpers/pty';
import { idNumber, tubeCode } from '../../helpers/ids';

const cores: StationCore[] = [];
afterEach(async () => {
  for (const c of cores.splice(0)) {
    await c.devices.stop();
    c.close();
  }
});

const KEEPER = { name: '王值守', code: 'G001', role: 'gatekeeper' as const, pin: '580317', badge: 'OP7701' };
/** 10:00 at the site (UTC+8). */
const START = Date.parse('2026-11-20T02:00:00.000Z');

/**
 * A station its site admin made a sentinel, with a roster (resident 1 sampled here at the desk
 * first, resident 2 never, resident 3 a key person by the roster's tag) and a gate keeper on the
 * books; then the admin signs out and the kiosk runs with nobody signed in.
 */
async function sentinel() {
  let now = START;
  const dataDir = tempDir();
  const core = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), devices: 'off', now: () => new Date(now) });
  cores.push(core);
  await signInAdmin(core);
  const lines = ['姓名,身份证号,手机号,楼栋,单元,房号,标签', `张三,${idNumber(1)},,1,1,101,`, `李四,${idNumber(2)},,1,1,102,`, `王五,${idNumber(3)},,1,1,103,重点人员`];
  const csv = Buffer.from(lines.join('\n'));
  const { uploadId } = await ok(core, 'roster.upload', { fileName: 'r.csv', size: csv.length });
  await ok(core, 'roster.uploadChunk', { uploadId, offset: 0, data: csv.toString('base64') });
  const started = await ok(core, 'roster.read', { uploadId });
  await core.roster.idle();
  await ok(core, 'roster.apply', { importId: started.id });
  await ok(core, 'scan.submit', { text: tubeCode(1), source: 'manual' });
  await ok(core, 'scan.submit', { text: idNumber(1), source: 'manual' });
  await ok(core, 'operator.create', KEEPER);
  await ok(core, 'station.setWorkplace', { workplace: 'sentinel' });
  await ok(core, 'operator.signOut', {});
  const events: WireEvent[] = [];
  core.subscribe((e) => events.push(e));
  return {
    core,
    events,
    verdicts: () => events.filter((e) => e.event === 'sentinel.verdict').map((e) => e.payload as SentinelView),
    advance: (ms: number) => (now += ms),
    reading: (celsius: number) => core.gate.thermometerReading({ id: 'thermo-1', celsius, at: new Date(now).toISOString() }),
  };
}

describe('the unattended sentinel', () => {
  it('takes scans with nobody signed in, and tells the kiosk the name, the temperature and what to do', async () => {
    const s = await sentinel();
    expect((await ok(s.core, 'operator.session', {})).state).toBe('signedOut');
    expect(await ok(s.core, 'sentinel.state', {})).toMatchObject({ active: true, direction: 'in', feverC: 37.3, thermometer: 'none' });
    const first = await ok(s.core, 'sentinel.scan', { text: idNumber(1), source: 'wedge' });
    expect(first).toMatchObject({ name: '张三', prompt: 'measure', level: 'check', final: false, temperature: 'awaiting', celsius: null });
    s.advance(3000);
    s.reading(36.6);
    s.advance(2001);
    await s.core.gate.checkDue();
    // The scan's own answer and the reading's change, each told once (the scan's event and its answer are the same view).
    const told = s.verdicts();
    expect(told.map((v) => v.prompt)).toEqual(['measure', 'pass']);
    expect(told[0]?.id).toBe(first.id);
    expect(told[1]).toMatchObject({ passageId: first.passageId, name: '张三', prompt: 'pass', level: 'pass', final: true, temperature: 'normal', celsius: 36.6 });
    // Nothing of the gate keeper's: no ID number, no household, no passage events.
    expect(JSON.stringify(s.events)).not.toContain(idNumber(1).slice(-4));
    expect(JSON.stringify(s.events)).not.toContain('1-1-101');
    expect(s.events.some((e) => e.event === 'gate.passage' || e.event === 'gate.reading')).toBe(false);
    // The record is the station's own: no operator on it.
    const row = s.core.db.prepare('SELECT operator_id FROM gate_passage WHERE id = ?').get(first.passageId) as { operator_id: string | null };
    expect(row.operator_id).toBeNull();
  });

  it('a fever: measure again, then staff; reasons that stop a passage are never said', async () => {
    const s = await sentinel();
    const p = await ok(s.core, 'sentinel.scan', { text: idNumber(1), source: 'wedge' });
    s.advance(3000);
    s.reading(38.2);
    s.advance(2001);
    await s.core.gate.checkDue();
    expect(s.verdicts().at(-1)).toMatchObject({ passageId: p.passageId, prompt: 'remeasure', level: 'stop', final: false, celsius: 38.2 });
    // The sentinel asks for the re-measure itself: the next reading within the window is theirs.
    s.advance(4000);
    s.reading(38.4);
    s.advance(8001);
    await s.core.gate.checkDue();
    expect(s.verdicts().at(-1)).toMatchObject({ passageId: p.passageId, prompt: 'fever', level: 'stop', final: true, celsius: 38.4 });

    // Never sampled (the entry rule), and a key person: both "please contact staff", nothing more.
    const unsampled = await ok(s.core, 'sentinel.scan', { text: idNumber(2), source: 'wedge' });
    s.advance(20_000);
    const key = await ok(s.core, 'sentinel.scan', { text: idNumber(3), source: 'wedge' });
    expect(unsampled).toMatchObject({ prompt: 'staff', level: 'check' });
    expect(key).toMatchObject({ prompt: 'staff', level: 'stop' });
    expect(JSON.stringify(s.verdicts())).not.toMatch(/keyPerson|rule|重点/);
  });

  it('a code that is nobody’s is "scan again"; the gate keeper’s methods stay behind a sign-in', async () => {
    const s = await sentinel();
    const tube = await ok(s.core, 'sentinel.scan', { text: tubeCode(9), source: 'serial' });
    expect(tube).toMatchObject({ passageId: null, prompt: 'unreadable', final: true });
    expect(s.verdicts().map((v) => v.id)).toEqual([tube.id]);
    expect(await refused(s.core, 'gate.scan', { text: idNumber(1), source: 'manual' })).toBe('session.locked');
    expect(await refused(s.core, 'gate.recent', { limit: 5 })).toBe('session.locked');
  });

  it('lets only a site admin sign in at a sentinel, and works nowhere but at a sentinel', async () => {
    const s = await sentinel();
    expect(await refused(s.core, 'operator.identify', { text: KEEPER.badge, source: 'serial' })).toBe('operator.sentinelAdminOnly');
    expect(await refused(s.core, 'operator.signIn', { code: KEEPER.code, pin: KEEPER.pin })).toBe('operator.sentinelAdminOnly');
    // Refused before the PIN: not counted as a wrong one.
    const keeper = s.core.db.prepare('SELECT wrong_pins FROM operator WHERE code = ?').get(KEEPER.code) as { wrong_pins: number };
    expect(keeper.wrong_pins).toBe(0);
    await ok(s.core, 'operator.signIn', { code: TEST_ADMIN.code, pin: TEST_ADMIN.pin });
    await ok(s.core, 'station.setWorkplace', { workplace: 'gate' });
    expect(await refused(s.core, 'sentinel.scan', { text: idNumber(1), source: 'wedge' })).toBe('sentinel.notSentinel');
    // At an attended gate the gate keeper signs in again.
    await ok(s.core, 'operator.signIn', { code: KEEPER.code, pin: KEEPER.pin });
  });

  it('takes a serial scanner’s scan and the thermometer’s reading with nobody signed in, and tells the kiosk', async () => {
    const dataDir = tempDir();
    const core = await signInAdmin(new StationCore({ ...withKey(dataDir), devices: 'simulated', deviceOptions: { retryMs: 20, maxRetryMs: 200, pseudoTerminals: true } }));
    cores.push(core);
    await ok(core, 'station.setWorkplace', { workplace: 'sentinel' });
    await ok(core, 'operator.signOut', {});
    const events: WireEvent[] = [];
    core.subscribe((e) => events.push(e));
    const statusOf = (id: string) => core.devices.list().devices.find((d) => d.config.id === id)?.status.state;
    await until(() => statusOf(SIM_SCANNER_ID) === 'connected' && statusOf(SIM_THERMOMETER_ID) === 'connected', 5000, 'simulators connected');
    expect(await ok(core, 'sentinel.state', {})).toMatchObject({ thermometer: 'connected' });
    await core.devices.simulate(SIM_SCANNER_ID, { scan: idNumber(61) });
    const verdicts = () => events.filter((e) => e.event === 'sentinel.verdict').map((e) => e.payload as SentinelView);
    // An outsider never sampled here: "please contact staff" at once (never why), and the reading still taken.
    await until(() => verdicts().length > 0, 5000, 'the scan told');
    expect(verdicts()[0]).toMatchObject({ prompt: 'staff', temperature: 'awaiting', celsius: null });
    await core.devices.simulate(SIM_THERMOMETER_ID, { celsius: 36.7 });
    await until(() => verdicts().some((v) => v.celsius === 36.7), 8000, 'the reading told');
    expect(verdicts().at(-1)).toMatchObject({ prompt: 'staff', temperature: 'normal', celsius: 36.7, final: true });
    // Nothing went to the desk or to a gate keeper's screen.
    expect(events.some((e) => e.event === 'scan.outcome' || e.event === 'gate.scanned' || e.event === 'gate.passage')).toBe(false);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { argSchemas, METHODS } from '../../../electron/api/contract';
import { MAX_WRONG_PINS, METHOD_ACCESS, ROLES } from '../../../electron/api/operators';
import { StationCore } from '../../../electron/core/core';
import { hashPin, PIN_HASH_OPTIONS, pinProblem, verifyPin, waitAfterWrongPins } from '../../../electron/core/operators/pin';
import { pinHashSchema, type FeedItem } from '../../../hq/protocol';
import { dataKeyOf, ok, refused, signInAdmin, tempDir, TEST_ADMIN } from '../../helpers/core';
import { idNumber, tubeCode } from '../../helpers/ids';

const cores: StationCore[] = [];
afterEach(() => {
  for (const c of cores.splice(0)) c.close();
});

/** A station whose clock the test moves. */
function station(dataDir = tempDir()) {
  let now = Date.parse('2026-11-20T08:00:00.000Z');
  const core = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), devices: 'off', now: () => new Date(now) });
  cores.push(core);
  return { core, advance: (ms: number) => (now += ms), now: () => now };
}

const COLLECTOR = { name: '李采集', code: 'C001', role: 'collector' as const, badge: 'OP0002', pin: '580317' };

async function withCollector() {
  const s = station();
  await signInAdmin(s.core);
  const collector = await ok(s.core, 'operator.create', COLLECTOR);
  return { ...s, collector };
}

function journal(core: StationCore, kind: string) {
  return core.db.prepare('SELECT operator_id, entity_id, payload FROM journal WHERE kind = ? ORDER BY seq').all(kind) as { operator_id: string; entity_id: string; payload: string }[];
}

describe('PINs', () => {
  it('needs 6 to 12 digits and refuses repeats, straight sequences, patterns and the common list', () => {
    expect(pinProblem('73051')).toEqual({ code: 'pin.tooShort' });
    expect(pinProblem('7305192846153')).toEqual({ code: 'pin.tooLong' });
    expect(pinProblem('73051a')).toEqual({ code: 'pin.notDigits' });
    for (const pin of ['000000', '111111', '99999999']) expect(pinProblem(pin)).toMatchObject({ code: 'pin.tooCommon', rule: 'repeat' });
    for (const pin of ['123456', '654321', '234567', '987654', '890123', '0123456789']) expect(pinProblem(pin)).toMatchObject({ code: 'pin.tooCommon', rule: 'sequence' });
    for (const pin of ['121212', '123123', '520520', '112233', '445566']) expect(pinProblem(pin)).toMatchObject({ code: 'pin.tooCommon', rule: 'pattern' });
    for (const pin of ['159753', '789456', '147258', '520131']) expect(pinProblem(pin)).toMatchObject({ code: 'pin.tooCommon', rule: 'list' });
    for (const pin of ['730519', '580317', '40975312']) expect(pinProblem(pin)).toBeNull();
  });

  it('hashes with Argon2id at OWASP’s parameters, set explicitly, and verifies', async () => {
    expect(PIN_HASH_OPTIONS).toEqual({ algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 });
    const hash = await hashPin('730519');
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(hash).not.toContain('730519');
    expect(await verifyPin(hash, '730519')).toBe(true);
    expect(await verifyPin(hash, '730518')).toBe(false);
    // A hash with costs out of bounds (from a bad feed) is a mismatch, never a minute of work.
    expect(await verifyPin(hash.replace('m=19456', 'm=4000000'), '730519')).toBe(false);
    // Found by fuzzing the feed: a hash without its costs threw inside the schema instead of being refused.
    for (const bad of ['x', '$argon2id$v=19$m=x,t=2,p=1$salt$hash', hash.replace('$argon2id$', '$argon2i$')]) expect(pinHashSchema.safeParse(bad).success).toBe(false);
    expect(pinHashSchema.safeParse(hash).success).toBe(true);
  });

  it('makes the wait after wrong PINs grow, and locks out at 10', () => {
    expect(MAX_WRONG_PINS).toBe(10);
    const waits = Array.from({ length: 10 }, (_, i) => waitAfterWrongPins(i + 1));
    expect(waits.slice(0, 2)).toEqual([0, 0]);
    for (let i = 2; i < waits.length; i++) expect(waits[i]!).toBeGreaterThanOrEqual(waits[i - 1]!);
    expect(waits[2]).toBeGreaterThan(0);
    expect(Math.max(...waits)).toBeLessThanOrEqual(60_000);
  });
});

describe('who may call what', () => {
  it('has a rule for every method of the API and none for a method that does not exist', () => {
    expect(Object.keys(METHOD_ACCESS).sort()).toEqual([...METHODS].sort());
    expect(Object.keys(argSchemas).sort()).toEqual([...METHODS].sort());
    for (const rule of Object.values(METHOD_ACCESS)) {
      if (typeof rule === 'string') expect(['signIn', 'status', 'self', 'sentinel']).toContain(rule);
      else for (const role of rule) expect(ROLES).toContain(role);
    }
    // A site admin may do everything.
    for (const rule of Object.values(METHOD_ACCESS)) if (typeof rule !== 'string') expect(rule).toContain('admin');
  });

  it('refuses everything but signing in on a fresh station, until the first site admin is made', async () => {
    const { core } = station();
    expect((await ok(core, 'operator.session', {})).state).toBe('setup');
    expect(await refused(core, 'scan.submit', { text: tubeCode(1), source: 'manual' })).toBe('session.locked');
    expect(await refused(core, 'operator.list', {})).toBe('session.locked');
    expect((await ok(core, 'upload.status', {})).enrolled).toBe(false);
    expect(await refused(core, 'operator.setup', { ...TEST_ADMIN, pin: '123456' })).toBe('pin.tooCommon');
    const view = await ok(core, 'operator.setup', TEST_ADMIN);
    expect(view).toMatchObject({ state: 'active', operator: { code: TEST_ADMIN.code, role: 'admin' } });
    expect(view.allowed).toContain('operator.create');
    expect(await refused(core, 'operator.setup', { ...TEST_ADMIN, code: 'T009' })).toBe('operator.setupDone');
    // The PIN never reaches the journal; its hash does, for HQ to share.
    const created = journal(core, 'operator.created')[0]!;
    expect(created.payload).not.toContain(TEST_ADMIN.pin);
    expect(JSON.parse(created.payload)).toMatchObject({ code: TEST_ADMIN.code, role: 'admin', pinHash: expect.stringMatching(/^\$argon2id\$/) });
  });

  it('refuses a collector an admin command through core.call, with the roles it needs, and lets them sample', async () => {
    const { core } = await withCollector();
    await ok(core, 'operator.signIn', { code: COLLECTOR.code, pin: COLLECTOR.pin });
    const result = await core.call('operator.create', { name: '王', code: 'C002', role: 'admin', pin: '580318' });
    expect(result).toEqual({ ok: false, error: { code: 'operator.forbidden', params: { method: 'operator.create', role: 'collector', needed: 'admin' } } });
    expect(await refused(core, 'round.start', { name: '第2轮' })).toBe('operator.forbidden');
    expect(await refused(core, 'devices.save', { device: { id: 'x', name: 'x', enabled: true, kind: 'scanner', driver: 'wedge' } })).toBe('operator.forbidden');
    expect(await refused(core, 'roster.upload', { fileName: 'a.csv', size: 10 })).toBe('operator.forbidden');
    expect((await ok(core, 'operator.session', {})).allowed).not.toContain('operator.create');
    await ok(core, 'scan.submit', { text: tubeCode(1), source: 'manual' });
    await ok(core, 'scan.submit', { text: idNumber(1), source: 'manual' });
    // Every record carries who was signed in.
    const collectorId = (await ok(core, 'operator.session', {})).operator!.id;
    expect(core.db.prepare('SELECT DISTINCT operator_id FROM binding').all()).toEqual([{ operator_id: collectorId }]);
    expect(core.db.prepare(`SELECT DISTINCT operator_id FROM journal WHERE kind IN ('tube.opened', 'binding.created', 'person.registered')`).all()).toEqual([{ operator_id: collectorId }]);
  });
});

describe('signing in', () => {
  it('waits longer after each wrong PIN, locks out at 10, journals every try without the PIN, and a site admin unlocks', async () => {
    const { core, advance, collector } = await withCollector();
    const admin = (await ok(core, 'operator.session', {})).operator!;
    await ok(core, 'operator.lock', {});
    const wrong = () => core.call('operator.signIn', { code: COLLECTOR.code, pin: '999000' });
    for (let n = 1; n <= MAX_WRONG_PINS; n++) {
      const r = await wrong();
      if (n < MAX_WRONG_PINS) expect(r).toMatchObject({ ok: false, error: { code: 'operator.pinWrong', params: { remaining: MAX_WRONG_PINS - n } } });
      else expect(r).toMatchObject({ ok: false, error: { code: 'operator.lockedOut' } });
      const wait = waitAfterWrongPins(n);
      if (wait > 0 && n < MAX_WRONG_PINS) {
        // Before the wait is over the PIN is not even checked, the right one neither.
        expect(await core.call('operator.signIn', { code: COLLECTOR.code, pin: COLLECTOR.pin })).toMatchObject({ ok: false, error: { code: 'operator.tooSoon' } });
        advance(wait);
      }
    }
    // Locked out: the right PIN does not help.
    expect(await refused(core, 'operator.signIn', { code: COLLECTOR.code, pin: COLLECTOR.pin })).toBe('operator.lockedOut');
    const tries = journal(core, 'operator.signInFailed');
    expect(tries.filter((t) => JSON.parse(t.payload).reason === 'pinWrong')).toHaveLength(MAX_WRONG_PINS);
    expect(tries.some((t) => JSON.parse(t.payload).reason === 'tooSoon')).toBe(true);
    for (const t of tries) expect(t.payload).not.toMatch(/999000|580317/);
    expect(journal(core, 'operator.changed').map((c) => JSON.parse(c.payload).change)).toEqual(['lockedOut']);

    await ok(core, 'operator.signIn', { code: TEST_ADMIN.code, pin: TEST_ADMIN.pin });
    expect((await ok(core, 'operator.list', {})).find((o) => o.id === collector.id)).toMatchObject({ lockedOut: true, wrongPins: MAX_WRONG_PINS });
    expect(await ok(core, 'operator.unlock', { id: collector.id })).toMatchObject({ lockedOut: false, wrongPins: 0 });
    const unlocked = journal(core, 'operator.changed').at(-1)!;
    expect(unlocked.operator_id).toBe(admin.id);
    expect(JSON.parse(unlocked.payload)).toMatchObject({ change: 'unlocked', lockedOut: false });
    expect((await ok(core, 'operator.signIn', { code: COLLECTOR.code, pin: COLLECTOR.pin })).operator?.code).toBe(COLLECTOR.code);
    expect(journal(core, 'operator.signedIn').map((e) => JSON.parse(e.payload).method)).toEqual(['setup', 'code', 'code']);
  });

  it('counts wrong PINs sent all at once one by one', async () => {
    const { core } = await withCollector();
    const results = await Promise.all(Array.from({ length: 4 }, () => core.call('operator.signIn', { code: COLLECTOR.code, pin: '999000' })));
    expect(results.map((r) => !r.ok && r.error.code)).toEqual(['operator.pinWrong', 'operator.pinWrong', 'operator.pinWrong', 'operator.tooSoon']);
  });

  it('locks on demand and after the idle time (core clock), and unlocks with the PIN', async () => {
    const { core, advance } = await withCollector();
    await ok(core, 'operator.signIn', { code: COLLECTOR.code, pin: COLLECTOR.pin });
    expect((await ok(core, 'operator.lock', {})).state).toBe('locked');
    expect(await refused(core, 'desk.state', {})).toBe('session.locked');
    expect(await refused(core, 'operator.signIn', { code: COLLECTOR.code, pin: '000999' })).toBe('operator.pinWrong');
    await ok(core, 'operator.signIn', { code: COLLECTOR.code, pin: COLLECTOR.pin });

    // 5 minutes by default; a scan or a touch of the screen starts the count again.
    advance(4 * 60_000);
    await ok(core, 'scan.submit', { text: tubeCode(1), source: 'manual' });
    advance(4 * 60_000);
    await ok(core, 'operator.activity', {});
    advance(4 * 60_000);
    await ok(core, 'desk.state', {});
    // Reads are not someone at the screen.
    advance(60_000 + 1);
    expect(await refused(core, 'desk.state', {})).toBe('session.locked');
    expect(await ok(core, 'operator.session', {})).toMatchObject({ state: 'locked', operator: { code: COLLECTOR.code } });
    await core.writer.run(() => undefined);
    expect(journal(core, 'operator.signedOut').map((e) => JSON.parse(e.payload).cause)).toEqual(['lock', 'idle']);

    // A site setting (from HQ) wins over the station's own.
    await ok(core, 'operator.signIn', { code: TEST_ADMIN.code, pin: TEST_ADMIN.pin });
    expect(await ok(core, 'operator.setIdleLock', { minutes: 2 })).toEqual({ idleLockMinutes: 2, source: 'station', stationMinutes: 2 });
    core.identity.site.config = { ...core.identity.site.config, idleLockMinutes: 1 };
    expect(await ok(core, 'operator.settings', {})).toMatchObject({ idleLockMinutes: 1, source: 'site' });
    advance(60_000);
    expect(await refused(core, 'operator.list', {})).toBe('session.locked');
  });

  it('switches operator with one badge scan and their PIN; what follows is theirs', async () => {
    const { core, collector } = await withCollector();
    const outcome = await ok(core, 'scan.submit', { text: COLLECTOR.badge, source: 'manual' });
    expect(outcome).toEqual({ kind: 'operator.pinNeeded', operator: { id: collector.id, code: COLLECTOR.code, name: COLLECTOR.name, role: 'collector' }, badge: COLLECTOR.badge });
    // The badge alone switched nothing.
    expect((await ok(core, 'operator.session', {})).operator?.code).toBe(TEST_ADMIN.code);
    expect(await refused(core, 'operator.identify', { text: tubeCode(3), source: 'manual' })).toBe('operator.notBadge');
    expect(await refused(core, 'operator.identify', { text: 'OP0777', source: 'manual' })).toBe('operator.unknownBadge');
    await ok(core, 'operator.signIn', { badge: COLLECTOR.badge, pin: COLLECTOR.pin });
    await ok(core, 'scan.submit', { text: tubeCode(2), source: 'manual' });
    expect(core.db.prepare('SELECT operator_id FROM tube').get()).toEqual({ operator_id: collector.id });
    expect(JSON.parse(journal(core, 'operator.signedIn').at(-1)!.payload)).toEqual({ code: COLLECTOR.code, method: 'badge' });
  });

  it('lets a site admin change roles, reset PINs and disable, never leaving the site without an admin', async () => {
    const { core, collector } = await withCollector();
    const admin = (await ok(core, 'operator.session', {})).operator!;
    expect(await refused(core, 'operator.disable', { id: admin.id })).toBe('operator.self');
    expect(await refused(core, 'operator.update', { id: admin.id, role: 'collector' })).toBe('operator.self');
    expect(await refused(core, 'operator.create', { ...COLLECTOR, code: 'C002' })).toBe('operator.badgeTaken');
    expect(await refused(core, 'operator.create', { ...COLLECTOR, badge: 'OP0003' })).toBe('operator.codeTaken');
    expect(await refused(core, 'operator.create', { ...COLLECTOR, code: 'C003', badge: 'BADGE1' })).toBe('operator.badgeInvalid');
    expect(await refused(core, 'operator.create', { ...COLLECTOR, code: 'C 3', badge: undefined })).toBe('operator.codeInvalid');
    expect(await ok(core, 'operator.update', { id: collector.id, role: 'sampler', badge: null })).toMatchObject({ role: 'sampler', badge: null });
    expect(await refused(core, 'operator.resetPin', { id: collector.id, pin: '111111' })).toBe('pin.tooCommon');
    await ok(core, 'operator.resetPin', { id: collector.id, pin: '602948' });
    await ok(core, 'operator.disable', { id: collector.id });
    expect(await refused(core, 'operator.signIn', { code: COLLECTOR.code, pin: '602948' })).toBe('operator.disabled');
    await ok(core, 'operator.enable', { id: collector.id });
    expect(await ok(core, 'operator.signIn', { code: COLLECTOR.code, pin: '602948' })).toMatchObject({ operator: { role: 'sampler' } });
    const changes = journal(core, 'operator.changed').map((c) => JSON.parse(c.payload) as { change: string; pinHash: string });
    expect(changes.map((c) => c.change)).toEqual(['updated', 'pinSet', 'disabled', 'enabled']);
    for (const c of changes) expect(c.pinHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });
});

describe('operators from HQ', () => {
  const state = (core: StationCore, over: Partial<Extract<FeedItem, { kind: 'operator.state' }>['payload']>, pinHash: string): FeedItem => ({
    cursor: 1,
    kind: 'operator.state',
    payload: {
      operatorId: 'hq-op-1',
      siteId: core.identity.site.id,
      code: 'H001',
      name: '总部派员',
      role: 'collector',
      badge: 'OP0044',
      pinHash,
      disabled: false,
      lockedOut: false,
      updatedAt: '2026-11-20T09:00:00.000Z',
      ...over,
    },
  });

  it('signs in an operator made at HQ, and signs them out when HQ disables them; an older state changes nothing', async () => {
    const { core } = station();
    const pinHash = await hashPin('470213');
    const apply = (item: FeedItem) => core.writer.run(() => core.feed.apply([item], new Date().toISOString()));
    // A fresh station that received an operator with a PIN needs no first run.
    expect((await apply(state(core, {}, pinHash))).operators).toBe(1);
    expect((await ok(core, 'operator.session', {})).state).toBe('signedOut');
    await ok(core, 'operator.signIn', { badge: 'OP0044', pin: '470213' });
    await ok(core, 'scan.submit', { text: tubeCode(5), source: 'manual' });
    expect(core.db.prepare('SELECT operator_id FROM tube').get()).toEqual({ operator_id: 'hq-op-1' });
    expect((await apply(state(core, { disabled: true, updatedAt: '2026-11-20T08:30:00.000Z' }, pinHash))).operators).toBe(0);
    expect((await ok(core, 'operator.session', {})).state).toBe('active');
    await apply(state(core, { disabled: true, updatedAt: '2026-11-20T10:00:00.000Z' }, pinHash));
    // What the core does after a page of the feed (UploadService's onFeed).
    core.session.recheck();
    // Signed out, and no first-run screen: the operator disabled still holds a PIN.
    expect((await ok(core, 'operator.session', {})).state).toBe('signedOut');
    // What the feed wrote is the station's own work: nothing journalled under the operator.
    expect(core.db.prepare(`SELECT count(*) AS n FROM journal WHERE operator_id = 'hq-op-1' AND kind NOT LIKE 'operator.%' AND kind != 'tube.opened'`).get()).toEqual({ n: 0 });
  });
});

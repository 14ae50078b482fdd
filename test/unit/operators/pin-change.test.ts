import { afterEach, describe, expect, it } from 'vitest';
import { MAX_WRONG_PINS } from '../../../electron/api/operators';
import type { StationCore } from '../../../electron/core/core';
import { hashPin, waitAfterWrongPins } from '../../../electron/core/operators/pin';
import { PAYLOAD_SCHEMAS } from '../../../hq/protocol';
import { ok, refused, signInAdmin, stationCore, TEST_ADMIN } from '../../helpers/core';
import { tubeCode } from '../../helpers/ids';

const cores: StationCore[] = [];
afterEach(() => {
  for (const c of cores.splice(0)) c.close();
});

const COLLECTOR = { name: '李采集', code: 'C001', role: 'collector' as const, badge: 'OP0002', pin: '580317' };
const NEW_PIN = '602948';

/** A station whose clock the test moves, its site admin signed in, a collector added. */
async function withCollector() {
  let now = Date.parse('2026-11-20T08:00:00.000Z');
  const core = stationCore({ devices: 'off', now: () => new Date(now) });
  cores.push(core);
  await signInAdmin(core);
  const collector = await ok(core, 'operator.create', COLLECTOR);
  return { core, collector, advance: (ms: number) => (now += ms) };
}

function journal(core: StationCore, kind: string) {
  return core.db.prepare('SELECT operator_id, entity_id, payload FROM journal WHERE kind = ? ORDER BY seq').all(kind) as { operator_id: string; entity_id: string; payload: string }[];
}

const signIn = (core: StationCore, pin: string, code = COLLECTOR.code) => core.invoke('operator.signIn', { code, pin });

describe('an operator changes their own PIN', () => {
  it('with the current PIN, whatever their role: the new one signs in, the old one no longer; journalled under their name, the hash and never the PIN', async () => {
    const { core, collector } = await withCollector();
    await ok(core, 'operator.signIn', { code: COLLECTOR.code, pin: COLLECTOR.pin });
    expect((await ok(core, 'operator.session', {})).allowed).toContain('operator.changePin');
    const view = await ok(core, 'operator.changePin', { pin: COLLECTOR.pin, newPin: NEW_PIN });
    expect(view).toMatchObject({ state: 'active', operator: { code: COLLECTOR.code } });
    // Still signed in and working.
    await ok(core, 'scan.submit', { text: tubeCode(1), source: 'manual' });

    await ok(core, 'operator.lock', {});
    expect(await refused(core, 'operator.signIn', { code: COLLECTOR.code, pin: COLLECTOR.pin })).toBe('operator.pinWrong');
    await ok(core, 'operator.signIn', { code: COLLECTOR.code, pin: NEW_PIN });

    const changed = journal(core, 'operator.changed');
    expect(changed.map((c) => [c.operator_id, c.entity_id, JSON.parse(c.payload).change])).toEqual([[collector.id, collector.id, 'pinChanged']]);
    const payload = JSON.parse(changed[0]!.payload) as Record<string, unknown>;
    expect(payload.pinHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    // HQ takes the entry as it is and shares the hash with the site's other desks.
    expect(PAYLOAD_SCHEMAS['operator.changed'].safeParse(payload).success).toBe(true);
    const everything = core.db.prepare('SELECT group_concat(payload) AS all_payloads FROM journal').get() as { all_payloads: string };
    for (const pin of [COLLECTOR.pin, NEW_PIN]) expect(everything.all_payloads).not.toContain(pin);
  });

  it('refuses a new PIN by the rules of every PIN, and the current one again, without counting a wrong try', async () => {
    const { core } = await withCollector();
    await ok(core, 'operator.signIn', { code: COLLECTOR.code, pin: COLLECTOR.pin });
    const change = (newPin: string) => refused(core, 'operator.changePin', { pin: COLLECTOR.pin, newPin });
    expect(await change('73051')).toBe('pin.tooShort');
    expect(await change('7305192846153')).toBe('pin.tooLong');
    expect(await change('73051a')).toBe('pin.notDigits');
    for (const pin of ['111111', '123456', '121212', '159753']) expect(await change(pin)).toBe('pin.tooCommon');
    expect(await change(COLLECTOR.pin)).toBe('pin.sameAsOld');
    expect(journal(core, 'operator.signInFailed')).toEqual([]);
    expect(journal(core, 'operator.changed')).toEqual([]);
    // The PIN is still the old one.
    await ok(core, 'operator.lock', {});
    await ok(core, 'operator.signIn', { code: COLLECTOR.code, pin: COLLECTOR.pin });
  });

  it('counts a wrong current PIN like a wrong PIN at sign-in: the same waits, journalled, and locked out at 10, which signs them out', async () => {
    const { core, collector, advance } = await withCollector();
    await ok(core, 'operator.signIn', { code: COLLECTOR.code, pin: COLLECTOR.pin });
    const wrong = () => core.invoke('operator.changePin', { pin: '999000', newPin: NEW_PIN });
    expect(await wrong()).toMatchObject({ ok: false, error: { code: 'operator.pinWrong', params: { remaining: MAX_WRONG_PINS - 1 } } });
    expect(await wrong()).toMatchObject({ ok: false, error: { code: 'operator.pinWrong', params: { remaining: MAX_WRONG_PINS - 2 } } });
    // One count for both ways in: a wrong PIN at sign-in follows on from the two above.
    await ok(core, 'operator.lock', {});
    expect(await signIn(core, '999000')).toMatchObject({ ok: false, error: { code: 'operator.pinWrong', params: { remaining: MAX_WRONG_PINS - 3 } } });
    advance(waitAfterWrongPins(3));
    await ok(core, 'operator.signIn', { code: COLLECTOR.code, pin: COLLECTOR.pin });
    // The right PIN at sign-in forgave the three: ten more to the lock-out.
    for (let n = 1; n <= MAX_WRONG_PINS; n++) {
      const wait = waitAfterWrongPins(n - 1);
      if (wait > 0) {
        // Within the wait the current PIN is not even checked, the right one neither.
        expect(await core.invoke('operator.changePin', { pin: COLLECTOR.pin, newPin: NEW_PIN })).toMatchObject({ ok: false, error: { code: 'operator.tooSoon' } });
        advance(wait);
      }
      const r = await wrong();
      if (n < MAX_WRONG_PINS) expect(r).toMatchObject({ ok: false, error: { code: 'operator.pinWrong', params: { remaining: MAX_WRONG_PINS - n } } });
      else expect(r).toMatchObject({ ok: false, error: { code: 'operator.lockedOut' } });
    }
    expect((await ok(core, 'operator.session', {})).state).toBe('signedOut');
    expect(await refused(core, 'operator.signIn', { code: COLLECTOR.code, pin: COLLECTOR.pin })).toBe('operator.lockedOut');

    const tries = journal(core, 'operator.signInFailed').map((t) => JSON.parse(t.payload) as { method: string; reason: string });
    expect(tries.filter((t) => t.method === 'pinChange' && t.reason === 'pinWrong')).toHaveLength(MAX_WRONG_PINS + 2);
    expect(tries.some((t) => t.method === 'pinChange' && t.reason === 'tooSoon')).toBe(true);
    for (const t of tries) expect(PAYLOAD_SCHEMAS['operator.signInFailed'].safeParse(t).success).toBe(true);
    expect(journal(core, 'operator.changed').map((c) => [c.entity_id, JSON.parse(c.payload).change])).toEqual([[collector.id, 'lockedOut']]);
  });

  it('counts tries sent at once one by one', async () => {
    const { core } = await withCollector();
    await ok(core, 'operator.signIn', { code: COLLECTOR.code, pin: COLLECTOR.pin });
    const results = await Promise.all(Array.from({ length: 4 }, () => core.invoke('operator.changePin', { pin: '999000', newPin: NEW_PIN })));
    expect(results.map((r) => !r.ok && r.error.code)).toEqual(['operator.pinWrong', 'operator.pinWrong', 'operator.pinWrong', 'operator.tooSoon']);
  });

  it('needs someone signed in and the screen unlocked', async () => {
    const { core } = await withCollector();
    await ok(core, 'operator.lock', {});
    expect(await refused(core, 'operator.changePin', { pin: TEST_ADMIN.pin, newPin: NEW_PIN })).toBe('session.locked');
    await ok(core, 'operator.signIn', { code: TEST_ADMIN.code, pin: TEST_ADMIN.pin });
    await ok(core, 'operator.signOut', {});
    expect(await refused(core, 'operator.changePin', { pin: TEST_ADMIN.pin, newPin: NEW_PIN })).toBe('session.locked');
    expect(journal(core, 'operator.signInFailed')).toEqual([]);
  });
});

describe('a PIN a site admin set for someone else', () => {
  it('is temporary: its operator signs in to choose their own before anything else; the old one and the temporary one stop working', async () => {
    const { core, collector } = await withCollector();
    // Made with a PIN (typed by the new operator at the admin's form): theirs, no change asked.
    expect(collector.mustChangePin).toBe(false);
    const reset = await ok(core, 'operator.resetPin', { id: collector.id, pin: '471902' });
    expect(reset).toMatchObject({ mustChangePin: true, hasPin: true });

    const seen: string[] = [];
    core.subscribe((e) => seen.push(e.event));
    const view = await ok(core, 'operator.signIn', { code: COLLECTOR.code, pin: '471902' });
    expect(view).toMatchObject({ state: 'pinChange', operator: { code: COLLECTOR.code } });
    // Nor does the desk reach the screen meanwhile.
    core.emit('desk.changed', core.desk.state());
    expect(seen).toEqual(['operator.session']);
    expect([...view.allowed].sort()).toEqual(['operator.activity', 'operator.changePin', 'operator.lock', 'operator.signOut']);
    expect(await core.invoke('desk.state', {})).toEqual({ ok: false, error: { code: 'operator.pinChangeNeeded', params: { method: 'desk.state' } } });
    expect(await refused(core, 'scan.submit', { text: tubeCode(1), source: 'manual' })).toBe('operator.pinChangeNeeded');
    // A status the lock screen reads still answers.
    await ok(core, 'upload.status', {});

    // Locked meanwhile: the temporary PIN unlocks to the same step, never past it.
    expect((await ok(core, 'operator.lock', {})).state).toBe('locked');
    expect((await ok(core, 'operator.signIn', { code: COLLECTOR.code, pin: '471902' })).state).toBe('pinChange');

    expect(await refused(core, 'operator.changePin', { pin: '471902', newPin: '471902' })).toBe('pin.sameAsOld');
    expect((await ok(core, 'operator.changePin', { pin: '471902', newPin: NEW_PIN })).state).toBe('active');
    expect(seen.slice(-4)).toEqual(['operator.session', 'desk.changed', 'rounds.changed', 'results.changed']);
    await ok(core, 'scan.submit', { text: tubeCode(1), source: 'manual' });
    expect(core.db.prepare('SELECT operator_id FROM tube').get()).toEqual({ operator_id: collector.id });

    await ok(core, 'operator.signIn', { code: TEST_ADMIN.code, pin: TEST_ADMIN.pin });
    expect((await ok(core, 'operator.list', {})).find((o) => o.id === collector.id)).toMatchObject({ mustChangePin: false });
    for (const pin of [COLLECTOR.pin, '471902']) expect(await refused(core, 'operator.signIn', { code: COLLECTOR.code, pin })).toBe('operator.pinWrong');
    expect((await ok(core, 'operator.signIn', { code: COLLECTOR.code, pin: NEW_PIN })).state).toBe('active');
    expect(journal(core, 'operator.changed').map((c) => JSON.parse(c.payload).change)).toEqual(['pinSet', 'pinChanged']);
  });

  it('is not asked to be changed once HQ sends another PIN (changed at another desk, or set at HQ)', async () => {
    const { core, collector } = await withCollector();
    await ok(core, 'operator.resetPin', { id: collector.id, pin: '471902' });
    const record = core.operators.get(collector.id);
    const pinHash = await hashPin(NEW_PIN);
    await core.writer.run(() =>
      core.feed.apply(
        [
          {
            cursor: 1,
            kind: 'operator.state',
            payload: { operatorId: collector.id, siteId: core.identity.site.id, code: record.code, name: record.name, role: record.role, badge: record.badge, pinHash, disabled: false, lockedOut: false, updatedAt: '2026-11-20T09:00:00.000Z' },
          },
        ],
        new Date().toISOString(),
      ),
    );
    expect(core.operators.get(collector.id).mustChangePin).toBe(false);
    expect((await ok(core, 'operator.signIn', { code: COLLECTOR.code, pin: NEW_PIN })).state).toBe('active');
  });

  it('is never a site admin’s own: theirs is changed with the current one, so a session left open cannot be taken over', async () => {
    const { core } = await withCollector();
    const admin = (await ok(core, 'operator.session', {})).operator!;
    expect(await refused(core, 'operator.resetPin', { id: admin.id, pin: NEW_PIN })).toBe('operator.ownPin');
    expect(journal(core, 'operator.changed')).toEqual([]);
    expect((await ok(core, 'operator.changePin', { pin: TEST_ADMIN.pin, newPin: NEW_PIN })).state).toBe('active');
    await ok(core, 'operator.lock', {});
    expect((await ok(core, 'operator.signIn', { code: TEST_ADMIN.code, pin: NEW_PIN })).state).toBe('active');
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import type { StationCore } from '../../electron/core/core';
import { openCore, ok, refused, tempDir } from '../helpers/core';
import { idNumber, tubeCode } from '../helpers/ids';

let core: StationCore;
afterEach(() => core?.close());

const scan = (text: string) => ({ text, source: 'manual' as const });

describe('sampling desk', () => {
  it('opens a tube, binds people and seals itself at capacity', async () => {
    core = await openCore();
    await ok(core, 'desk.setCapacity', { capacity: 5 });
    const opened = await ok(core, 'scan.submit', scan(tubeCode(1)));
    expect(opened).toMatchObject({ kind: 'tube.opened', capacity: 5, sealedPrevious: null });
    for (let i = 1; i <= 5; i++) {
      const bound = await ok(core, 'scan.submit', scan(idNumber(i)));
      expect(bound).toMatchObject({ kind: 'person.bound', count: i, capacity: 5, tubeSealed: i === 5 });
    }
    const state = await ok(core, 'desk.state', {});
    expect(state.openTube).toBeNull();
    expect(state.awaitingNextTube).toBe(true);
    expect(state.recentTubes[0]).toMatchObject({ code: tubeCode(1), state: 'sealed', count: 5 });
    expect(await refused(core, 'scan.submit', scan(idNumber(6)))).toBe('tube.noneOpen');
  });

  it('seals the open tube when the next tube is scanned and rejects a used tube code', async () => {
    core = await openCore();
    await ok(core, 'scan.submit', scan(tubeCode(1)));
    await ok(core, 'scan.submit', scan(idNumber(1)));
    const next = await ok(core, 'scan.submit', scan(tubeCode(2)));
    expect(next).toMatchObject({ kind: 'tube.opened', sealedPrevious: tubeCode(1) });
    expect(await refused(core, 'scan.submit', scan(tubeCode(1)))).toBe('tube.alreadyUsed');
    expect(await refused(core, 'scan.submit', scan(tubeCode(2)))).toBe('tube.alreadyOpen');
  });

  it('rejects the same person twice in a tube and asks before binding someone sampled this round', async () => {
    core = await openCore();
    await ok(core, 'scan.submit', scan(tubeCode(1)));
    await ok(core, 'scan.submit', scan(idNumber(1)));
    expect(await refused(core, 'scan.submit', scan(idNumber(1)))).toBe('person.alreadyInTube');
    await ok(core, 'scan.submit', scan(tubeCode(2)));
    const ask = await ok(core, 'scan.submit', scan(idNumber(1)));
    expect(ask.kind).toBe('person.needsConfirmation');
    if (ask.kind !== 'person.needsConfirmation') return;
    expect(ask.pending.previousTubeCode).toBe(tubeCode(1));
    expect((await ok(core, 'desk.state', {})).openTube?.count).toBe(0);
    const bound = await ok(core, 'binding.confirm', { token: ask.pending.token });
    expect(bound).toMatchObject({ kind: 'person.bound', count: 1 });
    expect((await ok(core, 'desk.state', {})).openTube?.members[0]?.repeatConfirmed).toBe(true);
    expect(await refused(core, 'binding.confirm', { token: ask.pending.token })).toBe('confirmation.expired');
  });

  it('single mode seals every tube after one person', async () => {
    core = await openCore();
    await ok(core, 'desk.setCapacity', { capacity: 1 });
    await ok(core, 'scan.submit', scan(tubeCode(7)));
    expect(await ok(core, 'scan.submit', scan(idNumber(1)))).toMatchObject({ count: 1, capacity: 1, tubeSealed: true });
  });

  it('undo needs a reason, keeps the record, and reopens a tube that sealed itself', async () => {
    core = await openCore();
    await ok(core, 'desk.setCapacity', { capacity: 5 });
    await ok(core, 'scan.submit', scan(tubeCode(1)));
    for (let i = 1; i <= 5; i++) await ok(core, 'scan.submit', scan(idNumber(i)));
    expect(await refused(core, 'binding.undo', { reason: '  ' })).toBe('request.invalid');
    const undo = await ok(core, 'binding.undo', { reason: '扫错人' });
    expect(undo).toMatchObject({ tubeCode: tubeCode(1), count: 4, tubeReopened: true });
    const state = await ok(core, 'desk.state', {});
    expect(state.openTube).toMatchObject({ code: tubeCode(1), count: 4, state: 'open' });
    const rows = core.db.prepare('SELECT COUNT(*) AS n FROM binding').get() as { n: number };
    expect(rows.n).toBe(5);
    const correction = core.db.prepare('SELECT kind, reason FROM correction').get();
    expect(correction).toEqual({ kind: 'binding.undo', reason: '扫错人' });
    // the undone person can be bound again without a repeat warning
    expect(await ok(core, 'scan.submit', scan(idNumber(5)))).toMatchObject({ kind: 'person.bound', count: 5 });
  });

  it('voids a tube with a reason; its people are no longer counted as sampled', async () => {
    core = await openCore();
    await ok(core, 'scan.submit', scan(tubeCode(1)));
    await ok(core, 'scan.submit', scan(idNumber(1)));
    const voided = await ok(core, 'tube.void', { tubeCode: tubeCode(1), reason: '试管破损' });
    expect(voided).toMatchObject({ state: 'voided', voidReason: '试管破损', count: 1 });
    expect(await refused(core, 'tube.void', { tubeCode: tubeCode(1), reason: 'again' })).toBe('tube.notVoidable');
    await ok(core, 'scan.submit', scan(tubeCode(2)));
    expect(await ok(core, 'scan.submit', scan(idNumber(1)))).toMatchObject({ kind: 'person.bound' });
  });

  it('journals every change with a contiguous sequence in the same transaction', async () => {
    core = await openCore();
    await ok(core, 'scan.submit', scan(tubeCode(1)));
    await refused(core, 'scan.submit', scan(tubeCode(1)));
    await ok(core, 'scan.submit', scan(idNumber(1)));
    await ok(core, 'binding.undo', { reason: 'wrong person' });
    const rows = core.db.prepare('SELECT seq, kind FROM journal ORDER BY seq').all() as { seq: number; kind: string }[];
    rows.forEach((r, i) => expect(r.seq).toBe(i + 1));
    expect(rows.map((r) => r.kind).slice(-4)).toEqual(['tube.opened', 'person.registered', 'binding.created', 'binding.undone']);
    expect(() => core.db.prepare('DELETE FROM journal').run()).toThrow(/append-only/);
  });

  it('generates new tube codes that match the site pattern and never repeat', async () => {
    core = await openCore();
    const a = await ok(core, 'tube.new', {});
    const b = await ok(core, 'tube.new', {});
    if (a.kind !== 'tube.opened' || b.kind !== 'tube.opened') throw new Error('not opened');
    expect(a.tubeCode).toMatch(/^SY\d{10}$/);
    expect(b.tubeCode).not.toBe(a.tubeCode);
    expect(b).toMatchObject({ sealedPrevious: null, voidedPrevious: a.tubeCode });
    const state = await ok(core, 'desk.state', {});
    expect(state.recentTubes[1]).toMatchObject({ code: a.tubeCode, state: 'voided', count: 0 });
  });

  it('keeps everything across a restart', async () => {
    const dir = tempDir();
    core = await openCore(dir);
    await ok(core, 'scan.submit', scan(tubeCode(1)));
    await ok(core, 'scan.submit', scan(idNumber(1)));
    core.close();
    core = await openCore(dir);
    const state = await ok(core, 'desk.state', {});
    expect(state.openTube).toMatchObject({ code: tubeCode(1), count: 1 });
    expect(state.openTube?.members[0]?.person.maskedIdNumber).toBe('110105********' + idNumber(1).slice(-4));
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import type { StationCore } from '../../../electron/core/core';
import { PERSONAL_FIELDS, splitPersonal } from '../../../hq/chain';
import { checkRecord } from '../../../hq/protocol';
import { openCore, ok, refused, TEST_ADMIN, tempDir } from '../../helpers/core';
import { idNumber, tubeCode } from '../../helpers/ids';

let core: StationCore;
afterEach(() => core?.close());

const scan = (text: string) => ({ text, source: 'manual' as const });
const BOX = 'BX00000001';
const BOX2 = 'BX00000002';
const TRANSPORTER = { name: '钱转运', code: 'Y001', role: 'transporter' as const, badge: 'OP0701', pin: '582039' };
const COLLECTOR = { name: '孙采集', code: 'C001', role: 'collector' as const, badge: 'OP0702', pin: '618204' };

/** Sealed tubes 1..n at this desk, tube i holding i people; tube n+1 left open. */
async function sampled(n: number): Promise<void> {
  let person = 1;
  for (let i = 1; i <= n + 1; i++) {
    await ok(core, 'scan.submit', scan(tubeCode(i)));
    if (i > n) break;
    for (let k = 0; k < i; k++) await ok(core, 'scan.submit', scan(idNumber(person++)));
  }
}

/** The journal and the boxes' tables: a refusal leaves them as they were. */
function snapshot(): unknown {
  return {
    seq: core.journal.lastSeq(),
    box: core.db.prepare('SELECT * FROM box ORDER BY id').all(),
    boxTube: core.db.prepare('SELECT * FROM box_tube ORDER BY id').all(),
    tube: core.db.prepare('SELECT id, state FROM tube ORDER BY id').all(),
  };
}

/** What HQ would refuse of this station's journal. */
function refusedByHq(): string[] {
  return core.journal
    .readAfter(0, 100_000)
    .map((e) => checkRecord({ seq: e.seq, kind: e.kind, entityId: e.entityId, operatorId: e.operatorId, at: e.at, payload: e.payload }))
    .flatMap((c) => (c.ok ? [] : [c.detail]));
}

/** Refused with `code`, and nothing changed. */
async function refusedUnchanged(call: () => Promise<string>, code: string): Promise<void> {
  const before = snapshot();
  expect(await call()).toBe(code);
  expect(snapshot()).toEqual(before);
}

function withBoxCapacity(capacity: number): void {
  const site = core.identity.site;
  core.useSiteConfig({ ...site, config: { ...site.config, box: { ...site.config.box, capacity } } });
}

describe('boxes at the site', () => {
  it('boxes sealed tubes, counts tubes and people, seals and hands over; every step journalled as HQ reads it', async () => {
    core = await openCore();
    await sampled(3);
    const opened = await ok(core, 'box.open', { code: BOX });
    expect(opened).toMatchObject({ code: BOX, state: 'open', capacity: 50, tubeCount: 0, personCount: 0, tubes: [] });
    // Scanning an open box's code again resumes it.
    expect((await ok(core, 'box.open', { code: BOX })).id).toBe(opened.id);
    for (let i = 1; i <= 3; i++) await ok(core, 'box.addTube', { boxCode: BOX, tubeCode: tubeCode(i) });
    const full = await ok(core, 'box.state', { code: BOX });
    expect(full).toMatchObject({ tubeCount: 3, personCount: 6 });
    expect(full.tubes.map((t) => [t.code, t.personCount])).toEqual([[tubeCode(1), 1], [tubeCode(2), 2], [tubeCode(3), 3]]);

    const removed = await ok(core, 'box.removeTube', { boxCode: BOX, tubeCode: tubeCode(2), reason: '管子破损，重新采样' });
    expect(removed).toMatchObject({ tubeCount: 2, personCount: 4 });
    expect(core.db.prepare('SELECT removed_reason FROM box_tube WHERE removed_at IS NOT NULL').all()).toEqual([{ removed_reason: '管子破损，重新采样' }]);
    // Taken out, the tube may go in again (a new entry), here or in another box.
    await ok(core, 'box.addTube', { boxCode: BOX, tubeCode: tubeCode(2) });

    const sealed = await ok(core, 'box.seal', { code: BOX });
    expect(sealed).toMatchObject({ state: 'sealed', tubeCount: 3, personCount: 6 });
    expect(sealed.sealedAt).not.toBeNull();

    const handed = await ok(core, 'box.handOver', {
      code: BOX,
      confirmCode: BOX,
      transporter: { name: '李师傅', phone: '13800138000' },
      tubeCount: 3,
      coldChainNote: '冰排 4 块，2–8 °C',
    });
    expect(handed).toMatchObject({
      state: 'handedOver',
      handOver: { tubeCount: 3, coldChainNote: '冰排 4 块，2–8 °C', transporter: { kind: 'named', name: '李师傅', maskedPhone: '138****8000' } },
    });
    expect(await ok(core, 'box.list', { state: 'handedOver', limit: 100 })).toMatchObject([{ code: BOX, tubeCount: 3 }]);

    const entries = core.journal.readAfter(0, 100_000).filter((e) => e.kind.startsWith('box.'));
    expect(entries.map((e) => e.kind)).toEqual([
      'box.opened',
      'box.tubeAdded',
      'box.tubeAdded',
      'box.tubeAdded',
      'box.tubeRemoved',
      'box.tubeAdded',
      'box.sealed',
      'box.handedOver',
    ]);
    expect(entries.find((e) => e.kind === 'box.sealed')?.payload).toEqual({ code: BOX, count: 3, personCount: 6, tubeCodes: [tubeCode(1), tubeCode(3), tubeCode(2)] });
    expect(refusedByHq()).toEqual([]);
    // The transporter's name and phone are personal data in the chain: purged in time, digest kept.
    const handOver = entries.find((e) => e.kind === 'box.handedOver');
    expect(PERSONAL_FIELDS['box.handedOver']).toEqual(['transporterName', 'transporterPhone']);
    expect(splitPersonal('box.handedOver', handOver?.payload).personal).toEqual({ transporterName: '李师傅', transporterPhone: '13800138000' });
  });

  it('refuses a tube with the reason, and each refusal changes nothing', async () => {
    core = await openCore();
    await sampled(3);
    await ok(core, 'tube.void', { tubeCode: tubeCode(3), reason: '标签贴错' });
    await ok(core, 'box.open', { code: BOX });
    await ok(core, 'box.open', { code: BOX2 });
    await ok(core, 'box.addTube', { boxCode: BOX2, tubeCode: tubeCode(1) });

    await refusedUnchanged(() => refused(core, 'box.open', { code: 'XX00000001' }), 'box.codeInvalid');
    await refusedUnchanged(() => refused(core, 'box.addTube', { boxCode: BOX, tubeCode: 'QQ123' }), 'box.tubeNotThisSite');
    await refusedUnchanged(() => refused(core, 'box.addTube', { boxCode: BOX, tubeCode: tubeCode(99) }), 'box.tubeUnknown');
    await refusedUnchanged(() => refused(core, 'box.addTube', { boxCode: BOX, tubeCode: tubeCode(4) }), 'box.tubeOpen');
    await refusedUnchanged(() => refused(core, 'box.addTube', { boxCode: BOX, tubeCode: tubeCode(3) }), 'box.tubeVoided');
    await refusedUnchanged(() => refused(core, 'box.addTube', { boxCode: BOX, tubeCode: tubeCode(1) }), 'box.tubeInBox');
    await refusedUnchanged(() => refused(core, 'box.addTube', { boxCode: 'BX00000009', tubeCode: tubeCode(2) }), 'box.notFound');
    await refusedUnchanged(() => refused(core, 'box.removeTube', { boxCode: BOX, tubeCode: tubeCode(1), reason: '放错箱' }), 'box.tubeNotInBox');
    await refusedUnchanged(() => refused(core, 'box.seal', { code: BOX }), 'box.empty');
    await refusedUnchanged(() => refused(core, 'box.handOver', { code: BOX2, confirmCode: BOX2, transporter: { name: '李师傅', phone: '13800138000' }, tubeCount: 1, coldChainNote: '' }), 'box.notSealed');

    const result = await core.invoke('box.addTube', { boxCode: BOX, tubeCode: tubeCode(1) });
    expect(result).toMatchObject({ ok: false, error: { code: 'box.tubeInBox', params: { tubeCode: tubeCode(1), boxCode: BOX2 } } });
    const voided = await core.invoke('box.addTube', { boxCode: BOX, tubeCode: tubeCode(3) });
    expect(voided).toMatchObject({ ok: false, error: { params: { reason: '标签贴错' } } });
    // A reason is required to take a tube out: refused as a bad request, nothing changed.
    await refusedUnchanged(() => refused(core, 'box.removeTube', { boxCode: BOX2, tubeCode: tubeCode(1), reason: ' ' }), 'request.invalid');

    withBoxCapacity(1);
    await ok(core, 'box.open', { code: 'BX00000003' });
    expect((await ok(core, 'box.state', { code: 'BX00000003' })).capacity).toBe(1);
    await ok(core, 'box.addTube', { boxCode: 'BX00000003', tubeCode: tubeCode(2) });
    await ok(core, 'box.removeTube', { boxCode: BOX2, tubeCode: tubeCode(1), reason: '换箱' });
    await refusedUnchanged(() => refused(core, 'box.addTube', { boxCode: 'BX00000003', tubeCode: tubeCode(1) }), 'box.full');
    expect(refusedByHq()).toEqual([]);
  });

  it('a hand-over with a wrong box code or count is refused; a box sealed or handed over is read-only and never reopened', async () => {
    core = await openCore();
    await sampled(2);
    await ok(core, 'box.open', { code: BOX });
    await ok(core, 'box.addTube', { boxCode: BOX, tubeCode: tubeCode(1) });
    await ok(core, 'box.seal', { code: BOX });
    await refusedUnchanged(() => refused(core, 'box.open', { code: BOX }), 'box.closed');
    await refusedUnchanged(() => refused(core, 'box.addTube', { boxCode: BOX, tubeCode: tubeCode(2) }), 'box.notOpen');
    await refusedUnchanged(() => refused(core, 'box.seal', { code: BOX }), 'box.notOpen');

    const handOver = { code: BOX, confirmCode: BOX, transporter: { name: '李师傅', phone: '13800138000' }, tubeCount: 1, coldChainNote: '' };
    await refusedUnchanged(() => refused(core, 'box.handOver', { ...handOver, confirmCode: BOX2 }), 'box.confirmMismatch');
    await refusedUnchanged(() => refused(core, 'box.handOver', { ...handOver, tubeCount: 2 }), 'box.countMismatch');
    await refusedUnchanged(() => refused(core, 'box.handOver', { ...handOver, transporter: { badge: 'OP0999' } }), 'box.transporterUnknown');
    await refusedUnchanged(() => refused(core, 'box.handOver', { ...handOver, transporter: { name: '李师傅', phone: 'abc' } }), 'request.invalid');
    await ok(core, 'box.handOver', handOver);

    await refusedUnchanged(() => refused(core, 'box.handOver', handOver), 'box.notSealed');
    await refusedUnchanged(() => refused(core, 'box.open', { code: BOX }), 'box.closed');
    await refusedUnchanged(() => refused(core, 'box.removeTube', { boxCode: BOX, tubeCode: tubeCode(1), reason: '拿错' }), 'box.notOpen');
    await refusedUnchanged(() => refused(core, 'box.addTube', { boxCode: BOX, tubeCode: tubeCode(2) }), 'box.notOpen');
    // The tube in a handed-over box stays there: it cannot go in another box.
    await ok(core, 'box.open', { code: BOX2 });
    await refusedUnchanged(() => refused(core, 'box.addTube', { boxCode: BOX2, tubeCode: tubeCode(1) }), 'box.tubeInBox');
    expect(refusedByHq()).toEqual([]);
  });

  it('lists for the end of the day the sealed tubes in no box and the boxes not handed over', async () => {
    core = await openCore();
    await sampled(3);
    expect(await ok(core, 'box.pending', {})).toEqual({
      looseTubes: [1, 2, 3].map((i) => expect.objectContaining({ code: tubeCode(i), personCount: i })),
      boxes: [],
    });
    await ok(core, 'box.open', { code: BOX });
    await ok(core, 'box.addTube', { boxCode: BOX, tubeCode: tubeCode(1) });
    await ok(core, 'box.open', { code: BOX2 });
    await ok(core, 'box.addTube', { boxCode: BOX2, tubeCode: tubeCode(3) });
    await ok(core, 'box.seal', { code: BOX2 });
    let pending = await ok(core, 'box.pending', {});
    expect(pending.looseTubes.map((t) => t.code)).toEqual([tubeCode(2)]);
    expect(pending.boxes.map((b) => [b.code, b.state])).toEqual([[BOX, 'open'], [BOX2, 'sealed']]);

    await ok(core, 'box.handOver', { code: BOX2, confirmCode: BOX2, transporter: { badge: TEST_ADMIN.badge }, tubeCount: 1, coldChainNote: '' });
    pending = await ok(core, 'box.pending', {});
    expect(pending.boxes.map((b) => b.code)).toEqual([BOX]);
    expect((await ok(core, 'box.state', { code: BOX2 })).handOver?.transporter).toEqual({ kind: 'operator', name: TEST_ADMIN.name });
    expect(await ok(core, 'box.list', { limit: 100 })).toMatchObject([{ code: BOX2, state: 'handedOver' }, { code: BOX, state: 'open' }]);
  });

  it('the desk’s staff box and seal; a transporter signed in takes boxes in their own name only, and boxes nothing', async () => {
    core = await openCore();
    await ok(core, 'operator.create', TRANSPORTER);
    await ok(core, 'operator.create', COLLECTOR);
    await sampled(1);
    await ok(core, 'operator.signIn', { code: COLLECTOR.code, pin: COLLECTOR.pin });
    await ok(core, 'box.open', { code: BOX });
    await ok(core, 'box.addTube', { boxCode: BOX, tubeCode: tubeCode(1) });
    await ok(core, 'box.seal', { code: BOX });

    await ok(core, 'operator.signIn', { code: TRANSPORTER.code, pin: TRANSPORTER.pin });
    expect(await refused(core, 'box.open', { code: BOX2 })).toBe('operator.forbidden');
    expect(await refused(core, 'box.pending', {})).toBe('operator.forbidden');
    const handOver = { code: BOX, confirmCode: BOX, tubeCount: 1, coldChainNote: '' };
    await refusedUnchanged(() => refused(core, 'box.handOver', { ...handOver, transporter: { name: '别人', phone: '13900139000' } }), 'box.transporterNotSelf');
    await refusedUnchanged(() => refused(core, 'box.handOver', { ...handOver, transporter: { badge: TEST_ADMIN.badge } }), 'box.transporterNotSelf');
    const handed = await ok(core, 'box.handOver', { ...handOver, transporter: { badge: TRANSPORTER.badge } });
    expect(handed.handOver?.transporter).toEqual({ kind: 'operator', name: TRANSPORTER.name });
    const entry = core.journal.readAfter(0, 100_000).find((e) => e.kind === 'box.handedOver');
    expect(entry?.payload).toMatchObject({ transporterName: null, transporterPhone: null, tubeCount: 1 });
    expect(entry?.operatorId).toBe(entry?.payload.transporterOperatorId);
    expect(refusedByHq()).toEqual([]);
  });

  it('purges a transporter recorded by name once HQ holds the hand-over and the retention period has passed; the box stays', async () => {
    let now = Date.parse('2026-11-20T02:00:00.000Z');
    core = await openCore(tempDir(), { now: () => new Date(now) });
    await sampled(1);
    await ok(core, 'box.open', { code: BOX });
    await ok(core, 'box.addTube', { boxCode: BOX, tubeCode: tubeCode(1) });
    await ok(core, 'box.seal', { code: BOX });
    await ok(core, 'box.handOver', { code: BOX, confirmCode: BOX, transporter: { name: '李师傅', phone: '13800138000' }, tubeCount: 1, coldChainNote: '' });
    core.identity.site.config = { ...core.identity.site.config, retention: { personalDataDays: 15 } };
    now += 20 * 86_400_000;
    // Not confirmed by HQ yet: kept.
    expect((await core.retention.purge())?.boxRows).toBe(0);
    core.db.prepare('UPDATE upload_state SET confirmed_through = ?').run(core.journal.lastSeq());
    expect((await core.retention.purge())?.boxRows).toBe(1);
    expect(core.db.prepare('SELECT transporter_name, transporter_phone, state, confirmed_count FROM box').all()).toEqual([
      { transporter_name: '', transporter_phone: '', state: 'handedOver', confirmed_count: 1 },
    ]);
    // The screen locked in the meantime (idle): read the core's state directly.
    expect(core.boxes.state(BOX).handOver).toMatchObject({ tubeCount: 1, transporter: { kind: 'named', name: '' } });
    const entry = core.journal.readAfter(0, 100_000).find((e) => e.kind === 'box.handedOver');
    expect(entry?.payload).not.toHaveProperty('transporterName');
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import type { FeedItem } from '../../../hq/protocol';
import type { StationCore } from '../../../electron/core/core';
import { DEMO_SITE_CONFIG } from '../../../electron/core/site/config';
import { noEffects } from '../../../electron/core/feed/feed';
import { openCore, ok, refused, tempDir } from '../../helpers/core';
import { idNumber, tubeCode } from '../../helpers/ids';

let core: StationCore | undefined;
afterEach(() => core?.close());

const scan = (text: string) => ({ text, source: 'manual' as const });
const result = (cursor: number, tube: string, r: 'positive' | 'negative' | 'invalid'): FeedItem => ({
  cursor,
  kind: 'tube.result',
  payload: { tubeCode: tube, result: r, at: '2026-11-22T08:00:00.000Z' },
});

async function apply(items: FeedItem[]) {
  return core!.writer.run(() => core!.feed.apply(items, new Date().toISOString()));
}

describe('results from HQ', () => {
  it('opens one re-test per current member of a positive pooled tube, once however often the result comes', async () => {
    core = await openCore();
    await ok(core, 'desk.setCapacity', { capacity: 5 });
    await ok(core, 'scan.submit', scan(tubeCode(1)));
    for (let i = 1; i <= 4; i++) await ok(core, 'scan.submit', scan(idNumber(i)));
    await ok(core, 'binding.undo', { reason: '扫错人' });
    await ok(core, 'tube.seal', {});
    expect(await apply([result(1, tubeCode(1), 'positive'), result(2, tubeCode(9), 'negative')])).toEqual({ ...noEffects(), results: 2, retestsCreated: 3 });
    // Applied again, the same result changes nothing.
    expect(await apply([result(1, tubeCode(1), 'positive')])).toEqual(noEffects());
    const open = await ok(core, 'retest.list', { state: 'open' });
    expect(open.map((t) => t.person.maskedIdNumber).sort()).toEqual([1, 2, 3].map((i) => `${idNumber(i).slice(0, 6)}********${idNumber(i).slice(14)}`).sort());
    expect(core.upload.status().openRetests).toBe(3);
  });

  it('opens no re-test for a positive single tube', async () => {
    core = await openCore();
    await ok(core, 'desk.setCapacity', { capacity: 1 });
    await ok(core, 'scan.submit', scan(tubeCode(1)));
    await ok(core, 'scan.submit', scan(idNumber(1)));
    expect(await apply([result(1, tubeCode(1), 'positive')])).toMatchObject({ results: 1, retestsCreated: 0 });
  });

  it('closes a re-test only when the person is bound alone, journalling retest.sampled', async () => {
    core = await openCore();
    await ok(core, 'scan.submit', scan(tubeCode(1)));
    await ok(core, 'scan.submit', scan(idNumber(1)));
    await ok(core, 'scan.submit', scan(idNumber(2)));
    await ok(core, 'tube.seal', {});
    await apply([result(1, tubeCode(1), 'positive')]);
    // Into another pooled tube: still open.
    await ok(core, 'scan.submit', scan(tubeCode(2)));
    const pooled = await ok(core, 'scan.submit', scan(idNumber(1)));
    if (pooled.kind === 'person.needsConfirmation') await ok(core, 'binding.confirm', { token: pooled.pending.token });
    expect((await ok(core, 'retest.list', { state: 'open' })).length).toBe(2);
    // Alone in a single tube: closed.
    await ok(core, 'desk.setCapacity', { capacity: 1 });
    await ok(core, 'scan.submit', scan(tubeCode(3)));
    const single = await ok(core, 'scan.submit', scan(idNumber(2)));
    if (single.kind === 'person.needsConfirmation') await ok(core, 'binding.confirm', { token: single.pending.token });
    const sampled = await ok(core, 'retest.list', { state: 'sampled' });
    expect(sampled.map((t) => [t.sourceTubeCode, t.sampledTubeCode])).toEqual([[tubeCode(1), tubeCode(3)]]);
    const last = core.journal.readAfter(core.journal.lastSeq() - 1, 1)[0]!;
    expect(last).toMatchObject({ kind: 'retest.sampled', payload: { originalTubeCode: tubeCode(1), tubeCode: tubeCode(3) } });
    // Undone (wrong person scanned): the task is open again.
    await ok(core, 'binding.undo', { reason: '扫错人' });
    expect((await ok(core, 'retest.list', { state: 'open' })).length).toBe(2);
  });

  it('keeps key-person lists, a list sent again replacing the earlier one', async () => {
    core = await openCore();
    const list = (cursor: number, persons: { idNumber: string; name: string; reason: string }[]): FeedItem => ({ cursor, kind: 'keyperson.list', payload: { listId: 'kp', persons } });
    await apply([list(1, [{ idNumber: idNumber(1), name: '甲', reason: '密接' }, { idNumber: idNumber(2), name: '乙', reason: '次密接' }])]);
    await apply([list(2, [{ idNumber: idNumber(3), name: '丙', reason: '入境' }])]);
    expect(core.db.prepare('SELECT id_number, reason FROM key_person ORDER BY id_number').all()).toEqual([{ id_number: idNumber(3), reason: '入境' }]);
  });

  describe('site configuration from HQ', () => {
    const siteConfig = (cursor: number, config: Record<string, unknown>): FeedItem => ({ cursor, kind: 'site.config', payload: { siteId: 'site-hq', name: '幸福社区', config } });
    const abTubes = { ...DEMO_SITE_CONFIG, tube: { pattern: '^(SY\\d{10}|AB\\d{8})$', generate: { prefix: 'AB', digits: 8 } }, defaultCapacity: 5 };
    const siteRow = () => core!.db.prepare('SELECT name, config FROM site').get() as { name: string; config: string };

    it('stores a usable one, journals site.configured, and the core classifies, numbers tubes and sizes them by it', async () => {
      const dataDir = tempDir();
      core = await openCore(dataDir);
      expect(await refused(core, 'scan.submit', scan('AB12345678'))).toBe('scan.unrecognized');
      const applied = await apply([siteConfig(1, abTubes)]);
      expect(applied.site).toEqual({ id: core.identity.site.id, name: '幸福社区', config: abTubes });
      expect(JSON.parse(siteRow().config)).toEqual(abTubes);
      expect(core.journal.readAfter(core.journal.lastSeq() - 1, 1)[0]).toMatchObject({ kind: 'site.configured', payload: { name: '幸福社区', config: abTubes } });
      core.useSiteConfig(applied.site!);
      expect(await ok(core, 'scan.submit', scan('AB12345678'))).toMatchObject({ kind: 'tube.opened', tubeCode: 'AB12345678', capacity: 5 });
      expect((await ok(core, 'desk.state', {})).capacity).toBe(5);
      expect(await ok(core, 'tube.new', {})).toMatchObject({ kind: 'tube.opened', tubeCode: expect.stringMatching(/^AB\d{8}$/) });
      // The stored configuration is the one a restart starts with.
      core.close();
      core = await openCore(dataDir);
      expect(core.router.classify('AB87654321')).toMatchObject({ ok: true, scan: { kind: 'tube' } });
    });

    it('keeps the current one when HQ sends one it cannot use, and tells staff until a usable one comes', async () => {
      core = await openCore();
      const before = siteRow();
      const lastSeq = core.journal.lastSeq();
      const broken = { ...abTubes, tube: { pattern: 'AB\\d{8}', generate: { prefix: 'AB', digits: 8 } } };
      const applied = await apply([siteConfig(1, broken)]);
      expect(applied).toMatchObject({ siteRejected: 1 });
      expect(applied.site).toBeUndefined();
      expect(siteRow()).toEqual(before);
      expect(core.journal.lastSeq()).toBe(lastSeq);
      expect(await refused(core, 'scan.submit', scan('AB12345678'))).toBe('scan.unrecognized');
      const status = await ok(core, 'upload.status', {});
      expect(status.siteConfigRejection).toMatchObject({ detail: expect.stringContaining('tube.pattern') });
      // A generator whose codes its own pattern refuses is not usable either.
      await apply([siteConfig(2, { ...abTubes, tube: { pattern: '^AB\\d{8}$', generate: { prefix: 'SY', digits: 10 } } })]);
      expect((await ok(core, 'upload.status', {})).siteConfigRejection?.detail).toContain('tube.generate');
      await apply([siteConfig(3, abTubes)]);
      expect((await ok(core, 'upload.status', {})).siteConfigRejection).toBeNull();
    });
  });
});

import Database from 'better-sqlite3-multiple-ciphers';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FeedItem } from '../../../hq/protocol';
import type { StationCore } from '../../../electron/core/core';
import { migrate } from '../../../electron/core/db/migrations';
import { openCore, ok, tempDir } from '../../helpers/core';
import { idNumber, tubeCode } from '../../helpers/ids';

let core: StationCore | undefined;
afterEach(() => core?.close());

const scan = (text: string) => ({ text, source: 'manual' as const });
const apply = (items: FeedItem[]) => core!.writer.run(() => core!.feed.apply(items, new Date().toISOString()));

describe('a person is never merged on a phone or a registration code alone', () => {
  it('binds two people sharing one phone as two people, each with their name', async () => {
    core = await openCore();
    await ok(core, 'scan.submit', scan(tubeCode(1)));
    const father = await ok(core, 'scan.submit', scan(JSON.stringify({ phone: '13800138000', name: '王建国' })));
    const child = await ok(core, 'scan.submit', scan(JSON.stringify({ phone: '13800138000', name: '王小明' })));
    expect(father).toMatchObject({ kind: 'person.bound', count: 1 });
    expect(child).toMatchObject({ kind: 'person.bound', count: 2 });
    const members = (await ok(core, 'desk.state', {})).openTube!.members.map((m) => m.person.name);
    expect(members).toEqual(['王建国', '王小明']);
    // The same code with the same name is the same person: refused in the same tube.
    const again = await core.invoke('scan.submit', scan(JSON.stringify({ phone: '13800138000', name: '王小明' })));
    expect(again).toMatchObject({ ok: false, error: { code: 'person.alreadyInTube' } });
    const regs = await core.invoke('scan.submit', scan(JSON.stringify({ regCode: 'YB123456', name: '李四' })));
    const borrowed = await core.invoke('scan.submit', scan(JSON.stringify({ regCode: 'YB123456', name: '张三' })));
    expect(regs.ok && borrowed.ok).toBe(true);
    const keys = core.db.prepare('SELECT person_key FROM person ORDER BY person_key').all() as { person_key: string }[];
    expect(keys.map((k) => k.person_key)).toEqual(['reg:YB123456#张三', 'reg:YB123456#李四', 'tel:13800138000#王小明', 'tel:13800138000#王建国']);
  });

  it('migration 3 re-keys people known by phone or code with their name, keeping everything else', () => {
    const db = new Database(path.join(tempDir(), 'station.db'));
    migrate(db, 2);
    db.exec(`INSERT INTO site VALUES ('s', 'site', '{}', 'now');
      INSERT INTO station VALUES ('st', 's', 'desk', 1, 1, 'now');
      INSERT INTO operator VALUES ('op', 'st', 'C', 'n', 'collector', NULL, 'now', 1);
      INSERT INTO person VALUES ('p1', 'tel:13800138000', NULL, NULL, ' 王  建国 ', '13800138000', 'json', 'st', 'op', 'now', 1);
      INSERT INTO person VALUES ('p2', 'reg:YB1', NULL, 'YB1', NULL, NULL, 'json', 'st', 'op', 'now', 2);
      INSERT INTO person VALUES ('p3', 'id:11010519491231002X', '11010519491231002X', NULL, '张三', NULL, 'id18', 'st', 'op', 'now', 3);`);
    migrate(db);
    const rows = db.prepare('SELECT id, person_key FROM person ORDER BY id').all();
    expect(rows).toEqual([
      { id: 'p1', person_key: 'tel:13800138000#王 建国' },
      { id: 'p2', person_key: 'reg:YB1#' },
      { id: 'p3', person_key: 'id:11010519491231002X' },
    ]);
    expect((db.prepare(`SELECT value FROM setting WHERE key = 'site.markKey'`).get() as { value: string }).value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(db.prepare('PRAGMA table_info(hq_result)').all().map((c) => (c as { name: string }).name)).toContain('tube_id');
    db.close();
  });
});

describe('the station’s place in its site, from HQ', () => {
  it('takes the number and name HQ gives: on every screen, in every new tube code, in the journal', async () => {
    core = await openCore();
    expect((await ok(core, 'desk.state', {})).station.number).toBe(1);
    expect(await ok(core, 'tube.new', {})).toMatchObject({ tubeCode: 'SY0010000001' });
    const effects = await apply([{ cursor: 1, kind: 'station.identity', payload: { siteId: 'site-9', siteName: '幸福社区', number: 12, name: '12号采样台' } }]);
    expect(effects.identity?.station).toMatchObject({ number: 12, name: '12号采样台' });
    const state = await ok(core, 'desk.state', {});
    expect(state.station).toMatchObject({ number: 12, name: '12号采样台' });
    expect(state.site).toEqual({ id: 'site-9', name: '幸福社区' });
    // The demo round was this station's own: in its new site it waits for the site's round.
    expect(state.round).toBeNull();
    expect(await core.invoke('tube.new', {})).toMatchObject({ ok: false, error: { code: 'round.noneOpen' } });
    await ok(core, 'round.start', { name: '第3轮全员核酸' });
    expect(await ok(core, 'tube.new', {})).toMatchObject({ tubeCode: 'SY0120000002' });
    const journalled = core.journal.readAfter(0, 1000).filter((e) => e.kind === 'station.identified');
    expect(journalled.map((e) => e.payload)).toEqual([{ siteId: 'site-9', number: 12, name: '12号采样台' }]);
    // The same identity again changes nothing and journals nothing.
    expect((await apply([{ cursor: 2, kind: 'station.identity', payload: { siteId: 'site-9', siteName: '幸福社区', number: 12, name: '12号采样台' } }])).identity).toBeUndefined();
    expect(core.journal.readAfter(0, 1000).filter((e) => e.kind === 'station.identified')).toHaveLength(1);
    // A restart keeps it.
    const dataDir = path.dirname(core.db.name);
    core.close();
    core = await openCore(dataDir);
    expect((await ok(core, 'desk.state', {})).station).toMatchObject({ number: 12, name: '12号采样台' });
  });

  it('shows on the desk a tube code it opened after another desk did, until HQ resolves it; a result for the other tube recalls nobody here', async () => {
    core = await openCore();
    await ok(core, 'desk.setCapacity', { capacity: 5 });
    await ok(core, 'scan.submit', scan(tubeCode(1)));
    for (let i = 1; i <= 3; i++) await ok(core, 'scan.submit', scan(idNumber(i)));
    await ok(core, 'tube.seal', {});
    const tubeId = (core.db.prepare('SELECT id FROM tube WHERE code = ?').get(tubeCode(1)) as { id: string }).id;
    const conflict = (cursor: number, resolved: null | { stationNumber: number; stationName: string; mine: boolean; note: string }): FeedItem => ({
      cursor,
      kind: 'tube.conflict',
      payload: { code: tubeCode(1), tubeId, openedAt: new Date().toISOString(), later: true, others: [{ stationNumber: 2, stationName: '2号采样台', openedAt: new Date().toISOString() }], resolved },
    });
    await apply([conflict(1, null)]);
    expect((await ok(core, 'desk.state', {})).conflicts).toMatchObject([{ code: tubeCode(1), later: true, others: [{ stationName: '2号采样台' }] }]);
    await apply([conflict(2, { stationNumber: 2, stationName: '2号采样台', mine: false, note: '送检的是 2 号台的管' })]);
    expect((await ok(core, 'desk.state', {})).conflicts).toEqual([]);
    expect(await ok(core, 'tube.conflicts', {})).toMatchObject([{ code: tubeCode(1), resolved: { mine: false } }]);
    // HQ's result names the other desk's tube: nobody here is asked back.
    await apply([{ cursor: 3, kind: 'tube.result', payload: { tubeCode: tubeCode(1), result: 'positive', at: new Date().toISOString(), stationId: 'hq-other', tubeId: 'their-tube' } }]);
    expect(await ok(core, 'retest.list', { state: 'open' })).toEqual([]);
    expect(await ok(core, 'results.positives', {})).toMatchObject([{ tubeCode: tubeCode(1), knownHere: false, members: [] }]);
    // Named as this desk's tube, its three members are.
    await apply([{ cursor: 4, kind: 'tube.result', payload: { tubeCode: tubeCode(1), result: 'positive', at: new Date().toISOString(), stationId: 'hq-me', tubeId } }]);
    expect(await ok(core, 'retest.list', { state: 'open' })).toHaveLength(3);
  });
});

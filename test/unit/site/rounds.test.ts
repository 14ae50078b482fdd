import Database from 'better-sqlite3-multiple-ciphers';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FeedItem } from '../../../hq/protocol';
import type { StationCore } from '../../../electron/core/core';
import { encryptPlainFile } from '../../../electron/core/db/cipher';
import { openDatabase } from '../../../electron/core/db/database';
import { migrate } from '../../../electron/core/db/migrations';
import { personMark } from '../../../electron/core/person/mark';
import { dataKeyOf, openCore, ok, refused, tempDir } from '../../helpers/core';
import { idNumber, tubeCode } from '../../helpers/ids';

let core: StationCore | undefined;
afterEach(() => core?.close());

const scan = (text: string) => ({ text, source: 'manual' as const });
const apply = (items: FeedItem[]) => core!.writer.run(() => core!.feed.apply(items, new Date().toISOString()));
const roundItem = (cursor: number, roundId: string, name: string, startedAt: string): FeedItem => ({
  cursor,
  kind: 'round.started',
  payload: { roundId, siteId: 'demo-site', name, startsOn: '2026-12-02', endsOn: '2026-12-04', startedAt, startedBy: 'HQ', closedAt: null },
});

describe('rounds of the site at a station', () => {
  it('binds into the round HQ started; a closed round takes no one else and the desk asks for a round', async () => {
    core = await openCore();
    const demo = (await ok(core, 'desk.state', {})).round!;
    await apply([roundItem(1, 'round-hq-3', '第3轮全员核酸', new Date(Date.now() + 1000).toISOString())]);
    const state = await ok(core, 'desk.state', {});
    expect(state.round).toEqual({ id: 'round-hq-3', name: '第3轮全员核酸', startsOn: '2026-12-02', endsOn: '2026-12-04' });
    expect((await ok(core, 'round.list', {})).map((r) => [r.name, r.current, r.origin])).toEqual([
      ['第3轮全员核酸', true, 'feed'],
      [demo.name, false, 'here'],
    ]);
    await ok(core, 'desk.setCapacity', { capacity: 5 });
    await ok(core, 'scan.submit', scan(tubeCode(1)));
    await ok(core, 'scan.submit', scan(idNumber(1)));
    const tube = core.db.prepare('SELECT round_id FROM tube WHERE code = ?').get(tubeCode(1));
    expect(tube).toEqual({ round_id: 'round-hq-3' });

    // HQ closes it (and the demo round is closed at this desk): the open tube takes no one else.
    await apply([{ cursor: 2, kind: 'round.closed', payload: { roundId: 'round-hq-3', siteId: 'demo-site', closedAt: new Date().toISOString() } }]);
    await ok(core, 'round.close', { roundId: demo.id });
    expect(await refused(core, 'round.close', { roundId: demo.id })).toBe('round.alreadyClosed');
    expect(await refused(core, 'scan.submit', scan(idNumber(2)))).toBe('tube.roundClosed');
    expect(await refused(core, 'scan.submit', scan(tubeCode(2)))).toBe('round.noneOpen');
    expect(await refused(core, 'tube.new', {})).toBe('round.noneOpen');
    expect((await ok(core, 'desk.state', {})).round).toBeNull();

    // A site admin here starts the next round: journalled for HQ, and the desk samples again.
    expect(await refused(core, 'round.start', { name: '第4轮', startsOn: '2026-12-05', endsOn: '2026-12-04' })).toBe('round.datesInvalid');
    const fourth = await ok(core, 'round.start', { name: '第4轮全员核酸', startsOn: '2026-12-05' });
    expect(fourth).toMatchObject({ current: true, origin: 'here', startsOn: '2026-12-05', endsOn: null });
    const opened = await ok(core, 'scan.submit', scan(tubeCode(2)));
    expect(opened).toMatchObject({ kind: 'tube.opened', sealedPrevious: tubeCode(1) });
    const journalled = core.journal.readAfter(0, 1000).filter((e) => e.kind.startsWith('round.'));
    expect(journalled.map((e) => [e.kind, e.payload.name ?? null])).toEqual([
      ['round.started', demo.name],
      ['round.closed', null],
      ['round.started', '第4轮全员核酸'],
    ]);
  });

  it('asks about a person another desk sampled in this round, and not once that desk withdrew it', async () => {
    core = await openCore();
    const round = (await ok(core, 'desk.state', {})).round!;
    const key = core.siteIdentity.markKey();
    const mark = personMark(key, `id:${idNumber(3)}`);
    const marks = (cursor: number, add: { b: string; m: string; at: string }[], remove: string[], roundId = round.id): FeedItem => ({
      cursor,
      kind: 'round.marks',
      payload: { roundId, stationNumber: 4, stationName: '4号采样台', add, remove },
    });
    await apply([marks(1, [{ b: 'binding-elsewhere', m: mark, at: '2026-12-02T02:00:00.000Z' }], [])]);
    await ok(core, 'scan.submit', scan(tubeCode(1)));
    const asked = await ok(core, 'scan.submit', scan(idNumber(3)));
    expect(asked).toMatchObject({ kind: 'person.needsConfirmation', pending: { previousTubeCode: null, previousStation: '4号采样台', previousBoundAt: '2026-12-02T02:00:00.000Z' } });
    if (asked.kind === 'person.needsConfirmation') await ok(core, 'binding.cancel', { token: asked.pending.token });
    // Someone else is not asked about.
    expect(await ok(core, 'scan.submit', scan(idNumber(4)))).toMatchObject({ kind: 'person.bound' });
    // A mark under another round does not count for this one.
    await apply([marks(2, [{ b: 'b-other-round', m: personMark(key, `id:${idNumber(5)}`), at: '2026-12-02T02:00:00.000Z' }], [], 'another-round')]);
    expect(await ok(core, 'scan.submit', scan(idNumber(5)))).toMatchObject({ kind: 'person.bound' });
    // That desk undid its binding: the person is sampled here without a question.
    await apply([marks(3, [], ['binding-elsewhere'])]);
    expect(await ok(core, 'scan.submit', scan(idNumber(3)))).toMatchObject({ kind: 'person.bound' });
    // This desk's own bindings come back from HQ as marks: they are not stored twice.
    const own = core.db.prepare('SELECT id FROM binding LIMIT 1').get() as { id: string };
    await apply([marks(4, [{ b: own.id, m: mark, at: '2026-12-02T02:00:00.000Z' }], [])]);
    expect(core.db.prepare('SELECT count(*) AS n FROM round_mark').get()).toEqual({ n: 1 });
  });

  it('closes its own rounds when it joins a site at enrollment', async () => {
    core = await openCore();
    const demo = (await ok(core, 'desk.state', {})).round!;
    await apply([{ cursor: 1, kind: 'station.identity', payload: { siteId: 'site-7', siteName: '七号社区', number: 2, name: '2号采样台' } }]);
    expect((await ok(core, 'round.list', {})).map((r) => r.id)).toEqual([]);
    const closed = core.db.prepare('SELECT closed_at FROM round WHERE id = ?').get(demo.id) as { closed_at: string | null };
    expect(closed.closed_at).not.toBeNull();
    // Rounds of another site from the feed are not this site's.
    await apply([roundItem(2, 'round-demo-site', 'x', new Date().toISOString())]);
    expect((await ok(core, 'desk.state', {})).round).toBeNull();
  });

  it('migration 4 rebuilds the round table in place: every tube and binding keeps its round', () => {
    const file = path.join(tempDir(), 'station.db');
    const db = new Database(file);
    db.pragma('foreign_keys = ON');
    migrate(db, 3);
    db.exec(`INSERT INTO site VALUES ('s', 'site', '{}', 'now');
      INSERT INTO station VALUES ('st', 's', '东门台', 1, 1, 'now');
      INSERT INTO operator VALUES ('op', 'st', 'C', 'n', 'collector', NULL, 'now', 1);
      INSERT INTO round VALUES ('r1', 's', '第1轮', '2026-11-01T00:00:00Z', '2026-11-02T00:00:00Z', 'st', 'op', 2);
      INSERT INTO round VALUES ('r2', 's', '第2轮', '2026-11-03T00:00:00Z', NULL, 'st', 'op', 3);
      INSERT INTO person VALUES ('p', 'id:1', NULL, NULL, NULL, NULL, 'id18', 'st', 'op', 'now', 4);
      INSERT INTO tube VALUES ('t1', 'SY1', 10, 'sealed', 'r1', 'st', 'op', 'now', NULL, NULL, NULL, 5);
      INSERT INTO binding VALUES ('b1', 't1', 'p', 'r1', 0, NULL, 'st', 'op', 'now', 6);`);
    db.close();
    // As a Station from before encryption left it: encrypted first, then migrated.
    encryptPlainFile(file, dataKeyOf(path.dirname(file)));
    const upgraded = openDatabase(file, dataKeyOf(path.dirname(file)));
    expect(upgraded.prepare('SELECT id, name, closed_at, origin, started_by, operator_id, seq FROM round ORDER BY id').all()).toEqual([
      { id: 'r1', name: '第1轮', closed_at: '2026-11-02T00:00:00Z', origin: 'here', started_by: '东门台', operator_id: 'op', seq: 2 },
      { id: 'r2', name: '第2轮', closed_at: null, origin: 'here', started_by: '东门台', operator_id: 'op', seq: 3 },
    ]);
    expect(upgraded.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(upgraded.pragma('foreign_key_check')).toEqual([]);
    // References still hold against the rebuilt table.
    expect(() => upgraded.exec(`INSERT INTO tube VALUES ('t2', 'SY2', 10, 'open', 'nope', 'st', 'op', 'now', NULL, NULL, NULL, 7)`)).toThrow(/FOREIGN KEY/);
    const plan = (upgraded.prepare(`EXPLAIN QUERY PLAN SELECT * FROM round_mark WHERE round_id = 'r' AND mark = 'm'`).all() as { detail: string }[]).map((r) => r.detail).join();
    expect(plan).toContain('round_mark_person');
    upgraded.close();
  });
});

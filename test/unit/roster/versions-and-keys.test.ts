import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { FeedItem } from '../../../hq/protocol';
import type { StationCore } from '../../../electron/core/core';
import type { FeedEffects } from '../../../electron/core/feed/feed';
import { personMark } from '../../../electron/core/person/mark';
import type { ResidentTuple } from '../../../electron/core/roster/file';
import { rosterPath } from '../../../electron/core/roster/file';
import { markKeyId, type RosterPageRows } from '../../../electron/core/roster/roster';
import { openCore, ok, tempDir } from '../../helpers/core';
import { tubeCode } from '../../helpers/ids';
import { checkCharacter } from '../../../electron/core/person/gb11643';

/**
 * Roster versions and mark keys at a desk over time: a key change while the roster is marked
 * again, a ledger read before the key change, downloads cut by a stop, versions from HQ racing an
 * import made here, HQ versions that do not hold what they say, and stops in the middle of it all.
 */
let cores: StationCore[] = [];
afterEach(() => {
  for (const c of cores.splice(0)) c.close();
});

async function open(dataDir = tempDir()): Promise<StationCore> {
  const c = await openCore(dataDir);
  cores.push(c);
  return c;
}

async function reopen(c: StationCore): Promise<StationCore> {
  const dataDir = c.roster['deps'].dataDir;
  c.close();
  cores = cores.filter((x) => x !== c);
  return open(dataDir);
}

const SITE_KEY = Buffer.alloc(32, 7).toString('base64url');
const HEADER = '姓名,身份证号,手机号,楼栋,单元,房号';
const now = () => new Date().toISOString();

/** A valid ID number, different for every `n` below 10,000. */
function idNumber(n: number): string {
  const first17 = `1101051980010${String(n).padStart(4, '0')}`;
  return first17 + checkCharacter(first17);
}

function ledger(ns: number[]): Buffer {
  return Buffer.from([HEADER, ...ns.map((n) => `居民${n},${idNumber(n)},,1,${1 + Math.floor(n / 500)},${100 + (n % 500)}`)].join('\n'));
}

async function read(c: StationCore, bytes: Buffer): Promise<string> {
  const { uploadId } = await ok(c, 'roster.upload', { fileName: 'r.csv', size: bytes.length });
  await ok(c, 'roster.uploadChunk', { uploadId, offset: 0, data: bytes.toString('base64') });
  const started = await ok(c, 'roster.read', { uploadId });
  await c.roster.idle();
  return started.id;
}

async function imported(c: StationCore, ns: number[]): Promise<string> {
  const importId = await read(c, ledger(ns));
  await ok(c, 'roster.apply', { importId });
  return importId;
}

/** A feed page, committed, then acted on as the upload agent does. */
async function feed(c: StationCore, items: FeedItem[]): Promise<FeedEffects> {
  const effects = await c.writer.run(() => c.feed.apply(items, now()));
  c['afterFeed'](effects);
  return effects;
}

let cursor = 0;
function version(importId: string, rows: number): FeedItem {
  return { cursor: ++cursor, kind: 'roster.version', payload: { importId, siteId: 'demo-site', rows, fileName: 'hq.csv', source: 'hq', appliedAt: now() } };
}

function keys(): FeedItem {
  return { cursor: ++cursor, kind: 'site.keys', payload: { siteId: 'demo-site', markKey: SITE_KEY } };
}

function tuple(n: number): ResidentTuple {
  return [idNumber(n), `居民${n}`, null, '1', '1', String(100 + n), 0];
}

/** HQ's pages of a version holding `tuples`, and how many were asked for. */
function pages(tuples: ResidentTuple[], total = tuples.length): { fetch: (id: string, after: number, limit: number) => Promise<RosterPageRows | null>; asked: () => number } {
  let asked = 0;
  return {
    fetch: async (_id, after, limit) => {
      asked++;
      const rows = tuples.map((t, i) => [i + 1, ...t] as [number, ...ResidentTuple]).filter(([rowNo]) => rowNo > after);
      return { total, rows: rows.slice(0, limit) };
    },
    asked: () => asked,
  };
}

function importRow(c: StationCore, importId: string): { state: string; journalled_rows: number; residents: number; mark_key_id: string | null } {
  return c.db.prepare('SELECT state, journalled_rows, residents, mark_key_id FROM roster_import WHERE id = ?').get(importId) as never;
}

const scan = (c: StationCore, text: string) => ok(c, 'scan.submit', { text, source: 'manual' });
const HQ_VERSION = '0190a000-0000-7000-8000-000000000001';

describe('marks under the site’s key', () => {
  it('counts coverage again once the roster is marked under the new key, not against the old marks seen meanwhile', async () => {
    const c = await open();
    await imported(c, [1, 2, 3, 4]);
    await scan(c, tubeCode(1));
    await scan(c, idNumber(1));
    expect((await ok(c, 'coverage.view', {})).totals.tested).toBe(1);
    // The key arrives; this desk's marks are made again at once, the roster's in the background.
    await c.writer.run(() => c.feed.apply([keys()], now()));
    await c.writer.run(() => c.coverage.remarkIfPending());
    // Coverage looked at before the roster is marked again: not counted against old-key marks.
    expect(c.roster.marks().markKeyId).not.toBe(markKeyId(SITE_KEY));
    expect((await ok(c, 'coverage.view', {})).totals.tested).toBe(1);
    await c.roster.remark();
    expect(c.roster.marks().markKeyId).toBe(markKeyId(SITE_KEY));
    expect((await ok(c, 'coverage.view', {})).totals).toEqual({ residents: 4, tested: 1, exempt: 0, untested: 3 });
  });

  it('marks a ledger read before the key change again when it is applied after it', async () => {
    const c = await open();
    const importId = await read(c, ledger([1, 2, 3]));
    await feed(c, [keys()]);
    await c.roster.idle();
    await ok(c, 'roster.apply', { importId });
    // Already when apply answers: the roster in use is under the site's key.
    expect(c.roster.marks()).toEqual({ rosterId: importId, markKeyId: markKeyId(SITE_KEY) });
    expect(importRow(c, importId).mark_key_id).toBe(markKeyId(SITE_KEY));
    const mark = (c.db.prepare('SELECT mark FROM roster.resident WHERE id_number = ?').get(idNumber(2)) as { mark: string }).mark;
    expect(mark).toBe(personMark(SITE_KEY, `id:${idNumber(2)}`));
    await scan(c, tubeCode(1));
    await scan(c, idNumber(1));
    expect((await ok(c, 'coverage.view', {})).totals.tested).toBe(1);
  });

  it('finishes a key change a stop cut short: this desk’s marks and the roster’s', async () => {
    let c = await open();
    await imported(c, [1, 2, 3, 4]);
    await scan(c, tubeCode(1));
    await scan(c, idNumber(1));
    expect((await ok(c, 'coverage.view', {})).totals.tested).toBe(1);
    // The key is committed; the station stops before anything is made again under it.
    await c.writer.run(() => c.feed.apply([keys()], now()));
    c = await reopen(c);
    await c.roster.idle();
    expect(c.db.prepare('SELECT mark FROM coverage_tested').all()).toEqual([{ mark: personMark(SITE_KEY, `id:${idNumber(1)}`) }]);
    expect(c.roster.marks().markKeyId).toBe(markKeyId(SITE_KEY));
    expect((await ok(c, 'coverage.view', {})).totals.tested).toBe(1);
  });

  it('marks the roster again at start-up when its row says the new key but its file holds the old marks', async () => {
    let c = await open();
    const importId = await imported(c, [1, 2, 3, 4]);
    await scan(c, tubeCode(1));
    await scan(c, idNumber(1));
    await c.writer.run(() => c.feed.apply([keys()], now()));
    await c.writer.run(() => c.coverage.remarkIfPending());
    // What an older Station left after a stop between its two steps: the row updated, the file not.
    await c.writer.run(() => c.db.prepare('UPDATE roster_import SET mark_key_id = ? WHERE id = ?').run(markKeyId(SITE_KEY), importId));
    c = await reopen(c);
    await c.roster.idle();
    expect(c.roster.marks().markKeyId).toBe(markKeyId(SITE_KEY));
    expect((await ok(c, 'coverage.view', {})).totals.tested).toBe(1);
    // And a stop after the new file was put in place but before its row said so is put right too.
    await c.writer.run(() => c.db.prepare('UPDATE roster_import SET mark_key_id = ? WHERE id = ?').run('0000000000000000', importId));
    c = await reopen(c);
    expect(importRow(c, importId).mark_key_id).toBe(markKeyId(SITE_KEY));
  });
});

describe('versions from HQ', () => {
  it('fetches a version again after a stop cut its download short', async () => {
    let c = await open();
    await feed(c, [version(HQ_VERSION, 3)]);
    expect(importRow(c, HQ_VERSION).state).toBe('receiving');
    // A half-written file from the download in flight.
    fs.writeFileSync(rosterPath(c.roster['deps'].dataDir, HQ_VERSION), 'partial');
    c = await reopen(c);
    expect(importRow(c, HQ_VERSION).state).toBe('receiving');
    expect(fs.existsSync(rosterPath(c.roster['deps'].dataDir, HQ_VERSION))).toBe(false);
    await c.roster.receive(pages([tuple(1), tuple(2), tuple(3)]).fetch);
    expect(await ok(c, 'roster.summary', {})).toMatchObject({ residents: 3, current: { id: HQ_VERSION, state: 'current' } });
    expect(importRow(c, HQ_VERSION).mark_key_id).toBe(markKeyId(c.siteIdentity.markKey()));
  });

  it('gives up for good a version whose pages hold fewer rows than it says, or an ID number twice', async () => {
    const c = await open();
    const mine = await imported(c, [1, 2]);
    await feed(c, [version(HQ_VERSION, 3)]);
    const short = pages([tuple(1), tuple(2)], 3);
    await c.roster.receive(short.fetch);
    expect(importRow(c, HQ_VERSION).state).toBe('failed');
    expect(c.roster.currentId()).toBe(mine);
    await c.roster.receive(short.fetch);
    expect(short.asked()).toBe(2);

    const twice = '0190a000-0000-7000-8000-000000000002';
    await feed(c, [version(twice, 3)]);
    const repeated = pages([tuple(1), tuple(2), tuple(1)]);
    await c.roster.receive(repeated.fetch);
    expect(importRow(c, twice).state).toBe('failed');
    const asked = repeated.asked();
    await c.roster.receive(repeated.fetch);
    expect(repeated.asked()).toBe(asked);
    expect(c.roster.currentId()).toBe(mine);
  });

  it('journals every row of a version imported here even when one from HQ replaces it first', async () => {
    let c = await open();
    const mine = await imported(c, Array.from({ length: 2500 }, (_, i) => i + 1));
    await c.roster.idle();
    // As if HQ's version came while the last two chunks were still to be journalled.
    await c.writer.run(() => c.db.prepare('UPDATE roster_import SET journalled_rows = 1000, journal_cursor = 1000 WHERE id = ?').run(mine));
    const before = c.journal.lastSeq();
    await feed(c, [version(HQ_VERSION, 2)]);
    await c.roster.receive(pages([tuple(1), tuple(2)]).fetch);
    expect(importRow(c, mine).state).toBe('superseded');
    expect(fs.existsSync(rosterPath(c.roster['deps'].dataDir, mine))).toBe(true);
    c = await reopen(c);
    await c.roster.idle();
    expect(importRow(c, mine).journalled_rows).toBe(2500);
    const sent = c.journal.readAfter(before, 100).filter((e) => e.kind === 'roster.rows' && e.entityId === mine);
    expect(sent.map((e) => [e.payload.part, (e.payload.rows as unknown[]).length])).toEqual([
      [1, 1000],
      [2, 500],
    ]);
    // All in the journal: the replaced version's file goes.
    expect(fs.existsSync(rosterPath(c.roster['deps'].dataDir, mine))).toBe(false);
  });

  it('does not fetch an older version announced in the same page as this desk’s own import', async () => {
    const c = await open();
    const mine = await imported(c, [1, 2, 3]);
    await feed(c, [version(HQ_VERSION, 2), version(mine, 3)]);
    expect(importRow(c, HQ_VERSION).state).toBe('discarded');
    const older = pages([tuple(1), tuple(2)]);
    await c.roster.receive(older.fetch);
    expect(older.asked()).toBe(0);
    expect(c.roster.currentId()).toBe(mine);
  });

  it('puts this desk’s own import back in use when HQ publishes it after an older version, from its file or from HQ', async () => {
    const c = await open();
    // Rows still to journal: the file is kept, and used again without a download.
    const mine = await imported(c, Array.from({ length: 1500 }, (_, i) => i + 1));
    await c.roster.idle();
    await c.writer.run(() => c.db.prepare('UPDATE roster_import SET journalled_rows = 1000, journal_cursor = 1000 WHERE id = ?').run(mine));
    await feed(c, [version(HQ_VERSION, 2)]);
    await c.roster.receive(pages([tuple(1), tuple(2)]).fetch);
    expect(c.roster.currentId()).toBe(HQ_VERSION);
    await feed(c, [version(mine, 1500)]);
    expect(await ok(c, 'roster.summary', {})).toMatchObject({ residents: 1500, current: { id: mine, state: 'current', source: 'station' } });
    expect((await ok(c, 'roster.search', { query: '居民1499' })).map((r) => r.name)).toEqual(['居民1499']);
    const untouched = pages([]);
    await c.roster.receive(untouched.fetch);
    expect(untouched.asked()).toBe(0);

    // Every row journalled, the file goes once replaced: fetched back from HQ when HQ names it again.
    await c.roster.idle();
    const second = '0190a000-0000-7000-8000-000000000003';
    await feed(c, [version(second, 1)]);
    await c.roster.receive(pages([tuple(7)]).fetch);
    expect(fs.existsSync(rosterPath(c.roster['deps'].dataDir, mine))).toBe(false);
    await feed(c, [version(mine, 1500)]);
    expect(importRow(c, mine).state).toBe('receiving');
    await c.roster.receive(pages(Array.from({ length: 1500 }, (_, i) => tuple(i + 1))).fetch);
    expect(await ok(c, 'roster.summary', {})).toMatchObject({ residents: 1500, current: { id: mine, state: 'current' } });
    // Nothing of it journalled again: HQ has it all.
    expect(importRow(c, mine)).toMatchObject({ journalled_rows: 1500, residents: 1500 });
  });
});

describe('one at a time', () => {
  it('refuses a second ledger read asked for before the first one started', async () => {
    const c = await open();
    const uploads: string[] = [];
    for (const ns of [[1], [2]]) {
      const bytes = ledger(ns);
      const { uploadId } = await ok(c, 'roster.upload', { fileName: 'r.csv', size: bytes.length });
      await ok(c, 'roster.uploadChunk', { uploadId, offset: 0, data: bytes.toString('base64') });
      uploads.push(uploadId);
    }
    const [a, b] = await Promise.all(uploads.map((uploadId) => c.invoke('roster.read', { uploadId })));
    expect([a!.ok, !b!.ok && b!.error.code]).toEqual([true, 'roster.busy']);
    await c.roster.idle();
    expect(c.db.prepare(`SELECT count(*) AS n FROM roster_import`).get()).toEqual({ n: 1 });
  });
});

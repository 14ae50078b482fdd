import fs from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { StationCore } from '../../../electron/core/core';
import { openCore, ok, refused, tempDir } from '../../helpers/core';
import { tubeCode } from '../../helpers/ids';
import { idNumber } from './fixtures';

let core: StationCore | undefined;
afterEach(() => core?.close());

/** Uploads a ledger through the API, in chunks as the screen does, and reads it; waits for the result. */
async function importLedger(c: StationCore, fileName: string, bytes: Buffer, mapping?: Record<string, 'name' | 'idNumber' | 'phone' | 'building' | 'unit' | 'room' | 'tags' | 'ignore'>) {
  const { uploadId, chunkBytes } = await ok(c, 'roster.upload', { fileName, size: bytes.length });
  for (let offset = 0; offset < bytes.length; offset += chunkBytes) {
    await ok(c, 'roster.uploadChunk', { uploadId, offset, data: bytes.subarray(offset, offset + chunkBytes).toString('base64') });
  }
  const started = await ok(c, 'roster.read', { uploadId, ...(mapping ? { mapping } : {}) });
  await c.roster.idle();
  return { uploadId, view: await ok(c, 'roster.import', { importId: started.id }) };
}

const header = '姓名,身份证号,手机号,楼栋,单元,房号,标签\n';
const bad = '11010519800101002X'; // wrong check character for this body

describe('importing the resident ledger at a station', () => {
  it('lists every bad row with its row number and reason, imports the good rows or nothing, and finds residents at the desk', async () => {
    core = await openCore();
    const lines = [
      `张三,${idNumber(1)},13800138001,3号楼,2单元,502室,老人`,
      `李四,${bad},13800138002,3,2,502,`,
      `,${idNumber(3)},13800138003,3,2,503,`,
      `王五,${idNumber(4)},1380013,3,2,504,`,
      `赵六,${idNumber(5)},,3,2,5A,`,
      `钱七,${idNumber(6)},13800138006,3,2,505,`,
      `钱七,${idNumber(6)},13800138006,3,2,505,`,
      `孙八,${idNumber(8)},,4,1,101,卧床、低保户`,
    ];
    const { view } = await importLedger(core, '台账.csv', Buffer.from(header + lines.join('\n') + '\n'));
    expect(view).toMatchObject({ state: 'ready', totalRows: 8, residents: 2, refused: 6, warned: 1, changes: { new: 2, moved: 0, changed: 0, gone: 0 } });
    const problems = await ok(core, 'roster.problems', { importId: view.id, offset: 0, limit: 100 });
    const byRow = problems.rows.map((p) => [p.rowNo, p.refused, p.problems.map((x) => x.code).join(' ')]);
    expect(byRow).toEqual([
      [3, true, 'id.checkFailed'],
      [4, true, 'name.missing'],
      [5, true, 'phone.malformed'],
      [6, true, 'room.malformed'],
      [7, true, 'row.duplicate'],
      [8, true, 'row.duplicate'],
      [9, false, 'tag.unknown'],
    ]);
    // Nothing is in use before the admin applies it.
    expect((await ok(core, 'roster.summary', {})).residents).toBe(0);
    expect(await ok(core, 'roster.search', { query: '张三' })).toEqual([]);
    await ok(core, 'roster.apply', { importId: view.id });
    const summary = await ok(core, 'roster.summary', {});
    expect(summary).toMatchObject({ residents: 2, buildings: 2, households: 2, current: { id: view.id, state: 'current' } });
    const found = await ok(core, 'roster.search', { query: '张' });
    expect(found).toEqual([
      { ref: expect.any(String), name: '张三', maskedIdNumber: `110105********${idNumber(1).slice(-4)}`, maskedPhone: '138****8001', building: '3', unit: '2', room: '502', tags: ['elderly'] },
    ]);
    expect((await ok(core, 'roster.search', { query: idNumber(8).slice(-4) })).map((r) => r.name)).toEqual(['孙八']);
    expect((await ok(core, 'roster.search', { query: '3-2-502' })).map((r) => r.name)).toEqual(['张三']);
    expect((await ok(core, 'roster.search', { query: '4 1' })).map((r) => r.name)).toEqual(['孙八']);

    // Found without a phone or card, the resident is bound like a scanned person.
    await ok(core, 'scan.submit', { text: tubeCode(1), source: 'manual' });
    expect(await ok(core, 'desk.bindResident', { ref: found[0]!.ref })).toMatchObject({ kind: 'person.bound', person: { name: '张三' }, count: 1 });
    expect(await refused(core, 'desk.bindResident', { ref: 'nope' })).toBe('roster.residentUnknown');

    // The roster goes to HQ in the journal: its commit, then its rows.
    await core.roster.idle();
    const entries = core.journal.readAfter(0, 10_000).filter((e) => e.kind.startsWith('roster.'));
    expect(entries.map((e) => e.kind)).toEqual(['roster.committed', 'roster.rows']);
    expect(entries[0]!.payload).toMatchObject({ rows: 2, entries: 1 });
    expect((entries[1]!.payload.rows as unknown[][]).map((r) => r[1])).toEqual(['张三', '孙八']);
  });

  it('re-imports a newer ledger as a diff shown before it is applied, keeping everyone’s test history', async () => {
    core = await openCore();
    const first = [`张三,${idNumber(1)},13800138001,3,2,502,`, `李四,${idNumber(2)},,3,2,503,`, `王五,${idNumber(3)},,3,2,504,`, `赵六,${idNumber(4)},,3,2,505,`];
    const a = (await importLedger(core, 'v1.csv', Buffer.from(header + first.join('\n')))).view;
    await ok(core, 'roster.apply', { importId: a.id });
    await ok(core, 'scan.submit', { text: tubeCode(1), source: 'manual' });
    await ok(core, 'scan.submit', { text: idNumber(2), source: 'manual' });
    const second = [`张三,${idNumber(1)},13800138001,3,2,502,`, `李四,${idNumber(2)},,5,1,101,`, `王五,${idNumber(3)},13900139003,3,2,504,老人`, `周九,${idNumber(9)},,3,2,506,`];
    const b = (await importLedger(core, 'v2.csv', Buffer.from(header + second.join('\n')))).view;
    expect(b.changes).toEqual({ new: 1, moved: 1, changed: 1, gone: 1 });
    const moved = await ok(core, 'roster.changes', { importId: b.id, kind: 'moved', offset: 0, limit: 10 });
    expect(moved.rows).toEqual([{ kind: 'moved', rowNo: 3, maskedIdNumber: expect.stringMatching(/\*{8}/), name: '李四', household: '5-1-101', before: { name: '李四', household: '3-2-503' } }]);
    const gone = await ok(core, 'roster.changes', { importId: b.id, kind: 'gone', offset: 0, limit: 10 });
    expect(gone.rows.map((r) => [r.name, r.household])).toEqual([['赵六', '3-2-505']]);
    // Still the first ledger until applied.
    expect((await ok(core, 'roster.search', { query: '周' }))).toEqual([]);
    await ok(core, 'roster.apply', { importId: b.id });
    expect((await ok(core, 'roster.search', { query: '周' })).map((r) => r.name)).toEqual(['周九']);
    expect((await ok(core, 'roster.search', { query: '5-1' })).map((r) => r.name)).toEqual(['李四']);
    // Li Si's sampling is his still: the person and the binding are untouched by the roster.
    expect(core.db.prepare(`SELECT count(*) AS n FROM binding b JOIN person p ON p.id = b.person_id WHERE p.id_number = ?`).get(idNumber(2))).toEqual({ n: 1 });
    // The first version's file is gone; only the one in use (and the empty one) remain.
    expect(fs.readdirSync(`${core.roster['deps'].dataDir}/roster`).filter((f) => f.endsWith('.sqlite')).sort()).toEqual([`${b.id}.sqlite`, 'empty.sqlite'].sort());
  });

  it('asks for the headers it does not know, remembers the mapping, and discards on request', async () => {
    core = await openCore();
    const text = `居民名,证件,住址楼号,单元,房号,备注\n张三,${idNumber(1)},3,2,502,\n`;
    const first = await importLedger(core, 'x.csv', Buffer.from(text));
    expect(first.view).toMatchObject({ state: 'needsMapping', missingRequired: ['name', 'idNumber'], unmapped: ['居民名', '证件', '住址楼号', '备注'] });
    const started = await ok(core, 'roster.read', { uploadId: first.uploadId, mapping: { 居民名: 'name', 证件: 'idNumber', 住址楼号: 'building', 备注: 'ignore' } });
    await core.roster.idle();
    const mapped = await ok(core, 'roster.import', { importId: started.id });
    expect(mapped).toMatchObject({ state: 'ready', residents: 1, unmapped: [] });
    expect((await ok(core, 'roster.summary', {})).mapping).toMatchObject({ 居民名: 'name', 备注: 'ignore' });
    await ok(core, 'roster.discard', { importId: mapped.id });
    expect(await refused(core, 'roster.apply', { importId: mapped.id })).toBe('roster.importNotReady');
    expect((await ok(core, 'roster.summary', {})).current).toBeNull();
    // The saved mapping reads the same headers next time without asking.
    const again = await importLedger(core, 'x.csv', Buffer.from(text));
    expect(again.view.state).toBe('ready');
  });

  it('refuses an .xls file and a chunk out of order in words, changing nothing', async () => {
    core = await openCore();
    const xls = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0, 0]);
    const { view } = await importLedger(core, 'old.xls', xls);
    expect(view).toMatchObject({ state: 'failed', failure: { code: 'file.xls' } });
    const { uploadId } = await ok(core, 'roster.upload', { fileName: 'a.csv', size: 10 });
    expect(await refused(core, 'roster.uploadChunk', { uploadId, offset: 5, data: Buffer.from('abc').toString('base64') })).toBe('roster.uploadOutOfOrder');
    expect(await refused(core, 'roster.read', { uploadId })).toBe('roster.uploadIncomplete');
    expect((await ok(core, 'roster.summary', {})).residents).toBe(0);
  });

  it('an import interrupted by a stop is never in use; the next start clears it', async () => {
    const dataDir = tempDir();
    core = await openCore(dataDir);
    const rows = Array.from({ length: 200 }, (_, i) => `居民${i},${idNumber(i)},,1,1,${101 + i},`);
    const { view } = await importLedger(core, 'a.csv', Buffer.from(header + rows.join('\n')));
    await ok(core, 'roster.apply', { importId: view.id });
    // A second import left half-written, as a killed process leaves it.
    core.db.prepare(`INSERT INTO roster_import (id, source, state, created_at) VALUES ('01234567-89ab-7def-8123-456789abcdef', 'station', 'reading', 'now')`).run();
    fs.writeFileSync(`${dataDir}/roster/01234567-89ab-7def-8123-456789abcdef.sqlite`, 'partial');
    core.close();
    core = await openCore(dataDir);
    expect((await ok(core, 'roster.summary', {})).residents).toBe(200);
    expect(await ok(core, 'roster.import', { importId: '01234567-89ab-7def-8123-456789abcdef' })).toMatchObject({ state: 'failed' });
    expect(fs.existsSync(`${dataDir}/roster/01234567-89ab-7def-8123-456789abcdef.sqlite`)).toBe(false);
  });
});

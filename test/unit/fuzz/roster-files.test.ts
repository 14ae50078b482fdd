import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import { afterEach, describe, expect, it } from 'vitest';
import { residentTupleSchema } from '../../../hq/protocol';
import type { StationCore } from '../../../electron/core/core';
import { resolveColumns } from '../../../electron/core/roster/fields';
import { tagsToBits } from '../../../electron/core/roster/file';
import { RosterReadError, type RosterReadErrorCode } from '../../../electron/core/roster/read';
import { compileHouseholdRules, DEFAULT_HOUSEHOLD_RULES, validateRow, type ResidentRow } from '../../../electron/core/roster/validate';
import { ok, openCore } from '../../helpers/core';
import { readAll, writeTemp } from '../roster/fixtures';
import { anyText, bytes, COMMON_PIECES, fuzzOptions, fuzzTimeout, idNumber, piecesText } from './arbitraries';

const READ_ERRORS: readonly RosterReadErrorCode[] = ['file.unsupported', 'file.xls', 'file.encoding', 'file.csvMalformed', 'file.empty', 'file.noHeader'];
const HEADER = ['姓名', '身份证号', '手机号', '楼栋', '单元', '房号', '标签'];
const PLAN = resolveColumns(HEADER, {});
const RULES = compileHouseholdRules(DEFAULT_HOUSEHOLD_RULES);
const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

/**
 * Reads a ledger to its end: either every row (cells as text, row numbers rising) or one
 * RosterReadError with a code the screen has words for. Anything else thrown fails the property.
 */
async function readOrRefuse(file: string): Promise<{ rows: string[][] } | { code: RosterReadErrorCode }> {
  try {
    const read = await readAll(file);
    let last = read.file.header.rowNo;
    for (const row of read.rows) {
      expect(row.rowNo).toBeGreaterThan(last);
      last = row.rowNo;
      for (const cell of row.cells) expect(typeof cell).toBe('string');
    }
    return { rows: read.rows.map((r) => r.cells) };
  } catch (error) {
    if (!(error instanceof RosterReadError)) throw error;
    expect(READ_ERRORS).toContain(error.code);
    // The message names the code and row, never a cell's text.
    expect(error.message).toMatch(/^file\.[a-zA-Z]+( at row \d+)?$/);
    return { code: error.code };
  }
}

/** Ledger text: header words, separators, quotes, line ends, ID numbers and odd characters. */
const csvText = piecesText([...COMMON_PIECES, ...HEADER, '"a,b"', '""', '\r\r\n', '号楼', '单元', '室', '13800138000'], 60);
const encoded = fc.tuple(csvText, fc.constantFrom('utf-8', 'utf-8-bom', 'gb18030', 'utf-16le')).map(([text, as]) => {
  if (as === 'gb18030' || as === 'utf-16le') return iconv.encode(text, as);
  return Buffer.concat([Buffer.from(as === 'utf-8-bom' ? [0xef, 0xbb, 0xbf] : []), Buffer.from(text)]);
});

describe('roster files (fuzz)', () => {
  it(
    'reads any bytes as rows or refuses them with a file code',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(bytes(2048), encoded, bytes(600).map((b) => Buffer.concat([ZIP_MAGIC, b]))), async (data) => {
          await readOrRefuse(writeTemp('fuzz.csv', data));
        }),
        fuzzOptions(300),
      );
    },
    fuzzTimeout(),
  );

  it(
    'takes only rows HQ accepts: every resident of any ledger fits the roster tuple HQ checks',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.array(fc.oneof(idNumber, anyText(8), piecesText(COMMON_PIECES, 6), fc.constantFrom('3号楼', '二单元', '502室', '老人', '13800138000')), { maxLength: 8 }), { maxLength: 20 }), async (rows) => {
          const read = await readOrRefuse(writeTemp('rows.csv', stringify([HEADER, ...rows])));
          if (!('rows' in read)) return;
          for (const cells of read.rows) {
            const check = validateRow(cells, PLAN, RULES);
            if (!check.ok) continue;
            const r = check.resident;
            expect(residentTupleSchema.safeParse([r.idNumber, r.name, r.phone, r.building, r.unit, r.room, tagsToBits(r.tags)]).success).toBe(true);
          }
        }),
        fuzzOptions(150),
      );
    },
    fuzzTimeout(),
  );

  const CJK = fc.constantFrom(...'张王李赵钱孙周吴郑冯陈褚卫蒋沈韩杨朱秦尤许何吕施𠮷'.match(/./gu)!);
  const resident: fc.Arbitrary<ResidentRow> = fc.record({
    name: fc.array(CJK, { minLength: 1, maxLength: 6 }).map((c) => c.join('')),
    idNumber,
    phone: fc.option(fc.integer({ min: 0, max: 99_999_999 }).map((n) => `138${String(n).padStart(8, '0')}`)),
    building: fc.integer({ min: 1, max: 999 }).map(String),
    unit: fc.integer({ min: 1, max: 99 }).map(String),
    room: fc.integer({ min: 100, max: 9999 }).map(String),
    tags: fc.subarray(['elderly', 'bedridden', 'isolation', 'keyPerson'] as const),
  });
  const TAG_WORD = { elderly: '老人', bedridden: '卧床', isolation: '居家隔离', keyPerson: '重点人员' } as const;
  const asCells = (r: ResidentRow): string[] => [r.name, r.idNumber, r.phone ?? '', `${r.building}号楼`, `${r.unit}单元`, `${r.room}室`, r.tags.map((t) => TAG_WORD[t]).join('、')];

  it(
    'reads back every resident written to CSV, in every encoding',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(resident, { minLength: 1, maxLength: 30 }), fc.constantFrom('utf-8', 'utf-8-bom', 'gb18030'), fc.constantFrom('\n', '\r\n'), async (residents, as, eol) => {
          const text = stringify([HEADER, ...residents.map(asCells)], { record_delimiter: eol });
          const data = as === 'gb18030' ? iconv.encode(text, 'gb18030') : Buffer.concat([Buffer.from(as === 'utf-8-bom' ? [0xef, 0xbb, 0xbf] : []), Buffer.from(text)]);
          const read = await readOrRefuse(writeTemp('residents.csv', data));
          if (!('rows' in read)) throw new Error(`refused: ${read.code}`);
          expect(read.rows.map((cells) => validateRow(cells, PLAN, RULES))).toEqual(residents.map((r) => ({ ok: true, resident: r, warnings: [] })));
        }),
        fuzzOptions(100),
      );
    },
    fuzzTimeout(),
  );

  /** Cell values of every kind exceljs writes, with text that is hard for XML. */
  const cellValue: fc.Arbitrary<ExcelJS.CellValue> = fc.oneof(
    anyText(20),
    piecesText(COMMON_PIECES, 6),
    idNumber,
    fc.double(),
    fc.integer(),
    fc.date({ noInvalidDate: true }),
    fc.boolean(),
    fc.constant(null),
    fc.record({ formula: fc.constantFrom('1+1', 'A1', '"a"&"b"', 'DATE(2022,1,1)'), result: fc.oneof(fc.integer(), fc.string(), fc.boolean()) }),
    fc.array(fc.string({ maxLength: 5 }), { minLength: 1, maxLength: 3 }).map((t) => ({ richText: t.map((text) => ({ text })) })),
    fc.record({ text: fc.string({ maxLength: 8 }), hyperlink: fc.constantFrom('https://example.cn', 'mailto:x', '') }),
    fc.constantFrom({ error: '#N/A' as const }, { error: '#DIV/0!' as const }),
  );
  type SheetSpec = { state: ExcelJS.WorksheetState; rows: ExcelJS.CellValue[][]; header: boolean; numFmt: string | null };
  const sheet: fc.Arbitrary<SheetSpec> = fc.record({
    state: fc.constantFrom<ExcelJS.WorksheetState>('visible', 'hidden'),
    rows: fc.array(fc.array(cellValue, { maxLength: 8 }), { maxLength: 12 }),
    header: fc.boolean(),
    numFmt: fc.option(fc.constantFrom('@', 'yyyy-mm-dd', '0.00', '"年"m', '[Red]0')),
  });

  async function workbookBytes(sheets: SheetSpec[]): Promise<Buffer> {
    const workbook = new ExcelJS.Workbook();
    sheets.forEach((s, i) => {
      const ws = workbook.addWorksheet(`表${i}`, { state: s.state });
      if (s.header) ws.addRow(HEADER);
      for (const row of s.rows) {
        const added = ws.addRow(row);
        if (s.numFmt) added.numFmt = s.numFmt;
      }
    });
    return Buffer.from(await workbook.xlsx.writeBuffer());
  }

  it(
    'reads any workbook exceljs writes, and any damaged one, as rows or a file code',
    async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(sheet, { maxLength: 3 }),
          fc.option(fc.oneof(fc.record({ cut: fc.nat() }), fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }))),
          async (sheets, damage) => {
            let data = await workbookBytes(sheets);
            if (damage && 'cut' in damage) data = data.subarray(0, damage.cut % data.length);
            else if (damage) data[damage.at % data.length] = damage.byte;
            const read = await readOrRefuse(writeTemp('fuzz.xlsx', data));
            if (damage || !('rows' in read)) return;
            // An undamaged workbook: its plain text cells come back as written, trimmed.
            const first = sheets.find((s) => s.state === 'visible') ?? sheets[0];
            if (!first?.header) return;
            const expected = first.rows
              .map((r) => r.map((v) => (typeof v === 'string' && /^[\p{L}\p{N} ]*$/u.test(v) ? v.trim() : undefined)))
              .filter((r) => r.some((v) => v !== undefined && v !== ''));
            expect(read.rows.length).toBeGreaterThanOrEqual(expected.length);
          },
        ),
        fuzzOptions(40, 10_000),
      );
    },
    fuzzTimeout(60_000),
  );

  it('refuses a workbook whose ZIP is damaged instead of waiting for it forever (fast-check: an empty workbook, one byte changed)', async () => {
    // exceljs does not pass its ZIP parser's errors on: the entry it was reading waited forever, and
    // a station's import stayed "reading" (every later import refused as busy).
    const whole = Buffer.from(await new ExcelJS.Workbook().xlsx.writeBuffer());
    const name = 'xl/_rels/workbook.xml.rels';
    const header = whole.indexOf(name) - 30;
    const dataAt = header + 30 + name.length + whole.readUInt16LE(header + 28);
    const shortEntry = Buffer.from(whole);
    shortEntry.writeUInt32LE(1, header + 18);
    const badDeflate = Buffer.from(whole);
    badDeflate[dataAt + 2] = 165;
    for (const data of [shortEntry, badDeflate]) expect(await readOrRefuse(writeTemp('damaged.xlsx', data))).toEqual({ code: 'file.unsupported' });
  });

  describe('imported at a station', () => {
    let core: StationCore | undefined;
    afterEach(() => core?.close());

    it(
      'refuses an unreadable ledger with a file code and nothing in use, in the journal or in the roster',
      async () => {
        core = openCore();
        const c = core;
        await fc.assert(
          fc.asyncProperty(fc.oneof(bytes(1024), encoded, bytes(300).map((b) => Buffer.concat([ZIP_MAGIC, b]))), fc.constantFrom('台账.csv', '台账.xlsx', 'x.xls'), async (data, fileName) => {
            if (data.length === 0) return;
            const inUse = async () => {
              const { imports: _imports, ...summary } = await ok(c, 'roster.summary', {});
              return summary;
            };
            const before = { journal: c.journal.lastSeq(), summary: await inUse() };
            const { uploadId } = await ok(c, 'roster.upload', { fileName, size: data.length });
            await ok(c, 'roster.uploadChunk', { uploadId, offset: 0, data: data.toString('base64') });
            const started = await c.invoke('roster.read', { uploadId });
            if (!started.ok) {
              expect(started.error.code).not.toBe('internal');
              return;
            }
            await c.roster.idle();
            const view = await ok(c, 'roster.import', { importId: started.value.id });
            expect(['failed', 'needsMapping', 'ready']).toContain(view.state);
            if (view.state === 'failed') expect(view.failure?.code).not.toBe('internal');
            if (view.state === 'ready') await ok(c, 'roster.discard', { importId: view.id });
            expect(c.journal.lastSeq()).toBe(before.journal);
            expect(await inUse()).toEqual(before.summary);
          }),
          fuzzOptions(25, 10_000),
        );
      },
      fuzzTimeout(60_000),
    );
  });
});

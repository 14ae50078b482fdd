import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { checkRequestRows, headerColumn, parseLabTime, parseResultWord, readResultFile } from '../../../hq/domains/result-files';
import { fileErrorWords, rowErrorWords } from '../../../hq/result-words';

const NOW = Date.parse('2026-12-01T08:00:00Z'); // 16:00 in Beijing

async function xlsx(rows: (string | number | Date)[][]): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('结果');
  for (const r of rows) sheet.addRow(r);
  return Buffer.from(await book.xlsx.writeBuffer());
}

describe('result words, times and headers', () => {
  it('reads the result words labs write, and refuses the rest', () => {
    expect(['阴性', '阴性(-)', '阴性（－）', ' Negative ', 'NEG'].map(parseResultWord)).toEqual(['negative', 'negative', 'negative', 'negative', 'negative']);
    expect(['阳性', '阳性（+）', 'positive', 'POS'].map(parseResultWord)).toEqual(['positive', 'positive', 'positive', 'positive']);
    expect(['无效', 'Invalid'].map(parseResultWord)).toEqual(['invalid', 'invalid']);
    // A sign that contradicts the word, a sign alone, a word nobody should guess at.
    expect(['阴性(+)', '阳性(-)', '无效(-)', '+', '-', '阴', '弱阳性', '待复核', ''].map(parseResultWord)).toEqual(Array(9).fill(null));
  });

  it('reads times in Beijing time or with an offset, and only real ones', () => {
    const beijing = Date.parse('2026-12-01T06:30:00Z');
    for (const text of ['2026-12-01 14:30', '2026/12/1 14:30:00', '2026.12.01 14:30', '2026年12月1日 14:30', '2026-12-01T14:30', '2026-12-01T06:30:00Z', '2026-12-01T14:30:00+08:00', '2026-12-01T14:30:00.123+0800']) {
      expect(parseLabTime(text), text).toBe(beijing);
    }
    expect(parseLabTime('2026-12-01')).toBe(Date.parse('2026-11-30T16:00:00Z'));
    for (const text of ['2026-02-30 10:00', '2026-13-01 10:00', '2026-12-01 24:00', '2026-12-01 10:60', '01/12/2026 10:00', 'yesterday', '2026-12-01T10:00:00+15:00', '46000']) {
      expect(parseLabTime(text), text).toBeNull();
    }
  });

  it('knows the columns by their Chinese and English headers', () => {
    expect(['试管编码', 'Tube Code', 'tube_code', '样本编号', '检测结果', 'Result', '检测时间', '报告时间', 'time', '检测机构', 'Lab', '实验室', '姓名'].map(headerColumn)).toEqual([
      'tubeCode',
      'tubeCode',
      'tubeCode',
      'tubeCode',
      'result',
      'result',
      'time',
      'time',
      'time',
      'lab',
      'lab',
      'lab',
      null,
    ]);
  });
});

describe('checking rows on their own', () => {
  it('gives every error of every row, with its column and what was there', () => {
    const checked = checkRequestRows(
      '市疾控中心',
      [
        { tubeCode: 'SY0010000001', result: '阴性', at: '2026-12-01 10:00' },
        { tubeCode: '', result: '阳性', at: '2026-12-01 10:00' },
        { tubeCode: 'SY 001', result: '阳', at: '2026-12-31 10:00' },
        { tubeCode: 'SY0010000004', result: 'negative', at: '2026-02-30 10:00' },
        { tubeCode: 'SY0010000005', result: 'negative', at: '2025-11-01 10:00' },
        { tubeCode: 'SY0010000006', result: '', at: '' },
      ],
      NOW,
    );
    expect(checked.totalRows).toBe(6);
    expect(checked.rows).toEqual([{ rowNo: 1, tubeCode: 'SY0010000001', result: 'negative', testedAt: '2026-12-01T02:00:00.000Z', lab: '市疾控中心' }]);
    expect(checked.errors.map((e) => [e.rowNo, e.column, e.code, e.value])).toEqual([
      [2, 'tubeCode', 'row.tubeCodeMissing', ''],
      [3, 'tubeCode', 'row.tubeCodeInvalid', 'SY 001'],
      [3, 'result', 'row.resultInvalid', '阳'],
      [3, 'time', 'row.timeFuture', '2026-12-31 10:00'],
      [4, 'time', 'row.timeInvalid', '2026-02-30 10:00'],
      [5, 'time', 'row.timeTooOld', '2025-11-01 10:00'],
      [6, 'result', 'row.resultMissing', ''],
      [6, 'time', 'row.timeMissing', ''],
    ]);
    // A lab's clock a few minutes ahead is not "the future".
    expect(checkRequestRows('检验所', [{ tubeCode: 'A1', result: '阴性', at: new Date(NOW + 5 * 60_000).toISOString() }], NOW).errors).toEqual([]);
    expect(checkRequestRows('', [{ tubeCode: 'A1', result: '阴性', at: '2026-12-01 10:00' }], NOW).errors.map((e) => e.code)).toEqual(['row.labMissing']);
  });

  it('posts a tube once when the file repeats it, and none of its rows when they disagree', () => {
    const checked = checkRequestRows(
      '检验所',
      [
        { tubeCode: 'T1', result: '阴性', at: '2026-12-01 10:00' },
        { tubeCode: 'T1', result: '阴性', at: '2026-12-01 10:05' },
        { tubeCode: 'T2', result: '阴性', at: '2026-12-01 10:00' },
        { tubeCode: 'T2', result: '阳性', at: '2026-12-01 10:00' },
        // A repeat whose result cannot be read might mean anything: T3 is not posted either.
        { tubeCode: 'T3', result: '阴性', at: '2026-12-01 10:00' },
        { tubeCode: 'T3', result: '阳?', at: '2026-12-01 10:00' },
        { tubeCode: 'T4', result: '阳性', at: '2026-12-01 10:00' },
      ],
      NOW,
    );
    expect(checked.rows.map((r) => r.rowNo)).toEqual([1, 7]);
    expect(checked.duplicateRowNos).toEqual([2]);
    const duplicate = checked.errors.filter((e) => e.code === 'row.duplicateDiffers');
    expect(duplicate.map((e) => [e.rowNo, e.detail])).toEqual([
      [3, '4'],
      [4, '3'],
      [5, '6'],
      [6, '5'],
    ]);
    expect(rowErrorWords('row.duplicateDiffers', '4')['zh-CN']).toContain('第 4 行');
    expect(rowErrorWords('row.resultDiffers', 'positive')).toEqual({
      'zh-CN': expect.stringContaining('（阳性）'),
      en: expect.stringContaining('(positive)'),
    });
  });
});

describe('reading result files', () => {
  const header = ['试管编码', '检测结果', '检测时间', '检测机构'];

  it('reads a CSV (UTF-8 with a BOM, or GB18030) with a title above the header, keeping spreadsheet row numbers', async () => {
    const text = `某某检测中心结果表\n\n${header.join(',')},备注\nSY0010000001,阴性,2026-12-01 10:00,某某检测中心,\n\nSY0010000002,阳性,2026-12-01 10:01,某某检测中心,复核\n,,,,合计 2\n`;
    for (const bytes of [Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), iconv.encode(text, 'gb18030')]) {
      const read = await readResultFile(bytes, { now: NOW });
      expect(read).toMatchObject({ ok: true, kind: 'csv' });
      if (!read.ok) throw new Error('unreachable');
      expect(read.checked.rows.map((r) => [r.rowNo, r.tubeCode, r.result, r.lab])).toEqual([
        [4, 'SY0010000001', 'negative', '某某检测中心'],
        [6, 'SY0010000002', 'positive', '某某检测中心'],
      ]);
      expect(read.checked.totalRows).toBe(2);
    }
  });

  it('reads an XLSX, date cells included, with English headers in another order', async () => {
    const bytes = await xlsx([
      ['Lab', 'Result', 'Tube code', 'Tested at'],
      ['City lab', 'Negative', 'SY0010000001', new Date(Date.UTC(2026, 11, 1, 10, 0))],
      ['City lab', 'positive', 'SY0010000002', '2026-12-01 10:01'],
      ['City lab', 'positive', 12345, '2026-12-01 10:01'],
    ]);
    const read = await readResultFile(bytes, { now: NOW });
    expect(read).toMatchObject({ ok: true, kind: 'xlsx' });
    if (!read.ok) throw new Error('unreachable');
    // A date cell is the wall clock typed in: Beijing time.
    expect(read.checked.rows.map((r) => [r.rowNo, r.tubeCode, r.result, r.testedAt])).toEqual([
      [2, 'SY0010000001', 'negative', '2026-12-01T02:00:00.000Z'],
      [3, 'SY0010000002', 'positive', '2026-12-01T02:01:00.000Z'],
      [4, '12345', 'positive', '2026-12-01T02:01:00.000Z'],
    ]);
  });

  it('refuses a file it cannot take as a whole, saying why', async () => {
    const csv = (text: string) => readResultFile(Buffer.from(text), { now: NOW });
    expect(await csv('')).toMatchObject({ ok: false, error: 'file.empty' });
    expect(await csv(`${header.join(',')}\n`)).toMatchObject({ ok: false, error: 'file.empty' });
    expect(await csv('姓名,电话\n张三,13800138000\n')).toMatchObject({ ok: false, error: 'file.noHeader' });
    expect(await csv('试管编码,检测结果\nSY1,阴性\n')).toEqual({ ok: false, error: 'file.columns', detail: 'time,lab' });
    expect(fileErrorWords('file.columns', 'time,lab')).toEqual({ 'zh-CN': '缺少列：检测时间、检测机构', en: 'Missing columns: time, lab' });
    expect(await csv(`${header.join(',')}\n"SY1,阴性,2026-12-01 10:00,中心\n`)).toMatchObject({ ok: false, error: 'file.csvMalformed' });
    expect(await readResultFile(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0]), { now: NOW })).toMatchObject({ ok: false, error: 'file.xls' });
    expect(await readResultFile(Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]), { now: NOW })).toMatchObject({ ok: false, error: 'file.unsupported' });
    const rows = Array.from({ length: 6 }, (_, i) => `SY${i},阴性,2026-12-01 10:00,中心`).join('\n');
    expect(await readResultFile(Buffer.from(`${header.join(',')}\n${rows}\n`), { now: NOW, maxRows: 5 })).toMatchObject({ ok: false, error: 'file.tooManyRows' });
  });
});

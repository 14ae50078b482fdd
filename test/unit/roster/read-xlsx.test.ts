import fs from 'node:fs';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { resolveColumns } from '../../../electron/core/roster/fields';
import { dateText, numberText, readXlsxRows } from '../../../electron/core/roster/read';
import { compileHouseholdRules, DEFAULT_HOUSEHOLD_RULES, validateRow } from '../../../electron/core/roster/validate';
import { collect, idNumber, readAll, readError, writeTemp } from './fixtures';

const HEADER = ['姓名', '身份证号', '手机号', '楼栋', '单元', '房号', '标签', '登记日期', '备注', '其他'];

/** A ledger as an admin would keep it in Excel, with the cell kinds exceljs can produce. */
async function ledgerWorkbook(): Promise<string> {
  const workbook = new ExcelJS.Workbook();
  const notes = workbook.addWorksheet('填表说明');
  notes.state = 'hidden';
  notes.addRow(['这一页是说明', idNumber(900)]);
  const sheet = workbook.addWorksheet('居民台账');
  sheet.addRow(HEADER);
  sheet.getRow(2).values = [
    { richText: [{ text: '张' }, { text: '三', font: { bold: true } }] },
    idNumber(1),
    13800138000,
    3,
    2,
    { formula: '500+2', result: 502 },
    '老人',
    new Date(Date.UTC(2022, 3, 5)),
    { formula: '"已"&"通知"', result: '已通知' },
    // A shared formula: the cells below carry no formula text of their own (typed loosely by exceljs).
    { formula: 'A1+1', result: 7, shareType: 'shared', ref: 'J2:J4' } as ExcelJS.CellFormulaValue,
  ];
  // Row 3: a formatted cell and nothing in it: present in the file, empty on screen.
  sheet.getCell('A3').numFmt = '@';
  sheet.getCell('J3').value = { sharedFormula: 'J2', result: 8 };
  // Row 4: an ID number typed into a General cell: Excel kept 15 digits.
  sheet.getRow(4).values = ['李四', Number('110105194912310021'), '  13900139000 ', '3', '2', '501'];
  sheet.getCell('J4').value = { sharedFormula: 'J2', result: 9 };
  const dated = sheet.getRow(6);
  dated.values = ['王五', idNumber(3), null, '12', '1', '1502', '重点人员', { formula: 'DATE(2022,4,6)', result: 44657 }, 0.1 + 0.2, true];
  dated.getCell(8).numFmt = 'yyyy"年"m"月"d"日"';
  sheet.getCell('K6').value = { error: '#N/A' };
  sheet.getCell('L6').value = { formula: '1/0', result: { error: '#DIV/0!' } };
  const other = workbook.addWorksheet('另一张表');
  other.addRow(['姓名', '身份证号']);
  other.addRow(['赵六', idNumber(4)]);
  const file = writeTemp('ledger.xlsx', Buffer.alloc(0));
  await workbook.xlsx.writeFile(file);
  return file;
}

describe('roster XLSX', () => {
  it('reads the first visible sheet, each cell as the text the admin sees, with sheet row numbers', async () => {
    const { file, rows } = await readAll(await ledgerWorkbook());
    expect(file).toMatchObject({ kind: 'xlsx', encoding: null, delimiter: null, titleRowNos: [] });
    expect(file.header).toEqual({ rowNo: 1, cells: HEADER });
    expect(rows).toEqual([
      { rowNo: 2, cells: ['张三', idNumber(1), '13800138000', '3', '2', '502', '老人', '2022-04-05', '已通知', '7'] },
      { rowNo: 3, cells: ['', '', '', '', '', '', '', '', '', '8'] },
      { rowNo: 4, cells: ['李四', '1.10105E+17', '13900139000', '3', '2', '501', '', '', '', '9'] },
      { rowNo: 6, cells: ['王五', idNumber(3), '', '12', '1', '1502', '重点人员', '2022-04-06', '0.3', 'TRUE', '', ''] },
    ]);
  });

  it('lets validation refuse an ID number Excel stored as a number, and accept the phone stored as one', async () => {
    const { file, rows } = await readAll(await ledgerWorkbook());
    const plan = resolveColumns(file.header.cells, { 登记日期: 'ignore', 备注: 'ignore', 其他: 'ignore' });
    const rules = compileHouseholdRules(DEFAULT_HOUSEHOLD_RULES);
    const first = validateRow(rows[0]!.cells, plan, rules);
    expect(first).toMatchObject({ ok: true, resident: { name: '张三', phone: '13800138000', building: '3', unit: '2', room: '502', tags: ['elderly'] } });
    const numeric = validateRow(rows[2]!.cells, plan, rules);
    expect(numeric).toEqual({ ok: false, problems: [{ code: 'id.malformed', value: '1.1010*E+17' }] });
  });

  it('yields the header like any other row and skips rows with nothing in them', async () => {
    const rows = await collect(readXlsxRows(await ledgerWorkbook()));
    expect(rows.map((row) => row.rowNo)).toEqual([1, 2, 3, 4, 6]);
  });

  it('reads the first sheet when it is not the first part in the ZIP, and finds the header under a title', async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('台账');
    sheet.addRow(['朝阳小区居民信息登记表']);
    sheet.addRow([]);
    sheet.addRow(['序号', '姓名', '身份证号']);
    sheet.addRow([1, '张三', idNumber(1)]);
    workbook.addWorksheet('汇总').addRow(['合计', 1]);
    // Put the second sheet first in the workbook's order: it is then the tab the admin sees first.
    // `orderNo` decides the tab order exceljs writes; its type definitions leave it out.
    (workbook.getWorksheet('汇总') as unknown as { orderNo: number }).orderNo = -1;
    const file = writeTemp('ordered.xlsx', Buffer.alloc(0));
    await workbook.xlsx.writeFile(file);
    const { file: ordered, rows } = await readAll(file);
    expect(ordered.header).toEqual({ rowNo: 1, cells: ['合计', '1'] });
    expect(rows).toEqual([]);

    const single = new ExcelJS.Workbook();
    const only = single.addWorksheet('台账');
    only.addRow(['朝阳小区居民信息登记表']);
    only.addRow([]);
    only.addRow(['序号', '姓名', '身份证号']);
    only.addRow([1, '张三', idNumber(1)]);
    const titled = writeTemp('titled.xlsx', Buffer.alloc(0));
    await single.xlsx.writeFile(titled);
    const read = await readAll(titled);
    expect(read.file.titleRowNos).toEqual([1]);
    expect(read.file.header).toEqual({ rowNo: 3, cells: ['序号', '姓名', '身份证号'] });
    expect(read.rows).toEqual([{ rowNo: 4, cells: ['1', '张三', idNumber(1)] }]);
  });

  it('reports progress up to the size of the file', async () => {
    const path = await ledgerWorkbook();
    const seen: number[] = [];
    await readAll(path, { onProgress: (bytes, total) => seen.push(bytes / total) });
    expect(seen.at(-1)).toBe(1);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it('refuses a ZIP that is not a workbook, and a workbook with nothing in it', async () => {
    const zip = writeTemp('not-a-workbook.xlsx', Buffer.from('504b0304', 'hex'));
    expect(await readError(readAll(zip))).toMatchObject({ code: 'file.unsupported' });
    const empty = new ExcelJS.Workbook();
    empty.addWorksheet('空');
    const file = writeTemp('empty.xlsx', Buffer.alloc(0));
    await empty.xlsx.writeFile(file);
    expect(fs.statSync(file).size).toBeGreaterThan(0);
    expect(await readError(readAll(file))).toMatchObject({ code: 'file.empty' });
  });

  it('writes numbers without exponent or float noise below 10^15, and as Excel shows them above', () => {
    expect(numberText(13800138000)).toBe('13800138000');
    expect(numberText(502)).toBe('502');
    expect(numberText(0.1 + 0.2)).toBe('0.3');
    expect(numberText(-1.5)).toBe('-1.5');
    expect(numberText(999_999_999_999_999)).toBe('999999999999999');
    expect(numberText(Number('110105194912310021'))).toBe('1.10105E+17');
    expect(numberText(1.2e17)).toBe('1.2E+17');
    expect(numberText(Number.NaN)).toBe('');
    expect(dateText(new Date(Date.UTC(2022, 3, 5)))).toBe('2022-04-05');
    expect(dateText(new Date(Date.UTC(2022, 3, 5, 8, 30)))).toBe('2022-04-05 08:30');
    expect(dateText(new Date(Date.UTC(2022, 3, 5, 8, 30, 15)))).toBe('2022-04-05 08:30:15');
  });
});

import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { csvCell, writeResidentsCsv, writeResidentsXlsx, type ExportColumn, type ExportRow } from '../../../electron/core/roster/export';
import { idNumber, readAll, writeTemp } from './fixtures';

const COLUMNS: ExportColumn[] = [
  { key: 'name', header: '姓名' },
  { key: 'idNumber', header: '身份证号' },
  { key: 'phone', header: '手机号' },
  { key: 'building', header: '楼栋' },
  { key: 'room', header: '房号' },
  { key: 'note', header: '备注', width: 30 },
];

const ROWS: ExportRow[] = [
  { name: '张三', idNumber: idNumber(1), phone: '13800138000', building: '3', room: '0502', note: '=HYPERLINK("http://example.com","点我")' },
  { name: '李, "四"', idNumber: '11010519491231002X', phone: '', building: '12', room: '1502', note: '第一行\n第二行' },
  { name: '+王五', idNumber: idNumber(3), phone: '010-12345678', building: '3', room: '502', note: '@SUM(A1)' },
  { name: '-赵六', idNumber: idNumber(4), phone: '13900139000', building: '3-2', room: '502', note: '\tx' },
  { name: '孙七' },
];

async function* asyncRows(rows: ExportRow[]): AsyncGenerator<ExportRow> {
  for (const row of rows) yield row;
}

describe('door-to-door list as CSV', () => {
  it('is UTF-8 with a BOM and CRLF line ends', async () => {
    const bytes = await writeResidentsCsv(ROWS, COLUMNS);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.subarray(3).toString('utf8');
    expect(text.endsWith('\r\n')).toBe(true);
    // The only bare LF is the one inside the quoted note.
    expect(text.replaceAll('\r\n', '').split('\n')).toHaveLength(2);
    expect(text.split('\r\n')).toHaveLength(ROWS.length + 2);
  });

  it('reads back with csv-parse: Chinese intact, digits kept as text with a tab, formulas disarmed', async () => {
    const records = parse(await writeResidentsCsv(asyncRows(ROWS), COLUMNS), { bom: true }) as string[][];
    expect(records[0]).toEqual(COLUMNS.map((column) => column.header));
    expect(records.slice(1)).toEqual([
      ['张三', `\t${idNumber(1)}`, '\t13800138000', '3', '\t0502', `'=HYPERLINK("http://example.com","点我")`],
      ['李, "四"', '11010519491231002X', '', '12', '1502', '第一行\n第二行'],
      ["'+王五", `\t${idNumber(3)}`, '010-12345678', '3', '502', "'@SUM(A1)"],
      ["'-赵六", `\t${idNumber(4)}`, '\t13900139000', '\t3-2', '502', "'\tx"],
      ['孙七', '', '', '', '', ''],
    ]);
  });

  it('guards every formula start and protects only the digit strings Excel would change', () => {
    for (const start of ['=', '+', '-', '@', '\t', '\r']) expect(csvCell(`${start}1+1`)).toBe(`'${start}1+1`);
    expect(csvCell('110105194912310021')).toBe('\t110105194912310021');
    expect(csvCell('13800138000')).toBe('\t13800138000');
    expect(csvCell('0502')).toBe('\t0502');
    expect(csvCell('3/12')).toBe('\t3/12');
    expect(csvCell('1502')).toBe('1502');
    expect(csvCell('0')).toBe('0');
    expect(csvCell('11010519491231002X')).toBe('11010519491231002X');
    expect(csvCell('张三')).toBe('张三');
  });

  it('comes back through the roster reader with the same ID numbers and phones', async () => {
    const file = writeTemp('list.csv', await writeResidentsCsv(ROWS, COLUMNS));
    const { file: opened, rows } = await readAll(file);
    expect(opened.header.cells).toEqual(COLUMNS.map((column) => column.header));
    expect(rows.map((row) => row.cells.slice(0, 3))).toEqual([
      ['张三', idNumber(1), '13800138000'],
      ['李, "四"', '11010519491231002X', ''],
      ["'+王五", idNumber(3), '010-12345678'],
      ["'-赵六", idNumber(4), '13900139000'],
      ['孙七', '', ''],
    ]);
  });
});

describe('door-to-door list as XLSX', () => {
  it('has a bold header, text cells for ID numbers and phones, and Chinese intact', async () => {
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(writeTemp('list.xlsx', await writeResidentsXlsx(asyncRows(ROWS), COLUMNS, '未检测名单')));
    const sheet = workbook.getWorksheet('未检测名单')!;
    expect(sheet.getRow(1).values).toEqual([undefined, ...COLUMNS.map((column) => column.header)]);
    expect(sheet.getCell('A1').font?.bold).toBe(true);
    expect(sheet.getCell('A2').font?.bold).toBeFalsy();
    for (const address of ['B2', 'C2', 'B3', 'C4', 'E2']) {
      expect([address, sheet.getCell(address).type, sheet.getCell(address).numFmt]).toEqual([address, ExcelJS.ValueType.String, '@']);
    }
    expect(sheet.getCell('B2').value).toBe(idNumber(1));
    expect(sheet.getCell('C2').value).toBe('13800138000');
    expect(sheet.getCell('E2').value).toBe('0502');
    expect(sheet.getCell('A3').value).toBe('李, "四"');
    expect(sheet.getCell('F2').value).toBe('=HYPERLINK("http://example.com","点我")');
    expect(sheet.getCell('F2').type).toBe(ExcelJS.ValueType.String);
    expect(sheet.getCell('F3').value).toBe('第一行\n第二行');
    expect(sheet.rowCount).toBe(ROWS.length + 1);
  });

  it('sizes columns for Chinese text and takes the widths it is given', async () => {
    const columns: ExportColumn[] = [...COLUMNS, { key: 'address', header: '详细住址（楼栋单元房号）' }];
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.readFile(writeTemp('wide.xlsx', await writeResidentsXlsx(ROWS, columns, 'a/b:c')));
    const sheet = workbook.worksheets[0]!;
    expect(sheet.name).toBe('a b c');
    expect(sheet.getColumn(2).width).toBe(22);
    expect(sheet.getColumn(6).width).toBe(30);
    expect(sheet.getColumn(7).width).toBe(24 + 2);
  });

  it('comes back through the roster reader cell for cell', async () => {
    const file = writeTemp('list.xlsx', await writeResidentsXlsx(ROWS, COLUMNS, '名单'));
    const { file: opened, rows } = await readAll(file);
    expect(opened.header.cells).toEqual(COLUMNS.map((column) => column.header));
    // Styled empty cells at a row's end are read as empty texts; only the values matter here.
    expect(rows.map((row) => trimEnd(row.cells))).toEqual(ROWS.map((row) => trimEnd(COLUMNS.map((column) => (row[column.key] ?? '').trim()))));
  });
});

function trimEnd(cells: string[]): string[] {
  const out = [...cells];
  while (out.length > 0 && out.at(-1) === '') out.pop();
  return out;
}

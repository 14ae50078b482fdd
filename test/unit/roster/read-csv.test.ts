import fs from 'node:fs';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { detectDelimiter, detectEncoding, MAX_CSV_RECORD_BYTES, openCsv, sniffRosterFile } from '../../../electron/core/roster/read';
import { collect, idNumber, readAll, readError, writeTemp } from './fixtures';

const HEADER = '姓名,身份证号,手机号,楼栋,单元,房号,标签';
const ROWS = [
  ['张三', idNumber(1), '13800138000', '3', '2', '502', '老人'],
  ['李四', idNumber(2), '', '3号楼', '二单元', '501室', ''],
  ['王五', idNumber(3), '13900139000', '12', '1', '1502', '重点人员、居家隔离'],
];
const TEXT = [HEADER, ...ROWS.map((row) => row.join(','))].join('\r\n') + '\r\n';
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

function cellsOf(rows: { cells: string[] }[]): string[][] {
  return rows.map((row) => row.cells);
}

describe('roster CSV: encodings', () => {
  it('reads UTF-8 with a BOM and drops the BOM, also before a quoted first cell', async () => {
    const quoted = await readAll(writeTemp('bom-quoted.csv', Buffer.concat([UTF8_BOM, Buffer.from(`"姓名",身份证号\n张三,${idNumber(1)}\n`)])));
    expect(quoted.file.header.cells).toEqual(['姓名', '身份证号']);
    const { file, rows } = await readAll(writeTemp('bom.csv', Buffer.concat([UTF8_BOM, Buffer.from(TEXT)])));
    expect(file).toMatchObject({ kind: 'csv', encoding: 'utf-8', delimiter: ',', titleRowNos: [] });
    expect(file.header).toEqual({ rowNo: 1, cells: HEADER.split(',') });
    expect(cellsOf(rows)).toEqual(ROWS);
    expect(rows.map((row) => row.rowNo)).toEqual([2, 3, 4]);
  });

  it('reads UTF-8 without a BOM', async () => {
    const { file, rows } = await readAll(writeTemp('plain.csv', TEXT));
    expect(file.encoding).toBe('utf-8');
    expect(file.header.cells[0]).toBe('姓名');
    expect(cellsOf(rows)).toEqual(ROWS);
  });

  it('reads GB18030, as Excel saves "CSV" on Chinese Windows, including four-byte characters', async () => {
    const rare = [['𠀀䶮', idNumber(4), '', '1', '1', '101', '']];
    const text = [HEADER, ...[...ROWS, ...rare].map((row) => row.join(','))].join('\r\n');
    const { file, rows } = await readAll(writeTemp('gb.csv', iconv.encode(text, 'gb18030')));
    expect(file.encoding).toBe('gb18030');
    expect(file.header.cells).toEqual(HEADER.split(','));
    expect(cellsOf(rows)).toEqual([...ROWS, ...rare]);
  });

  it('gives the same rows whatever the read size, with characters cut between reads', async () => {
    const utf8 = writeTemp('utf8.csv', TEXT);
    const gb = writeTemp('gb.csv', iconv.encode(TEXT, 'gb18030'));
    for (const chunkSize of [1, 2, 3, 5, 7, 64]) {
      expect(cellsOf((await readAll(utf8, { chunkSize })).rows)).toEqual(ROWS);
      expect(cellsOf((await readAll(gb, { chunkSize })).rows)).toEqual(ROWS);
    }
  });

  it('detects UTF-8 when a character is cut by the end of the sample, GB18030 otherwise', () => {
    const utf8 = Buffer.from('姓名,身份证号\n张三');
    expect(detectEncoding(utf8.subarray(0, utf8.length - 1))).toBe('utf-8');
    expect(detectEncoding(Buffer.concat([UTF8_BOM, Buffer.from('a,b')]))).toBe('utf-8');
    expect(detectEncoding(Buffer.from('name,id\n'))).toBe('utf-8');
    expect(detectEncoding(iconv.encode('姓名,身份证号', 'gb18030'))).toBe('gb18030');
  });

  it('refuses a GB18030 file forced as UTF-8 with the row of the first undecodable character', async () => {
    const text = `name,idNumber\r\nLi Si,${idNumber(1)}\r\n张三,${idNumber(2)}\r\n`;
    const file = writeTemp('gb.csv', iconv.encode(text, 'gb18030'));
    expect((await readAll(file)).rows.map((row) => row.cells[0])).toEqual(['Li Si', '张三']);
    for (const chunkSize of [undefined, 1, 2, 5, 16]) {
      expect(await readError(readAll(file, { encoding: 'utf-8', chunkSize }))).toEqual({ code: 'file.encoding', rowNo: 3 });
    }
  });

  it('refuses a broken byte deep in a large file with its row, also after a cell with line breaks', async () => {
    const lines = [HEADER, `"多行\n备注",${idNumber(0)},,1,1,101,`];
    for (let n = 3; n <= 3000; n++) lines.push(`居民${n},${idNumber(n % 1000)},13800138000,1,1,101,`);
    const good = Buffer.from(lines.join('\n') + '\n');
    // Row 2000 is physical line 2001: the quoted cell on row 2 spans two lines.
    const rowStart = good.indexOf(Buffer.from('居民2000,'));
    const midRow = Buffer.concat([good.subarray(0, rowStart + 3), Buffer.from([0xff]), good.subarray(rowStart + 3)]);
    const rowHead = Buffer.concat([good.subarray(0, rowStart), Buffer.from([0xff]), good.subarray(rowStart)]);
    for (const chunkSize of [undefined, 61, 4096]) {
      expect(await readError(readAll(writeTemp('mid.csv', midRow), { chunkSize }))).toEqual({ code: 'file.encoding', rowNo: 2000 });
      expect(await readError(readAll(writeTemp('head.csv', rowHead), { chunkSize }))).toEqual({ code: 'file.encoding', rowNo: 2000 });
    }
  });

  it('refuses an invalid GB18030 sequence and a file cut inside a character', async () => {
    const text = iconv.encode(`${HEADER}\n张三,${idNumber(1)}\n李四,${idNumber(2)}\n`, 'gb18030');
    const at = text.indexOf(iconv.encode('李四', 'gb18030'));
    const broken = Buffer.concat([text.subarray(0, at + 2), Buffer.from([0x81, 0x20]), text.subarray(at + 2)]);
    expect(await readError(readAll(writeTemp('gb-bad.csv', broken)))).toEqual({ code: 'file.encoding', rowNo: 3 });
    const utf8 = Buffer.from(`${HEADER}\n张三,${idNumber(1)},,1,1,101,老人`);
    expect(await readError(readAll(writeTemp('cut.csv', utf8.subarray(0, utf8.length - 1)), { encoding: 'utf-8' }))).toEqual({
      code: 'file.encoding',
      rowNo: 2,
    });
  });
});

describe('roster CSV: structure', () => {
  it('detects tab and semicolon separators from the header line, and keeps commas inside cells then', async () => {
    const tsv = [HEADER.replaceAll(',', '\t'), '张三\t' + idNumber(1) + '\t\t3\t2\t502\t老人,重点人员'].join('\n');
    const tabbed = await readAll(writeTemp('tab.csv', tsv));
    expect(tabbed.file.delimiter).toBe('\t');
    expect(tabbed.rows[0]!.cells).toEqual(['张三', idNumber(1), '', '3', '2', '502', '老人,重点人员']);
    const semi = await readAll(writeTemp('semi.csv', `姓名;身份证号\n张三;${idNumber(1)}\n`));
    expect(semi.file.delimiter).toBe(';');
    expect(semi.rows[0]!.cells).toEqual(['张三', idNumber(1)]);
    expect(detectDelimiter('title without separators\n姓名\t身份证号')).toBe('\t');
    expect(detectDelimiter('')).toBe(',');
  });

  it('reads quoted cells with commas, quotes and line breaks, and numbers rows as Excel does', async () => {
    const text = [
      '姓名,身份证号,备注',
      `"张,三",${idNumber(1)},"第一行\r\n第二行\n第三行"`,
      `"李""四""",${idNumber(2)},x`,
      `王五,${idNumber(3)},"a,b"`,
    ].join('\r\n');
    const { rows } = await readAll(writeTemp('quoted.csv', text));
    expect(rows).toEqual([
      { rowNo: 2, cells: ['张,三', idNumber(1), '第一行\r\n第二行\n第三行'] },
      { rowNo: 3, cells: ['李"四"', idNumber(2), 'x'] },
      { rowNo: 4, cells: ['王五', idNumber(3), 'a,b'] },
    ]);
  });

  it('reads CRLF, LF and CR line ends, mixed in one file, with no stray CR in cells', async () => {
    const text = `姓名,身份证号\r\n张三,${idNumber(1)}\n李四,${idNumber(2)}\r王五,${idNumber(3)}\r\n`;
    const { rows } = await readAll(writeTemp('mixed.csv', text));
    expect(rows).toEqual([
      { rowNo: 2, cells: ['张三', idNumber(1)] },
      { rowNo: 3, cells: ['李四', idNumber(2)] },
      { rowNo: 4, cells: ['王五', idNumber(3)] },
    ]);
  });

  it('skips empty rows (blank lines, only separators, only spaces) but keeps the rows after them numbered as in the sheet', async () => {
    const text = `\r\n姓名,身份证号\r\n\r\n张三,${idNumber(1)}\r\n,,,\r\n  ,  \r\n李四 , ${idNumber(2)} \r\n\r\n`;
    const { file, rows } = await readAll(writeTemp('blank.csv', text));
    expect(file.header.rowNo).toBe(2);
    expect(rows).toEqual([
      { rowNo: 4, cells: ['张三', idNumber(1)] },
      { rowNo: 7, cells: ['李四', idNumber(2)] },
    ]);
  });

  it('yields the header row like any other row from the raw reader', async () => {
    const csv = await openCsv(writeTemp('raw.csv', `\n${TEXT}`));
    const rows = await collect(csv.rows);
    expect(rows[0]).toEqual({ rowNo: 2, cells: HEADER.split(',') });
    expect(rows.map((row) => row.rowNo)).toEqual([2, 3, 4, 5]);
  });

  it('skips a title row above the header and refuses a file whose first row is data', async () => {
    const titled = `朝阳小区居民信息登记表,,,,,,\r\n${TEXT}`;
    const { file, rows } = await readAll(writeTemp('title.csv', titled));
    expect(file.titleRowNos).toEqual([1]);
    expect(file.header).toEqual({ rowNo: 2, cells: HEADER.split(',') });
    expect(rows[0]!.rowNo).toBe(3);
    const headless = ROWS.map((row) => row.join(',')).join('\n');
    expect(await readError(readAll(writeTemp('headless.csv', headless)))).toEqual({ code: 'file.noHeader', rowNo: 1 });
  });

  it('takes a header only a saved mapping knows, and the first row when nothing is known', async () => {
    const text = `户主,证件\n张三,${idNumber(1)}\n`;
    const mapped = await readAll(writeTemp('mapped.csv', `说明,\n${text}`), { savedMapping: { 户主: 'name', 证件: 'idNumber' } });
    expect(mapped.file.header).toEqual({ rowNo: 2, cells: ['户主', '证件'] });
    const unknown = await readAll(writeTemp('unknown.csv', text));
    expect(unknown.file.header).toEqual({ rowNo: 1, cells: ['户主', '证件'] });
    expect(unknown.rows).toHaveLength(1);
  });

  it('refuses a lone quote and an unclosed quote with the row where they are', async () => {
    const lone = `姓名,身份证号\n张三,${idNumber(1)}\n李"四,${idNumber(2)}\n王五,${idNumber(3)}\n`;
    expect(await readError(readAll(writeTemp('lone.csv', lone)))).toEqual({ code: 'file.csvMalformed', rowNo: 3 });
    const unclosed = `姓名,身份证号\n张三,"${idNumber(1)}\n李四,${idNumber(2)}\n`;
    expect(await readError(readAll(writeTemp('unclosed.csv', unclosed)))).toEqual({ code: 'file.csvMalformed', rowNo: 2 });
    const afterQuote = `姓名,身份证号\n"张三"x,${idNumber(1)}\n`;
    expect(await readError(readAll(writeTemp('after.csv', afterQuote)))).toEqual({ code: 'file.csvMalformed', rowNo: 2 });
  });

  it('stops at an unpaired quote that would swallow the rest of the file, without reading it all', async () => {
    const lines = [HEADER, `张三,${idNumber(1)},,1,1,101,`, `"李四,${idNumber(2)},,1,1,102,`];
    for (let n = 0; n < 30_000; n++) lines.push(`居民${n},${idNumber(n % 1000)},13800138000,1,1,101,`);
    const file = writeTemp('swallowed.csv', lines.join('\n'));
    const size = fs.statSync(file).size;
    let read = 0;
    const failure = readAll(file, { onProgress: (bytes) => (read = bytes) });
    await expect(failure).rejects.toMatchObject({ code: 'file.csvMalformed', rowNo: 3, detail: 'CSV_MAX_RECORD_SIZE' });
    // Refused once the quoted "cell" passed MAX_CSV_RECORD_BYTES, not at the end of a 1.8 MB file.
    expect(size).toBeGreaterThan(1_500_000);
    expect(read).toBeLessThan(MAX_CSV_RECORD_BYTES * 4);
  });

  it('tolerates spaces around quoted cells', async () => {
    const { rows } = await readAll(writeTemp('spaced.csv', `姓名,身份证号\n "张三" , "${idNumber(1)}" \n`));
    expect(rows[0]!.cells).toEqual(['张三', idNumber(1)]);
  });

  it('reports progress in bytes up to the size of the file', async () => {
    const lines = [HEADER];
    for (let n = 0; n < 5000; n++) lines.push(`居民${n},${idNumber(n % 1000)},13800138000,1,1,101,`);
    const path = writeTemp('progress.csv', lines.join('\n'));
    const size = fs.statSync(path).size;
    const seen: [number, number][] = [];
    const { rows } = await readAll(path, { onProgress: (bytes, total) => seen.push([bytes, total]) });
    expect(rows).toHaveLength(5000);
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.every(([, total]) => total === size)).toBe(true);
    expect(seen.map(([bytes]) => bytes)).toEqual([...seen.map(([bytes]) => bytes)].sort((a, b) => a - b));
    expect(seen.at(-1)![0]).toBe(size);
  });
});

describe('roster files: what they are', () => {
  it('sniffs ZIP, OLE2, text and binary', () => {
    expect(sniffRosterFile(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00]))).toBe('xlsx');
    expect(sniffRosterFile(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0x00]))).toBe('xls');
    expect(sniffRosterFile(Buffer.from(TEXT))).toBe('csv');
    expect(sniffRosterFile(iconv.encode(TEXT, 'gb18030'))).toBe('csv');
    expect(sniffRosterFile(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00]))).toBe('unknown');
  });

  it('refuses old .xls, binary files and empty files with their own codes', async () => {
    const ole2 = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(512)]);
    expect(await readError(readAll(writeTemp('old.xls', ole2)))).toEqual({ code: 'file.xls', rowNo: undefined });
    // Named .csv: the bytes decide, not the name.
    expect(await readError(readAll(writeTemp('renamed.csv', ole2)))).toEqual({ code: 'file.xls', rowNo: undefined });
    expect(await readError(readAll(writeTemp('utf16.csv', Buffer.from(`\ufeff${TEXT}`, 'utf16le'))))).toMatchObject({ code: 'file.unsupported' });
    expect(await readError(readAll(writeTemp('empty.csv', '')))).toMatchObject({ code: 'file.empty' });
    expect(await readError(readAll(writeTemp('blank.csv', '\r\n , \r\n\r\n')))).toMatchObject({ code: 'file.empty' });
  });
});

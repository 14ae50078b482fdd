import { PassThrough } from 'node:stream';
import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';

/**
 * The not-yet-tested list that volunteers take door to door, as files that open right in Excel
 * and WPS on Chinese Windows: Chinese text intact, ID numbers and phones with every digit, and no
 * cell that a spreadsheet would run as a formula.
 */

export type ExportRow = Record<string, string>;
export type ExportColumn = { key: string; header: string; width?: number };

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const BATCH_ROWS = 2000;

const FORMULA_START = /^[=+\-@\t\r]/;
/**
 * Digit strings Excel would change on opening a CSV: 11 digits and more (ID numbers lose digits
 * past the 15th, phones turn into 1.38E+10 in a narrow column), leading zeros ("0502"), and day-month
 * look-alikes ("3-2", "3/12" become dates).
 */
const EXCEL_WOULD_CONVERT = /^(?:\d{11,}|0\d+|\d{1,2}[-/]\d{1,2})$/;

/**
 * A cell as written to the CSV. Values Excel would convert get a leading tab: Excel and WPS then
 * take the cell as text and show the digits as they are, and the tab is invisible. The usual
 * alternatives fail here: `="…"` is itself a formula, an apostrophe is shown literally when it
 * comes from a CSV (it only works when typed), and quoting does not stop the conversion. Our reader
 * trims the tab when such a file comes back. Anything else starting with = + - @ tab or CR gets an
 * apostrophe (OWASP's CSV-injection guard): shown, but never run.
 */
export function csvCell(value: string): string {
  if (EXCEL_WOULD_CONVERT.test(value)) return `\t${value}`;
  if (FORMULA_START.test(value)) return `'${value}`;
  return value;
}

/** UTF-8 with BOM (without it Excel reads UTF-8 as the ANSI code page: mojibake), CRLF line ends. */
export async function writeResidentsCsv(rows: Iterable<ExportRow> | AsyncIterable<ExportRow>, columns: readonly ExportColumn[]): Promise<Buffer> {
  // A line break inside a cell must be quoted, a bare LF too: csv-stringify only quotes the record delimiter (CRLF) by default.
  const options = { record_delimiter: 'windows', eof: true, quoted_match: [/[\r\n]/] };
  const parts: Buffer[] = [UTF8_BOM, Buffer.from(stringify([columns.map((column) => csvCell(column.header))], options))];
  let batch: string[][] = [];
  for await (const row of rows) {
    batch.push(columns.map((column) => csvCell(row[column.key] ?? '')));
    if (batch.length === BATCH_ROWS) {
      parts.push(Buffer.from(stringify(batch, options)));
      batch = [];
    }
  }
  if (batch.length > 0) parts.push(Buffer.from(stringify(batch, options)));
  return Buffer.concat(parts);
}

const DEFAULT_WIDTHS: Readonly<Record<string, number>> = { idNumber: 22, phone: 15, name: 12, tags: 16 };

/** Column width in Excel's units (a digit is 1, a Chinese character about 2). */
function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) width += char.codePointAt(0)! >= 0x2e80 ? 2 : 1;
  return width;
}

function columnWidth(column: ExportColumn): number {
  return column.width ?? Math.max(DEFAULT_WIDTHS[column.key] ?? 8, displayWidth(column.header) + 2);
}

/** Excel refuses sheet names over 31 characters or with any of : \ / ? * [ ]. */
function sheetTitle(name: string): string {
  const title = name.replace(/[:\\/?*[\]]/g, ' ').trim().slice(0, 31);
  return title === '' ? 'Sheet1' : title;
}

/**
 * XLSX through exceljs's streaming writer. Every cell is a string cell in a text-formatted ("@")
 * column, so an ID number stays text even when a volunteer edits it. No formula guard here: a
 * string cell is never evaluated, and the values must come back exactly.
 */
export async function writeResidentsXlsx(
  rows: Iterable<ExportRow> | AsyncIterable<ExportRow>,
  columns: readonly ExportColumn[],
  sheetName: string,
): Promise<Buffer> {
  const output = new PassThrough();
  const chunks: Buffer[] = [];
  output.on('data', (chunk: Buffer) => chunks.push(chunk));
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: output, useStyles: true, useSharedStrings: true });
  const sheet = workbook.addWorksheet(sheetTitle(sheetName), { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = columns.map((column) => ({ key: column.key, width: columnWidth(column), style: { numFmt: '@' } }));
  const header = sheet.addRow(columns.map((column) => column.header));
  header.font = { bold: true };
  header.commit();
  for await (const row of rows) {
    // An empty value is no cell at all, as when typed in Excel, not an empty text cell.
    sheet.addRow(columns.map((column) => row[column.key] || null)).commit();
  }
  sheet.commit();
  await workbook.commit();
  return Buffer.concat(chunks);
}

import fs from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { CsvError, Parser } from 'csv-parse';
import ExcelJS from 'exceljs';
import type { Cell, CellErrorValue } from 'exceljs';
import { z } from 'zod';
import { ID_NUMBER_SHAPE } from '../person/gb11643';
import { recognizeHeader, type HeaderMapping } from './fields';
import { NotAWorkbook, workbookInReadingOrder, type OrderedWorkbook } from './xlsx-zip';

/**
 * Streaming readers for resident ledgers as Excel and WPS on Chinese Windows save them: CSV
 * (UTF-8 with or without BOM, or GB18030, Excel's "CSV" on a Chinese system) and XLSX. Every row
 * keeps the number the admin sees in the spreadsheet, so a report can say "row 1,207" and the
 * admin finds it. Rows are yielded one at a time: a million-row file never sits in memory.
 */

export type RosterRow = { rowNo: number; cells: string[] };
export type RosterFileKind = 'xlsx' | 'csv' | 'xls' | 'unknown';
export type RosterEncoding = 'utf-8' | 'gb18030';
export type CsvDelimiter = ',' | '\t' | ';';

export type RosterReadErrorCode =
  | 'file.unsupported'
  | 'file.xls'
  | 'file.encoding'
  | 'file.csvMalformed'
  | 'file.empty'
  | 'file.noHeader';

/**
 * The file as a whole cannot be read. Rows before the failure may already have been yielded; the
 * import is refused as a whole. The message carries no cell text: csv-parse's own messages quote
 * field values, so only its error code is kept (`detail`).
 */
export class RosterReadError extends Error {
  constructor(
    readonly code: RosterReadErrorCode,
    readonly rowNo?: number,
    readonly detail?: string,
  ) {
    super(rowNo === undefined ? code : `${code} at row ${rowNo}`);
    this.name = 'RosterReadError';
  }
}

export type ProgressListener = (bytesRead: number, totalBytes: number) => void;

/**
 * What the readers need of an open ledger, as a `FileHandle` offers it: reads at a position or (with
 * `null`) from where the last such read ended, its size, and closing. An upload sealed as it
 * arrived (`sealed.ts`) offers the same, decrypting as it reads.
 */
export type LedgerHandle = {
  read(buffer: Buffer, offset: number, length: number, position: number | null): Promise<{ bytesRead: number }>;
  stat(): Promise<{ size: number }>;
  close(): Promise<void>;
};

/** A ledger to read: a file's path (the admin's own file, read in place), or one that opens as a `LedgerHandle`. */
export type LedgerSource = string | { open(): Promise<LedgerHandle>; size(): number };

export function openLedger(source: LedgerSource): Promise<LedgerHandle> {
  return typeof source === 'string' ? fs.promises.open(source, 'r') : source.open();
}

export function ledgerSize(source: LedgerSource): number {
  return typeof source === 'string' ? fs.statSync(source).size : source.size();
}

export type CsvReadOptions = {
  /** Skips detection: for a file the admin says is GB18030 (or UTF-8). */
  encoding?: RosterEncoding;
  onProgress?: ProgressListener;
  /** Bytes per read; tests make it small to put chunk boundaries everywhere. */
  chunkSize?: number;
};

const OLE2_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const SNIFF_BYTES = 4096;
/**
 * A ledger row is a few hundred bytes at most; a "row" this long is an unpaired quote swallowing
 * the rest of the file, refused where it starts (`file.csvMalformed` with its row) instead of
 * being buffered whole, up to the 512 MB a ledger may be.
 */
export const MAX_CSV_RECORD_BYTES = 64 * 1024;
/** How much of a CSV file decides its encoding and delimiter. */
export const ENCODING_SAMPLE_BYTES = 64 * 1024;
const DEFAULT_CHUNK = 64 * 1024;
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** What a file is, from its first bytes (a few KiB), whatever its name says. */
export function sniffRosterFile(firstBytes: Buffer): RosterFileKind {
  if (startsWith(firstBytes, ZIP_MAGIC)) return 'xlsx';
  if (startsWith(firstBytes, OLE2_MAGIC)) return 'xls';
  return firstBytes.includes(0) ? 'unknown' : 'csv';
}

function startsWith(bytes: Buffer, magic: Buffer): boolean {
  return bytes.length >= magic.length && bytes.subarray(0, magic.length).equals(magic);
}

/**
 * UTF-8 when the sample has a BOM or is valid UTF-8, else GB18030. A character cut by the end of
 * the sample is not an error: the decoder runs in stream mode and keeps the partial bytes.
 */
export function detectEncoding(head: Buffer): RosterEncoding {
  if (startsWith(head, UTF8_BOM)) return 'utf-8';
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head.subarray(0, ENCODING_SAMPLE_BYTES), { stream: true });
    return 'utf-8';
  } catch {
    return 'gb18030';
  }
}

/** Comma, unless the first line that has any separator has tabs or semicolons and no comma. */
export function detectDelimiter(headText: string): CsvDelimiter {
  for (const line of headText.split(/\r\n|\n|\r/, 200)) {
    if (line.includes(',')) return ',';
    if (line.includes('\t')) return '\t';
    if (line.includes(';')) return ';';
  }
  return ',';
}

export type CsvSource = { encoding: RosterEncoding; delimiter: CsvDelimiter; rows: AsyncGenerator<RosterRow, void, undefined> };

/** Opens a CSV ledger: reads the sample, decides encoding and delimiter, and returns the rows. */
export async function openCsv(source: LedgerSource, options: CsvReadOptions = {}): Promise<CsvSource> {
  const handle = await openLedger(source);
  try {
    return await openCsvHandle(handle, options);
  } catch (error) {
    await handle.close();
    throw error;
  }
}

async function openCsvHandle(handle: LedgerHandle, options: CsvReadOptions): Promise<CsvSource> {
  const totalBytes = (await handle.stat()).size;
  const chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
  const head: Buffer[] = [];
  let headBytes = 0;
  let ended = false;
  while (headBytes < ENCODING_SAMPLE_BYTES) {
    const chunk = await readChunk(handle, chunkSize);
    if (chunk === null) {
      ended = true;
      break;
    }
    head.push(chunk);
    headBytes += chunk.length;
  }
  let sample = Buffer.concat(head);
  const encoding = options.encoding ?? detectEncoding(sample);
  // A BOM is never data, whatever encoding the admin forced.
  if (startsWith(sample, UTF8_BOM)) sample = sample.subarray(UTF8_BOM.length);
  const delimiter = detectDelimiter(new TextDecoder(encoding).decode(sample));
  const pending: Buffer[] = [];
  for (let at = 0; at < sample.length; at += chunkSize) pending.push(sample.subarray(at, at + chunkSize));
  return { encoding, delimiter, rows: csvRows(handle, { encoding, delimiter, pending, ended, headBytes, totalBytes, chunkSize, onProgress: options.onProgress }) };
}

async function readChunk(handle: LedgerHandle, size: number): Promise<Buffer | null> {
  const buffer = Buffer.allocUnsafe(size);
  const { bytesRead } = await handle.read(buffer, 0, size, null);
  return bytesRead === 0 ? null : buffer.subarray(0, bytesRead);
}

type CsvState = {
  encoding: RosterEncoding;
  delimiter: CsvDelimiter;
  /** The sample, BOM removed, cut back into chunks. */
  pending: Buffer[];
  ended: boolean;
  headBytes: number;
  totalBytes: number;
  chunkSize: number;
  onProgress: ProgressListener | undefined;
};

function isRecord(value: unknown): value is string[] {
  return Array.isArray(value);
}

/**
 * The row loop. csv-parse works on bytes, so UTF-8 input goes to it as read (the decoder only
 * checks it); GB18030 is decoded and handed over as text. A row's number is its record's ordinal,
 * empty lines included: that is the row Excel shows, also when a quoted cell holds line breaks
 * (csv-parse's `info.lines` would count those).
 */
async function* csvRows(handle: LedgerHandle, state: CsvState): AsyncGenerator<RosterRow, void, undefined> {
  const { encoding, delimiter, totalBytes, onProgress } = state;
  const passBytes = encoding === 'utf-8';
  const decoder = new TextDecoder(encoding, { fatal: true });
  const parser = new Parser({
    delimiter,
    relax_column_count: true,
    skip_empty_lines: false,
    record_delimiter: ['\r\n', '\n', '\r'],
    trim: true,
    max_record_size: MAX_CSV_RECORD_BYTES,
  });
  // Failures are read from `parser.errored` right after each write; this keeps the later event quiet.
  parser.on('error', () => undefined);
  let parserEnded = false;
  parser.on('end', () => {
    parserEnded = true;
  });
  const pending = state.pending;
  let bytesRead = state.headBytes;
  let fileEnded = state.ended;
  let previous: Buffer | null = null;
  let lastFed = -1;
  let rowNo = 0;
  let finished = false;
  try {
    for (;;) {
      let record: unknown;
      while ((record = parser.read()) !== null) {
        rowNo++;
        if (!isRecord(record)) continue;
        let empty = true;
        for (let i = 0; i < record.length; i++) {
          const cell = record[i]!.trim();
          record[i] = cell;
          if (cell !== '') empty = false;
        }
        if (!empty) yield { rowNo, cells: record };
      }
      if (finished) {
        // Node flushes a transform synchronously on end(); should that ever wait a turn, so do we.
        if (parserEnded) return;
        const failure = parser.errored;
        if (failure) throw malformed(failure);
        await new Promise((resolve) => setImmediate(resolve));
        continue;
      }
      let chunk = pending.shift();
      if (chunk === undefined && !fileEnded) {
        const next = await readChunk(handle, state.chunkSize);
        if (next === null) fileEnded = true;
        else {
          chunk = next;
          bytesRead += next.length;
        }
      }
      if (chunk === undefined) {
        try {
          decoder.decode();
        } catch {
          throw new RosterReadError('file.encoding', encodingErrorRow(parser, lastFed));
        }
        parser.end();
        finished = true;
      } else {
        let text: string;
        try {
          text = decoder.decode(chunk, { stream: true });
        } catch {
          const at = firstBadByte(encoding, previous, chunk);
          const prefix = chunk.subarray(0, at);
          if (prefix.length > 0) {
            parser.write(passBytes ? prefix : new TextDecoder(encoding).decode(prefix, { stream: true }));
            lastFed = prefix[prefix.length - 1]!;
          }
          throw new RosterReadError('file.encoding', encodingErrorRow(parser, lastFed));
        }
        if (passBytes) {
          if (chunk.length > 0) {
            parser.write(chunk);
            lastFed = chunk[chunk.length - 1]!;
          }
        } else if (text.length > 0) {
          parser.write(text);
          lastFed = text.charCodeAt(text.length - 1);
        }
        previous = chunk;
        onProgress?.(bytesRead, totalBytes);
      }
      const failure = parser.errored;
      if (failure) throw malformed(failure);
    }
  } finally {
    parser.destroy();
    await handle.close();
  }
}

function malformed(error: Error): RosterReadError {
  if (error instanceof CsvError) {
    const records = typeof error.records === 'number' ? error.records : 0;
    return new RosterReadError('file.csvMalformed', records + 1, error.code);
  }
  return new RosterReadError('file.csvMalformed', undefined, error.name);
}

/**
 * The row an undecodable byte sits in: everything before it has been written to the parser; ending
 * the parser turns the unfinished record into one more, unless the bytes stopped at a line end.
 */
function encodingErrorRow(parser: Parser, lastFed: number): number {
  parser.end();
  while (parser.read() !== null);
  const failure = parser.errored;
  if (failure instanceof CsvError && typeof failure.records === 'number') return failure.records + 1;
  const atLineEnd = lastFed === -1 || lastFed === NEWLINE || lastFed === CARRIAGE_RETURN;
  return parser.info.records + (atLineEnd ? 1 : 0);
}

/**
 * Where in `chunk` decoding fails. Only on the error path: a fresh decoder starts after the last
 * byte below 0x30 of the previous chunk (always a character boundary in UTF-8 and GB18030, whose
 * trail bytes are 0x30 and above) and is fed byte by byte.
 */
function firstBadByte(encoding: RosterEncoding, previous: Buffer | null, chunk: Buffer): number {
  let start = previous?.length ?? 0;
  while (start > 0 && previous![start - 1]! >= 0x30) start--;
  const tail = previous === null ? Buffer.alloc(0) : previous.subarray(start);
  const window = Buffer.concat([tail, chunk]);
  const decoder = new TextDecoder(encoding, { fatal: true });
  for (let i = 0; i < window.length; i++) {
    try {
      decoder.decode(window.subarray(i, i + 1), { stream: true });
    } catch {
      return Math.max(0, i - tail.length);
    }
  }
  return chunk.length;
}

// ---------------------------------------------------------------- XLSX

export type XlsxReadOptions = { onProgress?: ProgressListener };

const sheetListSchema = z.object({
  model: z.object({ sheets: z.array(z.object({ name: z.string(), state: z.string().optional() })) }),
});
const sheetNameSchema = z.object({ name: z.string() });

/** The tab the admin sees first: the first visible sheet in the workbook's order (null while workbook.xml is unread). */
function firstSheetName(workbook: unknown): string | null {
  const parsed = sheetListSchema.safeParse(workbook);
  if (!parsed.success) return null;
  const visible = parsed.data.model.sheets.find((sheet) => sheet.state === undefined || sheet.state === 'visible');
  return (visible ?? parsed.data.model.sheets[0])?.name ?? null;
}

/**
 * The rows of the first worksheet, each cell as the text the admin sees. The workbook's entries
 * reach exceljs in the order it needs them (`xlsx-zip.ts`): it never parks a worksheet in a
 * temporary file, where the ledger would lie in the clear.
 */
export async function* readXlsxRows(source: LedgerSource, options: XlsxReadOptions = {}): AsyncGenerator<RosterRow, void, undefined> {
  const handle = await openLedger(source);
  yield* xlsxRows(handle, options);
}

async function* xlsxRows(handle: LedgerHandle, options: XlsxReadOptions): AsyncGenerator<RosterRow, void, undefined> {
  const { onProgress } = options;
  let totalBytes: number;
  let workbookBytes: OrderedWorkbook;
  try {
    totalBytes = (await handle.stat()).size;
    workbookBytes = await workbookInReadingOrder(handle, totalBytes);
  } catch (error) {
    await handle.close();
    throw readFailureOf(error);
  }
  const source = workbookBytes.stream;
  // A read failure ends the input (exceljs does not listen for source errors), then is thrown below.
  const input = new ZipInput();
  let readFailure: unknown = null;
  source.on('error', (error) => {
    readFailure = error;
    input.end();
  });
  source.pipe(input);
  const workbook = new Utf8WorkbookReader(input, {
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    // Styles are read for one reason: a date is a number with a date format, nothing else says so.
    styles: 'cache',
    worksheets: 'emit',
    entries: 'ignore',
  });
  let target: string[] = [];
  const collect = (cell: Cell, column: number): void => {
    target[column - 1] = cellText(cell);
  };
  let sheetFound = false;
  let lastProgress = -1;
  try {
    for await (const worksheet of input.untilZipFails(workbook)) {
      const wanted = firstSheetName(workbook);
      const name = sheetNameSchema.safeParse(worksheet);
      if (wanted !== null && !(name.success && name.data.name === wanted)) {
        for await (const _row of input.untilZipFails(worksheet));
        continue;
      }
      sheetFound = true;
      for await (const row of input.untilZipFails(worksheet)) {
        target = new Array<string>(row.cellCount).fill('');
        row.eachCell(collect);
        const read = workbookBytes.bytesRead();
        if (onProgress && read !== lastProgress) {
          lastProgress = read;
          onProgress(read, totalBytes);
        }
        if (target.every(isEmptyCell)) continue;
        yield { rowNo: row.number, cells: target };
      }
      // Sheets after it are not wanted.
      break;
    }
  } catch (error) {
    if (error instanceof RosterReadError) throw error;
    if (readFailure !== null) throw readFailureOf(readFailure);
    // A damaged or foreign ZIP (a .docx renamed, a truncated download).
    throw new RosterReadError('file.unsupported', undefined, error instanceof Error ? error.name : undefined);
  } finally {
    source.destroy();
    await handle.close();
  }
  if (readFailure !== null) throw readFailureOf(readFailure);
  if (!sheetFound) throw new RosterReadError('file.unsupported', undefined, 'noWorksheet');
  onProgress?.(totalBytes, totalBytes);
}

/** A ZIP that cannot be read is `file.unsupported`; a failing read of the file itself is passed on as it is. */
function readFailureOf(error: unknown): unknown {
  return error instanceof NotAWorkbook ? new RosterReadError('file.unsupported', undefined, error.detail) : error;
}

type ReaderInternals = {
  _parseSharedStrings(entry: Readable): AsyncGenerator<unknown>;
  _parseWorksheet(iterator: AsyncIterable<Buffer | string>, sheetNo: string): Generator<unknown>;
};
const exceljsReader = ExcelJS.stream.xlsx.WorkbookReader.prototype as unknown as ReaderInternals;
if (typeof exceljsReader._parseSharedStrings !== 'function' || typeof exceljsReader._parseWorksheet !== 'function') {
  throw new Error('exceljs changed: its WorkbookReader no longer has the methods the roster reader wraps');
}

/**
 * exceljs (4.4) decodes every inflated chunk of an entry on its own (`utils/parse-sax.js`), so a
 * character cut by a chunk boundary comes out as two U+FFFD: about one Chinese name in a few
 * thousand, silently (exceljs issues 2063 and 2084, open). Here the shared strings and the
 * worksheets are decoded as one stream each, a character cut in two kept until its rest arrives.
 */
class Utf8WorkbookReader extends ExcelJS.stream.xlsx.WorkbookReader {
  _parseSharedStrings(entry: Readable): AsyncGenerator<unknown> {
    entry.setEncoding('utf8');
    return exceljsReader._parseSharedStrings.call(this, entry);
  }

  _parseWorksheet(iterator: AsyncIterable<Buffer | string>, sheetNo: string): Generator<unknown> {
    return exceljsReader._parseWorksheet.call(this, utf8Text(iterator), sheetNo);
  }
}

async function* utf8Text(chunks: AsyncIterable<Buffer | string>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  for await (const chunk of chunks) yield typeof chunk === 'string' ? chunk : decoder.write(chunk);
  const rest = decoder.end();
  if (rest !== '') yield rest;
}

/**
 * The bytes handed to exceljs, which pipes them into its ZIP parser. When that parser fails (a
 * damaged or truncated file: a bad entry size, a corrupt deflate stream) exceljs does not pass the
 * error on, and the entry it was reading waits forever: the import would stay "reading" for good.
 * So the parser's error is heard here, at the pipe, and ends the wait.
 */
class ZipInput extends PassThrough {
  // Before `failed`: fields are set in order, and its executor sets this one.
  private fail: (error: Error) => void = () => undefined;
  private readonly failed = new Promise<never>((_resolve, reject) => {
    this.fail = reject;
  });

  constructor() {
    super();
    // Nothing may wait on `failed` when the file is whole; a rejection nobody awaits is not a crash.
    this.failed.catch(() => undefined);
  }

  override pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    destination.once('error', (error: Error) => this.fail(error));
    return super.pipe(destination, options);
  }

  /** `items` until exceljs's ZIP parser fails; then that failure is thrown. */
  async *untilZipFails<T>(items: AsyncIterable<T>): AsyncGenerator<T, void, undefined> {
    const iterator = items[Symbol.asyncIterator]();
    for (;;) {
      const next = await Promise.race([iterator.next(), this.failed]);
      if (next.done) return;
      yield next.value;
    }
  }
}

function isEmptyCell(cell: string): boolean {
  return cell === '';
}

/** Text a cell shows. Numbers keep every digit Excel kept; see `numberText`. */
export function cellText(cell: Cell): string {
  const value = cell.value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number') return numberText(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) return dateText(value);
  if ('richText' in value) return value.richText.map((run) => run.text ?? '').join('').trim();
  if ('error' in value) return '';
  if ('result' in value) return resultText(value.result, cell.numFmt);
  // Formulas without a cached result (written by a program that never calculated them).
  if ('formula' in value || 'sharedFormula' in value) return '';
  if ('hyperlink' in value) return typeof value.text === 'string' ? value.text.trim() : '';
  return '';
}

function resultText(result: number | string | boolean | Date | CellErrorValue | undefined, numFmt: string | undefined): string {
  if (result === undefined) return '';
  if (typeof result === 'string') return result.trim();
  if (typeof result === 'boolean') return result ? 'TRUE' : 'FALSE';
  if (result instanceof Date) return dateText(result);
  if (typeof result === 'number') {
    // exceljs turns plain date cells into Dates but leaves formula results as serial numbers.
    return numFmt !== undefined && isDateFormat(numFmt) ? dateText(excelSerialToDate(result)) : numberText(result);
  }
  return '';
}

const FORMAT_LITERALS = /\[[^\]]*]|"[^"]*"/g;
const DATE_FORMAT_CODES = /[ymdhsb]/i;

function isDateFormat(numFmt: string): boolean {
  return DATE_FORMAT_CODES.test(numFmt.replace(FORMAT_LITERALS, ''));
}

function excelSerialToDate(serial: number): Date {
  return new Date(Math.round((serial - 25569) * 86_400_000));
}

/**
 * Integers below 10^15 come out with every digit (a phone stored as a number is "13800138000").
 * From 10^15 up Excel has already dropped digits past the 15th, so such a number is shown as Excel
 * shows it, "1.10105E+17": an ID number typed into a number cell must fail validation, never pass
 * by chance with made-up last digits. Fractions keep Excel's 15 significant digits, so binary
 * noise (0.1 + 0.2) does not show.
 */
export function numberText(value: number): string {
  if (!Number.isFinite(value)) return '';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e15) {
    const [mantissa = '', exponent = ''] = value.toExponential(5).split('e');
    const sign = exponent.startsWith('-') ? '-' : '+';
    return `${mantissa.replace(/\.?0+$/, '')}E${sign}${exponent.replace(/^[+-]/, '').padStart(2, '0')}`;
  }
  if (Number.isInteger(value)) return String(value);
  return String(Number(value.toPrecision(15)));
}

/** YYYY-MM-DD, with the time of day when there is one. exceljs builds dates in UTC. */
export function dateText(date: Date): string {
  const time = date.getTime();
  if (Number.isNaN(time)) return '';
  const iso = date.toISOString();
  const clock = iso.slice(11, 19);
  if (clock === '00:00:00') return iso.slice(0, 10);
  return `${iso.slice(0, 10)} ${clock.endsWith(':00') ? clock.slice(0, 5) : clock}`;
}

// ---------------------------------------------------------------- one entry point

export type ReadRosterOptions = CsvReadOptions & {
  /** The admin's saved header mapping: its headers count as recognised when the header row is looked for. */
  savedMapping?: HeaderMapping;
};

export type RosterFile = {
  kind: 'csv' | 'xlsx';
  /** CSV only. */
  encoding: RosterEncoding | null;
  /** CSV only. */
  delimiter: CsvDelimiter | null;
  header: RosterRow;
  /** Rows above the header that were taken for titles ("XX社区居民信息登记表") and skipped. */
  titleRowNos: number[];
  /** The data rows after the header. Iterate to the end, or call `rows.return()`: that closes the file. */
  rows: AsyncGenerator<RosterRow, void, undefined>;
};

/** How many non-empty rows at the top may be titles before the header row. */
const HEADER_SEARCH_ROWS = 10;
const MOBILE_SHAPE = /^1[3-9]\d{9}$/;

/**
 * Opens a ledger whatever its kind. The header row is the first of the top rows that has a header
 * the table (or the saved mapping) knows; rows above it are titles. When none has, the first row is
 * the header, unless it holds ID numbers or phones: then the file has no header row at all.
 */
export async function readRosterFile(source: LedgerSource, options: ReadRosterOptions = {}): Promise<RosterFile> {
  const handle = await openLedger(source);
  let rows: AsyncGenerator<RosterRow, void, undefined>;
  let kind: 'csv' | 'xlsx';
  let encoding: RosterEncoding | null = null;
  let delimiter: CsvDelimiter | null = null;
  try {
    const first = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(first, 0, SNIFF_BYTES, 0);
    if (bytesRead === 0) throw new RosterReadError('file.empty');
    const sniffed = sniffRosterFile(first.subarray(0, bytesRead));
    if (sniffed === 'xls') throw new RosterReadError('file.xls');
    if (sniffed === 'unknown') throw new RosterReadError('file.unsupported');
    kind = sniffed;
    if (sniffed === 'csv') {
      const csv = await openCsvHandle(handle, options);
      ({ rows, encoding, delimiter } = csv);
    } else {
      rows = xlsxRows(handle, { onProgress: options.onProgress });
    }
  } catch (error) {
    await handle.close();
    throw error;
  }

  const top: RosterRow[] = [];
  try {
    while (top.length < HEADER_SEARCH_ROWS) {
      const next = await rows.next();
      if (next.done) break;
      top.push(next.value);
    }
  } catch (error) {
    await rows.return();
    throw error;
  }
  const saved = options.savedMapping ?? {};
  const knows = (cell: string): boolean => recognizeHeader(cell) !== null || Object.hasOwn(saved, cell);
  let headerAt = top.findIndex((row) => row.cells.some(knows));
  if (headerAt === -1) {
    const first = top[0];
    if (first === undefined) {
      await rows.return();
      throw new RosterReadError('file.empty');
    }
    if (first.cells.some((cell) => ID_NUMBER_SHAPE.test(cell) || MOBILE_SHAPE.test(cell))) {
      await rows.return();
      throw new RosterReadError('file.noHeader', first.rowNo);
    }
    headerAt = 0;
  }
  return {
    kind,
    encoding,
    delimiter,
    header: top[headerAt]!,
    titleRowNos: top.slice(0, headerAt).map((row) => row.rowNo),
    rows: prepend(top.slice(headerAt + 1), rows),
  };
}

/** `rest` with `buffered` in front, without another generator layer on every row. */
function prepend(buffered: RosterRow[], rest: AsyncGenerator<RosterRow, void, undefined>): AsyncGenerator<RosterRow, void, undefined> {
  let index = 0;
  const generator: AsyncGenerator<RosterRow, void, undefined> = {
    next: () => (index < buffered.length ? Promise.resolve({ done: false, value: buffered[index++]! }) : rest.next()),
    return: (value) => {
      index = buffered.length;
      return rest.return(value);
    },
    throw: (error: unknown) => {
      index = buffered.length;
      return rest.throw(error);
    },
    [Symbol.asyncIterator]: () => generator,
  };
  return generator;
}

/**
 * A lab's results as a file (CSV or XLSX, read by the roster's own readers and limits) or as a lab
 * system's request: every row read and checked on its own first, before HQ looks at anything it
 * holds. What comes out is the rows that can be posted, the rows that repeat an earlier row of the
 * same file, and each row's errors (row number, column, code), so nothing is written for a file
 * before every row has been looked at.
 *
 * Columns are found by their header (Chinese or English, in any order, other columns ignored), in
 * the first rows of the sheet (titles above the header are skipped): 试管编码 / tube code,
 * 检测结果 / result, 检测时间 / time, 检测机构 / lab. A result is 阴性 / 阳性 / 无效 or negative /
 * positive / invalid (any case, with or without a sign such as 阴性(-)). A time is a date and time
 * of day in Beijing time (2026-12-01 14:30, 2026/12/1 14:30:05, 2026年12月1日 14:30, an Excel date
 * cell), a date alone (its midnight), or ISO 8601 with an offset (2026-12-01T06:30:00Z).
 */
import {
  openCsv,
  readXlsxRows,
  RosterReadError,
  sniffRosterFile,
  type LedgerHandle,
  type LedgerSource,
  type RosterRow,
} from '../../electron/core/roster/read';
import type { TubeResult } from '../protocol';
import type { ResultColumn, ResultFileErrorCode, ResultRowErrorCode } from '../result-words';

/** The most rows one file or request holds (a lab's day at the busiest was about 9,200 tubes). */
export const MAX_RESULT_FILE_ROWS = 200_000;
/** The largest result file HQ reads: a 200,000-row CSV is about 12 MB. */
export const MAX_RESULT_FILE_BYTES = 16 * 1024 * 1024;
/** A lab's clock may run this far ahead of HQ's before its time counts as in the future. */
export const FUTURE_SKEW_MS = 10 * 60_000;
/** A time further back than this is taken for a wrong year. */
export const MAX_AGE_MS = 366 * 24 * 3600_000;
export const MAX_LAB_LENGTH = 100;
/** How much of a cell an error keeps, to show staff what was there. */
const VALUE_KEPT = 80;
/** Rows at the top of a sheet that may be titles above the header. */
const HEADER_SEARCH_ROWS = 10;
/** Beijing time (the sites' day, as everywhere at HQ). */
const SITE_OFFSET_MINUTES = 8 * 60;

/** A row as read: the text of its four cells. */
export type RawResultRow = { rowNo: number; tubeCode: string; result: string; time: string; lab: string };
/** A row that can be posted. `testedAt`: the lab's time, ISO 8601 UTC. */
export type ResultRow = { rowNo: number; tubeCode: string; result: TubeResult; testedAt: string; lab: string };
export type RowError = { rowNo: number; column: ResultColumn | null; code: ResultRowErrorCode; value: string; detail: string };

/** What reading and checking rows on their own gives. */
export type CheckedRows = {
  /** Data rows read (empty rows not counted). */
  totalRows: number;
  /** Rows to post, unless HQ's own checks (the tube, a result it holds) say otherwise. */
  rows: ResultRow[];
  /** Rows that repeat an earlier row of the file (same tube, same result): not posted twice. */
  duplicateRowNos: number[];
  /** Every error, in row order; a row may have several. */
  errors: RowError[];
};

export type ResultFileRead = { ok: true; kind: 'csv' | 'xlsx'; checked: CheckedRows } | { ok: false; error: ResultFileErrorCode; detail: string };

// ---- words of the header and the cells --------------------------------------------------------

/** Header words per column, compared after `headerKey`. */
const HEADER_WORDS: Record<ResultColumn, readonly string[]> = {
  tubeCode: ['试管编码', '试管编号', '试管码', '试管条码', '管码', '管号', '采样管编码', '样本编码', '样本编号', '样本条码', '样本号', 'tubecode', 'tube', 'tubeno', 'tubeid', 'tubebarcode', 'samplecode', 'sampleid', 'barcode'],
  result: ['检测结果', '核酸检测结果', '核酸结果', '结果', 'result', 'testresult'],
  time: ['检测时间', '检测日期', '结果时间', '报告时间', '出结果时间', '时间', 'time', 'testedat', 'testtime', 'testedtime', 'resulttime', 'reportedat', 'reporttime', 'at'],
  lab: ['检测机构', '检测单位', '检测实验室', '实验室', '检测机构名称', '机构', 'lab', 'laboratory', 'labname'],
};

function headerKey(cell: string): string {
  return cell
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s_\-*:()[\]]/g, '')
    .replace(/必填$/, '');
}

const HEADER_INDEX = new Map<string, ResultColumn>(
  (Object.entries(HEADER_WORDS) as [ResultColumn, readonly string[]][]).flatMap(([column, words]) => words.map((w) => [headerKey(w), column] as const)),
);

export function headerColumn(cell: string): ResultColumn | null {
  return HEADER_INDEX.get(headerKey(cell)) ?? null;
}

const RESULT_WORDS: Record<string, TubeResult> = {
  阴性: 'negative',
  negative: 'negative',
  neg: 'negative',
  阳性: 'positive',
  positive: 'positive',
  pos: 'positive',
  无效: 'invalid',
  invalid: 'invalid',
};

/** A result word as labs write it, or null. A sign after it must agree: 阴性(-), 阳性(+); 阴性(+) is not a result. */
export function parseResultWord(cell: string): TubeResult | null {
  // Most cells are one of the words exactly.
  if (Object.hasOwn(RESULT_WORDS, cell)) return RESULT_WORDS[cell]!;
  const s = cell.normalize('NFKC').replace(/\s+/g, '').toLowerCase();
  const m = /^(.*?)(?:\(([+-])\))?$/.exec(s);
  if (!m) return null;
  const result = Object.hasOwn(RESULT_WORDS, m[1]!) ? RESULT_WORDS[m[1]!]! : null;
  const sign = m[2];
  if (!result || sign === undefined) return result;
  if (result === 'invalid') return null;
  return (sign === '+') === (result === 'positive') ? result : null;
}

const ISO_WITH_OFFSET = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;
const LOCAL_TIME = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:(?:\s+|T)(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.\d{1,9})?)?)?$/;
const CHINESE_TIME = /^(\d{4})年(\d{1,2})月(\d{1,2})日(?:\s*(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?$/;

function instant(y: number, mo: number, d: number, h: number, mi: number, s: number, offsetMinutes: number): number | null {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return null;
  const utc = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(utc);
  // 2026-02-30 is not a day (Date.UTC would make it March 2nd).
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return utc - offsetMinutes * 60_000;
}

/** A lab's time as milliseconds since the epoch, or null when it is not one (see the module's note). */
const NOT_PLAIN_ASCII = /[^ -~]/;

export function parseLabTime(cell: string): number | null {
  // Full-width digits and colons, as a Chinese input method types them, are read as ASCII.
  const s = (NOT_PLAIN_ASCII.test(cell) ? cell.normalize('NFKC') : cell).trim();
  const n = (v: string | undefined) => (v === undefined ? 0 : Number(v));
  const iso = ISO_WITH_OFFSET.exec(s);
  if (iso) {
    const zone = iso[7]!.toUpperCase();
    let offset = 0;
    if (zone !== 'Z') {
      const digits = zone.slice(1).replace(':', '');
      const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2));
      if (Number(digits.slice(2)) > 59 || minutes > 14 * 60) return null;
      offset = zone[0] === '-' ? -minutes : minutes;
    }
    return instant(n(iso[1]), n(iso[2]), n(iso[3]), n(iso[4]), n(iso[5]), n(iso[6]), offset);
  }
  const local = LOCAL_TIME.exec(s) ?? CHINESE_TIME.exec(s);
  if (!local) return null;
  return instant(n(local[1]), n(local[2]), n(local[3]), n(local[4]), n(local[5]), n(local[6]), SITE_OFFSET_MINUTES);
}

const TUBE_CODE_SHAPE = /^[\x21-\x7e]{1,128}$/;

function kept(value: string): string {
  return value.length > VALUE_KEPT ? `${value.slice(0, VALUE_KEPT)}…` : value;
}

// ---- checking rows ----------------------------------------------------------------------------

type Entry = { rowNo: number; tubeCode: string | null; result: TubeResult | null; testedAt: string | null; lab: string | null; errors: readonly RowError[] };

/**
 * Checks rows one at a time as they are read, then, at `finish`, rows of the same tube against
 * each other: the same result again is a duplicate (posted once); another result, or one that
 * cannot be read, makes every row of that tube an error (which of them would be right is the
 * lab's to say). Holds only what it needs of each row.
 */
export class ResultRowChecker {
  private readonly entries: Entry[] = [];
  /** Each tube code's first row (an index into `entries`). */
  private readonly firstOf = new Map<string, number>();
  /** The rows of codes seen more than once. */
  private readonly repeated = new Map<string, number[]>();

  constructor(private readonly now: number) {}

  get count(): number {
    return this.entries.length;
  }

  add(raw: RawResultRow): void {
    const rowNo = raw.rowNo;
    let errors: RowError[] | null = null;
    const err = (column: ResultColumn, code: ResultRowErrorCode, value: string) => {
      (errors ??= []).push({ rowNo, column, code, value: kept(value), detail: '' });
    };

    const code = raw.tubeCode.trim();
    let tubeCode: string | null = null;
    if (code === '') err('tubeCode', 'row.tubeCodeMissing', '');
    else if (!TUBE_CODE_SHAPE.test(code)) err('tubeCode', 'row.tubeCodeInvalid', code);
    else tubeCode = code;

    const word = raw.result.trim();
    const result = word === '' ? null : parseResultWord(word);
    if (word === '') err('result', 'row.resultMissing', '');
    else if (result === null) err('result', 'row.resultInvalid', word);

    const time = raw.time.trim();
    let testedAt: string | null = null;
    if (time === '') err('time', 'row.timeMissing', '');
    else {
      const at = parseLabTime(time);
      if (at === null) err('time', 'row.timeInvalid', time);
      else if (at > this.now + FUTURE_SKEW_MS) err('time', 'row.timeFuture', time);
      else if (at < this.now - MAX_AGE_MS) err('time', 'row.timeTooOld', time);
      else testedAt = new Date(at).toISOString();
    }

    const labName = raw.lab.trim();
    let lab: string | null = null;
    if (labName === '') err('lab', 'row.labMissing', '');
    else if (labName.length > MAX_LAB_LENGTH) err('lab', 'row.labTooLong', labName);
    else lab = labName;

    const index = this.entries.push({ rowNo, tubeCode, result, testedAt, lab, errors: errors ?? NO_ERRORS }) - 1;
    if (tubeCode === null) return;
    const first = this.firstOf.get(tubeCode);
    if (first === undefined) this.firstOf.set(tubeCode, index);
    else {
      const same = this.repeated.get(tubeCode);
      if (same) same.push(index);
      else this.repeated.set(tubeCode, [first, index]);
    }
  }

  finish(): CheckedRows {
    const duplicate = new Set<number>();
    const more = new Map<number, RowError[]>();
    for (const indexes of this.repeated.values()) {
      const group = indexes.map((i) => this.entries[i]!);
      const first = group[0]!.result;
      if (first !== null && group.every((e) => e.result === first)) {
        // The first row without errors of its own is posted; later ones that are fine repeat it.
        const keep = group.find((e) => e.errors.length === 0);
        for (const e of group) if (e !== keep && e.errors.length === 0) duplicate.add(e.rowNo);
        continue;
      }
      for (const e of group) {
        const others = group.filter((o) => o !== e).map((o) => o.rowNo);
        const detail = others.length > 10 ? `${others.slice(0, 10).join(', ')}, …` : others.join(', ');
        more.set(e.rowNo, [{ rowNo: e.rowNo, column: 'result', code: 'row.duplicateDiffers', value: '', detail }]);
      }
    }
    const rows: ResultRow[] = [];
    const errors: RowError[] = [];
    const duplicateRowNos: number[] = [];
    for (const e of this.entries) {
      const also = more.get(e.rowNo);
      if (e.errors.length > 0 || also) errors.push(...e.errors, ...(also ?? []));
      else if (duplicate.has(e.rowNo)) duplicateRowNos.push(e.rowNo);
      else rows.push({ rowNo: e.rowNo, tubeCode: e.tubeCode!, result: e.result!, testedAt: e.testedAt!, lab: e.lab! });
    }
    return { totalRows: this.entries.length, rows, duplicateRowNos, errors };
  }
}

const NO_ERRORS: readonly RowError[] = [];

/** Rows a lab system sent (`results[i]` is row i + 1), checked as a file's rows are. */
export function checkRequestRows(lab: string, results: readonly { tubeCode: string; result: string; at: string }[], now: number): CheckedRows {
  const checker = new ResultRowChecker(now);
  results.forEach((r, i) => checker.add({ rowNo: i + 1, tubeCode: r.tubeCode, result: r.result, time: r.at, lab }));
  return checker.finish();
}

// ---- reading a file ---------------------------------------------------------------------------

/** A file in memory as the roster readers take one. */
export function bufferSource(bytes: Buffer): LedgerSource {
  return {
    size: () => bytes.length,
    async open(): Promise<LedgerHandle> {
      let cursor = 0;
      return {
        async read(buffer, offset, length, position) {
          const from = position ?? cursor;
          const n = Math.max(0, Math.min(length, bytes.length - from));
          bytes.copy(buffer, offset, from, from + n);
          if (position === null) cursor += n;
          return { bytesRead: n };
        },
        async stat() {
          return { size: bytes.length };
        },
        async close() {},
      };
    },
  };
}

const READ_ERRORS: Partial<Record<string, ResultFileErrorCode>> = {
  'file.unsupported': 'file.unsupported',
  'file.xls': 'file.xls',
  'file.encoding': 'file.encoding',
  'file.csvMalformed': 'file.csvMalformed',
  'file.empty': 'file.empty',
  'file.noHeader': 'file.noHeader',
};

/** Reads and checks a result file (CSV or XLSX; what it is is told by its bytes, not its name). */
export async function readResultFile(bytes: Buffer, opts: { now: number; maxRows?: number }): Promise<ResultFileRead> {
  const maxRows = opts.maxRows ?? MAX_RESULT_FILE_ROWS;
  if (bytes.length === 0) return { ok: false, error: 'file.empty', detail: '' };
  const kind = sniffRosterFile(bytes.subarray(0, 4096));
  if (kind === 'xls') return { ok: false, error: 'file.xls', detail: '' };
  if (kind === 'unknown') return { ok: false, error: 'file.unsupported', detail: '' };
  const source = bufferSource(bytes);
  let rows: AsyncGenerator<RosterRow, void, undefined> | null = null;
  try {
    rows = kind === 'csv' ? (await openCsv(source)).rows : readXlsxRows(source);
    // The header: the first of the top rows that names a tube code and a result.
    let columns: Map<ResultColumn, number> | null = null;
    for (let seen = 0; seen < HEADER_SEARCH_ROWS && columns === null; seen++) {
      const next = await rows.next();
      if (next.done) break;
      const found = new Map<ResultColumn, number>();
      next.value.cells.forEach((cell, i) => {
        const column = headerColumn(cell);
        if (column && !found.has(column)) found.set(column, i);
      });
      if (found.has('tubeCode') && found.has('result')) columns = found;
    }
    if (columns === null) return { ok: false, error: 'file.noHeader', detail: '' };
    const missing = (['tubeCode', 'result', 'time', 'lab'] as const).filter((c) => !columns!.has(c));
    if (missing.length > 0) return { ok: false, error: 'file.columns', detail: missing.join(',') };
    const at = (c: ResultColumn) => columns!.get(c)!;
    const [iCode, iResult, iTime, iLab] = [at('tubeCode'), at('result'), at('time'), at('lab')];
    const checker = new ResultRowChecker(opts.now);
    for (;;) {
      const next = await rows.next();
      if (next.done) break;
      const cells = next.value.cells;
      const raw = { rowNo: next.value.rowNo, tubeCode: cells[iCode] ?? '', result: cells[iResult] ?? '', time: cells[iTime] ?? '', lab: cells[iLab] ?? '' };
      // A row with none of the four (a note beside the table) is not a result.
      if (raw.tubeCode === '' && raw.result === '' && raw.time === '' && raw.lab === '') continue;
      if (checker.count >= maxRows) return { ok: false, error: 'file.tooManyRows', detail: maxRows.toLocaleString('en') };
      checker.add(raw);
    }
    if (checker.count === 0) return { ok: false, error: 'file.empty', detail: '' };
    return { ok: true, kind, checked: checker.finish() };
  } catch (err) {
    if (err instanceof RosterReadError) {
      const code = READ_ERRORS[err.code] ?? 'file.unsupported';
      return { ok: false, error: code, detail: err.rowNo === undefined ? '' : String(err.rowNo) };
    }
    throw err;
  } finally {
    await rows?.return();
  }
}

/**
 * Results in bulk at HQ: a lab's file or a lab system's request, its rows checked (`result-files.ts`)
 * then checked against what HQ holds, all in one transaction, and written through the writer one
 * posted result uses (`results.ts`).
 *
 * - **All or nothing by default.** A file or request with any row error writes no result: its
 *   errors are listed (row, column, words in Chinese and English). Staff who have seen them may
 *   then import the good rows and leave the others out, explicitly and knowing how many: the
 *   dashboard offers "import the N good rows" on the refused import (its good rows are kept for a
 *   day for that), the admin API and the lab endpoint take `goodRowsOnly`, and their answer lists
 *   every row left out. Nothing is ever imported in part without whoever sent it being told.
 * - **Idempotent.** A row whose tube already has that result at HQ (from any file, request or
 *   staff) is "already there" and not posted again; a file whose every row is at HQ changes
 *   nothing (its SHA-256 is kept with each import that took every row, and the same bytes again
 *   are answered with that import); a request or file with nothing new writes nothing at all.
 * - **One result per tube.** A row with another result for a tube HQ holds a result for is an
 *   error (`row.resultDiffers`), except after `invalid` (a sample the lab ran again). A correction
 *   is posted on its own, by staff (the dashboard's "post a result", `POST /api/v1/admin/results`):
 *   a new result row that the stations receive like any other; nothing is overwritten.
 * - **A tube never received at the lab** (no lab receipt holds it as received or extra) is posted
 *   and sent to the stations as any result, and flagged: on its result row (`not_received`), in
 *   the import's counts, and on the dashboard's list of flagged results.
 */
import { eachOf, num, type InsertColumn, type SqlValue, type Tx } from '../store/sql';
import type { TubeResult } from '../protocol';
import type { ResultColumn, ResultRowErrorCode } from '../result-words';
import { resultTargets } from './conflicts';
import { receivedTubeCodes } from './lab';
import type { CheckedRows, ResultRow, RowError } from './result-files';
import { writeResults, type NewResult } from './results';

/** The advisory lock under which imports check and write results on PostgreSQL (7243001: migrations, 7243002: the feed). */
export const RESULTS_LOCK = 7243003;
/** How long a refused import keeps its good rows for staff to import them. */
export const PENDING_KEEP_MS = 24 * 3600_000;
/** Rows per statement. */
const CHUNK = 5_000;

export type ResultImportSource = 'file' | 'lab';
export type ResultImportState = 'refused' | 'imported' | 'discarded';

export type ResultImport = {
  id: string;
  source: ResultImportSource;
  fileName: string | null;
  lab: string | null;
  state: ResultImportState;
  /** Every row of it is at HQ (imported now, or already there, or a repeat of another row). */
  complete: boolean;
  totalRows: number;
  imported: number;
  already: number;
  duplicates: number;
  /** Rows with at least one error. */
  errors: number;
  /** Of the rows imported (or, while refused, of those that would be), those whose tube no lab receipt holds. */
  notReceived: number;
  positives: number;
  /** Rows that could be posted when it was checked (while refused: what "import the good rows" would post). */
  goodRows: number;
  /** Refused, with its good rows kept for staff to import (for a day). */
  pending: boolean;
  at: string;
  importedAt: string | null;
};

/** What an import did, row by row (row numbers): for the lab endpoint's answer. */
export type RowOutcomes = {
  imported: number[];
  already: number[];
  duplicates: number[];
  notReceived: number[];
  errors: RowError[];
};

export type ImportResultsInput = {
  id: string;
  source: ResultImportSource;
  fileName: string | null;
  fileHash: string | null;
  lab: string | null;
  labTokenId: string | null;
  checked: CheckedRows;
  /** `all`: any row error writes nothing; `goodRows`: the rows without errors are written, the others listed. */
  mode: 'all' | 'goodRows';
  /** A refused import is kept (its errors, and with `keepPending` its good rows), else only answered. */
  record: boolean;
  keepPending: boolean;
  at: string;
};

export type ImportResultsOutcome =
  /** Results written; the import is kept. */
  | { kind: 'imported'; import: ResultImport; rows: RowOutcomes }
  /** Row errors and `all`: nothing written. `import` is null when it was not kept. */
  | { kind: 'refused'; import: ResultImport | null; summary: ResultImport; rows: RowOutcomes }
  /** No errors and nothing new: every row is at HQ already. Nothing written or kept. */
  | { kind: 'nothingNew'; summary: ResultImport; rows: RowOutcomes };

type ImportRow = {
  id: string;
  source: ResultImportSource;
  file_name: string | null;
  lab: string | null;
  state: ResultImportState;
  complete: number | string;
  total_rows: number | string;
  imported: number | string;
  already: number | string;
  duplicates: number | string;
  errors: number | string;
  not_received: number | string;
  positives: number | string;
  good_rows: number | string;
  has_pending: number | string | boolean;
  at: string;
  imported_at: string | null;
};

const IMPORT_COLUMNS = `id, source, file_name, lab, state, complete, total_rows, imported, already, duplicates, errors, not_received, positives, good_rows,
  CASE WHEN pending IS NULL THEN 0 ELSE 1 END AS has_pending, at, imported_at`;

function importOf(r: ImportRow): ResultImport {
  return {
    id: r.id,
    source: r.source,
    fileName: r.file_name,
    lab: r.lab,
    state: r.state,
    complete: num(r.complete) === 1,
    totalRows: num(r.total_rows),
    imported: num(r.imported),
    already: num(r.already),
    duplicates: num(r.duplicates),
    errors: num(r.errors),
    notReceived: num(r.not_received),
    positives: num(r.positives),
    goodRows: num(r.good_rows),
    pending: num(r.has_pending) === 1,
    at: r.at,
    importedAt: r.imported_at,
  };
}

export async function resultImport(tx: Tx, id: string): Promise<ResultImport | null> {
  const row = await tx.one<ImportRow>(`SELECT ${IMPORT_COLUMNS} FROM result_import WHERE id = @id`, { id });
  return row ? importOf(row) : null;
}

/** The import that took every row of a file with these bytes, if there is one. */
export async function completeImportOfFile(tx: Tx, fileHash: string): Promise<ResultImport | null> {
  const row = await tx.one<ImportRow>(`SELECT ${IMPORT_COLUMNS} FROM result_import WHERE file_hash = @fileHash AND complete = 1 ORDER BY at LIMIT 1`, { fileHash });
  return row ? importOf(row) : null;
}

export async function recentImports(tx: Tx, limit = 50): Promise<ResultImport[]> {
  const rows = await tx.all<ImportRow>(`SELECT ${IMPORT_COLUMNS} FROM result_import ORDER BY at DESC, id DESC LIMIT ${Math.max(1, Math.floor(limit))}`);
  return rows.map(importOf);
}

/** An import's row errors, in row order, a page at a time. */
export async function importErrors(tx: Tx, id: string, offset: number, limit: number): Promise<{ total: number; rows: RowError[] }> {
  const total = num((await tx.one<{ n: number | string }>('SELECT count(*) AS n FROM result_import_error WHERE import_id = @id', { id }))?.n);
  const rows = await tx.all<{ row_no: number | string; col: ResultColumn | null; code: ResultRowErrorCode; value: string; detail: string }>(
    `SELECT row_no, col, code, value, detail FROM result_import_error WHERE import_id = @id ORDER BY row_no, n LIMIT ${Math.max(1, Math.floor(limit))} OFFSET ${Math.max(0, Math.floor(offset))}`,
    { id },
  );
  return { total, rows: rows.map((r) => ({ rowNo: num(r.row_no), column: r.col, code: r.code, value: r.value, detail: r.detail })) };
}

export type FlaggedResult = {
  tubeCode: string;
  result: TubeResult;
  testedAt: string | null;
  lab: string | null;
  postedAt: string;
  importId: string | null;
  rowNo: number | null;
  fileName: string | null;
  siteName: string | null;
  /** A lab receipt holds the tube as arrived now (recorded after the result). */
  receivedSince: boolean;
};

/** Results posted for tubes no lab receipt held, latest first (`importId`: of that import only). */
export async function flaggedResults(tx: Tx, opts: { importId?: string; limit?: number } = {}): Promise<FlaggedResult[]> {
  const limit = Math.max(1, Math.floor(opts.limit ?? 500));
  const rows = await tx.all<{
    tube_code: string;
    result: TubeResult;
    tested_at: string | null;
    lab: string | null;
    at: string;
    import_id: string | null;
    row_no: number | string | null;
    file_name: string | null;
    site_name: string | null;
    received_since: number | string | boolean;
  }>(
    `SELECT r.tube_code, r.result, r.tested_at, r.lab, r.at, r.import_id, r.row_no, i.file_name, site.name AS site_name,
       CASE WHEN EXISTS (SELECT 1 FROM lab_receipt_tube t WHERE t.tube_code = r.tube_code AND t.status IN ('received', 'extra')) THEN 1 ELSE 0 END AS received_since
     FROM result r
     LEFT JOIN result_import i ON i.id = r.import_id
     LEFT JOIN station s ON s.id = r.station_id
     LEFT JOIN site ON site.id = s.site_id
     WHERE r.not_received = 1 ${opts.importId ? 'AND r.import_id = @importId' : ''}
     ORDER BY r.id DESC LIMIT ${limit}`,
    opts.importId ? { importId: opts.importId } : {},
  );
  return rows.map((r) => ({
    tubeCode: r.tube_code,
    result: r.result,
    testedAt: r.tested_at,
    lab: r.lab,
    postedAt: r.at,
    importId: r.import_id,
    rowNo: r.row_no === null ? null : num(r.row_no),
    fileName: r.file_name,
    siteName: r.site_name,
    receivedSince: num(r.received_since) === 1,
  }));
}

/** What HQ's own checks make of rows that passed their own: to post, already there, or errors. */
type Judged = { post: NewResult[]; already: number[]; errors: RowError[] };

/** The latest result HQ holds for each code, for the tube a result for it would be for (a result from before results named their tube counts for every tube). */
async function heldResults(tx: Tx, codes: readonly string[]): Promise<Map<string, { result: TubeResult; stationId: string | null; tubeId: string | null }[]>> {
  const out = new Map<string, { result: TubeResult; stationId: string | null; tubeId: string | null }[]>();
  for (let i = 0; i < codes.length; i += CHUNK) {
    const rows = await tx.all<{ tube_code: string; result: TubeResult; station_id: string | null; tube_id: string | null }>(
      `SELECT r.tube_code, r.result, r.station_id, r.tube_id FROM ${eachOf(tx, 'codes', 'result', 'r', 'tube_code')} ORDER BY r.id`,
      { codes: codes.slice(i, i + CHUNK) },
    );
    for (const r of rows) {
      const list = out.get(r.tube_code) ?? out.set(r.tube_code, []).get(r.tube_code)!;
      list.push({ result: r.result, stationId: r.station_id, tubeId: r.tube_id });
    }
  }
  return out;
}

async function judge(tx: Tx, rows: readonly ResultRow[], importId: string): Promise<Judged> {
  const codes = [...new Set(rows.map((r) => r.tubeCode))];
  const targets = await resultTargets(tx, codes);
  const held = await heldResults(tx, codes);
  const received = await receivedTubeCodes(tx, codes);
  const out: Judged = { post: [], already: [], errors: [] };
  for (const r of rows) {
    const target = targets.get(r.tubeCode) ?? { kind: 'unknown' as const };
    if (target.kind === 'unknown') {
      out.errors.push({ rowNo: r.rowNo, column: 'tubeCode', code: 'row.tubeUnknown', value: r.tubeCode, detail: '' });
      continue;
    }
    if (target.kind === 'ambiguous') {
      const stations = target.tubes.map((t) => `${t.siteName} ${t.stationName}`).join(', ');
      out.errors.push({ rowNo: r.rowNo, column: 'tubeCode', code: 'row.tubeAmbiguous', value: r.tubeCode, detail: stations });
      continue;
    }
    const ofTube = (held.get(r.tubeCode) ?? []).filter((h) => h.stationId === null || (h.stationId === target.stationId && h.tubeId === target.tubeId));
    const latest = ofTube.at(-1)?.result;
    if (latest === r.result) {
      out.already.push(r.rowNo);
      continue;
    }
    if (latest !== undefined && latest !== 'invalid') {
      out.errors.push({ rowNo: r.rowNo, column: 'result', code: 'row.resultDiffers', value: r.result, detail: latest });
      continue;
    }
    out.post.push({
      tubeCode: r.tubeCode,
      result: r.result,
      stationId: target.stationId,
      tubeId: target.tubeId,
      siteId: target.siteId,
      testedAt: r.testedAt,
      lab: r.lab,
      importId,
      rowNo: r.rowNo,
      notReceived: !received.has(r.tubeCode),
    });
  }
  return out;
}

async function lockResults(tx: Tx): Promise<void> {
  // Two imports at once must not both find a tube without a result and both post one.
  if (tx.dialect === 'postgres') await tx.one(`SELECT pg_advisory_xact_lock(${RESULTS_LOCK})`);
}

async function insertErrors(tx: Tx, importId: string, errors: readonly RowError[]): Promise<void> {
  const rows: SqlValue[][] = [];
  let last = -1;
  let n = 0;
  for (const e of [...errors].sort((a, b) => a.rowNo - b.rowNo)) {
    n = e.rowNo === last ? n + 1 : 0;
    last = e.rowNo;
    rows.push([importId, e.rowNo, n, e.column, e.code, e.value, e.detail]);
  }
  await tx.insertRows('result_import_error', ERROR_COLUMNS, rows);
}

const ERROR_COLUMNS: readonly InsertColumn[] = [
  ['import_id', 'text'],
  ['row_no', 'int'],
  ['n', 'int'],
  ['col', 'text'],
  ['code', 'text'],
  ['value', 'text'],
  ['detail', 'text'],
];

function errorRows(errors: readonly RowError[]): number {
  return new Set(errors.map((e) => e.rowNo)).size;
}

/**
 * Checks `checked` rows against what HQ holds and, when the mode allows, writes them: one
 * transaction (the caller's), so what is checked is what is written.
 */
export async function importResults(tx: Tx, input: ImportResultsInput): Promise<ImportResultsOutcome> {
  await lockResults(tx);
  const judged = await judge(tx, input.checked.rows, input.id);
  const errors = [...input.checked.errors, ...judged.errors].sort((a, b) => a.rowNo - b.rowNo);
  const rowsWithErrors = errorRows(errors);
  const notReceived = judged.post.filter((r) => r.notReceived);
  const positives = judged.post.filter((r) => r.result === 'positive').length;
  const rows: RowOutcomes = {
    imported: [],
    already: judged.already,
    duplicates: input.checked.duplicateRowNos,
    notReceived: notReceived.map((r) => r.rowNo!),
    errors,
  };
  const summary: ResultImport = {
    id: input.id,
    source: input.source,
    fileName: input.fileName,
    lab: input.lab,
    state: 'refused',
    complete: false,
    totalRows: input.checked.totalRows,
    imported: 0,
    already: judged.already.length,
    duplicates: input.checked.duplicateRowNos.length,
    errors: rowsWithErrors,
    notReceived: notReceived.length,
    positives,
    goodRows: judged.post.length,
    pending: false,
    at: input.at,
    importedAt: null,
  };

  const refused = rowsWithErrors > 0 && (input.mode === 'all' || judged.post.length === 0);
  if (refused) {
    if (!input.record) return { kind: 'refused', import: null, summary, rows };
    const pending = input.keepPending && judged.post.length > 0 ? JSON.stringify(judged.post.map((r) => [r.rowNo, r.tubeCode, r.result, r.testedAt, r.lab])) : null;
    await insertImport(tx, input, { ...summary, pending: pending !== null }, pending);
    await insertErrors(tx, input.id, errors);
    return { kind: 'refused', import: { ...summary, pending: pending !== null }, summary, rows };
  }
  if (judged.post.length === 0) return { kind: 'nothingNew', summary: { ...summary, complete: true }, rows };

  const done: ResultImport = { ...summary, state: 'imported', complete: rowsWithErrors === 0, imported: judged.post.length, importedAt: input.at };
  await insertImport(tx, input, done, null);
  await insertErrors(tx, input.id, errors);
  await writeResults(tx, judged.post, input.at);
  rows.imported = judged.post.map((r) => r.rowNo!);
  return { kind: 'imported', import: done, rows };
}

async function insertImport(tx: Tx, input: ImportResultsInput, s: ResultImport, pending: string | null): Promise<void> {
  await tx.run(
    `INSERT INTO result_import (id, source, file_name, file_hash, lab, lab_token_id, state, complete, total_rows, imported, already, duplicates, errors, not_received, positives, good_rows, pending, at, imported_at)
     VALUES (@id, @source, @fileName, @fileHash, @lab, @labTokenId, @state, @complete, @totalRows, @imported, @already, @duplicates, @errors, @notReceived, @positives, @goodRows, @pending, @at, @importedAt)`,
    {
      id: s.id,
      source: s.source,
      fileName: s.fileName,
      fileHash: input.fileHash,
      lab: s.lab,
      labTokenId: input.labTokenId,
      state: s.state,
      complete: s.complete ? 1 : 0,
      totalRows: s.totalRows,
      imported: s.imported,
      already: s.already,
      duplicates: s.duplicates,
      errors: s.errors,
      notReceived: s.notReceived,
      positives: s.positives,
      goodRows: s.goodRows,
      pending,
      at: s.at,
      importedAt: s.importedAt,
    },
  );
}

export type PendingOutcome =
  | { ok: true; import: ResultImport }
  | { ok: false; error: 'import.unknown' | 'import.notPending' | 'import.expired' }
  /** What the rows give now is not what staff were shown (another import, a tube conflict, a result since): nothing written; check the file again. */
  | { ok: false; error: 'import.changed'; goodRows: number; errors: number };

/**
 * Staff import the good rows of a refused import, having been shown `expected` of them: checked
 * again now, and written only when they are still exactly those, all good.
 */
export async function importPendingRows(tx: Tx, input: { id: string; expected: number; at: string }): Promise<PendingOutcome> {
  await lockResults(tx);
  const row = await tx.one<{ state: ResultImportState; pending: string | null; at: string }>('SELECT state, pending, at FROM result_import WHERE id = @id', { id: input.id });
  if (!row) return { ok: false, error: 'import.unknown' };
  if (row.state !== 'refused' || row.pending === null) return { ok: false, error: 'import.notPending' };
  if (Date.parse(input.at) - Date.parse(row.at) > PENDING_KEEP_MS) {
    await tx.run('UPDATE result_import SET pending = NULL WHERE id = @id', { id: input.id });
    return { ok: false, error: 'import.expired' };
  }
  const rows: ResultRow[] = (JSON.parse(row.pending) as [number, string, TubeResult, string, string][]).map(([rowNo, tubeCode, result, testedAt, lab]) => ({
    rowNo,
    tubeCode,
    result,
    testedAt,
    lab,
  }));
  const judged = await judge(tx, rows, input.id);
  if (judged.errors.length > 0 || judged.already.length > 0 || judged.post.length !== input.expected) {
    return { ok: false, error: 'import.changed', goodRows: judged.post.length, errors: errorRows(judged.errors) };
  }
  await writeResults(tx, judged.post, input.at);
  await tx.run(
    `UPDATE result_import SET state = 'imported', imported = @imported, not_received = @notReceived, positives = @positives, pending = NULL, imported_at = @at WHERE id = @id`,
    {
      id: input.id,
      imported: judged.post.length,
      notReceived: judged.post.filter((r) => r.notReceived).length,
      positives: judged.post.filter((r) => r.result === 'positive').length,
      at: input.at,
    },
  );
  return { ok: true, import: (await resultImport(tx, input.id))! };
}

/** Staff let a refused import go: its good rows are dropped, its errors stay listed. */
export async function discardImport(tx: Tx, id: string): Promise<{ ok: true } | { ok: false; error: 'import.unknown' | 'import.notPending' }> {
  const row = await tx.one<{ state: ResultImportState }>('SELECT state FROM result_import WHERE id = @id', { id });
  if (!row) return { ok: false, error: 'import.unknown' };
  if (row.state !== 'refused') return { ok: false, error: 'import.notPending' };
  await tx.run(`UPDATE result_import SET state = 'discarded', pending = NULL WHERE id = @id`, { id });
  return { ok: true };
}

/** Drops the good rows of refused imports older than a day (a serving HQ, every minute). */
export async function sweepPendingImports(tx: Tx, before: string): Promise<number> {
  return tx.run('UPDATE result_import SET pending = NULL WHERE pending IS NOT NULL AND at < @before', { before });
}

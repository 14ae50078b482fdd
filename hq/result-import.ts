/**
 * A lab's results brought to HQ, whichever way they come: a file (dashboard upload, admin API,
 * `station hq results import`) or a lab system's request (`POST /lab/v1/results`). Reads and
 * checks every row first (`domains/result-files.ts`), then checks and writes in one transaction
 * (`domains/result-imports.ts`), and words the answer: a summary and each row's outcome, errors in
 * Chinese and English.
 */
import { createHash } from 'node:crypto';
import { v7 } from 'uuid';
import { z } from 'zod';
import { MAX_LAB_LENGTH, checkRequestRows, readResultFile, type RowError } from './domains/result-files';
import { completeImportOfFile, importResults, type ImportResultsOutcome, type ResultImport, type RowOutcomes } from './domains/result-imports';
import type { LabToken } from './domains/lab-tokens';
import { fileErrorWords, rowErrorWords, type ResultFileErrorCode } from './result-words';
import type { HqStore } from './store/types';

export type FileImportOutcome =
  /** The file as a whole cannot be taken: nothing read into HQ. */
  | { kind: 'fileError'; error: ResultFileErrorCode; detail: string }
  /** These very bytes were imported before, every row: nothing done. */
  | { kind: 'sameFile'; import: ResultImport }
  | ImportResultsOutcome;

export type FileImportInput = {
  bytes: Buffer;
  fileName: string;
  /** `goodRows`: write the rows without errors and list the others (the caller knows, and says so). */
  mode: 'all' | 'goodRows';
  /** Keep a refused file's good rows for an explicit "import them" (the dashboard). */
  keepPending: boolean;
  now: number;
  maxRows?: number;
};

export function fileDigest(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export async function importResultFile(store: HqStore, input: FileImportInput): Promise<FileImportOutcome> {
  const fileHash = fileDigest(input.bytes);
  const before = await store.sql.read((tx) => completeImportOfFile(tx, fileHash));
  if (before) return { kind: 'sameFile', import: before };
  const read = await readResultFile(input.bytes, { now: input.now, ...(input.maxRows !== undefined ? { maxRows: input.maxRows } : {}) });
  if (!read.ok) return { kind: 'fileError', error: read.error, detail: read.detail };
  const at = new Date(input.now).toISOString();
  return store.sql.transaction(async (tx) => {
    // Another process may have imported the same bytes while this one read them.
    const meanwhile = await completeImportOfFile(tx, fileHash);
    if (meanwhile) return { kind: 'sameFile', import: meanwhile } as const;
    return importResults(tx, {
      id: v7(),
      source: 'file',
      fileName: input.fileName.slice(0, 200),
      fileHash,
      lab: null,
      labTokenId: null,
      checked: read.checked,
      mode: input.mode,
      record: true,
      keepPending: input.keepPending,
      at,
    });
  });
}

// ---- a lab system's request -------------------------------------------------------------------

/** The most results one request carries. */
export const MAX_LAB_REQUEST_ROWS = 10_000;
/** The largest request body (10,000 rows are about 1 MB). */
export const MAX_LAB_REQUEST_BYTES = 4 * 1024 * 1024;

export const labResultsRequestSchema = z
  .object({
    lab: z.string().trim().min(1).max(MAX_LAB_LENGTH),
    results: z
      .array(z.object({ tubeCode: z.string().max(200), result: z.string().max(50), at: z.string().max(64) }).strict())
      .min(1)
      .max(MAX_LAB_REQUEST_ROWS),
    /** Write the rows without errors even when others have errors (each listed in the answer). */
    goodRowsOnly: z.boolean().optional(),
  })
  .strict();
export type LabResultsRequest = z.infer<typeof labResultsRequestSchema>;

export async function importLabRequest(store: HqStore, input: { token: LabToken; request: LabResultsRequest; now: number }): Promise<ImportResultsOutcome> {
  const { request } = input;
  const checked = checkRequestRows(request.lab, request.results, input.now);
  const at = new Date(input.now).toISOString();
  return store.sql.transaction((tx) =>
    importResults(tx, {
      id: v7(),
      source: 'lab',
      fileName: null,
      fileHash: null,
      lab: request.lab,
      labTokenId: input.token.id,
      checked,
      mode: request.goodRowsOnly ? 'goodRows' : 'all',
      // A refused request is answered (and logged), not kept: a lab system sending it again and
      // again would otherwise fill HQ with copies of one refusal.
      record: false,
      keepPending: false,
      at,
    }),
  );
}

// ---- answers ----------------------------------------------------------------------------------

export type RowErrorAnswer = { row: number; column: string | null; code: string; value: string; detail: string; words: { 'zh-CN': string; en: string } };

export function rowErrorAnswer(e: RowError): RowErrorAnswer {
  return { row: e.rowNo, column: e.column, code: e.code, value: e.value, detail: e.detail, words: rowErrorWords(e.code, e.detail) };
}

export function fileErrorAnswer(error: ResultFileErrorCode, detail: string): { ok: false; error: ResultFileErrorCode; detail: string; words: { 'zh-CN': string; en: string } } {
  return { ok: false, error, detail, words: fileErrorWords(error, detail) };
}

/** The summary and the first `maxErrors` row errors, for the admin API. */
export function importAnswer(outcome: ImportResultsOutcome | Extract<FileImportOutcome, { kind: 'sameFile' }>, maxErrors = 1000) {
  if (outcome.kind === 'sameFile') return { ok: true, state: 'sameFile' as const, import: outcome.import, errors: [], errorsListed: 0 };
  const summary = outcome.kind === 'imported' ? outcome.import : outcome.summary;
  const errors = outcome.rows.errors.slice(0, maxErrors).map(rowErrorAnswer);
  return {
    ok: outcome.kind !== 'refused',
    state: outcome.kind,
    import: summary,
    /** Kept at HQ: its page, and its errors page by page. */
    kept: outcome.kind === 'imported' || (outcome.kind === 'refused' && outcome.import !== null),
    errors,
    errorsListed: errors.length,
  };
}

export type RowAnswer = {
  row: number;
  tubeCode: string;
  /** `notImported`: a good row of a request refused as a whole for other rows' errors. */
  outcome: 'imported' | 'already' | 'duplicate' | 'error' | 'notImported';
  notReceived?: true;
  errors?: RowErrorAnswer[];
};

/** Every row of a lab system's request with its outcome, in the order sent. */
export function rowAnswers(request: LabResultsRequest, rows: RowOutcomes): RowAnswer[] {
  const imported = new Set(rows.imported);
  const already = new Set(rows.already);
  const duplicates = new Set(rows.duplicates);
  const notReceived = new Set(rows.notReceived);
  const errors = new Map<number, RowErrorAnswer[]>();
  for (const e of rows.errors) {
    const list = errors.get(e.rowNo) ?? errors.set(e.rowNo, []).get(e.rowNo)!;
    list.push(rowErrorAnswer(e));
  }
  return request.results.map((r, i) => {
    const row = i + 1;
    const errs = errors.get(row);
    const outcome: RowAnswer['outcome'] = errs ? 'error' : imported.has(row) ? 'imported' : already.has(row) ? 'already' : duplicates.has(row) ? 'duplicate' : 'notImported';
    return {
      row,
      tubeCode: r.tubeCode,
      outcome,
      ...(notReceived.has(row) && (outcome === 'imported' || outcome === 'notImported') ? { notReceived: true as const } : {}),
      ...(errs ? { errors: errs } : {}),
    };
  });
}

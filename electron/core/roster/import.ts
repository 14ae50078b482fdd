/**
 * Reads a resident ledger (CSV or XLSX) into a new roster file: every row checked, the good ones
 * written, every refused one kept with its row number and reasons, an ID number seen twice
 * refusing all its rows; then what changed against the roster in use. Nothing is in use until
 * the admin applies it. Used by the station and by HQ alike.
 */
import { resolveColumns, type ColumnPlan, type HeaderMapping } from './fields';
import type { DataKey } from '../db/cipher';
import { RosterFileBuilder, type BuiltRoster } from './file';
import type { ResidentRow, RowProblem } from './validate';
import { ledgerSize, readRosterFile, RosterReadError, type LedgerSource, type RosterEncoding } from './read';
import { compileHouseholdRules, DuplicateTracker, validateRow, type HouseholdRules } from './validate';

export type LedgerProgress = { phase: 'reading' | 'indexing' | 'comparing'; rows: number; bytes: number; totalBytes: number };

export type LedgerRead =
  | { ok: true; built: BuiltRoster; totalRows: number; plan: ColumnPlan; headers: string[]; encoding: RosterEncoding | null; kind: 'csv' | 'xlsx' }
  /** The header row lacks a required column or names one field twice: the admin maps the headers first. */
  | { ok: false; reason: 'mapping'; plan: ColumnPlan; headers: string[] }
  | { ok: false; reason: 'file'; code: RosterReadError['code']; rowNo: number | null; detail: string | null };

/**
 * Where a ledger's rows go: a station writes a roster file of its own (`RosterFileBuilder`), HQ
 * its database. Rows arrive in file order; `refuseDuplicates` and `finish` come once, at the end.
 */
export type RosterSink = {
  /** A promise only when the sink is writing (then the reader waits for it). */
  resident(rowNo: number, resident: ResidentRow): Promise<void> | undefined;
  problem(rowNo: number, problems: readonly RowProblem[], refused: boolean): Promise<void>;
  refuseDuplicates(duplicates: Map<string, number[]>): Promise<void>;
  finish(read: { totalRows: number; headers: string[]; plan: ColumnPlan }, onPhase: (phase: 'indexing' | 'comparing') => void): Promise<BuiltRoster>;
  abandon(): Promise<void> | void;
};

export type LedgerInput = {
  /** A file read in place, or an upload sealed as it arrived (`sealed.ts`). */
  source: LedgerSource;
  /** The station's roster file to write (with `markKey`, `previous` and `meta`), or another sink. */
  out: string | RosterSink;
  mapping: HeaderMapping;
  rules: HouseholdRules;
  /**
   * For a station's roster file: the key of the residents' marks, the data key the file is
   * encrypted with, the file in use to compare with.
   */
  markKey?: string;
  dataKey?: DataKey;
  previous?: string | null;
  encoding?: RosterEncoding;
  meta?: Record<string, string>;
  onProgress?: (p: LedgerProgress) => void;
  /** Checked between chunks: true stops the read. */
  cancelled?: () => boolean;
};

export class LedgerCancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

export async function readLedger(input: LedgerInput): Promise<LedgerRead> {
  const totalBytes = ledgerSize(input.source);
  let bytes = 0;
  let file;
  try {
    file = await readRosterFile(input.source, {
      savedMapping: input.mapping,
      ...(input.encoding ? { encoding: input.encoding } : {}),
      onProgress: (read) => {
        bytes = read;
      },
    });
  } catch (err) {
    if (err instanceof RosterReadError) return { ok: false, reason: 'file', code: err.code, rowNo: err.rowNo ?? null, detail: err.detail ?? null };
    throw err;
  }
  const headers = file.header.cells;
  const plan = resolveColumns(headers, input.mapping);
  if (plan.missingRequired.length > 0 || plan.duplicated.length > 0) {
    await file.rows.return();
    return { ok: false, reason: 'mapping', plan, headers };
  }
  const rules = compileHouseholdRules(input.rules);
  // About 50 bytes a row in a ledger: the tracker is sized once instead of growing step by step.
  const tracker = new DuplicateTracker(Math.ceil(totalBytes / 50));
  let builder: RosterSink;
  if (typeof input.out === 'string') {
    if (!input.dataKey) throw new Error('a station roster file is written only encrypted: no data key given');
    builder = fileSink(new RosterFileBuilder(input.out, input.markKey ?? '', input.dataKey), input.previous ?? null, input.meta ?? {});
  } else {
    builder = input.out;
  }
  let totalRows = 0;
  try {
    for await (const row of file.rows) {
      totalRows++;
      const check = validateRow(row.cells, plan, rules);
      if (!check.ok) {
        await builder.problem(row.rowNo, check.problems, true);
      } else {
        // A repeated ID number is refused in `refuseDuplicates`, every row of it.
        if (tracker.see(check.resident.idNumber, row.rowNo) === null) {
          const writing = builder.resident(row.rowNo, check.resident);
          if (writing) await writing;
        }
        if (check.warnings.length > 0) await builder.problem(row.rowNo, check.warnings, false);
      }
      if ((totalRows & 4095) === 0) {
        input.onProgress?.({ phase: 'reading', rows: totalRows, bytes, totalBytes });
        if (input.cancelled?.()) throw new LedgerCancelled();
      }
    }
    input.onProgress?.({ phase: 'reading', rows: totalRows, bytes: totalBytes, totalBytes });
    await builder.refuseDuplicates(tracker.duplicates());
    const built = await builder.finish({ totalRows, headers, plan }, (phase) => input.onProgress?.({ phase, rows: totalRows, bytes: totalBytes, totalBytes }));
    return { ok: true, built, totalRows, plan, headers, encoding: file.encoding, kind: file.kind };
  } catch (err) {
    await file.rows.return().catch(() => undefined);
    await builder.abandon();
    if (err instanceof RosterReadError) return { ok: false, reason: 'file', code: err.code, rowNo: err.rowNo ?? null, detail: err.detail ?? null };
    throw err;
  }
}

function fileSink(builder: RosterFileBuilder, previous: string | null, meta: Record<string, string>): RosterSink {
  return {
    resident: (rowNo, r) => builder.resident(rowNo, r),
    problem: (rowNo, problems, refused) => builder.problem(rowNo, problems, refused),
    refuseDuplicates: (duplicates) => builder.refuseDuplicates(duplicates),
    finish: (_read, onPhase) => builder.finish(previous, meta, onPhase),
    abandon: () => builder.abandon(),
  };
}

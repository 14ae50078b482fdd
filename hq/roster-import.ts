/**
 * A resident ledger imported at HQ (dashboard upload, `station hq roster import`): read and
 * checked with the very code a station uses (`electron/core/roster`), its rows written to HQ's
 * store in bulk, then left `ready` for staff to apply or discard.
 */
import { v7 } from 'uuid';
import type { HeaderMapping } from '../electron/core/roster/fields';
import { tagsToBits, type BuiltRoster, type ResidentTuple } from '../electron/core/roster/file';
import { readLedger, type LedgerProgress, type RosterSink } from '../electron/core/roster/import';
import type { RosterEncoding } from '../electron/core/roster/read';
import { DEFAULT_HOUSEHOLD_RULES, type HouseholdRules } from '../electron/core/roster/validate';
import { parseSiteConfig } from '../electron/core/site/config';
import { createRosterImport, finishRosterImport, rosterImport, setImportState, discardRosterImport, type HqRosterImport } from './domains/roster';
import type { HqStore } from './store/types';

/** Rows per bulk write: COPY on PostgreSQL, one transaction on SQLite. */
const WRITE_CHUNK = 10_000;

export type HqLedgerInput = {
  siteId: string;
  file: string;
  fileName: string;
  mapping?: HeaderMapping;
  encoding?: RosterEncoding;
  at: string;
  onProgress?: (p: LedgerProgress) => void;
  /** Called once the import has its id (it is `reading` from then on). */
  onStarted?: (importId: string) => void;
};

/** The site's household patterns: from its configuration when HQ has one, else the defaults. */
async function householdRules(store: HqStore, siteId: string): Promise<HouseholdRules> {
  const row = await store.sql.read((tx) => tx.one<{ config: string | null }>('SELECT config FROM site WHERE id = @siteId', { siteId }));
  if (!row?.config) return DEFAULT_HOUSEHOLD_RULES;
  try {
    return parseSiteConfig(JSON.parse(row.config)).household ?? DEFAULT_HOUSEHOLD_RULES;
  } catch {
    return DEFAULT_HOUSEHOLD_RULES;
  }
}

export async function importLedgerAtHq(store: HqStore, input: HqLedgerInput): Promise<HqRosterImport> {
  const importId = v7();
  await store.sql.transaction((tx) =>
    createRosterImport(tx, { id: importId, siteId: input.siteId, source: 'hq', stationId: null, fileName: input.fileName, state: 'reading', expectedRows: null, at: input.at }),
  );
  input.onStarted?.(importId);
  let rows: { rowNo: number; t: ResidentTuple }[] = [];
  let problems: { rowNo: number; problems: string; refused: boolean }[] = [];
  let refused = 0;
  let warned = 0;
  let duplicates = new Map<string, number[]>();
  // Each bulk write waits for the one before: rows reach the store in order and memory stays flat.
  let writing: Promise<void> = Promise.resolve();
  const flush = async () => {
    const r = rows;
    const p = problems;
    rows = [];
    problems = [];
    await writing;
    writing = (async () => {
      if (r.length > 0) await store.addRosterRows(importId, r);
      if (p.length > 0) await store.addRosterProblems(importId, p);
    })();
  };
  const sink: RosterSink = {
    resident(rowNo, r) {
      rows.push({ rowNo, t: [r.idNumber, r.name, r.phone, r.building, r.unit, r.room, tagsToBits(r.tags)] });
      return rows.length >= WRITE_CHUNK ? flush() : undefined;
    },
    async problem(rowNo, list, isRefused) {
      problems.push({ rowNo, problems: JSON.stringify(list), refused: isRefused });
      if (isRefused) refused++;
      else warned++;
      if (problems.length >= WRITE_CHUNK) await flush();
    },
    async refuseDuplicates(found) {
      duplicates = found;
    },
    async finish(read, onPhase): Promise<BuiltRoster> {
      await flush();
      await writing;
      onPhase('comparing');
      const done = await store.sql.transaction((tx) => finishRosterImport(tx, importId, { totalRows: read.totalRows, refused, warned, duplicates, headers: read.headers, plan: read.plan }));
      return { residents: done.residents, refused: done.refused, warned: done.warned, changes: done.changes ?? { new: 0, moved: 0, changed: 0, gone: 0 } };
    },
    async abandon() {
      await writing.catch(() => undefined);
      await store.sql.transaction((tx) => discardRosterImport(tx, importId));
    },
  };
  const result = await readLedger({
    source: input.file,
    out: sink,
    mapping: input.mapping ?? {},
    rules: await householdRules(store, input.siteId),
    ...(input.encoding ? { encoding: input.encoding } : {}),
    ...(input.onProgress ? { onProgress: input.onProgress } : {}),
  });
  if (!result.ok) {
    await store.sql.transaction(async (tx) => {
      if (result.reason === 'mapping') await setImportState(tx, importId, 'needsMapping', { headers: result.headers, plan: result.plan });
      else await setImportState(tx, importId, 'failed', { failure: { code: result.code, rowNo: result.rowNo } });
    });
  }
  return (await store.sql.read((tx) => rosterImport(tx, importId)))!;
}

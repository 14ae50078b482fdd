/**
 * A resident ledger imported at HQ (dashboard upload, `station hq roster import`): read and
 * checked with the very code a station uses (`electron/core/roster`), its rows written to HQ's
 * store in bulk, then left `ready` for staff to apply or discard.
 */
import { v7 } from 'uuid';
import { createLogger } from '../electron/core/log';
import type { HeaderMapping } from '../electron/core/roster/fields';
import { tagsToBits, type BuiltRoster, type ResidentTuple } from '../electron/core/roster/file';
import { LedgerCancelled, readLedger, type LedgerProgress, type RosterSink } from '../electron/core/roster/import';
import type { RosterEncoding } from '../electron/core/roster/read';
import { DEFAULT_HOUSEHOLD_RULES, type HouseholdRules } from '../electron/core/roster/validate';
import { parseSiteConfig } from '../electron/core/site/config';
import { createRosterImport, dropRowsOfStoppedImport, finishRosterImport, rosterImport, setImportState, touchReadingImport, type HqRosterImport } from './domains/roster';
import type { HqStore } from './store/types';

const log = createLogger('hq-roster');

/** Rows per bulk write: COPY on PostgreSQL, one transaction on SQLite. */
const WRITE_CHUNK = 10_000;

/**
 * How often a reader says its import is still being read, besides every bulk write (reading an
 * XLSX's shared strings, or a slow disk, can go a while without a write).
 */
export const READER_HEARTBEAT_MS = 15_000;
/** An import `reading` with no heartbeat for this long was left by an HQ process that stopped. */
export const READER_STALE_MS = 2 * 60_000;

export type HqLedgerInput = {
  siteId: string;
  file: string;
  fileName: string;
  mapping?: HeaderMapping;
  encoding?: RosterEncoding;
  at: string;
  /** The file is an upload in HQ's upload folder: the import records it, so no sweep deletes it while in use. */
  uploadFile?: boolean;
  /** HQ's clock for the heartbeat (tests move it); the system clock by default. */
  now?: () => number;
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

/**
 * Reads a ledger into a new import, which ends `ready`, `needsMapping` or `failed`; or stays as
 * staff or another HQ process left it when it stopped being `reading` under the reader (discarded,
 * or given up): the reader then stops and never brings it back. An unexpected failure (the store
 * refusing a write) marks it failed and is thrown.
 */
export async function importLedgerAtHq(store: HqStore, input: HqLedgerInput): Promise<HqRosterImport> {
  const importId = v7();
  const now = input.now ?? Date.now;
  const stamp = () => new Date(now()).toISOString();
  await store.sql.transaction((tx) =>
    createRosterImport(tx, {
      id: importId,
      siteId: input.siteId,
      source: 'hq',
      stationId: null,
      fileName: input.fileName,
      state: 'reading',
      expectedRows: null,
      at: input.at,
      uploadFile: input.uploadFile ? input.file : null,
    }),
  );
  input.onStarted?.(importId);

  // Set once the import is no longer `reading`: the read stops at its next check.
  let stopped = false;
  const stillReading = async (): Promise<boolean> => {
    if (!stopped && !(await store.sql.transaction((tx) => touchReadingImport(tx, importId, stamp())))) stopped = true;
    return !stopped;
  };
  let heartbeat: NodeJS.Timeout | null = setInterval(() => {
    stillReading().catch((err: unknown) => log.warn({ err, importId }, 'roster import heartbeat failed'));
  }, READER_HEARTBEAT_MS);
  heartbeat.unref();
  const stopHeartbeat = () => {
    if (heartbeat) clearInterval(heartbeat);
    heartbeat = null;
  };

  let rows: { rowNo: number; t: ResidentTuple }[] = [];
  let problems: { rowNo: number; problems: string; refused: boolean }[] = [];
  let refused = 0;
  let warned = 0;
  let duplicates = new Map<string, number[]>();
  // Each bulk write waits for the one before: rows reach the store in order and memory stays flat.
  // The file is read on while a write is under way, so a write that fails is seen at the next flush
  // (or at the end); the no-op handler keeps it from being an unhandled rejection meanwhile, which
  // would end the process.
  let writing: Promise<void> = Promise.resolve();
  const flush = async () => {
    const r = rows;
    const p = problems;
    rows = [];
    problems = [];
    await writing;
    if (stopped) throw new LedgerCancelled();
    writing = (async () => {
      // Every bulk write is a heartbeat too, and none goes to an import no longer read.
      if (!(await stillReading())) throw new LedgerCancelled();
      if (r.length > 0) await store.addRosterRows(importId, r);
      if (p.length > 0) await store.addRosterProblems(importId, p);
    })();
    writing.catch(() => undefined);
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
      // `finishRosterImport` claims the import for its own transaction from here on.
      stopHeartbeat();
      const at = stamp();
      const done = await store.sql.transaction((tx) =>
        finishRosterImport(tx, importId, 'reading', { totalRows: read.totalRows, refused, warned, duplicates, headers: read.headers, plan: read.plan, at }),
      );
      if (!done) throw new LedgerCancelled();
      return { residents: done.residents, refused: done.refused, warned: done.warned, changes: done.changes ?? { new: 0, moved: 0, changed: 0, gone: 0 } };
    },
    async abandon() {
      await writing.catch(() => undefined);
      // Its rows go; what becomes of the import itself is decided below (or was, by whoever stopped it).
      await store.sql.transaction((tx) => dropRowsOfStoppedImport(tx, importId));
    },
  };
  try {
    const result = await readLedger({
      source: input.file,
      out: sink,
      mapping: input.mapping ?? {},
      rules: await householdRules(store, input.siteId),
      cancelled: () => stopped,
      ...(input.encoding ? { encoding: input.encoding } : {}),
      ...(input.onProgress ? { onProgress: input.onProgress } : {}),
    });
    if (!result.ok) {
      await store.sql.transaction(async (tx) => {
        if (result.reason === 'mapping') await setImportState(tx, importId, 'needsMapping', { headers: result.headers, plan: result.plan });
        else await setImportState(tx, importId, 'failed', { failure: { code: result.code, rowNo: result.rowNo } });
      });
    }
  } catch (err) {
    if (!(err instanceof LedgerCancelled)) {
      await store.sql
        .transaction((tx) => setImportState(tx, importId, 'failed', { failure: { code: 'internal', rowNo: null } }))
        .catch((e: unknown) => log.error({ err: e, importId }, 'could not mark the roster import failed'));
      throw err;
    }
    log.info({ importId }, 'roster import stopped: discarded or given up while it was read');
  } finally {
    stopHeartbeat();
  }
  return (await store.sql.read((tx) => rosterImport(tx, importId)))!;
}

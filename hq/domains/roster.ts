/**
 * The resident roster (台账) at HQ, per site. A version comes from a ledger imported here
 * (dashboard, `station hq roster import`) or from one imported at a station of the site (its
 * `roster.committed` entry, then its rows in `roster.rows` entries). A version imported here is
 * checked first and applied or discarded by staff; a station's is applied once all its rows are
 * in, since the station's admin applied it already. Applied, it is the site's roster, and every
 * station of the site receives it (`roster.version` in the feed, then its rows page by page).
 */
import type { ResidentTuple } from '../../electron/core/roster/file';
import type { RosterChangeCounts } from '../../electron/api/roster';
import type { Projection } from '../ingest';
import { MAX_ROSTER_ROWS } from '../protocol';
import type { Tx } from '../store/sql';
import { num } from '../store/sql';
import { addFeed } from './feed';

export type RosterImportState = 'reading' | 'needsMapping' | 'ready' | 'failed' | 'receiving' | 'current' | 'superseded' | 'discarded';

export type HqRosterImport = {
  id: string;
  siteId: string;
  source: 'hq' | 'station';
  stationId: string | null;
  fileName: string | null;
  state: RosterImportState;
  totalRows: number;
  residents: number;
  refused: number;
  warned: number;
  expectedRows: number | null;
  changes: RosterChangeCounts | null;
  headers: string[];
  unmapped: string[];
  missingRequired: string[];
  failure: { code: string; rowNo: number | null } | null;
  createdAt: string;
  appliedAt: string | null;
};

type ImportRow = {
  id: string;
  site_id: string;
  source: 'hq' | 'station';
  station_id: string | null;
  file_name: string | null;
  state: RosterImportState;
  total_rows: number | string;
  residents: number | string;
  refused: number | string;
  warned: number | string;
  expected_rows: number | string | null;
  changes: string | null;
  headers: string | null;
  plan: string | null;
  failure: string | null;
  created_at: string;
  applied_at: string | null;
};

function toImport(r: ImportRow): HqRosterImport {
  const plan = r.plan ? (JSON.parse(r.plan) as { unmapped: { header: string }[]; missingRequired: string[] }) : null;
  return {
    id: r.id,
    siteId: r.site_id,
    source: r.source,
    stationId: r.station_id,
    fileName: r.file_name,
    state: r.state,
    totalRows: num(r.total_rows),
    residents: num(r.residents),
    refused: num(r.refused),
    warned: num(r.warned),
    expectedRows: r.expected_rows === null ? null : num(r.expected_rows),
    changes: r.changes ? (JSON.parse(r.changes) as RosterChangeCounts) : null,
    headers: r.headers ? (JSON.parse(r.headers) as string[]) : [],
    unmapped: plan?.unmapped.map((u) => u.header) ?? [],
    missingRequired: plan?.missingRequired ?? [],
    failure: r.failure ? (JSON.parse(r.failure) as { code: string; rowNo: number | null }) : null,
    createdAt: r.created_at,
    appliedAt: r.applied_at,
  };
}

export async function rosterImport(tx: Tx, importId: string): Promise<HqRosterImport | null> {
  const row = await tx.one<ImportRow>('SELECT * FROM roster_import WHERE id = @importId', { importId });
  return row ? toImport(row) : null;
}

export async function currentRosterImport(tx: Tx, siteId: string): Promise<HqRosterImport | null> {
  const row = await tx.one<ImportRow>(`SELECT * FROM roster_import WHERE site_id = @siteId AND state = 'current'`, { siteId });
  return row ? toImport(row) : null;
}

export async function recentRosterImports(tx: Tx, limit = 20): Promise<HqRosterImport[]> {
  return (await tx.all<ImportRow>(`SELECT * FROM roster_import ORDER BY created_at DESC LIMIT ${Math.max(1, Math.floor(limit))}`)).map(toImport);
}

export async function createRosterImport(
  tx: Tx,
  input: {
    id: string;
    siteId: string;
    source: 'hq' | 'station';
    stationId: string | null;
    fileName: string | null;
    state: RosterImportState;
    expectedRows: number | null;
    at: string;
    /** The ledger in HQ's upload folder, kept while the import may still need it (its headers to map). */
    uploadFile?: string | null;
  },
): Promise<void> {
  await tx.run(
    `INSERT INTO roster_import (id, site_id, source, station_id, file_name, state, expected_rows, created_at, touched_at, upload_file)
     VALUES (@id, @siteId, @source, @stationId, @fileName, @state, @expectedRows, @at, @at, @uploadFile) ON CONFLICT (id) DO NOTHING`,
    { ...input, uploadFile: input.uploadFile ?? null },
  );
}

/**
 * The end of a ledger read at HQ (headers to map, or the file refused). Only an import still
 * `reading` moves: one discarded by staff or given up meanwhile stays as it is. False when it did not move.
 */
export async function setImportState(tx: Tx, importId: string, state: 'needsMapping' | 'failed', fields: { headers?: string[]; plan?: unknown; failure?: unknown } = {}): Promise<boolean> {
  const changed = await tx.run(
    `UPDATE roster_import SET state = @state, headers = coalesce(@headers, headers), plan = coalesce(@plan, plan), failure = coalesce(@failure, failure)
     WHERE id = @importId AND state = 'reading'`,
    {
      state,
      importId,
      headers: fields.headers ? JSON.stringify(fields.headers) : null,
      plan: fields.plan ? JSON.stringify(fields.plan) : null,
      failure: fields.failure ? JSON.stringify(fields.failure) : null,
    },
  );
  return changed > 0;
}

/**
 * The reader's heartbeat: says the import is still being read (so no HQ process gives it up), and
 * whether it still is: false once staff discarded it or an HQ process gave it up, and the reader stops.
 */
export async function touchReadingImport(tx: Tx, importId: string, at: string): Promise<boolean> {
  return (await tx.run(`UPDATE roster_import SET touched_at = @at WHERE id = @importId AND state = 'reading'`, { importId, at })) > 0;
}

/** Rows a reader wrote for an import no longer read (discarded or given up while a write was on its way). */
export async function dropRowsOfStoppedImport(tx: Tx, importId: string): Promise<void> {
  const imp = await rosterImport(tx, importId);
  if (imp && (imp.state === 'reading' || imp.state === 'discarded' || imp.state === 'failed')) await dropRows(tx, importId);
}

/**
 * A version's rows are all in: rows of an ID number seen twice go (each reported), then the
 * residents per building and unit, and what changed against the site's version in use. Only from
 * `from` (`reading` at HQ, `receiving` from a station): null, and nothing changed, when the import
 * has meanwhile been discarded or given up, so that a reader never brings one back.
 */
export async function finishRosterImport(
  tx: Tx,
  importId: string,
  from: 'reading' | 'receiving',
  input: { totalRows: number; refused: number; warned: number; duplicates: Map<string, number[]>; headers: string[]; plan: unknown; at: string },
): Promise<HqRosterImport | null> {
  // A station's version is applied in this transaction: the site first, as every change of its roster in use does.
  if (from === 'receiving') {
    const found = await rosterImport(tx, importId);
    if (found) await lockSite(tx, found.siteId);
  }
  // Claims the row first: on PostgreSQL an HQ process giving the import up waits for this
  // transaction, then finds it no longer `reading`.
  const claimed = await tx.run(`UPDATE roster_import SET touched_at = @at WHERE id = @importId AND state = @from`, { importId, from, at: input.at });
  if (claimed === 0) return null;
  let refused = input.refused;
  for (const [idNumber, rows] of input.duplicates) {
    await tx.run('DELETE FROM roster_resident WHERE import_id = @importId AND id_number = @idNumber', { importId, idNumber });
    for (const rowNo of rows) {
      const other = rows[0] === rowNo ? rows[1] : rows[0];
      await tx.run('INSERT INTO roster_problem (import_id, row_no, problems, refused) VALUES (@importId, @rowNo, @problems, 1)', {
        importId,
        rowNo,
        problems: JSON.stringify([{ code: 'row.duplicate', value: String(other) }]),
      });
      refused++;
    }
  }
  await tx.run(
    `INSERT INTO roster_cell (import_id, building, unit, residents) SELECT import_id, building, unit, count(*) FROM roster_resident
     WHERE import_id = @importId GROUP BY import_id, building, unit`,
    { importId },
  );
  const imp = (await rosterImport(tx, importId))!;
  const current = await currentRosterImport(tx, imp.siteId);
  const changes: RosterChangeCounts = { new: 0, moved: 0, changed: 0, gone: 0 };
  const residents = num((await tx.one<{ n: number | string }>('SELECT count(*) AS n FROM roster_resident WHERE import_id = @importId', { importId }))!.n);
  if (current) {
    const p = { importId, prev: current.id };
    await tx.run(
      `INSERT INTO roster_change (import_id, kind, id_number, row_no, before)
       SELECT @importId, 'new', r.id_number, r.row_no, NULL FROM roster_resident r WHERE r.import_id = @importId
         AND NOT EXISTS (SELECT 1 FROM roster_resident o WHERE o.import_id = @prev AND o.id_number = r.id_number)`,
      p,
    );
    await tx.run(
      `INSERT INTO roster_change (import_id, kind, id_number, row_no, before)
       SELECT @importId, 'gone', o.id_number, NULL, o.name || '|' || o.building || '-' || o.unit || '-' || o.room FROM roster_resident o WHERE o.import_id = @prev
         AND NOT EXISTS (SELECT 1 FROM roster_resident r WHERE r.import_id = @importId AND r.id_number = o.id_number)`,
      p,
    );
    await tx.run(
      `INSERT INTO roster_change (import_id, kind, id_number, row_no, before)
       SELECT @importId, CASE WHEN r.building <> o.building OR r.unit <> o.unit OR r.room <> o.room THEN 'moved' ELSE 'changed' END,
         r.id_number, r.row_no, o.name || '|' || o.building || '-' || o.unit || '-' || o.room
       FROM roster_resident r JOIN roster_resident o ON o.import_id = @prev AND o.id_number = r.id_number
       WHERE r.import_id = @importId AND (r.building <> o.building OR r.unit <> o.unit OR r.room <> o.room OR r.name <> o.name
         OR coalesce(r.phone, '') <> coalesce(o.phone, '') OR r.tags <> o.tags)`,
      p,
    );
    for (const c of await tx.all<{ kind: keyof RosterChangeCounts; n: number | string }>('SELECT kind, count(*) AS n FROM roster_change WHERE import_id = @importId GROUP BY kind', { importId })) {
      changes[c.kind] = num(c.n);
    }
  } else {
    changes.new = residents;
  }
  await tx.run(
    `UPDATE roster_import SET state = 'ready', total_rows = @totalRows, residents = @residents, refused = @refused, warned = @warned,
       changes = @changes, headers = @headers, plan = @plan WHERE id = @importId AND state = @from`,
    {
      importId,
      from,
      totalRows: input.totalRows,
      residents,
      refused,
      warned: input.warned,
      changes: JSON.stringify(changes),
      headers: JSON.stringify(input.headers),
      plan: JSON.stringify(input.plan),
    },
  );
  return (await rosterImport(tx, importId))!;
}

export type RosterApplyOutcome = { ok: true; roster: HqRosterImport } | { ok: false; error: 'roster.unknown' | 'roster.notReady' };

/**
 * One change of a site's roster in use at a time. On PostgreSQL (READ COMMITTED) two transactions
 * applying versions of one site (staff applying one while a station's completes in an ingest)
 * would each supersede the version in use and both become current; the site's row is their lock.
 * SQLite runs one transaction at a time anyway.
 */
async function lockSite(tx: Tx, siteId: string): Promise<void> {
  if (tx.dialect === 'postgres') await tx.run('SELECT id FROM site WHERE id = @siteId FOR UPDATE', { siteId });
}

/** The version becomes its site's roster; every station of the site is told to fetch it. */
export async function applyRosterImport(tx: Tx, importId: string, at: string): Promise<RosterApplyOutcome> {
  const found = await rosterImport(tx, importId);
  if (!found) return { ok: false, error: 'roster.unknown' };
  await lockSite(tx, found.siteId);
  // Read again under the lock: another transaction may have applied or discarded it meanwhile.
  const imp = (await rosterImport(tx, importId))!;
  if (imp.state !== 'ready') return { ok: false, error: 'roster.notReady' };
  // The version before the one now superseded is no longer read by anyone (stations fetch the current one).
  const old = await tx.all<{ id: string }>(`SELECT id FROM roster_import WHERE site_id = @siteId AND state = 'superseded'`, { siteId: imp.siteId });
  for (const o of old) await dropRosterRows(tx, o.id, 'discarded');
  await tx.run(`UPDATE roster_import SET state = 'superseded' WHERE site_id = @siteId AND state = 'current'`, { siteId: imp.siteId });
  await tx.run(`UPDATE roster_import SET state = 'current', applied_at = @at WHERE id = @importId`, { at, importId });
  const applied = (await rosterImport(tx, importId))!;
  await addFeed(tx, {
    siteId: imp.siteId,
    stationId: null,
    kind: 'roster.version',
    payload: JSON.stringify({ importId, siteId: imp.siteId, rows: applied.residents, fileName: applied.fileName ?? '', source: applied.source, appliedAt: at }),
    at,
  });
  return { ok: true, roster: applied };
}

async function dropRows(tx: Tx, importId: string): Promise<void> {
  for (const table of ['roster_resident', 'roster_problem', 'roster_change', 'roster_cell']) await tx.run(`DELETE FROM ${table} WHERE import_id = @importId`, { importId });
}

async function dropRosterRows(tx: Tx, importId: string, state: RosterImportState): Promise<void> {
  await dropRows(tx, importId);
  await tx.run('UPDATE roster_import SET state = @state WHERE id = @importId', { state, importId });
}

/** States staff (or the CLI) may discard an import from; `from` narrows it (the map action discards only one waiting for its headers). */
const DISCARDABLE: readonly RosterImportState[] = ['ready', 'needsMapping', 'failed', 'reading'];

export async function discardRosterImport(tx: Tx, importId: string, from: readonly RosterImportState[] = DISCARDABLE): Promise<RosterApplyOutcome> {
  const imp = await rosterImport(tx, importId);
  if (!imp) return { ok: false, error: 'roster.unknown' };
  if (!from.includes(imp.state)) return { ok: false, error: 'roster.notReady' };
  // Only from the state just read: on PostgreSQL a reader finishing at this moment holds the row,
  // and this then finds it `ready` and leaves it for staff to look at (they can discard it then).
  const changed = await tx.run(`UPDATE roster_import SET state = 'discarded', upload_file = NULL WHERE id = @importId AND state = @state`, { importId, state: imp.state });
  if (changed === 0) return { ok: false, error: 'roster.notReady' };
  await dropRows(tx, importId);
  return { ok: true, roster: (await rosterImport(tx, importId))! };
}

/** The uploaded ledger an import still holds in HQ's upload folder, if any. */
export async function importUploadFile(tx: Tx, importId: string): Promise<string | null> {
  return (await tx.one<{ upload_file: string | null }>('SELECT upload_file FROM roster_import WHERE id = @importId', { importId }))?.upload_file ?? null;
}

/** The import no longer needs its uploaded file (read to the end, refused, or given up). */
export async function forgetUploadFile(tx: Tx, importId: string): Promise<void> {
  await tx.run('UPDATE roster_import SET upload_file = NULL WHERE id = @importId', { importId });
}

/** Uploaded files imports still use: those being read, and those waiting for their headers to be mapped. */
export async function uploadFilesInUse(tx: Tx): Promise<Set<string>> {
  const rows = await tx.all<{ upload_file: string }>(`SELECT upload_file FROM roster_import WHERE upload_file IS NOT NULL AND state IN ('reading', 'needsMapping')`);
  return new Set(rows.map((r) => r.upload_file));
}

/**
 * Imports nobody reads any more, found by a serving HQ (never by a one-shot CLI instance):
 * `reading` with no heartbeat since `staleBefore` (the HQ process reading it stopped; a live
 * reader touches its import every few seconds, whichever HQ process it runs in) has its rows
 * dropped and is marked failed; `needsMapping` since before `mappingBefore` (no one mapped its
 * headers) is discarded. Returns their uploaded files, for the caller to delete.
 */
export async function sweepStaleImports(tx: Tx, cutoffs: { staleBefore: string; mappingBefore: string }): Promise<{ abandoned: string[]; expired: string[]; files: string[] }> {
  const abandoned: string[] = [];
  const expired: string[] = [];
  const files: string[] = [];
  const stale = await tx.all<{ id: string; upload_file: string | null }>(
    `SELECT id, upload_file FROM roster_import WHERE state = 'reading' AND (touched_at IS NULL OR touched_at < @staleBefore)`,
    cutoffs,
  );
  for (const s of stale) {
    // The same condition again, on the row itself: a reader that touched it or finished meanwhile keeps it.
    const given = await tx.run(
      `UPDATE roster_import SET state = 'failed', failure = @failure, upload_file = NULL
       WHERE id = @id AND state = 'reading' AND (touched_at IS NULL OR touched_at < @staleBefore)`,
      { id: s.id, staleBefore: cutoffs.staleBefore, failure: JSON.stringify({ code: 'internal', rowNo: null }) },
    );
    if (given === 0) continue;
    await dropRows(tx, s.id);
    abandoned.push(s.id);
    if (s.upload_file) files.push(s.upload_file);
  }
  const waiting = await tx.all<{ id: string; upload_file: string | null }>(
    `SELECT id, upload_file FROM roster_import WHERE state = 'needsMapping' AND created_at < @mappingBefore`,
    cutoffs,
  );
  for (const w of waiting) {
    if ((await tx.run(`UPDATE roster_import SET state = 'discarded', upload_file = NULL WHERE id = @id AND state = 'needsMapping'`, { id: w.id })) === 0) continue;
    await dropRows(tx, w.id);
    expired.push(w.id);
    if (w.upload_file) files.push(w.upload_file);
  }
  return { abandoned, expired, files };
}

export type RosterPage = { total: number; rows: [number, ...ResidentTuple][] };

/** A page of a version's residents for a station fetching it, in row order, after row `after`. */
export async function rosterPage(tx: Tx, importId: string, after: number, limit: number): Promise<RosterPage> {
  const imp = await rosterImport(tx, importId);
  const rows = await tx.all<{ row_no: number | string; id_number: string; name: string; phone: string | null; building: string; unit: string; room: string; tags: number | string }>(
    `SELECT row_no, id_number, name, phone, building, unit, room, tags FROM roster_resident WHERE import_id = @importId AND row_no > @after ORDER BY row_no LIMIT @limit`,
    { importId, after, limit },
  );
  return {
    total: imp?.residents ?? 0,
    rows: rows.map((r) => [num(r.row_no), r.id_number, r.name, r.phone, r.building, r.unit, r.room, num(r.tags)]),
  };
}

export type RosterProblemRow = { rowNo: number; refused: boolean; problems: { code: string; value?: string }[] };

export async function rosterProblems(tx: Tx, importId: string, offset: number, limit: number): Promise<{ total: number; rows: RosterProblemRow[] }> {
  const total = num((await tx.one<{ n: number | string }>('SELECT count(*) AS n FROM roster_problem WHERE import_id = @importId', { importId }))!.n);
  const rows = await tx.all<{ row_no: number | string; problems: string; refused: number | string }>(
    `SELECT row_no, problems, refused FROM roster_problem WHERE import_id = @importId ORDER BY row_no, refused DESC LIMIT ${Math.floor(limit)} OFFSET ${Math.floor(offset)}`,
    { importId },
  );
  return { total, rows: rows.map((r) => ({ rowNo: num(r.row_no), refused: num(r.refused) === 1, problems: JSON.parse(r.problems) as RosterProblemRow['problems'] })) };
}

export type RosterChangeRow = { kind: keyof RosterChangeCounts; rowNo: number | null; idNumber: string; name: string; household: string; before: string | null };

export async function rosterChanges(tx: Tx, importId: string, limit: number): Promise<RosterChangeRow[]> {
  const rows = await tx.all<{ kind: keyof RosterChangeCounts; row_no: number | string | null; id_number: string; before: string | null; name: string | null; home: string | null }>(
    `SELECT c.kind, c.row_no, c.id_number, c.before, r.name, r.building || '-' || r.unit || '-' || r.room AS home
     FROM roster_change c LEFT JOIN roster_resident r ON r.import_id = c.import_id AND r.id_number = c.id_number
     WHERE c.import_id = @importId ORDER BY c.kind, c.row_no LIMIT ${Math.floor(limit)}`,
    { importId },
  );
  return rows.map((r) => {
    const [beforeName, beforeHome] = r.before ? r.before.split('|') : [null, null];
    return { kind: r.kind, rowNo: r.row_no === null ? null : num(r.row_no), idNumber: r.id_number, name: r.name ?? beforeName ?? '', household: r.home ?? beforeHome ?? '', before: r.before ? `${beforeName} ${beforeHome}` : null };
  });
}

/** At most this many rows per `roster.rows` entry (the protocol's limit): row numbers per part never overlap. */
const ROWS_PER_PART_MAX = 5000;

export type RowsWriter = (importId: string, rows: readonly { rowNo: number; t: ResidentTuple }[]) => Promise<void>;

/**
 * A roster a site admin imported at one of the site's stations, as it arrives in the station's
 * journal: the version is opened by `roster.committed` and filled by `roster.rows`; once every row
 * is in, it becomes the site's roster. Rows of a version of another site (a station's demo
 * roster before it was enrolled) are not the site's.
 */
export async function projectStationRoster(tx: Tx, station: { id: string; siteId: string }, p: Projection, at: string, writeRows: RowsWriter): Promise<void> {
  for (const c of p.rosterCommits) {
    if (c.siteId !== station.siteId || c.rows > MAX_ROSTER_ROWS) continue;
    await createRosterImport(tx, { id: c.importId, siteId: station.siteId, source: 'station', stationId: station.id, fileName: c.fileName, state: 'receiving', expectedRows: c.rows, at: c.at });
    if (c.rows === 0) await completeStationRoster(tx, c.importId, at);
  }
  for (const r of p.rosterRows) {
    const imp = await rosterImport(tx, r.importId);
    if (!imp || imp.state !== 'receiving' || imp.stationId !== station.id) continue;
    // A station journals a version's parts in order (0, 1, 2, …) and HQ takes its journal in
    // order, so the one part that counts is the next: a part already in (journalled twice) would,
    // counted again, make the version look complete before all its rows are in, and one past the
    // next is not of this version.
    const last = await tx.one<{ n: number | string | null }>('SELECT max(row_no) AS n FROM roster_resident WHERE import_id = @importId', { importId: r.importId });
    const nextPart = last?.n === null || last?.n === undefined ? 0 : Math.floor((num(last.n) - 1) / ROWS_PER_PART_MAX) + 1;
    if (r.part !== nextPart) continue;
    const first = r.part * ROWS_PER_PART_MAX + 1;
    await writeRows(
      r.importId,
      r.rows.map((t, i) => ({ rowNo: first + i, t })),
    );
    await tx.run('UPDATE roster_import SET residents = residents + @n, total_rows = total_rows + @n WHERE id = @importId', { n: r.rows.length, importId: r.importId });
    if (imp.residents + r.rows.length >= (imp.expectedRows ?? Infinity)) await completeStationRoster(tx, r.importId, at);
  }
}

async function completeStationRoster(tx: Tx, importId: string, at: string): Promise<void> {
  const done = await finishRosterImport(tx, importId, 'receiving', { totalRows: 0, refused: 0, warned: 0, duplicates: new Map(), headers: [], plan: null, at });
  if (!done) return;
  await tx.run('UPDATE roster_import SET total_rows = residents WHERE id = @importId', { importId });
  await applyRosterImport(tx, importId, at);
}

import type Database from 'better-sqlite3-multiple-ciphers';
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type {
  ResidentView,
  RosterChangeView,
  RosterFailureCode,
  RosterFieldName,
  RosterImportState,
  RosterImportView,
  RosterProblemView,
  RosterSummary,
} from '../../api/roster';
import { LEDGER_CHUNK_BYTES } from '../../api/roster';
import { MAX_ROSTER_ROWS } from '../../../hq/protocol';
import type { CoreContext } from '../context';
import { attachEncrypted, openEncrypted } from '../db/cipher';
import { DomainError } from '../errors';
import { newId } from '../ids';
import { createLogger } from '../log';
import { maskIdNumber, maskPhone } from '../person/mask';
import { headerMappingSchema, type ColumnPlan, type HeaderMapping, type ResidentTag } from './fields';
import type { FeedHandlers } from '../feed/feed';
import {
  bitsToTags,
  ensureEmptyRoster,
  remarkRosterFile,
  RosterFileBuilder,
  rosterDir,
  rosterFileMeta,
  rosterPath,
  type ChangeCounts,
  type ResidentTuple,
} from './file';
import { LedgerCancelled, readLedger, type LedgerProgress } from './import';
import type { LedgerSource } from './read';
import { SealedLedger } from './sealed';
import { DEFAULT_HOUSEHOLD_RULES } from './validate';

const log = createLogger('roster');

const MAPPING_KEY = 'roster.headerMap';
/** Rows per page fetched from HQ. */
const RECEIVE_PAGE = 5000;

/** A page of a roster version from HQ: the version's size, and rows as row number then resident. */
export type RosterPageRows = { total: number; rows: [number, ...ResidentTuple][] };
/** Rows per `roster.rows` journal entry (about 100 KB of JSON). */
export const ROWS_PER_ENTRY = 1000;
/** Progress events at most this often. */
const PROGRESS_EVERY_MS = 200;
/** A version imported here whose rows are not all in the journal yet: its file stays until they are, whatever its state. */
const JOURNAL_PENDING = `(source = 'station' AND seq IS NOT NULL AND journalled_rows < residents)`;

type ImportRow = {
  id: string;
  source: 'station' | 'hq';
  file_name: string | null;
  state: RosterImportState;
  total_rows: number;
  residents: number;
  refused: number;
  warned: number;
  changes: string | null;
  headers: string;
  plan: string | null;
  failure: string | null;
  mark_key_id: string | null;
  created_at: string;
  applied_at: string | null;
  journalled_rows: number;
  journal_cursor: number;
  /** Who read the ledger here: the rows journalled after it was applied are theirs too. */
  operator_id: string | null;
};

/** A resident as the screens may show them (ID number and phone masked); `ref` is what a desk sends back. */
export function residentView(
  r: { rowid: number; id_number: string; name: string; phone: string | null; building: string; unit: string; room: string; tags: number },
  importId: string,
): ResidentView {
  return {
    ref: `${importId}:${r.rowid}`,
    name: r.name,
    maskedIdNumber: maskIdNumber(r.id_number),
    maskedPhone: r.phone ? maskPhone(r.phone) : null,
    building: r.building,
    unit: r.unit,
    room: r.room,
    tags: bitsToTags(r.tags),
  };
}

type ResidentRow = { rowid: number; row_no: number; id_number: string; name: string; phone: string | null; building: string; unit: string; room: string; tags: number };

/** A ledger uploaded from the screen, sealed as it arrives (`sealed.ts`). */
type Upload = { fileName: string; size: number; received: number; ledger: SealedLedger };
/** What is read: an upload (removed once read), or a file of the admin's own, read in place and left there. */
type LedgerToRead = { fileName: string; source: LedgerSource; upload: Upload | null };

export type RosterDeps = CoreContext & {
  markKey: () => string;
  emit: {
    progress(importId: string, progress: NonNullable<RosterImportView['progress']>): void;
    changed(importId: string, state: RosterImportState): void;
  };
  /** The roster in use changed (applied here or received): coverage is counted again. */
  onApplied(): void;
};

/** Which key a roster file's marks were made with: a fingerprint, never the key itself. */
export function markKeyId(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16);
}

export function household(r: { building: string; unit: string; room: string }): string {
  return [r.building, r.unit, r.room].filter((x) => x !== '').join('-');
}

/**
 * The resident roster (台账) at this station: ledgers read into a new roster file, looked at,
 * then applied whole or discarded; the one in use attached to the core's connection as
 * `roster`; residents found at the desk by name, household or the last digits of the ID number.
 * A roster imported here goes to HQ in the journal (`roster.committed`, then `roster.rows` a
 * chunk at a time), and HQ sends it on to every desk of the site.
 */
export class Roster {
  private readonly uploads = new Map<string, Upload>();
  private job: { importId: string; cancelled: boolean; done: Promise<void> } | null = null;
  private readonly files = new Map<string, Database.Database>();
  private catchingUp: Promise<void> | null = null;
  private remarking: Promise<void> | null = null;
  /** Files being marked again, by import: one at a time each. */
  private readonly remarks = new Map<string, Promise<void>>();
  /**
   * The version attached as `roster` and the key its marks are under, as its file says. What the
   * desk reads (residents found, their refs, coverage) is this file, also in the moment between a
   * change of version being committed and its file being attached.
   */
  private inUse: { id: string | null; markKeyId: string | null } = { id: null, markKeyId: null };
  private closed = false;

  constructor(private readonly deps: RosterDeps) {}

  // ---- start-up --------------------------------------------------------------------------------

  /**
   * Attaches the roster in use and, unless another Station holds the data folder (`housekeeping`
   * false: `station enroll` beside the running app), clears what an interrupted import left behind
   * and resumes what a stop cut short: rows still to journal, marks still under an older key.
   */
  open(housekeeping = true): void {
    const db = this.deps.db;
    fs.mkdirSync(path.join(rosterDir(this.deps.dataDir), 'uploads'), { recursive: true });
    if (!housekeeping) {
      this.attach(this.currentFile(), this.currentRow()?.id ?? null);
      return;
    }
    // A ledger being read is given up; a version from HQ being fetched is fetched again from the
    // start after the next feed pull (its `roster.version` item is behind the feed cursor now).
    const interrupted = db.prepare(`SELECT id FROM roster_import WHERE state = 'reading'`).all() as { id: string }[];
    if (interrupted.length > 0) {
      this.deps.writer.runNow(() => {
        for (const r of interrupted) {
          db.prepare(`UPDATE roster_import SET state = 'failed', failure = ? WHERE id = ?`).run(JSON.stringify({ code: 'internal', rowNo: null }), r.id);
        }
      });
      log.warn({ imports: interrupted.length }, 'imports interrupted by a stop were given up');
    }
    // Files no version needs any more, half-fetched versions, uploads (sealed under keys gone with
    // the earlier run) and re-marked copies from an earlier run go.
    const keep = new Set((db.prepare(`SELECT id FROM roster_import WHERE state IN ('ready', 'current') OR ${JOURNAL_PENDING}`).all() as { id: string }[]).map((r) => `${r.id}.sqlite`));
    keep.add('empty.sqlite');
    for (const name of fs.readdirSync(rosterDir(this.deps.dataDir))) {
      if (name === 'uploads') continue;
      if (!keep.has(name)) fs.rmSync(path.join(rosterDir(this.deps.dataDir), name), { force: true });
    }
    for (const name of fs.readdirSync(path.join(rosterDir(this.deps.dataDir), 'uploads'))) fs.rmSync(path.join(rosterDir(this.deps.dataDir), 'uploads', name), { force: true });
    const current = this.currentRow();
    this.attach(this.currentFile(), current?.id ?? null);
    // Re-marking renames the file before it updates the row: a stop in between is put right here.
    if (current && this.inUse.markKeyId !== null && current.mark_key_id !== this.inUse.markKeyId) {
      this.deps.writer.runNow(() => db.prepare('UPDATE roster_import SET mark_key_id = ? WHERE id = ?').run(this.inUse.markKeyId, current.id));
    }
    void this.catchUpJournal();
    void this.remark();
  }

  private currentRow(): ImportRow | undefined {
    return this.deps.db.prepare(`SELECT * FROM roster_import WHERE state = 'current'`).get() as ImportRow | undefined;
  }

  private currentFile(): string {
    const current = this.currentRow();
    return current ? rosterPath(this.deps.dataDir, current.id) : ensureEmptyRoster(this.deps.dataDir, this.deps.dataKey);
  }

  /** Only between writer jobs (no transaction open): SQLite cannot attach inside one. */
  private attach(file: string, importId: string | null): void {
    const db = this.deps.db;
    const attached = (db.prepare(`SELECT file FROM pragma_database_list WHERE name = 'roster'`).get() as { file: string } | undefined)?.file;
    if (!attached || path.resolve(attached) !== path.resolve(file)) {
      if (attached) this.detach();
      attachEncrypted(db, file, 'roster', this.deps.dataKey);
    }
    this.inUse = { id: importId, markKeyId: importId === null ? null : this.attachedMarkKeyId() };
  }

  /** Which key the attached file's marks are under, as it says itself; null when it does not say. */
  private attachedMarkKeyId(): string | null {
    try {
      return (this.deps.db.prepare(`SELECT value FROM roster.meta WHERE key = 'markKeyId'`).get() as { value: string } | undefined)?.value ?? null;
    } catch {
      return null;
    }
  }

  private detach(): void {
    this.deps.db.exec('DETACH DATABASE roster');
    this.inUse = { id: null, markKeyId: null };
  }

  // ---- reads -----------------------------------------------------------------------------------

  /** The roster version in use (attached), if any. */
  currentId(): string | null {
    return this.inUse.id;
  }

  /**
   * The version in use and which key its residents' marks are under: coverage is counted against
   * both, and only while that key is the one in use (a roster still being marked again after a key
   * change would match nobody).
   */
  marks(): { rosterId: string | null; markKeyId: string | null } {
    return { rosterId: this.inUse.id, markKeyId: this.inUse.markKeyId };
  }

  /** Residents in the roster in use. */
  mapping(): HeaderMapping {
    const row = this.deps.db.prepare('SELECT value FROM setting WHERE key = ?').get(MAPPING_KEY) as { value: string } | undefined;
    if (!row) return {};
    const parsed = headerMappingSchema.safeParse(JSON.parse(row.value));
    return parsed.success ? parsed.data : {};
  }

  private view(r: ImportRow): RosterImportView {
    const plan = r.plan ? (JSON.parse(r.plan) as ColumnPlan) : null;
    const job = this.job?.importId === r.id ? this.progressOf.get(r.id) ?? null : null;
    return {
      id: r.id,
      fileName: r.file_name,
      source: r.source,
      state: r.state,
      createdAt: r.created_at,
      appliedAt: r.applied_at,
      totalRows: r.total_rows,
      residents: r.residents,
      refused: r.refused,
      warned: r.warned,
      changes: r.changes ? (JSON.parse(r.changes) as ChangeCounts) : null,
      headers: JSON.parse(r.headers) as string[],
      unmapped: plan ? plan.unmapped.map((u) => u.header) : [],
      missingRequired: (plan?.missingRequired ?? []) as RosterFieldName[],
      duplicatedFields: (plan?.duplicated.map((d) => d.field) ?? []) as RosterFieldName[],
      failure: r.failure ? (JSON.parse(r.failure) as { code: RosterFailureCode; rowNo: number | null }) : null,
      progress: job,
    };
  }

  private readonly progressOf = new Map<string, NonNullable<RosterImportView['progress']>>();

  importView(importId: string): RosterImportView {
    const row = this.deps.db.prepare('SELECT * FROM roster_import WHERE id = ?').get(importId) as ImportRow | undefined;
    if (!row) throw new DomainError('roster.importUnknown', { importId });
    return this.view(row);
  }

  summary(): RosterSummary {
    const current = this.currentRow();
    const counts = this.deps.db
      .prepare(
        `SELECT (SELECT count(*) FROM roster.resident) AS residents,
                (SELECT count(DISTINCT building) FROM roster.cell) AS buildings,
                (SELECT count(*) FROM (SELECT DISTINCT building, unit, room FROM roster.resident)) AS households`,
      )
      .get() as { residents: number; buildings: number; households: number };
    const imports = (this.deps.db.prepare('SELECT * FROM roster_import ORDER BY created_at DESC LIMIT 20').all() as ImportRow[]).map((r) => this.view(r));
    return { current: current ? this.view(current) : null, ...counts, imports, mapping: this.mapping() };
  }

  /** A version's own file, read-only, for its report (problems, changes). */
  private fileOf(importId: string): Database.Database {
    let db = this.files.get(importId);
    if (!db) {
      const file = rosterPath(this.deps.dataDir, importId);
      if (!fs.existsSync(file)) throw new DomainError('roster.importNotReady', { importId });
      db = openEncrypted(file, this.deps.dataKey, { readonly: true, fileMustExist: true });
      this.files.set(importId, db);
    }
    return db;
  }

  private closeFile(importId: string): void {
    this.files.get(importId)?.close();
    this.files.delete(importId);
  }

  private reportable(importId: string): ImportRow {
    const row = this.deps.db.prepare('SELECT * FROM roster_import WHERE id = ?').get(importId) as ImportRow | undefined;
    if (!row) throw new DomainError('roster.importUnknown', { importId });
    if (!['ready', 'current', 'superseded'].includes(row.state) || !fs.existsSync(rosterPath(this.deps.dataDir, importId))) {
      throw new DomainError('roster.importNotReady', { importId });
    }
    return row;
  }

  problems(importId: string, offset: number, limit: number): { total: number; rows: RosterProblemView[] } {
    this.reportable(importId);
    const db = this.fileOf(importId);
    const total = (db.prepare('SELECT count(*) AS n FROM problem').get() as { n: number }).n;
    const rows = db.prepare('SELECT row_no, problems, refused FROM problem ORDER BY row_no, refused DESC LIMIT ? OFFSET ?').all(limit, offset) as {
      row_no: number;
      problems: string;
      refused: number;
    }[];
    return { total, rows: rows.map((r) => ({ rowNo: r.row_no, refused: r.refused === 1, problems: JSON.parse(r.problems) as RosterProblemView['problems'] })) };
  }

  changes(importId: string, kind: keyof ChangeCounts, offset: number, limit: number): { total: number; rows: RosterChangeView[] } {
    this.reportable(importId);
    const db = this.fileOf(importId);
    const total = (db.prepare('SELECT count(*) AS n FROM change WHERE kind = ?').get(kind) as { n: number }).n;
    const rows = db
      .prepare(
        `SELECT c.kind, c.row_no, c.id_number, c.before, r.name, r.building, r.unit, r.room FROM change c
         LEFT JOIN resident r ON r.id_number = c.id_number WHERE c.kind = ? ORDER BY c.row_no, c.id_number LIMIT ? OFFSET ?`,
      )
      .all(kind, limit, offset) as { kind: keyof ChangeCounts; row_no: number | null; id_number: string; before: string | null; name: string | null; building: string | null; unit: string | null; room: string | null }[];
    return {
      total,
      rows: rows.map((r) => {
        const before = r.before ? (JSON.parse(r.before) as [string, string | null, string, string, string, number]) : null;
        const now = r.name !== null ? { name: r.name, household: household({ building: r.building!, unit: r.unit!, room: r.room! }) } : null;
        const was = before ? { name: before[0], household: household({ building: before[2], unit: before[3], room: before[4] }) } : null;
        return { kind: r.kind, rowNo: r.row_no, maskedIdNumber: maskIdNumber(r.id_number), name: now?.name ?? was?.name ?? '', household: now?.household ?? was?.household ?? '', before: r.kind === 'new' ? null : was };
      }),
    };
  }

  /**
   * Finds residents for the desk: by the last digits of the ID number (4 to 8, "002X" too), by
   * household ("3-2-502", "3 2"), or by the start of the name. At most 20.
   */
  search(query: string): ResidentView[] {
    const current = this.inUse.id;
    if (current === null) return [];
    const q = query.trim().toUpperCase();
    const columns = 'rowid, row_no, id_number, name, phone, building, unit, room, tags';
    let rows: ResidentRow[];
    const tail = /^\d{3,7}[\dX]$/.exec(q);
    const home = /^(\w{1,6})[-\s/]+(\w{1,4})(?:[-\s/]+(\w{1,6}))?$/u.exec(q);
    if (tail) {
      // The last digits are read from every row (no index): about 0.1 s for a million residents.
      rows = this.deps.db.prepare(`SELECT ${columns} FROM roster.resident WHERE substr(id_number, ?) = ? ORDER BY building, unit, room LIMIT 20`).all(19 - q.length, q) as ResidentRow[];
    } else if (home) {
      const [, building, unit, room] = home;
      rows = (
        room
          ? this.deps.db.prepare(`SELECT ${columns} FROM roster.resident WHERE building = ? AND unit = ? AND room = ? ORDER BY name LIMIT 20`).all(building, unit, room)
          : this.deps.db.prepare(`SELECT ${columns} FROM roster.resident WHERE building = ? AND unit = ? ORDER BY room, name LIMIT 20`).all(building, unit)
      ) as ResidentRow[];
    } else {
      rows = this.deps.db.prepare(`SELECT ${columns} FROM roster.resident WHERE name >= ? AND name < ? ORDER BY name LIMIT 20`).all(query.trim(), `${query.trim()}\uffff`) as ResidentRow[];
    }
    return rows.map((r) => residentView(r, current));
  }

  /** The resident a desk picked from `search`: who they are, to be bound like a scanned person. */
  resident(ref: string): { idNumber: string; name: string; phone: string | null } {
    const m = /^([0-9a-f-]{36}):(\d+)$/.exec(ref);
    if (this.inUse.id === null || !m || m[1] !== this.inUse.id) throw new DomainError('roster.residentUnknown');
    const row = this.deps.db.prepare('SELECT id_number, name, phone FROM roster.resident WHERE rowid = ?').get(Number(m[2])) as
      | { id_number: string; name: string; phone: string | null }
      | undefined;
    if (!row) throw new DomainError('roster.residentUnknown');
    return { idNumber: row.id_number, name: row.name, phone: row.phone };
  }

  /** A resident of the roster in use by their ID number (the gate: which household, which tags); null when not on it. */
  residentByIdNumber(idNumber: string): { name: string; household: string; tags: ResidentTag[] } | null {
    if (this.inUse.id === null) return null;
    const row = this.deps.db.prepare('SELECT name, building, unit, room, tags FROM roster.resident WHERE id_number = ?').get(idNumber) as
      | { name: string; building: string; unit: string; room: string; tags: number }
      | undefined;
    return row ? { name: row.name, household: household(row), tags: bitsToTags(row.tags) } : null;
  }

  // ---- importing a ledger ----------------------------------------------------------------------

  private uploadsDir(): string {
    return path.join(rosterDir(this.deps.dataDir), 'uploads');
  }

  beginUpload(fileName: string, size: number): { uploadId: string; chunkBytes: number } {
    const uploadId = randomUUID();
    const ledger = SealedLedger.create(path.join(this.uploadsDir(), `${uploadId}.part`));
    this.uploads.set(uploadId, { fileName: path.basename(fileName), size, received: 0, ledger });
    return { uploadId, chunkBytes: LEDGER_CHUNK_BYTES };
  }

  appendUpload(uploadId: string, offset: number, base64: string): { received: number } {
    const upload = this.uploads.get(uploadId);
    if (!upload) throw new DomainError('roster.uploadUnknown');
    const data = Buffer.from(base64, 'base64');
    // A chunk sent again (the answer was lost) is acknowledged, not appended twice.
    if (offset + data.length <= upload.received) return { received: upload.received };
    if (offset !== upload.received) throw new DomainError('roster.uploadOutOfOrder', { expected: upload.received, got: offset });
    if (upload.received + data.length > upload.size) throw new DomainError('roster.uploadTooLarge', { size: upload.size });
    upload.ledger.write(upload.received, data);
    upload.received += data.length;
    return { received: upload.received };
  }

  /** Starts reading an uploaded ledger into a new roster version; the admin's mapping is saved for next time. */
  async read(uploadId: string, mapping: HeaderMapping | undefined, encoding: 'utf-8' | 'gb18030' | undefined): Promise<RosterImportView> {
    const upload = this.uploads.get(uploadId);
    if (!upload) throw new DomainError('roster.uploadUnknown');
    if (upload.received !== upload.size) throw new DomainError('roster.uploadIncomplete', { received: upload.received, size: upload.size });
    return this.startRead({ fileName: upload.fileName, source: upload.ledger, upload }, mapping, encoding);
  }

  /** Reads a ledger file on this machine (`station roster import`); the file is left where it is. */
  readFile(file: string, mapping: HeaderMapping | undefined, encoding: 'utf-8' | 'gb18030' | undefined): Promise<RosterImportView> {
    return this.startRead({ fileName: path.basename(file), source: file, upload: null }, mapping, encoding);
  }

  private async startRead(ledger: LedgerToRead, mapping: HeaderMapping | undefined, encoding: 'utf-8' | 'gb18030' | undefined): Promise<RosterImportView> {
    if (this.job) throw new DomainError('roster.busy');
    const importId = newId();
    const at = this.deps.now().toISOString();
    const merged = { ...this.mapping(), ...(mapping ?? {}) };
    // Taken before the first await: a second read asked for meanwhile is refused, not started beside it.
    const job = { importId, cancelled: false, done: Promise.resolve() };
    this.job = job;
    try {
      await this.begin(importId, ledger.fileName, mapping, merged, at);
    } catch (err) {
      this.job = null;
      throw err;
    }
    job.done = this.runRead(job, ledger, merged, encoding).finally(() => {
      if (this.job === job) this.job = null;
      this.progressOf.delete(importId);
    });
    return this.importView(importId);
  }

  private begin(importId: string, fileName: string, mapping: HeaderMapping | undefined, merged: HeaderMapping, at: string): Promise<void> {
    return this.deps.writer.run(() => {
      if (mapping) {
        this.deps.db
          .prepare('INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value')
          .run(MAPPING_KEY, JSON.stringify(merged));
      }
      // A ledger read again after mapping its headers replaces the attempt that asked for the mapping.
      this.deps.db.prepare(`UPDATE roster_import SET state = 'discarded' WHERE state = 'needsMapping'`).run();
      this.deps.db
        .prepare(`INSERT INTO roster_import (id, source, file_name, state, created_at, operator_id, mark_key_id) VALUES (?, 'station', ?, 'reading', ?, ?, ?)`)
        .run(importId, fileName, at, this.deps.operatorId(), markKeyId(this.deps.markKey()));
    });
  }

  private async runRead(job: { importId: string; cancelled: boolean }, ledger: LedgerToRead, mapping: HeaderMapping, encoding: 'utf-8' | 'gb18030' | undefined): Promise<void> {
    const { importId } = job;
    let last = 0;
    const progress = (p: LedgerProgress | { phase: 'receiving'; rows: number; bytes: number; totalBytes: number }) => {
      this.progressOf.set(importId, p);
      const now = Date.now();
      if (now - last < PROGRESS_EVERY_MS && p.phase === 'reading') return;
      last = now;
      this.deps.emit.progress(importId, p);
    };
    let update: { state: RosterImportState; fields: Record<string, unknown> };
    try {
      const result = await readLedger({
        source: ledger.source,
        out: rosterPath(this.deps.dataDir, importId),
        mapping,
        rules: this.deps.identity.site.config.household ?? DEFAULT_HOUSEHOLD_RULES,
        markKey: this.deps.markKey(),
        dataKey: this.deps.dataKey,
        previous: this.inUse.id !== null ? rosterPath(this.deps.dataDir, this.inUse.id) : null,
        ...(encoding ? { encoding } : {}),
        meta: { importId, fileName: ledger.fileName, markKeyId: markKeyId(this.deps.markKey()) },
        onProgress: progress,
        cancelled: () => job.cancelled || this.closed,
      });
      if (result.ok && result.built.residents > MAX_ROSTER_ROWS) {
        // HQ takes no larger roster: it would never reach HQ or the other desks.
        fs.rmSync(rosterPath(this.deps.dataDir, importId), { force: true });
        update = { state: 'failed', fields: { failure: JSON.stringify({ code: 'file.tooManyRows', rowNo: null }) } };
      } else if (result.ok) {
        update = {
          state: 'ready',
          fields: {
            total_rows: result.totalRows,
            residents: result.built.residents,
            refused: result.built.refused,
            warned: result.built.warned,
            changes: JSON.stringify(result.built.changes),
            headers: JSON.stringify(result.headers),
            plan: JSON.stringify(result.plan),
          },
        };
      } else if (result.reason === 'mapping') {
        update = { state: 'needsMapping', fields: { headers: JSON.stringify(result.headers), plan: JSON.stringify(result.plan) } };
      } else {
        update = { state: 'failed', fields: { failure: JSON.stringify({ code: result.code, rowNo: result.rowNo }) } };
      }
    } catch (err) {
      if (!(err instanceof LedgerCancelled)) log.error({ err }, 'roster import failed');
      update = { state: err instanceof LedgerCancelled ? 'discarded' : 'failed', fields: { failure: JSON.stringify({ code: 'internal', rowNo: null }) } };
    }
    if (this.closed) return;
    // Kept (sealed) while the admin maps the headers, so the same upload is read again; otherwise done with.
    const { upload } = ledger;
    if (update.state !== 'needsMapping' && upload) {
      upload.ledger.remove();
      for (const [id, u] of this.uploads) if (u === upload) this.uploads.delete(id);
    }
    const columns = Object.keys(update.fields);
    await this.deps.writer.run(() =>
      this.deps.db
        .prepare(`UPDATE roster_import SET state = ?${columns.map((c) => `, ${c} = ?`).join('')} WHERE id = ?`)
        .run(update.state, ...columns.map((c) => update.fields[c]), importId),
    );
    log.info({ importId, state: update.state }, 'ledger read');
    this.deps.emit.changed(importId, update.state);
  }

  /** Waits for the ledger being read, the journalling and any re-marking (tests, benchmarks, shutdown). */
  async idle(): Promise<void> {
    await this.job?.done;
    await this.catchingUp;
    await this.remarking;
  }

  /**
   * The version's good rows become the roster in use, all at once. Imported here, it is journalled
   * for HQ (`roster.committed` in the same transaction; its rows follow in the journal a chunk at a
   * time, resumed after a restart).
   */
  async apply(importId: string): Promise<RosterImportView> {
    // A ledger read before the station took its site's key is marked again before it is used.
    const ready = this.deps.db.prepare(`SELECT state FROM roster_import WHERE id = ?`).get(importId) as { state: RosterImportState } | undefined;
    if (ready?.state === 'ready') {
      const key = this.deps.markKey();
      const file = rosterPath(this.deps.dataDir, importId);
      const meta = rosterFileMeta(file, this.deps.dataKey);
      if (meta && meta.markKeyId !== markKeyId(key)) await this.remarkFile(importId, key);
    }
    const at = this.deps.now().toISOString();
    const row = await this.deps.writer.run(() => {
      const r = this.deps.db.prepare('SELECT * FROM roster_import WHERE id = ?').get(importId) as ImportRow | undefined;
      if (!r) throw new DomainError('roster.importUnknown', { importId });
      if (r.state !== 'ready') throw new DomainError('roster.importNotReady', { importId, state: r.state });
      this.deps.db.prepare(`UPDATE roster_import SET state = 'superseded' WHERE state = 'current'`).run();
      let seq: number | null = null;
      if (r.source === 'station') {
        seq = this.deps.journal.append({
          stationId: this.deps.identity.station.id,
          operatorId: this.deps.operatorId(),
          at,
          kind: 'roster.committed',
          entityId: importId,
          payload: { siteId: this.deps.identity.site.id, rows: r.residents, fileName: r.file_name ?? '', entries: Math.ceil(r.residents / ROWS_PER_ENTRY) },
        });
      }
      this.deps.db.prepare(`UPDATE roster_import SET state = 'current', applied_at = ?, seq = ? WHERE id = ?`).run(at, seq, importId);
      return r;
    });
    this.switchTo(importId);
    log.info({ importId, residents: row.residents }, 'roster applied');
    this.deps.emit.changed(importId, 'current');
    return this.importView(importId);
  }

  /**
   * After the change is committed: the new file attached, the old ones removed, the new one's
   * marks made under the key in use if they are not (the key changed while it was being fetched),
   * and rows of a version imported here still to journal sent on, whichever version is in use.
   */
  private switchTo(importId: string): void {
    this.attach(rosterPath(this.deps.dataDir, importId), importId);
    this.removeUnusedFiles();
    this.deps.onApplied();
    void this.remark();
    void this.catchUpJournal();
  }

  /** Files of versions replaced, discarded or failed; one imported here stays until its rows are all in the journal. */
  private removeUnusedFiles(): void {
    const old = this.deps.db
      .prepare(`SELECT id FROM roster_import WHERE state IN ('superseded', 'discarded', 'failed') AND NOT ${JOURNAL_PENDING}`)
      .all() as { id: string }[];
    for (const r of old) {
      this.closeFile(r.id);
      const file = rosterPath(this.deps.dataDir, r.id);
      if (fs.existsSync(file)) fs.rmSync(file, { force: true });
    }
  }

  /**
   * After a feed page was committed: a version this station already had may have become the
   * site's roster again (`roster.version` for it); its file is attached.
   */
  useCurrent(): void {
    const current = this.currentRow();
    if (!current || current.id === this.inUse.id || this.closed) return;
    this.switchTo(current.id);
    log.info({ importId: current.id }, 'roster in use again, as HQ says');
    this.deps.emit.changed(current.id, 'current');
  }

  async discard(importId: string): Promise<RosterImportView> {
    const row = await this.deps.writer.run(() => {
      const r = this.deps.db.prepare('SELECT * FROM roster_import WHERE id = ?').get(importId) as ImportRow | undefined;
      if (!r) throw new DomainError('roster.importUnknown', { importId });
      if (r.state === 'reading' && this.job?.importId === importId) {
        this.job.cancelled = true;
        return r;
      }
      if (!['ready', 'needsMapping', 'failed'].includes(r.state)) throw new DomainError('roster.importNotReady', { importId, state: r.state });
      this.deps.db.prepare(`UPDATE roster_import SET state = 'discarded' WHERE id = ?`).run(importId);
      return r;
    });
    if (row.state !== 'reading') {
      this.closeFile(importId);
      fs.rmSync(rosterPath(this.deps.dataDir, importId), { force: true });
      this.deps.emit.changed(importId, 'discarded');
    } else {
      await this.job?.done;
    }
    return this.importView(importId);
  }

  /**
   * Journals the rows of a roster imported here that are not in the journal yet, a chunk per
   * writer job (the desk's scans go in between). Resumes where it stopped after a restart. A
   * version's file is removed once its last row is in, if it is no longer in use.
   */
  catchUpJournal(): Promise<void> {
    this.catchingUp ??= (async () => {
      try {
        for (;;) {
          if (this.closed) return;
          const more = await this.deps.writer.run(() => this.journalNextRows());
          if (!more) break;
        }
        if (!this.closed) this.removeUnusedFiles();
      } catch (err) {
        if (!this.closed) log.error({ err }, 'journalling the roster failed; it resumes at the next start');
      } finally {
        this.catchingUp = null;
      }
    })();
    return this.catchingUp;
  }

  /** Versions whose rows could not be journalled (their file was removed by an older Station), said once. */
  private readonly unjournallable = new Set<string>();

  /**
   * The next chunk of a version imported here, oldest version first, read from the version's own
   * file whatever its state: a version replaced before all its rows went (by one from HQ, by a
   * newer import) still reaches HQ whole, and HQ, which puts a version in use when its last row
   * arrives, ends on the same version as this desk.
   */
  private journalNextRows(): boolean {
    const pending = this.deps.db.prepare(`SELECT * FROM roster_import WHERE ${JOURNAL_PENDING} ORDER BY seq`).all() as ImportRow[];
    for (const r of pending) {
      if (!fs.existsSync(rosterPath(this.deps.dataDir, r.id))) {
        if (!this.unjournallable.has(r.id)) log.error({ importId: r.id, journalled: r.journalled_rows, residents: r.residents }, 'the rest of a roster cannot be journalled: its file is gone');
        this.unjournallable.add(r.id);
        continue;
      }
      const found = this.fileOf(r.id)
        .prepare('SELECT rowid, id_number, name, phone, building, unit, room, tags FROM resident WHERE rowid > ? ORDER BY rowid LIMIT ?')
        .raw()
        .all(r.journal_cursor, ROWS_PER_ENTRY) as [number, ...ResidentTuple][];
      if (found.length === 0) continue;
      const rows = found.map(([, ...tuple]) => tuple);
      this.deps.journal.append({
        stationId: this.deps.identity.station.id,
        operatorId: r.operator_id ?? this.deps.operatorId(),
        at: this.deps.now().toISOString(),
        kind: 'roster.rows',
        entityId: r.id,
        payload: { part: Math.floor(r.journalled_rows / ROWS_PER_ENTRY), rows },
      });
      this.deps.db
        .prepare('UPDATE roster_import SET journalled_rows = ?, journal_cursor = ? WHERE id = ?')
        .run(r.journalled_rows + rows.length, found[found.length - 1]![0], r.id);
      return true;
    }
    return false;
  }

  /**
   * The roster in use with every resident's mark under the key in use: after the station took its
   * site's key, at start-up when a stop cut that short, after a version fetched under the old key
   * was put in use. In the background (seconds for a million residents); coverage is not counted
   * against the roster until it is done (`Coverage.countable`), then counted again.
   */
  remark(): Promise<void> {
    if (!this.remarking) {
      // Cleared when done (`finally` runs a turn later, so never before it is set).
      const run = this.remarkInUse().finally(() => {
        if (this.remarking === run) this.remarking = null;
      });
      this.remarking = run;
    }
    return this.remarking;
  }

  private async remarkInUse(): Promise<void> {
    try {
      for (;;) {
        if (this.closed) return;
        const { id, markKeyId: under } = this.inUse;
        const key = this.deps.markKey();
        if (id === null || under === markKeyId(key)) return;
        // The key may change again meanwhile: the loop looks again once this is done.
        await this.remarkFile(id, key);
      }
    } catch (err) {
      if (!this.closed) log.error({ err }, 'the roster could not be marked under the key in use; tried again at the next start');
    }
  }

  /**
   * Marks a version's file again under `key`: a copy is written beside it and renamed over it,
   * then the row says so. In that order: the file records its own key, so a stop in between is
   * put right at the next start, and never leaves a row saying "new key" over old marks.
   */
  private remarkFile(importId: string, key: string): Promise<void> {
    const running = this.remarks.get(importId);
    if (running) return running;
    const work = (async () => {
      const file = rosterPath(this.deps.dataDir, importId);
      const tmp = `${file}.remark`;
      const id = markKeyId(key);
      if (!(await remarkRosterFile(file, tmp, key, id, this.deps.dataKey, () => this.closed))) return;
      // Stopping, or the version was replaced and its file removed meanwhile: the copy is not wanted.
      if (this.closed || !fs.existsSync(file)) {
        fs.rmSync(tmp, { force: true });
        return;
      }
      const attached = this.inUse.id === importId;
      if (attached) this.detach();
      this.closeFile(importId);
      try {
        fs.renameSync(tmp, file);
      } finally {
        if (attached) this.attach(file, importId);
      }
      await this.deps.writer.run(() => this.deps.db.prepare('UPDATE roster_import SET mark_key_id = ? WHERE id = ?').run(id, importId));
      log.info({ importId }, 'roster marks made under the key in use');
      if (attached) this.deps.onApplied();
    })().finally(() => this.remarks.delete(importId));
    this.remarks.set(importId, work);
    return work;
  }

  // ---- versions from HQ ----------------------------------------------------------------------

  /**
   * `roster.version`: the site's roster is now this version (imported at HQ or at a desk). A new
   * one is noted here as `receiving`; `receive` fetches its rows. One this station has already
   * (imported here, or received before another replaced it) is put back in use: a desk that
   * received an older version from HQ after applying its own import ends on its own import once
   * HQ publishes it. One in use needs nothing, one given up on neither. Whichever it is, a version
   * announced before it and still arriving is older: it is not fetched any more.
   */
  feedHandlers(): FeedHandlers {
    return {
      'roster.version': (item, effects, at) => {
        const v = item.payload;
        if (v.siteId !== this.deps.identity.site.id) return;
        const known = this.deps.db.prepare('SELECT state FROM roster_import WHERE id = ?').get(v.importId) as { state: RosterImportState } | undefined;
        if (known && !['receiving', 'superseded', 'ready', 'current'].includes(known.state)) return;
        // An older version still arriving is not wanted any more (one once in use here is replaced again).
        this.deps.db
          .prepare(`UPDATE roster_import SET state = CASE WHEN applied_at IS NULL THEN 'discarded' ELSE 'superseded' END WHERE state = 'receiving' AND id != ?`)
          .run(v.importId);
        effects.rosters++;
        if (known?.state === 'current' || known?.state === 'receiving') return;
        if (known?.state === 'superseded' || known?.state === 'ready') {
          if (rosterFileMeta(rosterPath(this.deps.dataDir, v.importId), this.deps.dataKey)?.importId === v.importId) {
            // Its file is attached once this page is committed (`useCurrent`).
            this.deps.db.prepare(`UPDATE roster_import SET state = 'superseded' WHERE state = 'current'`).run();
            this.deps.db.prepare(`UPDATE roster_import SET state = 'current', applied_at = ? WHERE id = ?`).run(at, v.importId);
          } else {
            // Its file is gone: fetched again from HQ.
            this.deps.db.prepare(`UPDATE roster_import SET state = 'receiving', failure = NULL WHERE id = ?`).run(v.importId);
          }
          return;
        }
        this.deps.db
          .prepare(
            `INSERT INTO roster_import (id, source, file_name, state, total_rows, residents, created_at) VALUES (?, 'hq', ?, 'receiving', ?, ?, ?)
             ON CONFLICT(id) DO NOTHING`,
          )
          .run(v.importId, v.fileName, v.rows, v.rows, at);
      },
    };
  }

  /**
   * Fetches the version being received, page by page, into a roster file of its own, and puts it
   * in use once every row is in. A page that does not come stops it; the next feed pull tries
   * again from the start (the file is written anew), also after a restart. A version that does
   * not hold what HQ said it does (fewer or more rows than its `roster.version`, an ID number
   * twice) would come the same way every time: it is given up, never put in use.
   */
  async receive(fetchPage: (importId: string, after: number, limit: number) => Promise<RosterPageRows | null>): Promise<void> {
    const wanted = this.deps.db.prepare(`SELECT * FROM roster_import WHERE state = 'receiving' ORDER BY created_at DESC LIMIT 1`).get() as ImportRow | undefined;
    if (!wanted || this.closed) return;
    const file = rosterPath(this.deps.dataDir, wanted.id);
    const key = this.deps.markKey();
    const builder = new RosterFileBuilder(file, key, this.deps.dataKey);
    const expected = wanted.residents;
    let after = 0;
    let received = 0;
    let refused: 'count' | 'duplicate' | null = null;
    try {
      for (;;) {
        if (this.closed || !this.stillReceiving(wanted.id)) throw new LedgerCancelled();
        const page = await fetchPage(wanted.id, after, RECEIVE_PAGE);
        if (!page) throw new LedgerCancelled();
        for (const [rowNo, ...t] of page.rows) await builder.resident(rowNo, t);
        received += page.rows.length;
        const progress = { phase: 'receiving' as const, rows: received, bytes: received, totalBytes: Math.max(expected, received) };
        this.progressOf.set(wanted.id, progress);
        this.deps.emit.progress(wanted.id, progress);
        if (page.rows.length === 0 || received >= expected) break;
        after = page.rows[page.rows.length - 1]![0];
      }
      if (received !== expected) refused = 'count';
      else await builder.finish(null, { importId: wanted.id, fileName: wanted.file_name ?? '', markKeyId: markKeyId(key) });
    } catch (err) {
      // The unique index on ID numbers is built last: a number HQ sent twice fails it.
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') refused = 'duplicate';
      else {
        builder.abandon();
        this.progressOf.delete(wanted.id);
        if (!(err instanceof LedgerCancelled)) throw err;
        return;
      }
    }
    this.progressOf.delete(wanted.id);
    if (refused) {
      builder.abandon();
      await this.refuseVersion(wanted.id, refused, expected, received);
      return;
    }
    const at = this.deps.now().toISOString();
    const applied = await this.deps.writer.run(() => {
      if (!this.stillReceiving(wanted.id)) return false;
      this.deps.db.prepare(`UPDATE roster_import SET state = 'superseded' WHERE state = 'current'`).run();
      this.deps.db
        .prepare(`UPDATE roster_import SET state = 'current', applied_at = ?, residents = ?, total_rows = ?, mark_key_id = ? WHERE id = ?`)
        .run(at, received, received, markKeyId(key), wanted.id);
      return true;
    });
    if (!applied) {
      fs.rmSync(file, { force: true });
      return;
    }
    this.switchTo(wanted.id);
    log.info({ importId: wanted.id, residents: received }, 'roster from HQ in use');
    this.deps.emit.changed(wanted.id, 'current');
  }

  private stillReceiving(importId: string): boolean {
    return (this.deps.db.prepare('SELECT state FROM roster_import WHERE id = ?').get(importId) as { state: RosterImportState } | undefined)?.state === 'receiving';
  }

  /** A version from HQ given up for good. The log says which and why, never whom. */
  private async refuseVersion(importId: string, reason: 'count' | 'duplicate', expected: number, received: number): Promise<void> {
    const failed = await this.deps.writer.run(
      () =>
        this.deps.db
          .prepare(`UPDATE roster_import SET state = 'failed', failure = ? WHERE id = ? AND state = 'receiving'`)
          .run(JSON.stringify({ code: 'hq.versionBroken', rowNo: null }), importId).changes > 0,
    );
    log.error(
      { importId, reason, expected, received },
      reason === 'duplicate' ? 'a roster version from HQ holds an ID number twice; it is not fetched again' : 'a roster version from HQ did not hold the rows it said; it is not fetched again',
    );
    if (failed) this.deps.emit.changed(importId, 'failed');
  }

  close(): void {
    this.closed = true;
    if (this.job) this.job.cancelled = true;
    for (const id of [...this.files.keys()]) this.closeFile(id);
  }
}

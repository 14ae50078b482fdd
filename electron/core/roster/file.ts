/**
 * A roster version as one SQLite file of its own (`roster/<importId>.sqlite` in the data
 * folder). An import is written into a new file, away from the station's database and its one
 * writer, so reading a million-row ledger never holds up the desk; the station starts using it
 * only when the admin applies it (one small change in `station.db`), so a half-written import is
 * never in use, even if the process dies while it is being written. The file in use is attached
 * to the core's connection as `roster`.
 *
 * Personal data: names, ID numbers and phones of the residents live here (with `person`, the
 * journal and the key-person lists, one of the few places they are kept), so every roster file is
 * encrypted with the station's data key, like `station.db` (`db/cipher.ts`).
 */
import type Database from 'better-sqlite3-multiple-ciphers';
import fs from 'node:fs';
import path from 'node:path';
import { setImmediate } from 'node:timers/promises';
import { attachEncrypted, openEncrypted, syncFile, type DataKey } from '../db/cipher';
import { personMark } from '../person/mark';
import { RESIDENT_TAGS, type ResidentTag } from './fields';
import type { ResidentRow, RowProblem } from './validate';

export const TAG_BITS: Record<ResidentTag, number> = { elderly: 1, bedridden: 2, isolation: 4, keyPerson: 8 };

export function tagsToBits(tags: readonly ResidentTag[]): number {
  let bits = 0;
  for (const t of tags) bits |= TAG_BITS[t];
  return bits;
}

export function bitsToTags(bits: number): ResidentTag[] {
  return RESIDENT_TAGS.filter((t) => (bits & TAG_BITS[t]) !== 0);
}

/** How a resident's row travels (journal, HQ's pages): id, name, phone, building, unit, room, tag bits. */
export type ResidentTuple = [idNumber: string, name: string, phone: string | null, building: string, unit: string, room: string, tags: number];

export const ROSTER_SCHEMA = `
  CREATE TABLE resident (
    row_no INTEGER NOT NULL,
    id_number TEXT NOT NULL,
    name TEXT NOT NULL,
    phone TEXT,
    building TEXT NOT NULL,
    unit TEXT NOT NULL,
    room TEXT NOT NULL,
    tags INTEGER NOT NULL,
    mark TEXT NOT NULL
  ) STRICT;
  CREATE TABLE problem (row_no INTEGER NOT NULL, problems TEXT NOT NULL, refused INTEGER NOT NULL) STRICT;
  CREATE TABLE cell (building TEXT NOT NULL, unit TEXT NOT NULL, residents INTEGER NOT NULL, PRIMARY KEY (building, unit)) STRICT, WITHOUT ROWID;
  CREATE TABLE change (kind TEXT NOT NULL CHECK (kind IN ('new', 'moved', 'changed', 'gone')), id_number TEXT NOT NULL, row_no INTEGER, before TEXT) STRICT;
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
`;

/**
 * Built once all rows are in: sorting a million keys once is several times faster than keeping
 * indexes up to date row by row (measured: 7.5 s against 23 s for 1,000,000 rows). Names have no
 * index: a name search reads every row (about 0.1 s for a million residents, a few ms for a
 * compound), and the import of a large ledger is shorter by the index it would take.
 */
const ROSTER_INDEXES = [
  'CREATE UNIQUE INDEX resident_id ON resident(id_number)',
  'CREATE INDEX resident_mark ON resident(mark)',
  'CREATE INDEX resident_household ON resident(building, unit, room)',
  'CREATE INDEX problem_row ON problem(row_no)',
  'CREATE INDEX change_kind ON change(kind, row_no)',
];

export type ChangeCounts = { new: number; moved: number; changed: number; gone: number };

export type BuiltRoster = {
  residents: number;
  /** Rows refused (with problems), and rows taken with a warning. */
  refused: number;
  warned: number;
  changes: ChangeCounts;
};

export function rosterDir(dataDir: string): string {
  return path.join(dataDir, 'roster');
}

export function rosterPath(dataDir: string, importId: string): string {
  if (!/^[0-9a-f-]{36}$/.test(importId)) throw new Error('not an import id');
  return path.join(rosterDir(dataDir), `${importId}.sqlite`);
}

/** Rows written per transaction; the event loop is let go between them, so the desk keeps answering. */
const CHUNK = 2000;
const ROWS_PER_INSERT = 50;
const COLUMNS = 9;

/**
 * Writes a roster file. Fast and unsafe while it is being written (no journal, no fsync): the
 * file means nothing until `finish` has flushed it to disk and the station has applied it.
 */
export class RosterFileBuilder {
  private readonly db: Database.Database;
  private readonly insertResident: Database.Statement;
  private readonly insertResidents: Database.Statement;
  private readonly insertProblem: Database.Statement;
  /** Residents waiting to be written, their columns one after another. */
  private pending: unknown[] = [];
  private pendingProblems: unknown[][] = [];
  private residents = 0;
  private refused = 0;
  private warned = 0;

  constructor(
    readonly file: string,
    private readonly markKey: string,
    private readonly dataKey: DataKey,
  ) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.rmSync(file, { force: true });
    this.db = openEncrypted(file, dataKey);
    this.db.pragma('journal_mode = OFF');
    this.db.pragma('synchronous = OFF');
    // A bigger page cache and sorter threads make the index builds of a large roster faster;
    // 32 MB: 64 MB gained no time at 1,000,000 rows and cost 60 MB of peak memory.
    this.db.pragma('cache_size = -32768');
    this.db.pragma('threads = 2');
    this.db.exec(ROSTER_SCHEMA);
    this.insertResident = this.db.prepare('INSERT INTO resident (row_no, id_number, name, phone, building, unit, room, tags, mark) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    // Many rows per statement: one step into SQLite per ROWS_PER_INSERT rows instead of one per row.
    this.insertResidents = this.db.prepare(
      `INSERT INTO resident (row_no, id_number, name, phone, building, unit, room, tags, mark) VALUES ${Array(ROWS_PER_INSERT).fill('(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
    );
    this.insertProblem = this.db.prepare('INSERT INTO problem (row_no, problems, refused) VALUES (?, ?, ?)');
  }

  /** Adds a resident; a promise only when a chunk is written (then the caller awaits it). */
  resident(rowNo: number, r: ResidentRow | ResidentTuple): Promise<void> | undefined {
    const t: ResidentTuple = Array.isArray(r) ? r : [r.idNumber, r.name, r.phone, r.building, r.unit, r.room, tagsToBits(r.tags)];
    this.pending.push(rowNo, t[0], t[1], t[2], t[3], t[4], t[5], t[6], personMark(this.markKey, `id:${t[0]}`));
    this.residents++;
    return this.pending.length >= CHUNK * COLUMNS ? this.flush() : undefined;
  }

  async problem(rowNo: number, problems: readonly RowProblem[], refused: boolean): Promise<void> {
    this.pendingProblems.push([rowNo, JSON.stringify(problems), refused ? 1 : 0]);
    if (refused) this.refused++;
    else this.warned++;
    if (this.pendingProblems.length >= CHUNK) await this.flush();
  }

  private async flush(): Promise<void> {
    const rows = this.pending;
    const problems = this.pendingProblems;
    this.pending = [];
    this.pendingProblems = [];
    this.db.transaction(() => {
      const whole = rows.length - (rows.length % (ROWS_PER_INSERT * COLUMNS));
      for (let i = 0; i < whole; i += ROWS_PER_INSERT * COLUMNS) this.insertResidents.run(rows.slice(i, i + ROWS_PER_INSERT * COLUMNS));
      for (let i = whole; i < rows.length; i += COLUMNS) this.insertResident.run(rows.slice(i, i + COLUMNS));
      for (const p of problems) this.insertProblem.run(p);
    })();
    await setImmediate();
  }

  /**
   * Rows of an ID number seen more than once in the file: none of them is taken (which one is
   * right is the admin's to say), and each is reported with the row where the number first appeared.
   */
  async refuseDuplicates(duplicates: Map<string, number[]>): Promise<void> {
    await this.flush();
    if (duplicates.size === 0) return;
    const remove = this.db.prepare('DELETE FROM resident WHERE id_number = ?');
    this.db.transaction(() => {
      for (const [idNumber, rows] of duplicates) {
        this.residents -= remove.run(idNumber).changes;
        for (const rowNo of rows) {
          this.insertProblem.run(rowNo, JSON.stringify([{ code: 'row.duplicate', value: String(rows[0] === rowNo ? rows[1] : rows[0]) }]), 1);
          this.refused++;
        }
      }
    })();
  }

  /**
   * Indexes, households and, against the roster in use (`previous`), what changed: new, moved
   * (another household), changed (name, phone or tags) and gone. Then the file is flushed to disk.
   */
  async finish(previous: string | null, meta: Record<string, string>, onPhase?: (phase: 'indexing' | 'comparing') => void): Promise<BuiltRoster> {
    await this.flush();
    onPhase?.('indexing');
    for (const sql of ROSTER_INDEXES) {
      this.db.exec(sql);
      await setImmediate();
    }
    this.db.exec('INSERT INTO cell (building, unit, residents) SELECT building, unit, count(*) FROM resident GROUP BY building, unit');
    const changes: ChangeCounts = { new: 0, moved: 0, changed: 0, gone: 0 };
    if (previous) {
      onPhase?.('comparing');
      attachEncrypted(this.db, previous, 'prev', this.dataKey);
      const count = (kind: string) => this.db.prepare(`SELECT count(*) AS n FROM change WHERE kind = ?`).get(kind) as { n: number };
      this.db.exec(`
        INSERT INTO change (kind, id_number, row_no, before)
          SELECT 'new', r.id_number, r.row_no, NULL FROM resident r WHERE NOT EXISTS (SELECT 1 FROM prev.resident p WHERE p.id_number = r.id_number);
        INSERT INTO change (kind, id_number, row_no, before)
          SELECT 'gone', p.id_number, NULL, json_array(p.name, p.phone, p.building, p.unit, p.room, p.tags) FROM prev.resident p
          WHERE NOT EXISTS (SELECT 1 FROM resident r WHERE r.id_number = p.id_number);
        INSERT INTO change (kind, id_number, row_no, before)
          SELECT CASE WHEN r.building != p.building OR r.unit != p.unit OR r.room != p.room THEN 'moved' ELSE 'changed' END,
            r.id_number, r.row_no, json_array(p.name, p.phone, p.building, p.unit, p.room, p.tags)
          FROM resident r JOIN prev.resident p ON p.id_number = r.id_number
          WHERE r.building != p.building OR r.unit != p.unit OR r.room != p.room OR r.name != p.name OR r.phone IS NOT p.phone OR r.tags != p.tags;
      `);
      this.db.exec('DETACH DATABASE prev');
      for (const kind of ['new', 'moved', 'changed', 'gone'] as const) changes[kind] = count(kind).n;
    } else {
      changes.new = this.residents;
    }
    const put = this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
    for (const [k, v] of Object.entries(meta)) put.run(k, v);
    this.db.close();
    syncFile(this.file);
    return { residents: this.residents, refused: this.refused, warned: this.warned, changes };
  }

  /** Gives up on the file (a read error, the admin cancelled). */
  abandon(): void {
    if (this.db.open) this.db.close();
    fs.rmSync(this.file, { force: true });
  }
}

/**
 * What a finished roster file says of itself (`meta`: importId, fileName, markKeyId), or null
 * when there is no such file or it was never finished (the meta rows are written last).
 */
export function rosterFileMeta(file: string, dataKey: DataKey): Record<string, string> | null {
  if (!fs.existsSync(file)) return null;
  let db: Database.Database | null = null;
  try {
    db = openEncrypted(file, dataKey, { readonly: true, fileMustExist: true });
    const rows = db.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[];
    return rows.length > 0 ? Object.fromEntries(rows.map((r) => [r.key, r.value])) : null;
  } catch {
    return null;
  } finally {
    db?.close();
  }
}

/** Rows whose marks are made again per step; the event loop is let go between steps. */
const REMARK_STEP = 10_000;

/**
 * A copy of roster file `source` at `out` with every resident's mark made under `markKey`, and
 * `markKeyId` in its meta; false (and no file) when `cancelled` says stop. Everything else is
 * kept as it was, row ids too: the journal's cursor into a roster imported here and the residents
 * a screen holds (`importId:rowid`) still point at the same people.
 */
export async function remarkRosterFile(
  source: string,
  out: string,
  markKey: string,
  markKeyId: string,
  dataKey: DataKey,
  cancelled: () => boolean,
): Promise<boolean> {
  fs.rmSync(out, { force: true });
  // A copy of the encrypted file, encrypted with the same key.
  fs.copyFileSync(source, out);
  const db = openEncrypted(out, dataKey);
  try {
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -32768');
    db.function('person_mark', { deterministic: true }, (idNumber: unknown) => personMark(markKey, `id:${String(idNumber)}`));
    // The index is built again once, after every mark changed: cheaper than keeping it up to date.
    db.exec('DROP INDEX IF EXISTS resident_mark');
    const last = (db.prepare('SELECT coalesce(max(rowid), 0) AS n FROM resident').get() as { n: number }).n;
    const update = db.prepare('UPDATE resident SET mark = person_mark(id_number) WHERE rowid > ? AND rowid <= ?');
    for (let after = 0; after < last; after += REMARK_STEP) {
      if (cancelled()) throw new RemarkCancelled();
      update.run(after, after + REMARK_STEP);
      await setImmediate();
    }
    db.exec(ROSTER_INDEXES.find((sql) => sql.includes('resident_mark'))!);
    db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run('markKeyId', markKeyId);
    db.close();
    syncFile(out);
    return true;
  } catch (err) {
    if (db.open) db.close();
    fs.rmSync(out, { force: true });
    if (err instanceof RemarkCancelled) return false;
    throw err;
  }
}

class RemarkCancelled extends Error {}

/** An empty roster file, attached while the station has no roster yet, so every query has a table to read. */
export function ensureEmptyRoster(dataDir: string, dataKey: DataKey): string {
  const file = path.join(rosterDir(dataDir), 'empty.sqlite');
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  fs.rmSync(tmp, { force: true });
  const db = openEncrypted(tmp, dataKey);
  db.exec(ROSTER_SCHEMA);
  for (const sql of ROSTER_INDEXES) db.exec(sql);
  db.close();
  syncFile(tmp);
  fs.renameSync(tmp, file);
  return file;
}

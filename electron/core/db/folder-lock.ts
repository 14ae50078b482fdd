import Database from 'better-sqlite3-multiple-ciphers';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Which Station process holds a data folder. Two cores on one folder each take the other's work
 * for an interrupted one at start-up (a ledger being read is marked failed and its file removed,
 * a roster download restarted) and would both upload the same journal, so the one that runs the
 * station (the app, `station serve`) and `station roster import` need the folder to themselves.
 *
 * The lock is SQLite's own write lock on `station.lock`, held by a transaction left open for as
 * long as the core is: the operating system drops it when the process ends in any way (killed,
 * power cut), so a stale lock never keeps Station from starting, and a reused process id never
 * looks like a running Station. The holder's process id is written beside it only to say who
 * holds the folder.
 */
export class DataFolderInUseError extends Error {
  /** `storage.busy` at the app's start-up ("in use by another program"). */
  readonly code = 'SQLITE_BUSY';

  constructor(
    readonly dataDir: string,
    readonly pid: number | null,
  ) {
    super(
      `the data folder ${dataDir} is in use by another Station${pid !== null ? ` (process ${pid})` : ''}: ` +
        'close the Station app or stop `station serve` first',
    );
    this.name = 'DataFolderInUseError';
  }
}

const LOCK_FILE = 'station.lock';
const PID_FILE = 'station.lock.pid';

export class DataFolderLock {
  private constructor(
    private readonly db: Database.Database,
    private readonly pidFile: string,
  ) {}

  /**
   * The folder's lock for this process, or null when another core (in this process or another)
   * holds it. `file`: another lock of the same kind in the folder (enrollment's).
   */
  static tryTake(dataDir: string, file = LOCK_FILE): DataFolderLock | null {
    fs.mkdirSync(dataDir, { recursive: true });
    const db = new Database(path.join(dataDir, file), { timeout: 0 });
    try {
      db.exec('BEGIN IMMEDIATE');
    } catch (err) {
      db.close();
      if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) return null;
      throw err;
    }
    const pidFile = path.join(dataDir, file === LOCK_FILE ? PID_FILE : `${file}.pid`);
    try {
      fs.writeFileSync(pidFile, `${process.pid}\n`);
    } catch {
      // Only for the message another process shows; the lock holds without it.
    }
    return new DataFolderLock(db, pidFile);
  }

  /** Who holds the folder, as far as the note beside the lock says. */
  static holder(dataDir: string): number | null {
    try {
      const pid = Number(fs.readFileSync(path.join(dataDir, PID_FILE), 'utf8').trim());
      return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
    } catch {
      return null;
    }
  }

  release(): void {
    if (!this.db.open) return;
    try {
      if (fs.readFileSync(this.pidFile, 'utf8').trim() === String(process.pid)) fs.rmSync(this.pidFile, { force: true });
    } catch {
      // Already gone.
    }
    this.db.close();
  }
}

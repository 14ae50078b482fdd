import Database from 'better-sqlite3-multiple-ciphers';
import fs from 'node:fs';
import path from 'node:path';
import type { ApiError } from '../../api/contract';
import { createLogger } from '../log';
import { migrate } from './migrations';

const log = createLogger('db');

export type StationDatabase = Database.Database;

/**
 * Opens (creating if needed) the station database with the settings durability requires.
 *
 * - `journal_mode = WAL`: one writer, readers never block it, and a commit is one append to
 *   the WAL instead of rewriting pages.
 * - `synchronous = FULL`: in WAL mode, NORMAL skips the fsync at commit, so a power cut can lose
 *   transactions the app already acknowledged. FULL fsyncs the WAL on every commit; a binding
 *   is on the disk's stable storage before the API answers, and so before the screen shows it.
 * - `foreign_keys = ON`, and a busy timeout so a reader (backup, export) never fails a write.
 */
export function openDatabase(file: string, options: { migrate?: boolean } = {}): StationDatabase {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    if (options.migrate !== false) {
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw Object.assign(new Error(`quick_check: ${String(check)}`), { code: 'SQLITE_CORRUPT' });
      const version = migrate(db);
      log.info({ file, version }, 'database open');
    }
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Classifies a storage failure so it crosses the API as data staff can act on. */
export function classifyStorageError(err: unknown): ApiError | null {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : '';
  if (code.startsWith('SQLITE_FULL')) return { code: 'storage.full' };
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN')) return { code: 'storage.readonly' };
  if (code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_NOTADB')) return { code: 'storage.corrupt' };
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return { code: 'storage.busy' };
  return null;
}

import type Database from 'better-sqlite3-multiple-ciphers';
import fs from 'node:fs';
import path from 'node:path';
import type { ApiError } from '../../api/contract';
import { createLogger } from '../log';
import { rosterDir } from '../roster/file';
import { encryptPlainFile, fileState, openEncrypted, type DataKey } from './cipher';
import { migrate } from './migrations';

const log = createLogger('db');

export type StationDatabase = Database.Database;

/**
 * Opens (creating if needed) the station database, encrypted with `key` (`cipher.ts`), with the
 * settings durability requires.
 *
 * - `journal_mode = WAL`: one writer, readers never block it, and a commit is one append to
 *   the WAL instead of rewriting pages.
 * - `synchronous = FULL`: in WAL mode, NORMAL skips the fsync at commit, so a power cut can lose
 *   transactions the app already acknowledged. FULL fsyncs the WAL on every commit; a binding
 *   is on the disk's stable storage before the API answers, and so before the screen shows it.
 * - `foreign_keys = ON`, and a busy timeout so a reader (backup, export) never fails a write.
 */
export function openDatabase(file: string, key: DataKey, options: { migrate?: boolean } = {}): StationDatabase {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = openEncrypted(file, key);
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

/**
 * A data folder written by a Station from before encryption at rest: its database (with its WAL)
 * and roster files are encrypted in place, once, each file whole or not at all (`encryptPlainFile`),
 * so a stop in the middle resumes at the next start. Only the process that holds the folder's lock
 * does this. Returns how many files it encrypted.
 */
export function encryptPlainDataFolder(dataDir: string, key: DataKey): number {
  const files = [path.join(dataDir, 'station.db')];
  const roster = rosterDir(dataDir);
  if (fs.existsSync(roster)) for (const name of fs.readdirSync(roster)) if (name.endsWith('.sqlite')) files.push(path.join(roster, name));
  let encrypted = 0;
  for (const file of files) {
    if (fileState(file) !== 'plain') continue;
    encryptPlainFile(file, key);
    encrypted++;
  }
  if (encrypted > 0) log.info({ files: encrypted }, 'plain files from an earlier Station encrypted');
  return encrypted;
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

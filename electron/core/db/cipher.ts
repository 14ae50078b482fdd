/**
 * The station's files at rest: `station.db` with its WAL, and every roster file, are encrypted by
 * SQLite3 Multiple Ciphers (better-sqlite3-multiple-ciphers) with one random 256-bit data key.
 *
 * - Cipher: ChaCha20-Poly1305 (sqleet), the library's default, set explicitly so a change of
 *   default can never change our files. It authenticates every page (a changed byte on disk is an
 *   error, not silently different data) and is fast in software on the cheap laptops at the desks,
 *   many without AES instructions, where SQLCipher's AES-256-CBC + HMAC-SHA512 is slower.
 * - Raw key (`x'…'`, 32 bytes): the key is already random, so the library's passphrase KDF (PBKDF2,
 *   64,007 rounds at every open and attach) is skipped. Passphrases are stretched once, by Argon2id,
 *   in `core/vault`, only to unwrap this key.
 * - `temp_store = MEMORY`: SQLite's temporary files (sorts, temporary tables) are not encrypted,
 *   so none is written.
 *
 * The WAL is encrypted page by page with the database; the `-shm` index holds no row data.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import fs from 'node:fs';
import path from 'node:path';

/** The data key: 32 random bytes, never written anywhere in the clear except a key file (`core/vault`). */
export type DataKey = Buffer;
export const DATA_KEY_BYTES = 32;

const CIPHER = 'chacha20';
const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * Why the station's files cannot be opened with the key at hand:
 * - `storage.keyWrong`: a wrong passphrase, or a key that is not the one the files were written
 *   with (another data folder's key file);
 * - `storage.locked`: no key to be had: no passphrase given, the key file or the OS's key store
 *   missing;
 * - `storage.keyFileUnsafe`: a key file other users can read, or another user's;
 * - `storage.keyFileInvalid`: a file named as a key file that is not one;
 * - `storage.passphraseTooShort`: a new passphrase shorter than 8 characters;
 * - `storage.plain`: a plain file where only an encrypted one may be (a copy put back by hand).
 * The message says it in words for the command line; hosts show the code's words.
 */
export type StorageKeyErrorCode = 'storage.keyWrong' | 'storage.locked' | 'storage.keyFileUnsafe' | 'storage.keyFileInvalid' | 'storage.passphraseTooShort' | 'storage.plain';

export class StorageKeyError extends Error {
  constructor(
    readonly code: StorageKeyErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StorageKeyError';
  }
}

export function assertDataKey(key: DataKey): void {
  if (!Buffer.isBuffer(key) || key.length !== DATA_KEY_BYTES) throw new StorageKeyError('storage.locked', 'the data key must be 32 bytes');
}

/** SQLite3 Multiple Ciphers' raw-key form: a blob literal of exactly 32 bytes bypasses its KDF. */
function rawKey(key: DataKey): string {
  assertDataKey(key);
  return `x'${key.toString('hex')}'`;
}

/** Whether a file is absent (or empty: a crash before its first page), a plain SQLite file, or anything else (encrypted). */
export function fileState(file: string): 'absent' | 'plain' | 'encrypted' {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw err;
  }
  try {
    const head = Buffer.alloc(SQLITE_HEADER.length);
    const read = fs.readSync(fd, head, 0, head.length, 0);
    if (read === 0) return 'absent';
    return read === head.length && head.equals(SQLITE_HEADER) ? 'plain' : 'encrypted';
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Keys a fresh connection and proves the key: the first read of an encrypted file with another
 * key fails (every page is authenticated). A plain file never gets here (`openEncrypted` checks
 * the header first), so a wrong key can never make SQLite start a new, empty database over it.
 */
function keyConnection(db: Database.Database, key: DataKey, file: string): void {
  db.pragma(`cipher = '${CIPHER}'`);
  db.pragma(`key = "${rawKey(key)}"`);
  db.pragma('temp_store = MEMORY');
  try {
    db.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_NOTADB') {
      throw new StorageKeyError('storage.keyWrong', `${path.basename(file)} cannot be opened with this station's key`);
    }
    throw err;
  }
}

/**
 * Opens an encrypted SQLite file (creating it when absent, unless `fileMustExist`). A plain file
 * is refused (`storage.plain`): `encryptPlainFile` turns one into the encrypted form first.
 */
export function openEncrypted(file: string, key: DataKey, options: Database.Options = {}): Database.Database {
  if (fileState(file) === 'plain') throw new StorageKeyError('storage.plain', `${path.basename(file)} is not encrypted`);
  const db = new Database(file, options);
  try {
    keyConnection(db, key, file);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Attaches an encrypted file to a keyed connection under `alias` (a plain one is refused, as above). */
export function attachEncrypted(db: Database.Database, file: string, alias: string, key: DataKey): void {
  if (!/^[a-z]+$/.test(alias)) throw new Error('not a schema name');
  if (fileState(file) === 'plain') throw new StorageKeyError('storage.plain', `${path.basename(file)} is not encrypted`);
  db.prepare(`ATTACH DATABASE ? AS ${alias} KEY ?`).run(file, rawKey(key));
  try {
    db.prepare(`SELECT count(*) FROM ${alias}.sqlite_master`).get();
  } catch (err) {
    db.exec(`DETACH DATABASE ${alias}`);
    if ((err as { code?: string }).code === 'SQLITE_NOTADB') {
      throw new StorageKeyError('storage.keyWrong', `${path.basename(file)} cannot be opened with this station's key`);
    }
    throw err;
  }
}

/** The file's bytes and its directory entry on stable storage, before anything refers to it. */
export function syncFile(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    const dir = fs.openSync(path.dirname(file), 'r');
    try {
      fs.fsyncSync(dir);
    } finally {
      fs.closeSync(dir);
    }
  } catch {
    // Directories cannot be opened for fsync on every platform (Windows); the file itself is synced.
  }
}

const SIDE_FILES = ['-wal', '-shm', '-journal'];

/**
 * Turns a plain SQLite file (with its WAL) into the encrypted form, once, in a way a stop at any
 * moment cannot harm: the WAL is checkpointed into the file, a copy beside it is encrypted
 * (`PRAGMA rekey`, which rewrites every page) and flushed, then renamed over the plain file in one
 * step. Until that rename the plain file is untouched; after it, only the encrypted one exists.
 * The plain file's blocks are freed, not overwritten: the README says so.
 */
export function encryptPlainFile(file: string, key: DataKey): void {
  if (fileState(file) !== 'plain') return;
  const work = `${file}.encrypting`;
  for (const f of [work, ...SIDE_FILES.map((s) => `${work}${s}`)]) fs.rmSync(f, { force: true });
  const plain = new Database(file);
  try {
    plain.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    plain.close();
  }
  fs.copyFileSync(file, work);
  const db = new Database(work);
  try {
    // Rekeying is a rewrite through a rollback journal; SQLite3 Multiple Ciphers cannot do it in WAL mode.
    db.pragma('journal_mode = DELETE');
    db.pragma(`cipher = '${CIPHER}'`);
    db.pragma(`rekey = "${rawKey(key)}"`);
    db.pragma('temp_store = MEMORY');
    db.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (err) {
    db.close();
    fs.rmSync(work, { force: true });
    throw err;
  }
  db.close();
  syncFile(work);
  for (const s of SIDE_FILES) fs.rmSync(`${file}${s}`, { force: true });
  fs.renameSync(work, file);
  syncFile(file);
}

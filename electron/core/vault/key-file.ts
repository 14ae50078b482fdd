/**
 * A key file: the data key itself (64 hex digits), for a station run as a service (the kiosk host,
 * `station serve`) where nobody is there to type a passphrase. It protects the data folder's
 * copies (a backup, a folder copied to a stick) and against other users of the machine; it does
 * not protect a stolen disk that holds both (a passphrase, or the OS's key store, does).
 */
import fs from 'node:fs';
import path from 'node:path';
import { DATA_KEY_BYTES, StorageKeyError, type DataKey } from '../db/cipher';

/**
 * Where a data folder's key file is when none is named: beside the folder, not inside it
 * (`~/.config/Station/data.key` for `~/.config/Station/data`), so a copy of the folder (a backup,
 * a stick, a support request) never carries the key that opens it.
 */
export function defaultKeyFile(dataDir: string): string {
  const dir = path.resolve(dataDir);
  return path.join(path.dirname(dir), `${path.basename(dir)}.key`);
}

/**
 * A small file's bytes, once it is shown to be the service user's alone: owned by this user, no
 * read or write for group or others (mode 0600 or 0400). Windows has no such modes; there the
 * file's folder (the user's profile) keeps other users out. `what` names it in messages.
 */
export function readOwnerOnlyFile(file: string, what: string, maxBytes: number, platform: NodeJS.Platform = process.platform): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new StorageKeyError('storage.locked', code === 'ENOENT' ? `the ${what} ${file} does not exist` : `the ${what} ${file} cannot be read (${code ?? 'error'})`);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new StorageKeyError('storage.keyFileInvalid', `the ${what} ${file} is not a file`);
    if (platform !== 'win32') {
      if ((stat.mode & 0o077) !== 0) {
        throw new StorageKeyError('storage.keyFileUnsafe', `the ${what} ${file} can be read by other users (mode ${(stat.mode & 0o777).toString(8)}): run "chmod 600 ${file}"`);
      }
      const uid = process.getuid?.();
      if (uid !== undefined && stat.uid !== uid) throw new StorageKeyError('storage.keyFileUnsafe', `the ${what} ${file} belongs to another user (uid ${stat.uid})`);
    }
    // Not read whole when it is much larger than what it should hold.
    const buffer = Buffer.alloc(maxBytes);
    return buffer.subarray(0, fs.readSync(fd, buffer, 0, maxBytes, 0));
  } finally {
    fs.closeSync(fd);
  }
}

/** The key in a key file (64 hex digits and a newline), read as `readOwnerOnlyFile` allows. */
export function readKeyFile(file: string, platform: NodeJS.Platform = process.platform): DataKey {
  const text = readOwnerOnlyFile(file, 'key file', 256, platform).toString('latin1').trim();
  if (!new RegExp(`^[0-9a-f]{${DATA_KEY_BYTES * 2}}$`, 'i').test(text)) throw new StorageKeyError('storage.keyFileInvalid', `${file} is not a Station key file`);
  return Buffer.from(text, 'hex');
}

/**
 * Writes a new key file, owner-only from its first byte (mode 0600 at creation, then again in case
 * the umask widened it), flushed to disk before any file is encrypted with the key. Never
 * overwrites one: a second Station starting at the same moment gets an error, not another key.
 */
export function writeKeyFile(file: string, key: DataKey): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const fd = fs.openSync(file, 'wx', 0o600);
  try {
    fs.writeSync(fd, `${key.toString('hex')}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.chmodSync(file, 0o600);
}

import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DataFolderLock } from '../electron/core/db/folder-lock';
import { formatKeyRotation, hqKeyFingerprint, hqKeyHeader, keyRotationHolds, parseHqKey, parseKeyRotation, signKeyRotation } from './protocol';

/** HQ's own Ed25519 key, which signs every answer: a file in HQ's data folder, readable by its user only. */
export const HQ_KEY_FILE = 'hq-key.pem';
/** HQ's X25519 key, which station export files are encrypted to; beside the other. */
export const HQ_EXPORT_KEY_FILE = 'hq-export-key.pem';
/** While a rotation's grace lasts: the previous key's word for the current one (`x-hq-key-rotation`). */
export const HQ_KEY_ROTATION_FILE = 'hq-key-rotation.txt';
/** Export keys HQ had before each rotation: files written to them still import. Kept for good. */
export const HQ_OLD_EXPORT_KEYS_DIR = 'hq-export-keys-old';
/** One rotation or retirement at a time per folder (SQLite's write lock, as for a station's folder). */
const KEY_LOCK_FILE = 'hq-key.lock';

export type HqKeyRotation = {
  /** The header value answers carry. */
  header: string;
  previousFingerprint: string;
  at: string;
};

export type HqKey = {
  privateKey: KeyObject;
  publicKey: KeyObject;
  header: string;
  fingerprint: string;
  /** The export key: its private half (decrypts export files) and its public half as stations get it. */
  exportPrivateKey: KeyObject;
  exportKey: string;
  /** Every export key HQ has had, the current one first: a file encrypted before a rotation still imports. */
  exportPrivateKeys: KeyObject[];
  /** While a rotation's grace lasts; null otherwise. */
  rotation: HqKeyRotation | null;
};

export class HqKeyError extends Error {
  constructor(readonly code: 'hq.keyRotationUnderWay' | 'hq.keyBusy') {
    super(code);
  }
}

/**
 * HQ's keys, made on first start, each written whole under a name of its own, then linked into place
 * (a link never replaces a file), so of two HQ processes starting on one folder the second reads
 * the first one's key, never half of it.
 */
export function loadOrCreateHqKey(dataDir: string): HqKey {
  fs.mkdirSync(dataDir, { recursive: true });
  const privateKey = keyFile(path.join(dataDir, HQ_KEY_FILE), 'ed25519');
  const publicKey = createPublicKey(privateKey);
  const exportPrivateKey = keyFile(path.join(dataDir, HQ_EXPORT_KEY_FILE), 'x25519');
  const header = hqKeyHeader(publicKey);
  return {
    privateKey,
    publicKey,
    header,
    fingerprint: hqKeyFingerprint(publicKey.export({ format: 'der', type: 'spki' })),
    exportPrivateKey,
    exportKey: createPublicKey(exportPrivateKey).export({ format: 'der', type: 'spki' }).toString('base64'),
    exportPrivateKeys: [exportPrivateKey, ...oldExportKeys(dataDir)],
    rotation: readRotation(dataDir, header),
  };
}

/**
 * Replaces HQ's signing key and its export key (`station hq key rotate`). The previous signing key
 * signs a statement naming the new one, then its private half is gone: HQ signs with the new key
 * at once and carries the statement on every answer until the rotation is retired, so a station
 * that trusts the previous key moves to the new one, and nobody else's key is ever vouched for.
 * The previous export key is kept (HQ_OLD_EXPORT_KEYS_DIR) to read files encrypted to it.
 *
 * Each step leaves the folder usable if the process dies there: the statement is written before
 * the new key is put in place and only counts once it names the key in place; the old export key
 * is linked aside before the new one replaces it; each file is renamed into place whole.
 * Refused while a rotation is under way (retire it first): a station on the key before it would
 * need two statements.
 */
export function rotateHqKey(dataDir: string, now = Date.now()): { previousFingerprint: string; fingerprint: string } {
  return withKeyLock(dataDir, () => {
    const before = loadOrCreateHqKey(dataDir);
    if (before.rotation) throw new HqKeyError('hq.keyRotationUnderWay');
    const { privateKey } = generateKeyPairSync('ed25519');
    const publicKey = createPublicKey(privateKey);
    const rotation = signKeyRotation(before.privateKey, publicKey, now);
    const keyAside = writeAside(path.join(dataDir, HQ_KEY_FILE), privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    try {
      replaceWith(path.join(dataDir, HQ_KEY_ROTATION_FILE), `${formatKeyRotation(rotation)}\n`);
      const oldDir = path.join(dataDir, HQ_OLD_EXPORT_KEYS_DIR);
      fs.mkdirSync(oldDir, { recursive: true, mode: 0o700 });
      const archived = path.join(oldDir, `${now}-${randomUUID()}.pem`);
      fs.linkSync(path.join(dataDir, HQ_EXPORT_KEY_FILE), archived);
      replaceWith(path.join(dataDir, HQ_EXPORT_KEY_FILE), generateKeyPairSync('x25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
      fs.renameSync(keyAside, path.join(dataDir, HQ_KEY_FILE));
    } finally {
      fs.rmSync(keyAside, { force: true });
    }
    return { previousFingerprint: before.fingerprint, fingerprint: hqKeyFingerprint(publicKey.export({ format: 'der', type: 'spki' })) };
  });
}

/**
 * Ends a rotation's grace (`station hq key retire`): answers no longer carry the statement, so a
 * station that still trusts only the previous key refuses HQ's answers and must be linked again
 * with a re-link code. Null when no rotation is under way.
 */
export function retireHqKey(dataDir: string): { previousFingerprint: string } | null {
  return withKeyLock(dataDir, () => {
    const rotation = loadOrCreateHqKey(dataDir).rotation;
    fs.rmSync(path.join(dataDir, HQ_KEY_ROTATION_FILE), { force: true });
    return rotation ? { previousFingerprint: rotation.previousFingerprint } : null;
  });
}

/**
 * HQ's keys as the folder holds them now. A serving HQ signs with `current()`, which looks at the
 * key files at most every `checkEveryMs` (one `stat` each) and reads them again when a rotation
 * (the CLI, another process) changed them, so it signs with a new key within a second.
 */
export class HqKeyring {
  private key: HqKey;
  private stamp: string;
  private checkedAt = 0;

  constructor(
    private readonly dataDir: string,
    private readonly checkEveryMs = 1000,
  ) {
    this.key = loadOrCreateHqKey(dataDir);
    this.stamp = this.filesStamp();
  }

  current(): HqKey {
    const t = Date.now();
    if (t - this.checkedAt < this.checkEveryMs) return this.key;
    this.checkedAt = t;
    const stamp = this.filesStamp();
    if (stamp !== this.stamp) {
      this.key = loadOrCreateHqKey(this.dataDir);
      this.stamp = stamp;
    }
    return this.key;
  }

  /** Reads the folder now (after this process rotated or retired). */
  reload(): HqKey {
    this.checkedAt = 0;
    return this.current();
  }

  private filesStamp(): string {
    return [HQ_KEY_FILE, HQ_EXPORT_KEY_FILE, HQ_KEY_ROTATION_FILE]
      .map((name) => {
        const st = fs.statSync(path.join(this.dataDir, name), { throwIfNoEntry: false });
        return st ? `${st.ino}:${st.size}:${st.mtimeMs}` : '-';
      })
      .join('|');
  }
}

function withKeyLock<T>(dataDir: string, fn: () => T): T {
  const lock = DataFolderLock.tryTake(dataDir, KEY_LOCK_FILE);
  if (!lock) throw new HqKeyError('hq.keyBusy');
  try {
    return fn();
  } finally {
    lock.release();
  }
}

/** The statement on file, when it vouches for the key in place; a leftover of an interrupted rotation does not. */
function readRotation(dataDir: string, currentHeader: string): HqKeyRotation | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dataDir, HQ_KEY_ROTATION_FILE), 'utf8').trim();
  } catch {
    return null;
  }
  const rotation = parseKeyRotation(text);
  const previous = rotation ? parseHqKey(rotation.from) : null;
  if (!rotation || !previous || rotation.to !== currentHeader || !keyRotationHolds(previous, rotation)) return null;
  return {
    header: formatKeyRotation(rotation),
    previousFingerprint: hqKeyFingerprint(previous.export({ format: 'der', type: 'spki' })),
    at: new Date(rotation.at).toISOString(),
  };
}

function oldExportKeys(dataDir: string): KeyObject[] {
  const dir = path.join(dataDir, HQ_OLD_EXPORT_KEYS_DIR);
  if (!fs.existsSync(dir)) return [];
  // Newest first: a file is most likely encrypted to the key just before the current one.
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.pem'))
    .sort()
    .reverse()
    .map((name) => createPrivateKey(fs.readFileSync(path.join(dir, name), 'utf8')))
    .filter((key) => key.asymmetricKeyType === 'x25519');
}

/** `text` under a name of its own beside `file`, mode 0600; the caller renames or removes it. */
function writeAside(file: string, text: string): string {
  const aside = `${file}.${process.pid}.${randomUUID()}`;
  fs.writeFileSync(aside, text, { mode: 0o600, flag: 'wx' });
  // The umask may have widened the mode on creation.
  fs.chmodSync(aside, 0o600);
  return aside;
}

/** Replaces `file` with `text` whole (written aside, then renamed over it). */
function replaceWith(file: string, text: string): void {
  const aside = writeAside(file, text);
  try {
    fs.renameSync(aside, file);
  } finally {
    fs.rmSync(aside, { force: true });
  }
}

function keyFile(file: string, type: 'ed25519' | 'x25519'): KeyObject {
  if (!fs.existsSync(file)) {
    const { privateKey } = type === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('x25519');
    const aside = writeAside(file, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    try {
      fs.linkSync(aside, file);
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw err;
    } finally {
      fs.rmSync(aside, { force: true });
    }
  }
  const key = createPrivateKey(fs.readFileSync(file, 'utf8'));
  if (key.asymmetricKeyType !== type) throw new Error(`${file} is not an ${type} key`);
  return key;
}
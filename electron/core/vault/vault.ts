/**
 * How a host gets the data key of a data folder. Host-neutral: the host says what it can offer
 * (the OS's key store under Electron, a key file named on the command line) and asks for a
 * passphrase itself (a window, the terminal, a file descriptor) when the plan says so.
 *
 * In order:
 * 1. a key file named by the host (`--key-file`): that key;
 * 2. the folder's wrapped key (`data-key.json`): unwrapped by the OS's key store or a passphrase;
 * 3. the key file beside the folder (`<folder>.key`, `defaultKeyFile`): that key;
 * 4. none of these, and no encrypted database yet (a fresh folder, or one from before encryption
 *    at rest): a new random key, kept the way the host asks (`create`). A folder whose database
 *    is encrypted but whose key is gone is `storage.locked`: a new key would open nothing.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { DATA_KEY_BYTES, fileState, StorageKeyError, type DataKey } from '../db/cipher';
import { createLogger } from '../log';
import { defaultKeyFile, readKeyFile, writeKeyFile } from './key-file';
import { readWrappedKey, unwrapWithOsStore, unwrapWithPassphrase, wrapWithOsStore, wrapWithPassphrase, writeWrappedKey, type OsKeyStore } from './wrapped-key';

const log = createLogger('vault');

/** How a key made for a fresh folder is kept. */
export type NewKeyProtection = 'keyFile' | 'os' | 'passphrase';

export type VaultOptions = {
  /** A key file the host was told to use (`--key-file`); made there for a fresh folder. */
  keyFile?: string;
  /** The OS's key store, when the host has one that is real (Electron, not `basic_text`). */
  osStore?: OsKeyStore | null;
  /** For a fresh folder. `os` needs `osStore`. */
  create: NewKeyProtection;
};

/** What the host does next: nothing (the key is here), or ask for a passphrase to unlock or to protect a new key. */
export type KeyPlan =
  | { kind: 'ready'; key: DataKey; source: 'keyFile' | 'os' | 'new' }
  /** The folder's key is wrapped by a passphrase: `unlock` rejects with `storage.keyWrong` for a wrong one. */
  | { kind: 'passphrase'; unlock(passphrase: string): Promise<DataKey> }
  /** A fresh folder: the admin chooses the passphrase that will protect its new key. */
  | { kind: 'newPassphrase'; create(passphrase: string): Promise<DataKey> };

/** True when the folder holds no encrypted database (so a new key is safe to make). */
function freshFolder(dataDir: string): boolean {
  return fileState(path.join(dataDir, 'station.db')) !== 'encrypted';
}

function newKey(): DataKey {
  return randomBytes(DATA_KEY_BYTES);
}

export async function planDataKey(dataDir: string, options: VaultOptions): Promise<KeyPlan> {
  if (options.keyFile !== undefined) {
    if (!fs.existsSync(options.keyFile) && freshFolder(dataDir)) return { kind: 'ready', key: createKeyFile(options.keyFile), source: 'new' };
    return { kind: 'ready', key: readKeyFile(options.keyFile), source: 'keyFile' };
  }
  const wrapped = readWrappedKey(dataDir);
  if (wrapped?.protector === 'os') {
    if (!options.osStore) {
      throw new StorageKeyError('storage.locked', "this data folder's key is kept in the desktop app's system key store: open it with the Station app");
    }
    return { kind: 'ready', key: await unwrapWithOsStore(wrapped, options.osStore), source: 'os' };
  }
  if (wrapped?.protector === 'passphrase') return { kind: 'passphrase', unlock: (passphrase) => unwrapWithPassphrase(wrapped, passphrase) };
  const beside = defaultKeyFile(dataDir);
  if (fs.existsSync(beside)) return { kind: 'ready', key: readKeyFile(beside), source: 'keyFile' };
  if (!freshFolder(dataDir)) {
    throw new StorageKeyError('storage.locked', `the database in ${dataDir} is encrypted and its key is missing (no ${path.basename(beside)} beside it, no data-key.json in it)`);
  }
  switch (options.create) {
    case 'keyFile':
      return { kind: 'ready', key: createKeyFile(beside), source: 'new' };
    case 'os': {
      if (!options.osStore) throw new StorageKeyError('storage.locked', 'no system key store to keep the key in');
      const key = newKey();
      writeWrappedKey(dataDir, await wrapWithOsStore(key, options.osStore));
      log.info('data key made, kept by the system key store');
      return { kind: 'ready', key, source: 'new' };
    }
    case 'passphrase':
      return {
        kind: 'newPassphrase',
        async create(passphrase) {
          const key = newKey();
          writeWrappedKey(dataDir, await wrapWithPassphrase(key, passphrase));
          log.info('data key made, kept under a passphrase');
          return key;
        },
      };
  }
}

function createKeyFile(file: string): DataKey {
  const key = newKey();
  try {
    writeKeyFile(file, key);
  } catch (err) {
    // Another process made it a moment ago: its key is the folder's.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readKeyFile(file);
    throw err;
  }
  log.info({ file }, 'data key made, kept in a key file');
  return key;
}

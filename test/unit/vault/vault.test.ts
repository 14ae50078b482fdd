import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openEncrypted, StorageKeyError, type DataKey } from '../../../electron/core/db/cipher';
import { defaultKeyFile, readKeyFile, writeKeyFile } from '../../../electron/core/vault/key-file';
import { planDataKey } from '../../../electron/core/vault/vault';
import { ARGON2ID_PARAMS, readWrappedKey, wrappedKeyPath, type OsKeyStore } from '../../../electron/core/vault/wrapped-key';
import { tempDir } from '../../helpers/core';

/** An OS key store for tests: reversible, tied to one "user" (a secret), failing for another. */
function fakeOsStore(user = 'alice'): OsKeyStore {
  const mask = Buffer.from(user.padEnd(64, user));
  const xor = (b: Buffer) => Buffer.from(b.map((x, i) => x ^ mask[i % mask.length]!));
  return {
    encrypt: async (plain) => xor(Buffer.from(`ok:${plain}`)),
    decrypt: async (wrapped) => {
      const text = xor(wrapped).toString('latin1');
      if (!text.startsWith('ok:')) throw new Error('cannot decrypt');
      return text.slice(3);
    },
  };
}

async function ready(plan: Awaited<ReturnType<typeof planDataKey>>): Promise<DataKey> {
  if (plan.kind !== 'ready') throw new Error(`expected a key, got ${plan.kind}`);
  return plan.key;
}

async function codeOf(promise: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (err) {
    if (err instanceof StorageKeyError) return err.code;
    throw err;
  }
  throw new Error('did not fail');
}

/** A folder with an encrypted station.db written with `key`. */
function encryptedFolder(key: DataKey): string {
  const dataDir = path.join(tempDir(), 'data');
  fs.mkdirSync(dataDir);
  const db = openEncrypted(path.join(dataDir, 'station.db'), key);
  db.exec('CREATE TABLE t (x)');
  db.close();
  return dataDir;
}

describe('key file', () => {
  it('lives beside the data folder, not inside it', () => {
    expect(defaultKeyFile('/var/lib/station/data')).toBe('/var/lib/station/data.key');
    expect(defaultKeyFile('/var/lib/station/data/')).toBe('/var/lib/station/data.key');
  });

  it('is made owner-only and read back', () => {
    const file = path.join(tempDir(), 'k', 'station.key');
    const key = randomBytes(32);
    writeKeyFile(file, key);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(readKeyFile(file)).toEqual(key);
    expect(() => writeKeyFile(file, randomBytes(32))).toThrow(/EEXIST/);
  });

  it.runIf(process.platform !== 'win32')('is refused when group or others can read it', async () => {
    const file = path.join(tempDir(), 'station.key');
    writeKeyFile(file, randomBytes(32));
    fs.chmodSync(file, 0o640);
    expect(await codeOf(() => readKeyFile(file))).toBe('storage.keyFileUnsafe');
    fs.chmodSync(file, 0o604);
    expect(await codeOf(() => readKeyFile(file))).toBe('storage.keyFileUnsafe');
    fs.chmodSync(file, 0o400);
    expect(readKeyFile(file)).toHaveLength(32);
  });

  it('is refused when it is not a key, missing or unreadable', async () => {
    const dir = tempDir();
    const notKey = path.join(dir, 'not.key');
    fs.writeFileSync(notKey, 'hello\n', { mode: 0o600 });
    expect(await codeOf(() => readKeyFile(notKey))).toBe('storage.keyFileInvalid');
    expect(await codeOf(() => readKeyFile(path.join(dir, 'missing.key')))).toBe('storage.locked');
    expect(await codeOf(() => readKeyFile(dir))).toBe('storage.keyFileInvalid');
    if (process.getuid?.() !== 0) {
      const unreadable = path.join(dir, 'unreadable.key');
      writeKeyFile(unreadable, randomBytes(32));
      fs.chmodSync(unreadable, 0o000);
      expect(await codeOf(() => readKeyFile(unreadable))).toBe('storage.locked');
    }
  });
});

describe('planning the data key', () => {
  it('a fresh folder under the kiosk host: a new key file beside it, the same key every time after', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const first = await ready(await planDataKey(dataDir, { create: 'keyFile' }));
    expect(fs.statSync(defaultKeyFile(dataDir)).mode & 0o777).toBe(0o600);
    expect(await ready(await planDataKey(dataDir, { create: 'keyFile' }))).toEqual(first);
    expect(fs.existsSync(path.join(dataDir, 'data-key.json'))).toBe(false);
  });

  it('an encrypted database whose key is gone: locked, never a new key', async () => {
    const dataDir = encryptedFolder(randomBytes(32));
    expect(await codeOf(planDataKey(dataDir, { create: 'keyFile' }))).toBe('storage.locked');
    expect(fs.existsSync(defaultKeyFile(dataDir))).toBe(false);
    expect(await codeOf(planDataKey(dataDir, { create: 'os', osStore: fakeOsStore() }))).toBe('storage.locked');
    expect(fs.existsSync(wrappedKeyPath(dataDir))).toBe(false);
  });

  it('a key file named on the command line: made for a fresh folder, used as it is for an existing one', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const keyFile = path.join(tempDir(), 'etc', 'station.key');
    const key = await ready(await planDataKey(dataDir, { keyFile, create: 'keyFile' }));
    expect(readKeyFile(keyFile)).toEqual(key);
    expect(fs.existsSync(defaultKeyFile(dataDir))).toBe(false);
    const encrypted = encryptedFolder(randomBytes(32));
    expect(await codeOf(planDataKey(encrypted, { keyFile: path.join(tempDir(), 'none.key'), create: 'keyFile' }))).toBe('storage.locked');
  });

  it('the OS key store (safeStorage): the key wrapped in the folder, unwrapped next time, refused for another user', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const store = fakeOsStore('alice');
    const key = await ready(await planDataKey(dataDir, { osStore: store, create: 'os' }));
    const wrapped = readWrappedKey(dataDir);
    expect(wrapped?.protector).toBe('os');
    expect(fs.readFileSync(wrappedKeyPath(dataDir), 'utf8')).not.toContain(key.toString('hex'));
    expect(await ready(await planDataKey(dataDir, { osStore: store, create: 'os' }))).toEqual(key);
    expect(await codeOf(planDataKey(dataDir, { osStore: fakeOsStore('mallory'), create: 'os' }))).toBe('storage.keyWrong');
    // The kiosk host has no OS key store: it says where the key is instead of making another.
    expect(await codeOf(planDataKey(dataDir, { create: 'keyFile' }))).toBe('storage.locked');
  });

  it('a passphrase (no OS key store, basic_text): chosen on the first start, asked at every start, a wrong one refused', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const plan = await planDataKey(dataDir, { osStore: null, create: 'passphrase' });
    if (plan.kind !== 'newPassphrase') throw new Error(plan.kind);
    expect(await codeOf(plan.create('short'))).toBe('storage.passphraseTooShort');
    expect(fs.existsSync(wrappedKeyPath(dataDir))).toBe(false);
    const key = await plan.create('correct horse battery');
    const wrapped = readWrappedKey(dataDir);
    expect(wrapped).toMatchObject({ protector: 'passphrase', kdf: { algorithm: 'argon2id', ...ARGON2ID_PARAMS } });

    const again = await planDataKey(dataDir, { osStore: null, create: 'passphrase' });
    if (again.kind !== 'passphrase') throw new Error(again.kind);
    expect(await codeOf(again.unlock('wrong horse battery'))).toBe('storage.keyWrong');
    expect(await codeOf(again.unlock(''))).toBe('storage.keyWrong');
    expect(await again.unlock('correct horse battery')).toEqual(key);
    // The kiosk host on the same folder takes the same passphrase.
    const kiosk = await planDataKey(dataDir, { create: 'keyFile' });
    expect(kiosk.kind).toBe('passphrase');
  });

  it('a wrapped key file that is not one is an error, not a reason to make a new key', async () => {
    const dataDir = path.join(tempDir(), 'data');
    fs.mkdirSync(dataDir);
    fs.writeFileSync(wrappedKeyPath(dataDir), '{"version":1,"protector":"passphrase"}');
    expect(await codeOf(planDataKey(dataDir, { create: 'keyFile' }))).toBe('storage.keyFileInvalid');
    fs.writeFileSync(wrappedKeyPath(dataDir), 'not json');
    expect(await codeOf(planDataKey(dataDir, { create: 'keyFile' }))).toBe('storage.keyFileInvalid');
    expect(fs.existsSync(defaultKeyFile(dataDir))).toBe(false);
  });

  it('a passphrase-wrapped key tampered with does not unwrap', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const plan = await planDataKey(dataDir, { create: 'passphrase' });
    if (plan.kind !== 'newPassphrase') throw new Error(plan.kind);
    await plan.create('correct horse battery');
    const file = wrappedKeyPath(dataDir);
    const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { wrapped: string };
    const bytes = Buffer.from(json.wrapped, 'base64');
    bytes[0] = bytes[0]! ^ 1;
    fs.writeFileSync(file, JSON.stringify({ ...json, wrapped: bytes.toString('base64') }));
    const again = await planDataKey(dataDir, { create: 'passphrase' });
    if (again.kind !== 'passphrase') throw new Error(again.kind);
    expect(await codeOf(again.unlock('correct horse battery'))).toBe('storage.keyWrong');
  });
});

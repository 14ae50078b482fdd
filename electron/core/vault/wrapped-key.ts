/**
 * The data key wrapped, in the data folder (`data-key.json`): useless without what unwraps it, so
 * it may travel with the folder. Two ways to wrap it:
 * - `os`: the operating system's key store (Electron's `safeStorage`: DPAPI on Windows, the
 *   Keychain on macOS, the Secret Service or KWallet on Linux), tied to the signed-in user;
 * - `passphrase`: a site admin's passphrase, stretched by Argon2id into a key-encryption key that
 *   wraps the data key with AES-256-GCM. Argon2id's parameters are OWASP's (m = 19 MiB, t = 2,
 *   p = 1), set explicitly and stored with the salt, so a later change of defaults cannot lock a
 *   folder out.
 */
import { hashRaw, type Algorithm } from '@node-rs/argon2';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DATA_KEY_BYTES, StorageKeyError, syncFile, type DataKey } from '../db/cipher';

export const WRAPPED_KEY_FILE = 'data-key.json';

/** Wraps and unwraps with the OS's key store; the Electron host gives one when the OS has a real store. */
export type OsKeyStore = {
  encrypt(plain: string): Promise<Buffer>;
  decrypt(wrapped: Buffer): Promise<string>;
};

/** OWASP's Argon2id parameters (Password Storage Cheat Sheet): 19 MiB, 2 passes, 1 lane. */
export const ARGON2ID_PARAMS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
/** The package's `Algorithm` is a const enum with no object at run time, so its value is written out. */
const ARGON2ID = 2 satisfies Algorithm.Argon2id;
/** Binds a wrapped key to what it is: a ciphertext cut from elsewhere does not unwrap as one. */
const AAD = Buffer.from('station data key v1');
/** Passphrases this long and no longer are taken (a page of text pasted by mistake is not a passphrase). */
export const MAX_PASSPHRASE_LENGTH = 1024;
export const MIN_PASSPHRASE_LENGTH = 8;

const b64 = (bytes: number) => z.base64().refine((s) => Buffer.from(s, 'base64').length === bytes, `${bytes} bytes`);

const wrappedKeySchema = z.discriminatedUnion('protector', [
  z.object({ version: z.literal(1), protector: z.literal('os'), wrapped: z.base64().max(4096) }).strict(),
  z
    .object({
      version: z.literal(1),
      protector: z.literal('passphrase'),
      kdf: z
        .object({
          algorithm: z.literal('argon2id'),
          memoryCost: z.literal(ARGON2ID_PARAMS.memoryCost),
          timeCost: z.literal(ARGON2ID_PARAMS.timeCost),
          parallelism: z.literal(ARGON2ID_PARAMS.parallelism),
          salt: b64(16),
        })
        .strict(),
      nonce: b64(12),
      tag: b64(16),
      wrapped: b64(DATA_KEY_BYTES),
    })
    .strict(),
]);
export type WrappedKey = z.infer<typeof wrappedKeySchema>;

export function wrappedKeyPath(dataDir: string): string {
  return path.join(dataDir, WRAPPED_KEY_FILE);
}

/** The folder's wrapped key, or null when it has none. A file that is not one is an error, never ignored. */
export function readWrappedKey(dataDir: string): WrappedKey | null {
  let text: string;
  try {
    text = fs.readFileSync(wrappedKeyPath(dataDir), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  const parsed = wrappedKeySchema.safeParse(json);
  if (!parsed.success) throw new StorageKeyError('storage.keyFileInvalid', `${wrappedKeyPath(dataDir)} is not a Station wrapped key`);
  return parsed.data;
}

/** Written aside, flushed and renamed: a stop never leaves half a wrapped key, and an existing one is never replaced. */
export function writeWrappedKey(dataDir: string, wrapped: WrappedKey): void {
  const file = wrappedKeyPath(dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(wrapped, null, 2)}\n`, { mode: 0o600 });
  syncFile(tmp);
  fs.linkSync(tmp, file);
  fs.rmSync(tmp);
  syncFile(file);
}

function checkPassphrase(passphrase: string): void {
  if (passphrase.length === 0 || passphrase.length > MAX_PASSPHRASE_LENGTH) throw new StorageKeyError('storage.keyWrong', 'the passphrase is empty or too long');
}

async function keyEncryptionKey(passphrase: string, salt: Buffer): Promise<Buffer> {
  return hashRaw(passphrase.normalize('NFC'), { algorithm: ARGON2ID, ...ARGON2ID_PARAMS, outputLen: 32, salt });
}

export async function wrapWithPassphrase(key: DataKey, passphrase: string): Promise<WrappedKey> {
  checkPassphrase(passphrase);
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) throw new StorageKeyError('storage.passphraseTooShort', `a passphrase has at least ${MIN_PASSPHRASE_LENGTH} characters`);
  const salt = randomBytes(16);
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', await keyEncryptionKey(passphrase, salt), nonce);
  cipher.setAAD(AAD);
  const wrapped = Buffer.concat([cipher.update(key), cipher.final()]);
  return {
    version: 1,
    protector: 'passphrase',
    kdf: { algorithm: 'argon2id', ...ARGON2ID_PARAMS, salt: salt.toString('base64') },
    nonce: nonce.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    wrapped: wrapped.toString('base64'),
  };
}

/** The data key, or `storage.keyWrong` when the passphrase is not the one it was wrapped with (GCM's tag fails). */
export async function unwrapWithPassphrase(wrapped: Extract<WrappedKey, { protector: 'passphrase' }>, passphrase: string): Promise<DataKey> {
  checkPassphrase(passphrase);
  const kek = await keyEncryptionKey(passphrase, Buffer.from(wrapped.kdf.salt, 'base64'));
  const decipher = createDecipheriv('aes-256-gcm', kek, Buffer.from(wrapped.nonce, 'base64'));
  decipher.setAAD(AAD);
  decipher.setAuthTag(Buffer.from(wrapped.tag, 'base64'));
  try {
    return Buffer.concat([decipher.update(Buffer.from(wrapped.wrapped, 'base64')), decipher.final()]);
  } catch {
    throw new StorageKeyError('storage.keyWrong', 'the passphrase is wrong');
  }
}

export async function wrapWithOsStore(key: DataKey, store: OsKeyStore): Promise<WrappedKey> {
  return { version: 1, protector: 'os', wrapped: (await store.encrypt(key.toString('hex'))).toString('base64') };
}

export async function unwrapWithOsStore(wrapped: Extract<WrappedKey, { protector: 'os' }>, store: OsKeyStore): Promise<DataKey> {
  let hex: string;
  try {
    hex = await store.decrypt(Buffer.from(wrapped.wrapped, 'base64'));
  } catch {
    // Another user's, or another machine's, key store: the folder was copied or the OS profile reset.
    throw new StorageKeyError('storage.keyWrong', "the system's key store cannot unwrap this folder's key (another user or machine?)");
  }
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new StorageKeyError('storage.keyWrong', "the system's key store gave back something that is not a key");
  return Buffer.from(hex, 'hex');
}

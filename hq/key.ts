import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { hqKeyFingerprint, hqKeyHeader } from './protocol';

/** HQ's own Ed25519 key, which signs every answer: a file in HQ's data folder, readable by its user only. */
export const HQ_KEY_FILE = 'hq-key.pem';
/** HQ's X25519 key, which station export files are encrypted to; beside the other. */
export const HQ_EXPORT_KEY_FILE = 'hq-export-key.pem';

export type HqKey = {
  privateKey: KeyObject;
  publicKey: KeyObject;
  header: string;
  fingerprint: string;
  /** The export key: its private half (decrypts export files) and its public half as stations get it. */
  exportPrivateKey: KeyObject;
  exportKey: string;
};

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
  return {
    privateKey,
    publicKey,
    header: hqKeyHeader(publicKey),
    fingerprint: hqKeyFingerprint(publicKey.export({ format: 'der', type: 'spki' })),
    exportPrivateKey,
    exportKey: createPublicKey(exportPrivateKey).export({ format: 'der', type: 'spki' }).toString('base64'),
  };
}

function keyFile(file: string, type: 'ed25519' | 'x25519'): KeyObject {
  if (!fs.existsSync(file)) {
    const { privateKey } = type === 'ed25519' ? generateKeyPairSync('ed25519') : generateKeyPairSync('x25519');
    const aside = `${file}.${process.pid}.${randomUUID()}`;
    fs.writeFileSync(aside, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600, flag: 'wx' });
    try {
      // The umask may have widened the mode on creation.
      fs.chmodSync(aside, 0o600);
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

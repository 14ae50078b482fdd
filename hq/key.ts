import { createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { hqKeyFingerprint, hqKeyHeader } from './protocol';

/** HQ's own Ed25519 key, which signs every answer: a file in HQ's data folder, readable by its user only. */
export const HQ_KEY_FILE = 'hq-key.pem';

export type HqKey = { privateKey: KeyObject; publicKey: KeyObject; header: string; fingerprint: string };

/**
 * HQ's key, made on first start: written whole under a name of its own, then linked into place
 * (a link never replaces a file), so of two HQ processes starting on one folder the second reads
 * the first one's key, never half of it.
 */
export function loadOrCreateHqKey(dataDir: string): HqKey {
  const file = path.join(dataDir, HQ_KEY_FILE);
  fs.mkdirSync(dataDir, { recursive: true });
  if (!fs.existsSync(file)) {
    const { privateKey } = generateKeyPairSync('ed25519');
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
  const privateKey = createPrivateKey(fs.readFileSync(file, 'utf8'));
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`${file} is not an Ed25519 key`);
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, header: hqKeyHeader(publicKey), fingerprint: hqKeyFingerprint(publicKey.export({ format: 'der', type: 'spki' })) };
}

import { generateKeyPairSync, createPrivateKey, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** The station's private key: a file in its data folder, readable by its user only, never sent. */
export const KEY_FILE = 'station-key.pem';

export type StationKeyPair = { privateKey: KeyObject; publicKeyPem: string };

export function keyPath(dataDir: string): string {
  return path.join(dataDir, KEY_FILE);
}

/**
 * A new Ed25519 key pair, written to `<file>` with mode 0600 before anything is sent, so a
 * station that enrolled always holds the key HQ knows. An existing file is never overwritten.
 */
export function createKeyFile(file: string): StationKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
  // The umask may have widened the mode on creation; make it owner-only whatever it was.
  fs.chmodSync(file, 0o600);
  return { privateKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string };
}

export function loadPrivateKey(dataDir: string): KeyObject {
  const key = createPrivateKey(fs.readFileSync(keyPath(dataDir), 'utf8'));
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('station key is not Ed25519');
  return key;
}

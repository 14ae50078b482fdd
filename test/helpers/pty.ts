import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openPtyPair, type PtyPair } from '../../native/serial/pty';

/**
 * A socat pty pair under a fresh folder, for one test. `replug()` closes the pair (both ends
 * vanish, as on an unplug) and opens it again under the same stable names.
 */
export type PtyFixture = {
  devicePath: string;
  peerPath: string;
  pair: PtyPair;
  unplug(): Promise<void>;
  plug(): Promise<void>;
  close(): Promise<void>;
};

export async function ptyFixture(): Promise<PtyFixture> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'station-pty-'));
  const devicePath = path.join(dir, 'device');
  const peerPath = path.join(dir, 'peer');
  let pair: PtyPair | null = await openPtyPair(devicePath, peerPath);
  const fixture: PtyFixture = {
    devicePath,
    peerPath,
    get pair() {
      if (!pair) throw new Error('pty pair is unplugged');
      return pair;
    },
    async unplug() {
      await pair?.close();
      pair = null;
    },
    async plug() {
      pair ??= await openPtyPair(devicePath, peerPath);
    },
    async close() {
      await fixture.unplug();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return fixture;
}

/** Resolves when `predicate` holds, polling; rejects after `timeoutMs` (a failure, not a timing check). */
export async function until(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

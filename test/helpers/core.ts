import type Database from 'better-sqlite3-multiple-ciphers';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StationCore } from '../../electron/core/core';
import { DATA_KEY_BYTES, openEncrypted, type DataKey } from '../../electron/core/db/cipher';
import { defaultKeyFile, readKeyFile, writeKeyFile } from '../../electron/core/vault/key-file';
import type { ArgsOf, Method, ValueOf } from '../../electron/api/contract';

/** A fresh data directory for one test. */
/** A fresh temporary folder, under the run's root when vitest made one (removed when the run ends). */
export function tempDir(prefix = 'station-test-'): string {
  return fs.mkdtempSync(path.join(process.env.STATION_TEST_TMP ?? os.tmpdir(), prefix));
}

/**
 * A data folder's key: the key file beside it, made on first use, as `station serve` does; so a
 * test opens with the same key a station process it started uses on the same folder.
 */
export function dataKeyOf(dataDir: string): DataKey {
  const file = defaultKeyFile(dataDir);
  if (!fs.existsSync(file)) writeKeyFile(file, randomBytes(DATA_KEY_BYTES));
  return readKeyFile(file);
}

/** A station's database (or another of its files) opened directly, with its folder's key. */
export function openStationFile(file: string, options: Database.Options = {}, dataDir = path.dirname(file)): Database.Database {
  return openEncrypted(file, dataKeyOf(dataDir), options);
}

export function openCore(dataDir = tempDir()): StationCore {
  return new StationCore({ dataDir, dataKey: dataKeyOf(dataDir) });
}

/** Calls and unwraps: fails the test with the error code if the core refused. */
export async function ok<M extends Method>(core: StationCore, method: M, args: ArgsOf<M>): Promise<ValueOf<M>> {
  const result = await core.invoke(method, args);
  if (!result.ok) throw new Error(`${method} refused: ${JSON.stringify(result.error)}`);
  return result.value;
}

export async function refused<M extends Method>(core: StationCore, method: M, args: ArgsOf<M>): Promise<string> {
  const result = await core.invoke(method, args);
  if (result.ok) throw new Error(`${method} was accepted: ${JSON.stringify(result.value)}`);
  return result.error.code;
}

/** A data folder and its key, to spread into a core's or a host's options. */
export function withKey(dataDir: string): { dataDir: string; dataKey: DataKey } {
  return { dataDir, dataKey: dataKeyOf(dataDir) };
}

/** A fresh data folder and its key. */
export function freshFolder(prefix?: string): { dataDir: string; dataKey: DataKey } {
  return withKey(tempDir(prefix));
}

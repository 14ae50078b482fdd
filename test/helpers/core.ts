import type Database from 'better-sqlite3-multiple-ciphers';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StationCore, type CoreOptions } from '../../electron/core/core';
import { DATA_KEY_BYTES, openEncrypted, type DataKey } from '../../electron/core/db/cipher';
import { defaultKeyFile, readKeyFile, writeKeyFile } from '../../electron/core/vault/key-file';
import type { ArgsOf, Method, ValueOf } from '../../electron/api/contract';

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

/**
 * The site admin every test signs in as: made by the first-run step on a fresh station, signed
 * in with the staff code and PIN on one that has them already.
 */
export const TEST_ADMIN = { name: '测试管理员', code: 'T001', pin: '730519', badge: 'OP0901' } as const;

/** Signs `core` in as the test's site admin (creating them on a fresh station); returns the core. */
export async function signInAdmin(core: StationCore): Promise<StationCore> {
  const session = await core.invoke('operator.session', {});
  const result =
    session.ok && session.value.state === 'setup'
      ? await core.invoke('operator.setup', { ...TEST_ADMIN })
      : await core.invoke('operator.signIn', { code: TEST_ADMIN.code, pin: TEST_ADMIN.pin });
  if (!result.ok) throw new Error(`test admin could not sign in: ${JSON.stringify(result.error)}`);
  return core;
}

/**
 * What a `station` command that changes records takes to run as the test's site admin, once the
 * folder has them (`openCore` made them): the staff code, and the PIN in a file only its owner reads.
 */
export function staffArgs(): string[] {
  const file = path.join(tempDir('station-pin-'), 'pin');
  fs.writeFileSync(file, `${TEST_ADMIN.pin}\n`, { mode: 0o600 });
  return ['--staff', TEST_ADMIN.code, '--pin-file', file];
}

/** A station folder with the test's site admin made, and nothing running on it. */
export async function folderWithAdmin(dataDir = tempDir()): Promise<string> {
  (await openCore(dataDir)).close();
  return dataDir;
}

/** A core on `dataDir` with the test's site admin signed in; `options`: the upload agent's, devices… */
export async function openCore(dataDir = tempDir(), options: Omit<CoreOptions, 'dataDir' | 'dataKey'> = {}): Promise<StationCore> {
  return signInAdmin(stationCore({ ...options, dataDir }));
}

/** A core nobody is signed in to, on a fresh folder unless `options.dataDir` names one (a test's clock, no devices…), with the folder's key. */
export function stationCore(options: Partial<CoreOptions> = {}): StationCore {
  const dataDir = options.dataDir ?? tempDir();
  return new StationCore({ dataKey: dataKeyOf(dataDir), ...options, dataDir });
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

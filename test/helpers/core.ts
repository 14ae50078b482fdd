import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StationCore } from '../../electron/core/core';
import type { ArgsOf, Method, ValueOf } from '../../electron/api/contract';

/** A fresh data directory for one test. */
/** A fresh temporary folder, under the run's root when vitest made one (removed when the run ends). */
export function tempDir(prefix = 'station-test-'): string {
  return fs.mkdtempSync(path.join(process.env.STATION_TEST_TMP ?? os.tmpdir(), prefix));
}

export function openCore(dataDir = tempDir()): StationCore {
  return new StationCore({ dataDir });
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

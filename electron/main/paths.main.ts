import path from 'node:path';
import { parseArgs } from 'node:util';

/**
 * The station's data folder: `--data DIR` (or `--data=DIR`) when given, else `data` inside the
 * app's user-data folder. Chromium and Electron add switches of their own, so unknown ones are
 * let through rather than refused.
 */
export function dataDirFrom(argv: readonly string[], userDataDir: string, cwd: string = process.cwd()): string {
  const { values } = parseArgs({ args: argv.slice(1), options: { data: { type: 'string' } }, strict: false, allowPositionals: true });
  const given = values.data;
  return typeof given === 'string' && given.length > 0 ? path.resolve(cwd, given) : path.join(userDataDir, 'data');
}

import path from 'node:path';
import { parseArgs } from 'node:util';
import { deviceModeSchema, type DeviceMode } from '../api/devices';
import { createLogger } from '../core/log';
import { hqUrlSchema } from '../utility/core-protocol';

const log = createLogger('launch');

export type LaunchOptions = { dataDir: string; devices?: DeviceMode; hqUrl?: string };

/**
 * The desktop app's command line, with the same flags as `station serve`: `--data DIR` (else
 * `data` inside the app's user-data folder), `--devices real|simulated|off` and `--hq URL`.
 * Chromium and Electron add switches of their own, so unknown ones are let through; a bad
 * value is ignored (the stored setting applies) and logged, as there is no console to answer.
 */
export function launchOptionsFrom(argv: readonly string[], userDataDir: string, cwd: string = process.cwd()): LaunchOptions {
  const { values } = parseArgs({
    args: argv.slice(1),
    options: { data: { type: 'string' }, devices: { type: 'string' }, hq: { type: 'string' } },
    strict: false,
    allowPositionals: true,
  });
  const options: LaunchOptions = {
    dataDir: typeof values.data === 'string' && values.data.length > 0 ? path.resolve(cwd, values.data) : path.join(userDataDir, 'data'),
  };
  if (values.devices !== undefined) {
    const devices = deviceModeSchema.safeParse(values.devices);
    if (devices.success) options.devices = devices.data;
    else log.warn('--devices must be real, simulated or off; using the stored setting');
  }
  if (values.hq !== undefined) {
    const hqUrl = hqUrlSchema.safeParse(values.hq);
    if (hqUrl.success) options.hqUrl = hqUrl.data;
    else log.warn('--hq must be an http(s) URL; using the enrolled HQ address');
  }
  return options;
}

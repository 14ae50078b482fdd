import path from 'node:path';
import { deviceModeSchema } from '../../api/devices';
import { defaultDataDir } from '../../core/paths';
import { startKioskHost } from '../../kiosk/server';
import { parseOptions, parsePort } from '../args';
import { dataKeyForCli, KEY_OPTIONS, KEY_USAGE } from '../data-key';
import { testClock } from '../test-clock';
import type { CliCommand } from './types';

export const DEFAULT_PORT = 4173;
export const TEST_PSEUDO_TERMINALS_ENV = 'STATION_TEST_PSEUDO_TERMINALS';

export const serve: CliCommand = {
  name: 'serve',
  summary: 'run the kiosk host: the core plus the screen on http://127.0.0.1',
  usage: `station serve [--data DIR] [--port N] [--hq URL] [--devices real|simulated|off] ${KEY_USAGE}`,
  async run(argv) {
    const { values } = parseOptions(
      argv,
      { data: { type: 'string' }, port: { type: 'string' }, hq: { type: 'string' }, devices: { type: 'string' }, ...KEY_OPTIONS },
      this.usage,
    );
    // --devices overrides the stored device mode for this run (npm start uses the simulators).
    const mode = values.devices === undefined ? undefined : deviceModeSchema.safeParse(values.devices);
    if (mode && !mode.success) throw new Error(`--devices must be real, simulated or off\nusage: ${this.usage}`);
    const devices = mode?.data;
    const dataDir = path.resolve(values.data ?? defaultDataDir());
    const dataKey = await dataKeyForCli(dataDir, values);
    // The host runs the upload agent once the station is enrolled; --hq overrides the enrolled HQ address.
    const upload = { start: true, hqUrl: values.hq };
    // Test harness only (nothing in Station sets it): configured devices may be socat pseudo-terminals.
    const deviceOptions = process.env[TEST_PSEUDO_TERMINALS_ENV] === '1' ? { pseudoTerminals: true } : undefined;
    // Test harness only, refused outside the test runner (`test-clock.ts`): a clock the test moves.
    const now = testClock();
    let host;
    try {
      host = await startKioskHost({ dataDir, dataKey, port: parsePort(values.port, DEFAULT_PORT), upload, devices, deviceOptions, ...(now ? { now } : {}) });
    } catch (err) {
      // The usual port is taken (a second Station on this machine): take any free one instead.
      if (values.port !== undefined || (err as { code?: string }).code !== 'EADDRINUSE') throw err;
      host = await startKioskHost({ dataDir, dataKey, port: 0, upload, devices, deviceOptions, ...(now ? { now } : {}) });
    }
    // One line on stdout that scripts and tests wait for; then where this launch's key is (never the key itself).
    process.stdout.write(`station: listening on ${host.url} (data: ${dataDir})\n`);
    process.stdout.write(`station: this launch's key is in ${host.tokenFile} (readable by this user only; a browser opens ${host.url}launch?token=KEY)\n`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        void host.close().then(resolve);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  },
};

import path from 'node:path';
import { StationCore } from '../../core/core';
import { defaultDataDir } from '../../core/paths';
import { parseOptions } from '../args';
import { dataKeyForCli, KEY_OPTIONS, KEY_USAGE } from '../data-key';
import { readPin } from '../pin-input';
import type { CliCommand } from './types';

/**
 * `station operator setup`: the first site admin of a station run without a screen (a kiosk
 * service), as the first-run screen makes it; refused once any operator of the station holds a
 * PIN. The PIN is typed twice at the terminal (or read from --pin-file), never given on the
 * command line. Only while the station itself is not running on the folder.
 */
export const operator: CliCommand = {
  name: 'operator',
  summary: 'create the first site admin of a station that has none (the PIN is asked for, or read from --pin-file)',
  usage: `station operator setup [--data DIR] --name NAME --code CODE [--badge BADGE] [--pin-file FILE] ${KEY_USAGE}`,
  async run(argv) {
    const [action, ...rest] = argv;
    if (action !== 'setup') throw new Error(`usage: ${this.usage}`);
    const { values } = parseOptions(rest, { data: { type: 'string' }, name: { type: 'string' }, code: { type: 'string' }, badge: { type: 'string' }, 'pin-file': { type: 'string' }, ...KEY_OPTIONS }, this.usage);
    if (!values.name || !values.code) throw new Error(`--name and --code are required\nusage: ${this.usage}`);
    // The folder's key first: a passphrase asked at the terminal comes before the new PIN.
    const dataDir = path.resolve(values.data ?? defaultDataDir());
    const dataKey = await dataKeyForCli(dataDir, values);
    const pin = await readPin({ pinFile: values['pin-file'], prompt: 'PIN (6 to 12 digits): ' });
    if (!values['pin-file'] && process.stdin.isTTY && (await readPin({ prompt: 'PIN again: ' })) !== pin) throw new Error('the two PINs differ; nothing was created');
    const core = new StationCore({ dataDir, dataKey, devices: 'off', exclusive: true });
    try {
      const result = await core.invoke('operator.setup', { name: values.name, code: values.code, pin, ...(values.badge ? { badge: values.badge } : {}) });
      if (!result.ok) {
        process.stderr.write(`station operator setup: refused: ${result.error.code}${result.error.params ? ` ${JSON.stringify(result.error.params)}` : ''}\n`);
        return 1;
      }
      process.stdout.write(`station: site admin ${values.code} created; they sign in on the screen, and add the other operators there\n`);
      return 0;
    } finally {
      await core.devices.stop();
      core.close();
    }
  },
};

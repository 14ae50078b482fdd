import path from 'node:path';
import { defaultDataDir } from '../../core/paths';
import { writeExportFile } from '../../core/upload/export';
import { parseOptions } from '../args';
import { dataKeyForCli, KEY_OPTIONS, KEY_USAGE } from '../data-key';
import type { CliCommand } from './types';

export const exportCommand: CliCommand = {
  name: 'export',
  summary: 'write a signed file of every record HQ has not acknowledged (for a USB stick)',
  usage: `station export [--data DIR] --out FILE ${KEY_USAGE}`,
  async run(argv) {
    const { values } = parseOptions(argv, { data: { type: 'string' }, out: { type: 'string' }, ...KEY_OPTIONS }, this.usage);
    if (!values.out) throw new Error(`--out is required\nusage: ${this.usage}`);
    const dataDir = path.resolve(values.data ?? defaultDataDir());
    const out = path.resolve(values.out);
    const summary = await writeExportFile(dataDir, await dataKeyForCli(dataDir, values), out);
    if (!summary) {
      process.stdout.write('station: nothing to export, HQ has acknowledged every record\n');
      return 0;
    }
    process.stdout.write(`station: exported records ${summary.fromSeq}..${summary.toSeq} (${summary.records}) to ${out}\n`);
    return 0;
  },
};

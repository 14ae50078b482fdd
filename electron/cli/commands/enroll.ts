import path from 'node:path';
import { StationCore } from '../../core/core';
import { defaultDataDir } from '../../core/paths';
import { parseOptions } from '../args';
import { dataKeyForCli, KEY_OPTIONS, KEY_USAGE } from '../data-key';
import { signInSiteAdmin, STAFF_OPTIONS } from '../pin-input';
import type { CliCommand } from './types';

export const enroll: CliCommand = {
  name: 'enroll',
  summary: 'link this station to HQ with a one-time enrollment code (the key pair is made here); a desk HQ revoked, or that missed a change of HQ’s key, is linked again with a re-link code and keeps its records',
  usage: `station enroll --staff CODE [--pin-file FILE] [--data DIR] --hq URL --code CODE [--name NAME] ${KEY_USAGE}`,
  async run(argv) {
    const { values } = parseOptions(
      argv,
      { data: { type: 'string' }, hq: { type: 'string' }, code: { type: 'string' }, name: { type: 'string' }, ...STAFF_OPTIONS, ...KEY_OPTIONS },
      this.usage,
    );
    if (!values.hq || !values.code) throw new Error(`--hq and --code are required\nusage: ${this.usage}`);
    const dataDir = path.resolve(values.data ?? defaultDataDir());
    const core = new StationCore({ dataDir, dataKey: await dataKeyForCli(dataDir, values) });
    try {
      // Linking the station to HQ is a site admin's, here as on the screen.
      await signInSiteAdmin(core, values, this.usage);
      const before = core.upload.store.link();
      const result = await core.invoke('upload.enroll', { hqUrl: values.hq, code: values.code, stationName: values.name });
      if (!result.ok) {
        const params = result.error.params ? ` ${JSON.stringify(result.error.params)}` : '';
        process.stderr.write(`station: enrollment refused: ${result.error.code}${params}\n`);
        return 1;
      }
      const hq = result.value.hq!;
      if (before?.stationId === hq.stationId) {
        process.stdout.write(`station: linked again at ${hq.url} as ${hq.stationId} (site ${hq.siteName}); ${result.value.waiting} records not yet at HQ are sent at the next sync\n`);
      } else process.stdout.write(`station: enrolled at ${hq.url} as ${hq.stationId} (site ${hq.siteName})\n`);
      return 0;
    } finally {
      core.close();
    }
  },
};

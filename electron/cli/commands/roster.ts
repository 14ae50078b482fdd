import path from 'node:path';
import { StationCore } from '../../core/core';
import { defaultDataDir } from '../../core/paths';
import { parseOptions } from '../args';
import { dataKeyForCli, KEY_OPTIONS, KEY_USAGE } from '../data-key';
import { signInSiteAdmin, STAFF_OPTIONS } from '../pin-input';
import { parseEncoding, parseHeaderMapping, rosterFailureText, rosterProblemLine, SHOWN_PROBLEMS } from '../roster-words';
import type { CliCommand } from './types';

/**
 * `station roster import`: a ledger read at this station without the screen (a large file, a
 * script). Checked like on the Roster screen; with --apply its good rows become the roster in use
 * and go to HQ with the journal. Only while Station itself is not running on the same data folder:
 * it refuses to start otherwise (the folder's lock), since it would take over the app's own
 * ledger import and roster downloads. A roster applied here is in use at Station's next start.
 * A site admin runs it (`--staff`, their PIN asked for or read from --pin-file): the import is
 * journalled under their name, as on the screen.
 */
export const roster: CliCommand = {
  name: 'roster',
  summary: 'check a resident ledger (CSV or XLSX) and, with --apply, make its good rows the roster in use',
  usage: `station roster import FILE --staff CODE [--pin-file FILE] [--data DIR] [--apply] [--map "HEADER=field,…"] [--encoding utf-8|gb18030] ${KEY_USAGE}`,
  async run(argv) {
    const [action, ...rest] = argv;
    if (action !== 'import') throw new Error(`usage: ${this.usage}`);
    const { values, positionals } = parseOptions(
      rest,
      { data: { type: 'string' }, apply: { type: 'boolean' }, map: { type: 'string' }, encoding: { type: 'string' }, ...STAFF_OPTIONS, ...KEY_OPTIONS },
      this.usage,
    );
    const file = positionals[0];
    if (!file) throw new Error(`a file is required\nusage: ${this.usage}`);
    const encoding = parseEncoding(values.encoding);
    const mapping = parseHeaderMapping(values.map);
    const dataDir = path.resolve(values.data ?? defaultDataDir());
    const core = new StationCore({ dataDir, dataKey: await dataKeyForCli(dataDir, values), devices: 'off', exclusive: true });
    const out = (line: string) => process.stdout.write(`${line}\n`);
    try {
      await signInSiteAdmin(core, values, this.usage);
      const started = await core.roster.readFile(path.resolve(file), mapping, encoding);
      await core.roster.idle();
      const view = core.roster.importView(started.id);
      if (view.state === 'failed') {
        process.stderr.write(`station roster import: ${rosterFailureText(view.failure)}\n`);
        return 1;
      }
      if (view.state === 'needsMapping') {
        process.stderr.write(`station roster import: headers to map: ${view.unmapped.join(', ')}; say what each is with --map "HEADER=field,…"\n`);
        await core.roster.discard(view.id);
        return 1;
      }
      out(`${view.totalRows} rows: ${view.residents} good, ${view.refused} refused, ${view.warned} with a note`);
      const c = view.changes ?? { new: 0, moved: 0, changed: 0, gone: 0 };
      out(`against the roster in use: ${c.new} new, ${c.moved} moved, ${c.changed} changed, ${c.gone} gone`);
      const page = core.roster.problems(view.id, 0, SHOWN_PROBLEMS);
      for (const p of page.rows) out(rosterProblemLine(p));
      if (page.total > page.rows.length) out(`  … and ${page.total - page.rows.length} more rows with problems (every one is listed on the Roster screen)`);
      if (!values.apply) {
        await core.roster.discard(view.id);
        out('nothing imported: run again with --apply to import the good rows');
        return 0;
      }
      await core.roster.apply(view.id);
      await core.roster.idle();
      out(`imported ${view.residents} residents as the roster in use; they go to HQ with the journal`);
      return 0;
    } finally {
      await core.devices.stop();
      core.close();
    }
  },
};

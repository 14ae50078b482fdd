import path from 'node:path';
import { StationCore } from '../../core/core';
import { defaultDataDir } from '../../core/paths';
import { headerMappingSchema, type HeaderMapping } from '../../core/roster/fields';
import { parseOptions } from '../args';
import type { CliCommand } from './types';

const FAILURES: Record<string, string> = {
  'file.unsupported': 'not a spreadsheet Station can read (save it as .xlsx or .csv)',
  'file.xls': 'an old Excel .xls file (save it as .xlsx)',
  'file.encoding': 'the text encoding could not be read (try --encoding gb18030 or utf-8)',
  'file.csvMalformed': 'the CSV is malformed (an unpaired quote?)',
  'file.empty': 'the file is empty',
  'file.noHeader': 'the first row is data: there is no header row',
  internal: 'reading stopped',
};

/** Rows with problems printed here; the Roster screen lists them all. */
const SHOWN_PROBLEMS = 200;

function parseMapping(text: string | undefined): HeaderMapping | undefined {
  if (!text) return undefined;
  const parsed = headerMappingSchema.safeParse(Object.fromEntries(text.split(',').map((p) => p.split('=').map((x) => x.trim()))));
  if (!parsed.success) throw new Error('--map takes HEADER=field pairs, field one of name, idNumber, phone, building, unit, room, tags, ignore');
  return parsed.data;
}

/**
 * `station roster import`: a ledger read at this station without the screen (a large file, a
 * script). Checked like on the Roster screen; with --apply its good rows become the roster in use
 * and go to HQ with the journal. Run it while Station itself is not running: a running Station
 * picks up a roster applied here at its next start.
 */
export const roster: CliCommand = {
  name: 'roster',
  summary: 'check a resident ledger (CSV or XLSX) and, with --apply, make its good rows the roster in use',
  usage: 'station roster import FILE [--data DIR] [--apply] [--map "HEADER=field,…"] [--encoding utf-8|gb18030]',
  async run(argv) {
    const [action, ...rest] = argv;
    if (action !== 'import') throw new Error(`usage: ${this.usage}`);
    const { values, positionals } = parseOptions(
      rest,
      { data: { type: 'string' }, apply: { type: 'boolean' }, map: { type: 'string' }, encoding: { type: 'string' } },
      this.usage,
    );
    const file = positionals[0];
    if (!file) throw new Error(`a file is required\nusage: ${this.usage}`);
    if (values.encoding && values.encoding !== 'utf-8' && values.encoding !== 'gb18030') throw new Error('--encoding is utf-8 or gb18030');
    const core = new StationCore({ dataDir: path.resolve(values.data ?? defaultDataDir()), devices: 'off' });
    const out = (line: string) => process.stdout.write(`${line}\n`);
    try {
      const started = await core.roster.readFile(path.resolve(file), parseMapping(values.map), values.encoding as 'utf-8' | 'gb18030' | undefined);
      await core.roster.idle();
      const view = core.roster.importView(started.id);
      if (view.state === 'failed') {
        process.stderr.write(`station roster import: ${FAILURES[view.failure?.code ?? 'internal'] ?? view.failure?.code}${view.failure?.rowNo ? ` (row ${view.failure.rowNo})` : ''}\n`);
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
      for (const p of page.rows) out(`  row ${p.rowNo}: ${p.refused ? 'refused' : 'note'}: ${p.problems.map((x) => `${x.code}${x.value ? ` (${x.value})` : ''}`).join('; ')}`);
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

import type { RosterFailureCode } from '../api/roster';
import { headerMappingSchema, type HeaderMapping } from '../core/roster/fields';

/** Why a ledger could not be read at all, as the roster commands of station and HQ say it. */
const FAILURES: Record<RosterFailureCode, string> = {
  'file.unsupported': 'not a spreadsheet that can be read here (save it as .xlsx or .csv)',
  'file.xls': 'an old Excel .xls file (save it as .xlsx)',
  'file.encoding': 'the text encoding could not be read (try --encoding gb18030 or utf-8)',
  'file.csvMalformed': 'the CSV is malformed (an unpaired quote?)',
  'file.empty': 'the file is empty',
  'file.noHeader': 'the first row is data: there is no header row',
  'file.tooManyRows': 'more than 5,000,000 residents: HQ does not take a ledger this large',
  'hq.versionBroken': 'the roster HQ sent did not hold the residents it announced; it is not used (publish it again at HQ)',
  internal: 'reading stopped',
};

export function rosterFailureText(failure: { code: string; rowNo?: number | null } | null | undefined): string {
  const code = failure?.code ?? 'internal';
  return `${FAILURES[code as RosterFailureCode] ?? code}${failure?.rowNo ? ` (row ${failure.rowNo})` : ''}`;
}

/** `--map "居民名=name,证件=idNumber,备注=ignore"`: the admin's answer for headers not known. */
export function parseHeaderMapping(text: string | undefined): HeaderMapping | undefined {
  if (!text) return undefined;
  const parsed = headerMappingSchema.safeParse(Object.fromEntries(text.split(',').map((p) => p.split('=').map((x) => x.trim()))));
  if (!parsed.success) throw new Error('--map takes HEADER=field pairs, field one of name, idNumber, phone, building, unit, room, tags, ignore');
  return parsed.data;
}

export const ENCODINGS = ['utf-8', 'gb18030'] as const;

export function parseEncoding(text: string | undefined): (typeof ENCODINGS)[number] | undefined {
  if (text === undefined) return undefined;
  if (!(ENCODINGS as readonly string[]).includes(text)) throw new Error('--encoding is utf-8 or gb18030');
  return text as (typeof ENCODINGS)[number];
}

/** The rows with problems shown on the command line; the screens list them all. */
export const SHOWN_PROBLEMS = 200;

export function rosterProblemLine(p: { rowNo: number; refused: boolean; problems: { code: string; value?: string }[] }): string {
  return `  row ${p.rowNo}: ${p.refused ? 'refused' : 'note'}: ${p.problems.map((x) => `${x.code}${x.value ? ` (${x.value})` : ''}`).join('; ')}`;
}

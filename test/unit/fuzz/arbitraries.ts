/**
 * What every fuzz test of outside bytes shares: how many runs (scaled by `FUZZ_SCALE` for a long
 * local run, e.g. `FUZZ_SCALE=50 npx vitest run --project unit test/unit/fuzz`), the per-run time
 * limit, and the arbitraries for bytes, text and the pieces that trip parsers up.
 */
import type Database from 'better-sqlite3-multiple-ciphers';
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { checkCharacter } from '../../../electron/core/person/gb11643';

const SCALE = Math.max(1, Number(process.env.FUZZ_SCALE ?? '1') || 1);

/** The runs of one property: `base` in `npm test`, `base × FUZZ_SCALE` in a long run. */
export function runs(base: number): number {
  return Math.ceil(base * SCALE);
}

/** A test's time limit, grown with the runs (vitest's default for the unit project is 20 s). */
export function fuzzTimeout(baseMs = 20_000): number {
  return baseMs * SCALE;
}

/**
 * Options for `fc.assert`: the runs, and a per-run time limit for async properties, so a parser
 * that hangs on one input fails with that input instead of timing the whole test out. The seed is
 * taken from `FUZZ_SEED` to replay a run fast-check reported.
 */
export function fuzzOptions(base: number, perRunMs = 5_000): fc.Parameters<unknown> {
  const seed = process.env.FUZZ_SEED;
  return { numRuns: runs(base), timeout: perRunMs, ...(seed ? { seed: Number(seed) } : {}) };
}

/** Any bytes, up to `maxLength`. */
export function bytes(maxLength = 512): fc.Arbitrary<Buffer> {
  return fc.uint8Array({ maxLength }).map((a) => Buffer.from(a));
}

/** Any text, every code point (lone surrogates included), up to `maxLength` code units. */
export function anyText(maxLength = 256): fc.Arbitrary<string> {
  return fc.string({ unit: 'binary', maxLength });
}

/** A valid GB 11643 resident ID number. */
export const idNumber: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom('110105', '310101', '440305', '510107'), fc.date({ min: new Date('1920-01-01'), max: new Date('2020-12-31'), noInvalidDate: true }), fc.integer({ min: 0, max: 999 }))
  .map(([region, birth, serial]) => {
    const first17 = `${region}${birth.toISOString().slice(0, 10).replace(/-/g, '')}${String(serial).padStart(3, '0')}`;
    return first17 + checkCharacter(first17);
  });

/**
 * Text put together from pieces that mean something to one parser or another (separators,
 * quotes, escapes, line ends, BOMs, control characters, CJK and four-byte characters, ID numbers),
 * so random inputs reach past the first check of each parser instead of failing it at once.
 */
export function piecesText(pieces: readonly string[], maxPieces = 24): fc.Arbitrary<string> {
  return fc.array(fc.oneof(fc.constantFrom(...pieces), idNumber, fc.string({ maxLength: 6 }), anyText(4)), { maxLength: maxPieces }).map((p) => p.join(''));
}

export const COMMON_PIECES = [
  '',
  ' ',
  '\t',
  '\r',
  '\n',
  '\r\n',
  '\u0000',
  '\u0007',
  '\u001b',
  '\u007f',
  '\ufeff',
  '\u2028',
  '"',
  "'",
  '\\',
  ',',
  ';',
  ':',
  '=',
  '&',
  '?',
  '#',
  '%',
  '%E5%BC%A0',
  '%zz',
  '{',
  '}',
  '[',
  ']',
  'null',
  'true',
  '-1',
  '1e400',
  '张',
  '三',
  '𠀀',
  'X',
  'x',
  '0',
  '9',
] as const;

/** Splits `data` into consecutive chunks at random places: as a serial port or a socket delivers bytes. */
export function chunked(data: Buffer): fc.Arbitrary<Buffer[]> {
  return fc.array(fc.integer({ min: 0, max: data.length }), { maxLength: 8 }).map((cuts) => {
    const at = [...new Set([0, ...cuts, data.length])].sort((a, b) => a - b);
    const out: Buffer[] = [];
    for (let i = 1; i < at.length; i++) out.push(data.subarray(at[i - 1], at[i]));
    return out;
  });
}

/** Bytes cut into chunks, generated together so fast-check shrinks both. */
export function chunkedBytes(maxLength = 512): fc.Arbitrary<Buffer[]> {
  return bytes(maxLength).chain(chunked);
}

/** Any JSON value, objects with odd keys (`__proto__`, `constructor`) included. */
export function jsonValue(maxDepth = 3): fc.Arbitrary<unknown> {
  return fc
    .jsonValue({ maxDepth })
    .chain((v) => fc.constantFrom<unknown>(v, JSON.parse(`{"__proto__":${JSON.stringify(v)}}`), { constructor: v }, [v], { toString: v }));
}

/** What a masked value may show: never 15 digits in a row (an ID number or a phone in clear). */
export const UNMASKED_DIGITS = /\d{15,}/;

/**
 * Every row of every table of a SQLite database, hashed: equal before and after a refused input
 * means nothing was written. Fuzzed databases are small, so reading them whole is cheap. `except`:
 * tables a refusal may write by design (HQ remembers every signature it saw, to refuse replays).
 * `only`: in tables with that column, only the rows with that value (one station's, in an HQ
 * database a long run keeps filling), so each run reads what it may touch, not the whole history.
 */
export function databaseDigest(db: Database.Database, except: readonly string[] = [], only?: { column: string; value: string }): string {
  const digest = createHash('sha256');
  const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).pluck().all() as string[];
  for (const table of tables) {
    if (except.includes(table)) continue;
    digest.update(`\u0000${table}\u0000`);
    const rows = only !== undefined && columnsOf(db, table).includes(only.column) ? rowsOf(db, table, only.column).iterate(only.value) : rowsOf(db, table).iterate();
    for (const row of rows) digest.update(JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : Buffer.isBuffer(v) ? v.toString('hex') : v)));
  }
  return digest.digest('hex');
}

/** Statements of `databaseDigest`, prepared once per database: it runs twice per fuzz run. */
const prepared = new WeakMap<Database.Database, Map<string, Database.Statement<unknown[], unknown[]>>>();

function statement(db: Database.Database, sql: string): Database.Statement<unknown[], unknown[]> {
  let byText = prepared.get(db);
  if (!byText) prepared.set(db, (byText = new Map()));
  let s = byText.get(sql);
  if (!s) byText.set(sql, (s = db.prepare<unknown[], unknown[]>(sql).raw()));
  return s;
}

function columnsOf(db: Database.Database, table: string): string[] {
  return statement(db, `SELECT name FROM pragma_table_info('${table.replace(/'/g, "''")}')`).all().map((r) => String(r[0]));
}

function rowsOf(db: Database.Database, table: string, column?: string): Database.Statement<unknown[], unknown[]> {
  const quoted = `"${table.replace(/"/g, '""')}"`;
  return statement(db, column === undefined ? `SELECT * FROM ${quoted}` : `SELECT * FROM ${quoted} WHERE "${column.replace(/"/g, '""')}" = ?`);
}

/**
 * A stand-in HQ's reading of a batch it was sent: the numbers it needs, or null for a body cut
 * short (a station that gave up waiting on a loaded machine closes its request mid-body).
 */
export function batchOf(body: Buffer): { batchId: string; stationId: string; fromSeq: number; toSeq: number } | null {
  try {
    return JSON.parse(gunzipSync(body).toString('utf8')) as { batchId: string; stationId: string; fromSeq: number; toSeq: number };
  } catch {
    return null;
  }
}

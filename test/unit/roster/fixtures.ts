import fs from 'node:fs';
import path from 'node:path';
import { checkCharacter } from '../../../electron/core/person/gb11643';
import { readRosterFile, type LedgerSource, type ReadRosterOptions, type RosterFile, type RosterRow } from '../../../electron/core/roster/read';
import { tempDir } from '../../helpers/core';

/** A valid ID number, different for every `n` below 1000. */
export function idNumber(n: number): string {
  const first17 = `11010519800101${String(n).padStart(3, '0')}`;
  return first17 + checkCharacter(first17);
}

export function writeTemp(name: string, bytes: Buffer | string): string {
  const file = path.join(tempDir('roster-'), name);
  fs.writeFileSync(file, bytes);
  return file;
}

export async function collect(rows: AsyncIterable<RosterRow>): Promise<RosterRow[]> {
  const all: RosterRow[] = [];
  for await (const row of rows) all.push(row);
  return all;
}

/** Opens a ledger and reads every row; the file's description comes back with them. */
export async function readAll(file: LedgerSource, options?: ReadRosterOptions): Promise<{ file: RosterFile; rows: RosterRow[] }> {
  const opened = await readRosterFile(file, options);
  return { file: opened, rows: await collect(opened.rows) };
}

/** The code (and row) of the RosterReadError a promise rejects with. */
export async function readError(promise: Promise<unknown>): Promise<{ code: string; rowNo: number | undefined }> {
  try {
    await promise;
  } catch (error) {
    const { code, rowNo } = error as { code: string; rowNo?: number };
    return { code, rowNo };
  }
  throw new Error('expected the read to fail');
}

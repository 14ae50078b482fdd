/**
 * A data folder left by Station before encryption at rest (test/fixtures/plain-station: made by
 * that build's `station roster import --apply` and `station serve`, eight people scanned, the
 * process killed so the last commits were still in the WAL) is encrypted once, in place, at the
 * next start: nothing lost, no plain file left.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { StationCore } from '../../../electron/core/core';
import { fileState } from '../../../electron/core/db/cipher';
import { encryptPlainDataFolder } from '../../../electron/core/db/database';
import { dataKeyOf, ok, signInAdmin, tempDir } from '../../helpers/core';

const FIXTURE = path.resolve(__dirname, '../../fixtures/plain-station');

/** The residents of the fixture's ledger: name, ID number, phone. */
const residents = fs
  .readFileSync(path.join(FIXTURE, 'ledger.csv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => line.split(','))
  .map(([name, idNumber, phone]) => ({ name: name!, idNumber: idNumber!, phone: phone! }));

function unpack(): string {
  const dataDir = path.join(tempDir(), 'data');
  const copy = (from: string, to: string) => {
    fs.mkdirSync(to, { recursive: true });
    for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
      if (entry.isDirectory()) copy(path.join(from, entry.name), path.join(to, entry.name));
      else if (entry.name.endsWith('.gz')) fs.writeFileSync(path.join(to, entry.name.slice(0, -3)), zlib.gunzipSync(fs.readFileSync(path.join(from, entry.name))));
    }
  };
  copy(FIXTURE, dataDir);
  return dataDir;
}

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

/** Every name, ID number and phone found in the raw bytes of any file of the folder (UTF-8). */
function personalDataIn(dataDir: string): string[] {
  const found: string[] = [];
  for (const file of filesUnder(dataDir)) {
    const bytes = fs.readFileSync(file);
    for (const r of residents) for (const value of [r.name, r.idNumber, r.phone]) if (bytes.includes(Buffer.from(value, 'utf8'))) found.push(`${path.basename(file)}: ${value}`);
  }
  return found;
}

describe('a data folder from before encryption at rest', () => {
  it('is encrypted in place at the next start: every person, binding and journal entry kept, no plain file left', async () => {
    const dataDir = unpack();
    // As it was left: personal data in clear, the last commits only in the WAL.
    expect(personalDataIn(dataDir).length).toBeGreaterThan(0);
    expect(fs.statSync(path.join(dataDir, 'station.db-wal')).size).toBeGreaterThan(0);
    const plain = new Database(path.join(dataDir, 'station.db'), { readonly: true });
    const before = {
      people: plain.prepare('SELECT id_number FROM person ORDER BY id_number').pluck().all(),
      bindings: plain.prepare('SELECT id, tube_id, person_id FROM binding ORDER BY id').all(),
      journal: plain.prepare('SELECT seq, kind, payload FROM journal ORDER BY seq').all(),
      version: plain.pragma('user_version', { simple: true }) as number,
    };
    plain.close();
    expect(before.people).toHaveLength(8);
    expect(before.bindings).toHaveLength(8);

    const core = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), devices: 'off' });
    try {
      // A folder from before operators: the first-run step makes its site admin.
      await signInAdmin(core);
      expect(core.db.prepare('SELECT id_number FROM person ORDER BY id_number').pluck().all()).toEqual(before.people);
      expect(core.db.prepare('SELECT id, tube_id, person_id FROM binding ORDER BY id').all()).toEqual(before.bindings);
      // The journal as it was, then whatever the upgrade's migrations added after it.
      expect(core.db.prepare('SELECT seq, kind, payload FROM journal WHERE seq <= ? ORDER BY seq').all(before.journal.length)).toEqual(before.journal);
      expect((await ok(core, 'desk.state', {})).openTube).toMatchObject({ count: 8 });
      // The roster file in use, encrypted too, still read.
      expect((await ok(core, 'roster.search', { query: residents[6]!.name })).map((r) => r.name)).toEqual([residents[6]!.name]);
      expect((await ok(core, 'roster.summary', {})).residents).toBe(8);
    } finally {
      core.close();
    }

    expect(personalDataIn(dataDir)).toEqual([]);
    for (const file of [path.join(dataDir, 'station.db'), ...filesUnder(path.join(dataDir, 'roster')).filter((f) => f.endsWith('.sqlite'))]) {
      expect(fileState(file), file).toBe('encrypted');
    }
    expect(filesUnder(dataDir).filter((f) => f.includes('.encrypting'))).toEqual([]);
    // Once: the next start finds nothing plain to encrypt.
    expect(encryptPlainDataFolder(dataDir, dataKeyOf(dataDir))).toBe(0);
    expect(before.version).toBeGreaterThan(0);
  });

  it('survives a stop in the middle of encrypting: the plain file is whole until the encrypted one replaces it', async () => {
    const dataDir = unpack();
    const db = path.join(dataDir, 'station.db');
    // What a stop during the copy leaves: a half-written copy beside the untouched plain file.
    fs.writeFileSync(`${db}.encrypting`, fs.readFileSync(db).subarray(0, 8192));
    fs.writeFileSync(`${db}.encrypting-journal`, 'partial');
    expect(fileState(db)).toBe('plain');

    const core = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), devices: 'off' });
    try {
      // A folder from before operators: the first-run step makes its site admin.
      await signInAdmin(core);
      expect(core.db.prepare('SELECT count(*) FROM binding').pluck().get()).toBe(8);
    } finally {
      core.close();
    }
    expect(fs.existsSync(`${db}.encrypting`)).toBe(false);
    expect(fs.existsSync(`${db}.encrypting-journal`)).toBe(false);
    expect(personalDataIn(dataDir)).toEqual([]);
  });
});

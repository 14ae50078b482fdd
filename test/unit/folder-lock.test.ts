import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { roster } from '../../electron/cli/commands/roster';
import { StationCore } from '../../electron/core/core';
import { DataFolderInUseError } from '../../electron/core/db/folder-lock';
import { checkCharacter } from '../../electron/core/person/gb11643';
import { dataKeyOf, ok, signInAdmin, tempDir } from '../helpers/core';

const open: StationCore[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.close();
  vi.restoreAllMocks();
});

function core(dataDir: string, options: { exclusive?: boolean } = {}): StationCore {
  const c = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), devices: 'off', ...options });
  open.push(c);
  return c;
}

function id(n: number): string {
  const first17 = `1101051980010${String(n).padStart(4, '0')}`;
  return first17 + checkCharacter(first17);
}

function ledger(rows: number): Buffer {
  return Buffer.from(['姓名,身份证号,楼栋,单元,房号', ...Array.from({ length: rows }, (_, i) => `居民${i},${id(i)},1,1,${101 + (i % 900)}`)].join('\n'));
}

describe('one Station per data folder', () => {
  it('refuses `station roster import` and a second station on a folder in use, and leaves the running one’s import alone', async () => {
    const dataDir = tempDir();
    const running = await signInAdmin(core(dataDir));
    // The running Station is reading a ledger.
    const bytes = ledger(5000);
    const { uploadId } = await ok(running, 'roster.upload', { fileName: 'big.csv', size: bytes.length });
    await ok(running, 'roster.uploadChunk', { uploadId, offset: 0, data: bytes.toString('base64') });
    const reading = await ok(running, 'roster.read', { uploadId });

    expect(() => core(dataDir, { exclusive: true })).toThrow(DataFolderInUseError);
    expect(() => core(dataDir, { exclusive: true })).toThrow(new RegExp(`in use by another Station \\(process ${process.pid}\\)`));
    expect(() => new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), devices: 'off', upload: { start: true } })).toThrow(DataFolderInUseError);
    const stderr: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (stderr.push(String(chunk)), true));
    await expect(roster.run(['import', path.join(dataDir, 'nothing.csv'), '--data', dataDir])).rejects.toThrow(/data folder .* is in use by another Station/);
    // A helper opened beside it (`station enroll`) does no start-up work of its own.
    const beside = core(dataDir);
    expect(beside.db.prepare('SELECT state FROM roster_import WHERE id = ?').get(reading.id)).toEqual({ state: 'reading' });
    beside.close();

    await running.roster.idle();
    expect(await ok(running, 'roster.import', { importId: reading.id })).toMatchObject({ state: 'ready', residents: 5000 });
    running.close();
    // Free again once it stopped.
    expect(core(dataDir, { exclusive: true }).roster.importView(reading.id).state).toBe('ready');
  });

  it('is held by a Station in another process, and free once that process is gone however it ended', async () => {
    const dataDir = tempDir();
    core(dataDir).close();
    // Another process holding the folder's lock as a core does, then killed.
    const holder = spawn(
      process.execPath,
      ['-e', `const D = require('better-sqlite3-multiple-ciphers'); const db = new D(${JSON.stringify(path.join(dataDir, 'station.lock'))}); db.exec('BEGIN IMMEDIATE'); console.log('held'); setInterval(() => {}, 1000);`],
      { cwd: path.resolve(__dirname, '../..'), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    expect(() => core(dataDir, { exclusive: true })).toThrow(DataFolderInUseError);
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    expect(core(dataDir, { exclusive: true }).identity.station.id).toMatch(/.+/);
  });
});

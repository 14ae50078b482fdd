import Database from 'better-sqlite3-multiple-ciphers';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../../electron/core/db/database';
import { DatabaseFromTheFutureError, LATEST_VERSION, migrate, type Migration } from '../../../electron/core/db/migrations';
import { dataKeyOf, openStationFile, tempDir } from '../../helpers/core';

describe('migration runner', () => {
  it('brings a new database to the latest version and opens in WAL with synchronous=FULL', () => {
    const dir = tempDir();
    const db = openDatabase(path.join(dir, 'station.db'), dataKeyOf(dir));
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_VERSION);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    db.close();
  });

  it('refuses a database from the future and leaves it untouched', () => {
    const file = path.join(tempDir(), 'station.db');
    const raw = openStationFile(file);
    raw.pragma(`user_version = ${LATEST_VERSION + 5}`);
    raw.close();
    expect(() => openDatabase(file, dataKeyOf(path.dirname(file)))).toThrow(DatabaseFromTheFutureError);
    const again = openStationFile(file);
    expect(again.pragma('user_version', { simple: true })).toBe(LATEST_VERSION + 5);
    again.close();
  });

  it('runs all pending migrations in one transaction: a failure applies none', () => {
    const db = new Database(':memory:');
    const list: Migration[] = [
      { version: 1, name: 'a', up: (d) => d.exec('CREATE TABLE a (x INTEGER)') },
      { version: 2, name: 'b', up: () => { throw new Error('boom'); } },
    ];
    expect(() => migrate(db, 2, list)).toThrow('boom');
    expect(db.pragma('user_version', { simple: true })).toBe(0);
    expect(db.prepare(`SELECT name FROM sqlite_master WHERE name = 'a'`).get()).toBeUndefined();
  });

  it('refuses a migration list that is out of order', () => {
    const db = new Database(':memory:');
    expect(() => migrate(db, 1, [{ version: 2, name: 'x', up: () => undefined }])).toThrow(/out of order/);
  });
});

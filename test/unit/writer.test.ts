import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../electron/core/db/database';
import { Writer } from '../../electron/core/db/writer';
import { dataKeyOf, tempDir } from '../helpers/core';

describe('single writer with group commit', () => {
  it('commits concurrent changes together, each in its own savepoint', async () => {
    const dir = tempDir();
    const db = openDatabase(path.join(dir, 'w.db'), dataKeyOf(dir));
    db.exec('CREATE TABLE t (v INTEGER UNIQUE)');
    const writer = new Writer(db);
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const results = await Promise.allSettled([
      writer.run(() => insert.run(1)),
      writer.run(() => {
        insert.run(2);
        insert.run(1); // violates UNIQUE: this job alone is rolled back, including its first insert
      }),
      writer.run(() => insert.run(3)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((db.prepare('SELECT v FROM t ORDER BY v').all() as { v: number }[]).map((r) => r.v)).toEqual([1, 3]);
    db.close();
  });

  it('answers only after the commit: a failed commit rejects every change in the group', async () => {
    const dir = tempDir();
    const db = openDatabase(path.join(dir, 'w.db'), dataKeyOf(dir));
    // A deferred foreign key is checked at COMMIT: each change succeeds alone, the commit fails.
    db.exec('CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (p INTEGER REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)');
    const writer = new Writer(db);
    const outcome = await Promise.allSettled([
      writer.run(() => db.prepare('INSERT INTO parent VALUES (1)').run()),
      writer.run(() => db.prepare('INSERT INTO child VALUES (99)').run()),
    ]);
    expect(outcome.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(db.inTransaction).toBe(false);
    expect(db.prepare('SELECT COUNT(*) AS n FROM parent').get()).toEqual({ n: 0 });
    // and the writer goes on working
    await writer.run(() => db.prepare('INSERT INTO parent VALUES (2)').run());
    expect(db.prepare('SELECT COUNT(*) AS n FROM parent').get()).toEqual({ n: 1 });
    db.close();
  });
});

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

describe('group commit when SQLite drops the whole transaction', () => {
  /** A real database file that can grow by only a few pages: SQLITE_FULL, as on a full disk. */
  function nearlyFull(spare: number) {
    const dir = tempDir();
    const db = openDatabase(path.join(dir, 'full.db'), dataKeyOf(dir));
    db.exec('CREATE TABLE t (v TEXT NOT NULL); CREATE INDEX t_v ON t (v)');
    db.pragma(`max_page_count = ${Number(db.pragma('page_count', { simple: true })) + spare}`);
    return db;
  }
  const stored = (db: ReturnType<typeof openDatabase>) => (db.prepare('SELECT v FROM t ORDER BY rowid').all() as { v: string }[]).map((r) => r.v);

  it('answers every job of a group by what is on disk when one job fills the disk', async () => {
    const db = nearlyFull(12);
    const writer = new Writer(db);
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const huge = 'x'.repeat(4000);
    const outcomes = await Promise.allSettled([
      writer.run(() => insert.run('a')),
      writer.run(() => insert.run('b')),
      writer.run(() => {
        // Too big for what is left: SQLite rolls back the whole transaction, not only this savepoint.
        for (let i = 0; i < 50; i++) insert.run(`${huge}${i}`);
      }),
      writer.run(() => insert.run('c')),
      writer.run(() => insert.run('d')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(((outcomes[2] as PromiseRejectedResult).reason as { code: string }).code).toBe('SQLITE_FULL');
    expect(db.inTransaction).toBe(false);
    expect(stored(db)).toEqual(['a', 'b', 'c', 'd']);
    // Every row in one commit each time: the later jobs never ran outside a transaction.
    await writer.run(() => insert.run('e'));
    expect(stored(db)).toEqual(['a', 'b', 'c', 'd', 'e']);
    db.close();
  });

  it('answers a job refused in its savepoint, one that fills the disk and one that hid the failure, each as stored', async () => {
    const db = nearlyFull(12);
    db.exec('CREATE UNIQUE INDEX t_once ON t (v)');
    const writer = new Writer(db);
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const fill = () => {
      for (let i = 0; i < 50; i++) insert.run(`${'y'.repeat(4000)}${i}`);
    };
    const outcomes = await Promise.allSettled([
      writer.run(() => insert.run('a')),
      writer.run(() => insert.run('a')), // UNIQUE: only this savepoint is undone
      writer.run(fill),
      writer.run(() => insert.run('b')),
      writer.run(() => {
        try {
          fill();
        } catch {
          // a job that swallows the error still has nothing stored
        }
        return 'looks fine';
      }),
      writer.run(() => insert.run('c')),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    expect(((outcomes[1] as PromiseRejectedResult).reason as { code: string }).code).toBe('SQLITE_CONSTRAINT_UNIQUE');
    expect(stored(db)).toEqual(['a', 'b', 'c']);
    db.close();
  });

});

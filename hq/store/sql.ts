/**
 * One way to run SQL against either HQ backend, for the parts of HQ whose logic is the same on
 * both (rounds, the roster, coverage, tube conflicts): the statements are written once, with
 * `@name` parameters, in the SQL both engines accept; each backend's hot ingest path stays its own.
 *
 * - SQLite: better-sqlite3 is synchronous, so an async transaction would let another request's
 *   statements into it between awaits. Every SQLite store call therefore runs under one async
 *   lock (`SqliteLock`), and a transaction is BEGIN IMMEDIATE ... COMMIT around the awaited work.
 * - PostgreSQL: a pooled client per transaction; `@name` becomes `$n`.
 *
 * `beforeCommit` queues work for the end of a transaction, after everything else it does: the
 * feed (`domains/feed.ts`) assigns its cursors there, so that on PostgreSQL they become visible
 * in cursor order.
 *
 * Lists travel as arrays; `anyOf` writes the membership test each engine reads them with.
 */
import type Database from 'better-sqlite3-multiple-ciphers';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

export type SqlValue = string | number | null;
export type SqlParams = Record<string, SqlValue | readonly SqlValue[]>;
export type Dialect = 'sqlite' | 'postgres';

export type Tx = {
  readonly dialect: Dialect;
  all<T>(sql: string, params?: SqlParams): Promise<T[]>;
  one<T>(sql: string, params?: SqlParams): Promise<T | undefined>;
  /** Rows changed. */
  run(sql: string, params?: SqlParams): Promise<number>;
  /**
   * Runs `fn` just before this transaction commits, after the work it was given and in the order
   * queued (work queued meanwhile runs too); a failure rolls the transaction back. Throws outside
   * a transaction (`SqlDb.read`), where there is no commit to wait for.
   */
  beforeCommit(fn: () => Promise<void>): void;
  /**
   * Inserts `rows` into `table`, in their order: on SQLite one prepared statement per row without
   * leaving the thread, on PostgreSQL with COPY (outside a transaction: a few thousand rows per
   * statement over arrays, `unnest`).
   * `columns`: each value's column and type.
   */
  insertRows(table: string, columns: readonly InsertColumn[], rows: readonly (readonly SqlValue[])[]): Promise<void>;
};

/** A column `insertRows` fills: its name and the type its values are sent as. */
export type InsertColumn = readonly [name: string, type: 'text' | 'int'];

export type SqlDb = {
  readonly dialect: Dialect;
  /** A read outside any transaction. */
  read<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
};

/** `column IN list`, for a list parameter `name` (text values). */
export function anyOf(tx: Pick<Tx, 'dialect'>, column: string, name: string): string {
  return tx.dialect === 'postgres' ? `${column} = ANY(@${name}::text[])` : `${column} IN (SELECT value FROM json_each(@${name}))`;
}

/**
 * The rows of `table` (as `alias`) whose `column` is one of the list parameter `name` (text
 * values), each found through the column's index, to select from and join on:
 * `SELECT t.code … FROM ${eachOf(tx, 'codes', 'tube', 't', 'code')} JOIN station s ON …`.
 * For long lists where `anyOf` would do: on PostgreSQL a lookup per value (LATERAL), because its
 * planner, with no statistics yet after a bulk load, plans `= ANY` of thousands of values, or a
 * join on them, as a scan (and a sort) of the whole table (`OFFSET 0` keeps it from folding the
 * lookup back into such a join); on SQLite a join on `json_each`.
 */
export function eachOf(tx: Pick<Tx, 'dialect'>, name: string, table: string, alias: string, column: string): string {
  return tx.dialect === 'postgres'
    ? `unnest(@${name}::text[]) AS ${alias}_list(value) CROSS JOIN LATERAL (SELECT * FROM ${table} WHERE ${table}.${column} = ${alias}_list.value OFFSET 0) AS ${alias}`
    : `json_each(@${name}) AS ${alias}_list JOIN ${table} AS ${alias} ON ${alias}.${column} = ${alias}_list.value`;
}

const COPY_ESCAPE = /[\\\t\n\r]/;

/** Rows in COPY's text format (tabs between fields, `\N` for NULL, backslash escapes), about 1 MB a chunk. */
function* copyText(rows: readonly (readonly SqlValue[])[]): Generator<Buffer> {
  let lines: string[] = [];
  let size = 0;
  for (const row of rows) {
    const line = row
      .map((v) => (v === null || v === undefined ? '\\N' : typeof v === 'number' ? String(v) : COPY_ESCAPE.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : v))
      .join('\t');
    lines.push(line);
    size += line.length;
    if (size > 1 << 20) {
      yield Buffer.from(`${lines.join('\n')}\n`);
      lines = [];
      size = 0;
    }
  }
  if (lines.length > 0) yield Buffer.from(`${lines.join('\n')}\n`);
}

/** Rows per statement of `insertRows` on PostgreSQL outside a transaction. */
const INSERT_CHUNK = 5_000;

function insertSql(table: string, columns: readonly InsertColumn[]): string {
  return `INSERT INTO ${table} (${columns.map(([c]) => c).join(', ')})`;
}

/** PostgreSQL returns BIGINT and counts as text. */
export function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(value ?? 0);
}

/** Work queued with `Tx.beforeCommit`, for the transaction wrapper to run before COMMIT. */
class CommitQueue {
  private queue: (() => Promise<void>)[] = [];

  add(fn: () => Promise<void>): void {
    this.queue.push(fn);
  }

  async run(): Promise<void> {
    for (let fn = this.queue.shift(); fn; fn = this.queue.shift()) await fn();
  }

  clear(): void {
    this.queue = [];
  }
}

function noCommit(): never {
  throw new Error('beforeCommit outside a transaction');
}

// ---- SQLite -------------------------------------------------------------------------------------

/** Runs async work one piece at a time: the SQLite store's calls never interleave on its connection. */
export class SqliteLock {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T> | T): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

function sqliteParams(params: SqlParams | undefined): Record<string, SqlValue> {
  const out: Record<string, SqlValue> = {};
  if (params) for (const [k, v] of Object.entries(params)) out[k] = Array.isArray(v) ? JSON.stringify(v) : (v as SqlValue);
  return out;
}

/** `queue`: the store's one queue of work before COMMIT (its calls never interleave). */
export function sqliteTx(db: Database.Database, queue: CommitQueue | null = null): Tx {
  const cache = new Map<string, Database.Statement>();
  const statement = (sql: string): Database.Statement => {
    let s = cache.get(sql);
    if (!s) {
      s = db.prepare(sql);
      cache.set(sql, s);
    }
    return s;
  };
  return {
    dialect: 'sqlite',
    async all<T>(sql: string, params?: SqlParams) {
      return statement(sql).all(sqliteParams(params)) as T[];
    },
    async one<T>(sql: string, params?: SqlParams) {
      return statement(sql).get(sqliteParams(params)) as T | undefined;
    },
    async run(sql: string, params?: SqlParams) {
      const s = statement(sql);
      return s.reader ? s.all(sqliteParams(params)).length : s.run(sqliteParams(params)).changes;
    },
    beforeCommit(fn) {
      if (!queue || !db.inTransaction) noCommit();
      queue.add(fn);
    },
    async insertRows(table, columns, rows) {
      if (rows.length === 0) return;
      const insert = statement(`${insertSql(table, columns)} VALUES (${columns.map(() => '?').join(', ')})`);
      for (const row of rows) insert.run(row);
    },
  };
}

export function sqliteDb(db: Database.Database, lock: SqliteLock): SqlDb {
  const queue = new CommitQueue();
  const tx = sqliteTx(db, queue);
  return {
    dialect: 'sqlite',
    read: (fn) => lock.run(() => fn(tx)),
    transaction: (fn) =>
      lock.run(async () => {
        db.exec('BEGIN IMMEDIATE');
        try {
          const value = await fn(tx);
          await queue.run();
          db.exec('COMMIT');
          return value;
        } catch (err) {
          queue.clear();
          if (db.inTransaction) db.exec('ROLLBACK');
          throw err;
        }
      }),
  };
}

// ---- PostgreSQL ---------------------------------------------------------------------------------

const converted = new Map<string, { text: string; names: string[] }>();

function positional(sql: string): { text: string; names: string[] } {
  let c = converted.get(sql);
  if (!c) {
    const names: string[] = [];
    // `::` casts are not parameters; `@name` is.
    const text = sql.replace(/@([A-Za-z_]\w*)/g, (_m, name: string) => {
      let i = names.indexOf(name);
      if (i < 0) i = names.push(name) - 1;
      return `$${i + 1}`;
    });
    c = { text, names };
    converted.set(sql, c);
  }
  return c;
}

/** Statements on `client`: the pool (a read, each statement on its own) or a client inside BEGIN with its queue. */
function postgresTx(client: pg.Pool | pg.PoolClient, queue: CommitQueue | null): Tx {
  const query = async <T>(sql: string, params?: SqlParams) => {
    const { text, names } = positional(sql);
    const values = names.map((n) => {
      if (!params || !Object.hasOwn(params, n)) throw new Error(`missing SQL parameter @${n}`);
      return params[n];
    });
    return client.query(text, values as unknown[]) as unknown as Promise<pg.QueryResult<T & pg.QueryResultRow>>;
  };
  return {
    dialect: 'postgres',
    async all<T>(sql: string, params?: SqlParams) {
      return (await query<T>(sql, params)).rows as T[];
    },
    async one<T>(sql: string, params?: SqlParams) {
      return (await query<T>(sql, params)).rows[0] as T | undefined;
    },
    async run(sql: string, params?: SqlParams) {
      return (await query(sql, params)).rowCount ?? 0;
    },
    beforeCommit(fn) {
      if (!queue) noCommit();
      queue.add(fn);
    },
    async insertRows(table, columns, rows) {
      if (rows.length === 0) return;
      if (queue) {
        // A client inside BEGIN (never the pool): COPY, the fastest way in, in the rows' order.
        const copy = (client as pg.PoolClient).query(copyFrom(`COPY ${table} (${columns.map(([c]) => c).join(', ')}) FROM STDIN`));
        await pipeline(Readable.from(copyText(rows)), copy);
        return;
      }
      const names = columns.map(([c]) => c).join(', ');
      const arrays = columns.map(([, type], i) => `$${i + 1}::${type === 'int' ? 'bigint' : 'text'}[]`).join(', ');
      const text = `${insertSql(table, columns)} SELECT ${names} FROM unnest(${arrays}) WITH ORDINALITY AS u(${names}, ordinal_) ORDER BY ordinal_`;
      for (let at = 0; at < rows.length; at += INSERT_CHUNK) {
        const part = rows.slice(at, at + INSERT_CHUNK);
        await client.query(
          text,
          columns.map((_, i) => part.map((row) => row[i] ?? null)),
        );
      }
    },
  };
}

/**
 * A transaction's `Tx` on a client the caller has sent BEGIN on, and `settle`, which the caller
 * awaits just before COMMIT (it runs the work queued with `beforeCommit`). One per transaction.
 */
export function postgresTransaction(client: pg.PoolClient): { tx: Tx; settle: () => Promise<void> } {
  const queue = new CommitQueue();
  return { tx: postgresTx(client, queue), settle: () => queue.run() };
}

export function postgresDb(pool: pg.Pool): SqlDb {
  return {
    dialect: 'postgres',
    read: (fn) => fn(postgresTx(pool, null)),
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const { tx, settle } = postgresTransaction(client);
        const value = await fn(tx);
        await settle();
        await client.query('COMMIT');
        return value;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
  };
}

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
 * Lists travel as arrays; `anyOf` writes the membership test each engine reads them with.
 */
import type Database from 'better-sqlite3';
import type pg from 'pg';

export type SqlValue = string | number | null;
export type SqlParams = Record<string, SqlValue | readonly SqlValue[]>;
export type Dialect = 'sqlite' | 'postgres';

export type Tx = {
  readonly dialect: Dialect;
  all<T>(sql: string, params?: SqlParams): Promise<T[]>;
  one<T>(sql: string, params?: SqlParams): Promise<T | undefined>;
  /** Rows changed. */
  run(sql: string, params?: SqlParams): Promise<number>;
};

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

/** PostgreSQL returns BIGINT and counts as text. */
export function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(value ?? 0);
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

export function sqliteTx(db: Database.Database): Tx {
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
  };
}

export function sqliteDb(db: Database.Database, lock: SqliteLock): SqlDb {
  const tx = sqliteTx(db);
  return {
    dialect: 'sqlite',
    read: (fn) => lock.run(() => fn(tx)),
    transaction: (fn) =>
      lock.run(async () => {
        db.exec('BEGIN IMMEDIATE');
        try {
          const value = await fn(tx);
          db.exec('COMMIT');
          return value;
        } catch (err) {
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

export function postgresTx(client: pg.Pool | pg.PoolClient): Tx {
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
  };
}

export function postgresDb(pool: pg.Pool): SqlDb {
  return {
    dialect: 'postgres',
    read: (fn) => fn(postgresTx(pool)),
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const value = await fn(postgresTx(client));
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

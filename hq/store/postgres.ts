import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setImmediate } from 'node:timers/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { createLogger } from '../../electron/core/log';
import type { ResidentTuple } from '../../electron/core/roster/file';
import { afterBatch } from '../domains';
import { dashboardData } from '../domains/dashboard';
import { insertFeed } from '../domains/feed';
import { postResult } from '../domains/results';
import { enrollStation, upsertSite } from '../domains/stations';
import { inspectSliced, planIngest, storedRecord, type HeldRecord, type IngestPlan, type Inspected, type StoredRecord } from '../ingest';
import { MAX_BATCH_RECORDS } from '../protocol';
import { HQ_PG_MIGRATIONS } from './postgres-migrations';
import { STATION_SELECT, toStation, type StationDbRow } from './station-row';
import { postgresDb, postgresTransaction, type Tx } from './sql';
import type { HqStore, IngestInput, IngestOutcome } from './types';

type Queryable = pg.Pool | pg.PoolClient;

const NEEDS_ESCAPE = /[\\\t\n\r]/;

/** One field in COPY's text format: backslash escapes, `\N` for NULL. */
function copyField(value: string | number | null): string {
  if (value === null) return '\\N';
  if (typeof value === 'number') return String(value);
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

/** Rows per turn of the event loop while COPY data is built outside a transaction. */
const COPY_SLICE = 1000;

/**
 * Rows in COPY's text format (a tab between fields, a newline after each row), written straight
 * into a growing buffer a row at a time; null when there are none. A batch's COPY data lives until
 * its transaction ends: as one buffer outside V8's heap it costs the garbage collector nothing,
 * whereas a string concatenated field by field is a tree of hundreds of thousands of pieces that
 * every young-generation collection in between copies (measured: the larger part of HQ's
 * collection time). `line` gives a row's fields already passed through `copyField`; `sliced`:
 * the event loop is let go every COPY_SLICE rows.
 */
async function copyData<T>(items: readonly T[], line: (item: T) => string, sliced: boolean): Promise<Buffer | null> {
  if (items.length === 0) return null;
  let buf = Buffer.allocUnsafe(64 * 1024);
  let used = 0;
  for (let i = 0; i < items.length; i++) {
    if (sliced && i > 0 && i % COPY_SLICE === 0) await setImmediate();
    const text = line(items[i]!);
    // UTF-8 takes at most 3 bytes per UTF-16 unit, and one more for the newline.
    const room = text.length * 3 + 1;
    if (used + room > buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(buf.length * 2, used + room));
      buf.copy(grown, 0, 0, used);
      buf = grown;
    }
    used += buf.write(text, used);
    buf[used++] = 0x0a;
  }
  return buf.subarray(0, used);
}

/** Streams rows (COPY text, in one or more chunks) into `table` with COPY, the fastest way into PostgreSQL. */
async function copyRows(c: pg.PoolClient, table: string, columns: string[], data: Iterable<Buffer> | AsyncIterable<Buffer>): Promise<void> {
  await pipeline(Readable.from(data), c.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`)));
}

const ROSTER_COLUMNS = ['import_id', 'row_no', 'id_number', 'name', 'phone', 'building', 'unit', 'room', 'tags'];

/** Roster rows into `roster_resident` with COPY, on the given client (inside its transaction). */
async function copyRosterRows(c: pg.PoolClient, importId: string, rows: readonly { rowNo: number; t: ResidentTuple }[]): Promise<void> {
  const id = copyField(importId);
  const f = copyField;
  const data = await copyData(rows, (r) => `${id}\t${r.rowNo}\t${f(r.t[0])}\t${f(r.t[1])}\t${f(r.t[2])}\t${f(r.t[3])}\t${f(r.t[4])}\t${f(r.t[5])}\t${r.t[6]}`, false);
  if (data) await copyRows(c, 'roster_resident', ROSTER_COLUMNS, [data]);
}

const RECORD_COLUMNS = ['station_id', 'seq', 'kind', 'entity_id', 'operator_id', 'at', 'payload', 'digest', 'rejection', 'detail', 'chain_hash'];

/** A stored record's row in COPY text; `st` is the station id already passed through `copyField`. */
function recordLine(st: string): (r: StoredRecord) => string {
  const f = copyField;
  return (r) =>
    `${st}\t${r.seq}\t${f(r.kind)}\t${f(r.entityId)}\t${f(r.operatorId)}\t${f(r.at)}\t${f(r.payload)}\t${r.digest}\t${f(r.rejection)}\t${f(r.detail)}\t${f(r.chainHash)}`;
}

/**
 * A batch's record rows in COPY text, a chunk per inspected slice, while the batch is still being
 * inspected. A batch that starts right after what HQ holds begins its transaction with these rows
 * as they come, so PostgreSQL takes them in while HQ inspects the rest, instead of one waiting for
 * the other. Kept whole, so a batch tried again (it waited for the one before it) reads them again.
 */
class RecordRows {
  readonly chunks: Buffer[] = [];
  private done = false;
  private failure: unknown = null;
  private waiting: (() => void)[] = [];

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.wake();
  }

  end(failure: unknown = null): void {
    this.done = true;
    this.failure = failure;
    this.wake();
  }

  async *read(): AsyncGenerator<Buffer> {
    for (let i = 0; ; i++) {
      while (i >= this.chunks.length && !this.done) await new Promise<void>((resolve) => this.waiting.push(resolve));
      if (i < this.chunks.length) yield this.chunks[i]!;
      else if (this.failure !== null) throw this.failure;
      else return;
    }
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }
}

/**
 * Projection rows come from new records, so in the usual case none exists yet and COPY is safe.
 * A station that journals one entity twice makes COPY fail on the key (`UNIQUE_VIOLATION`); the
 * whole batch then runs again with `skipExisting`, inserting those rows while skipping the ones HQ
 * has. (A savepoint around each COPY would do the same in place, at three more round trips per
 * table on every batch, all of them while the station's row is locked.)
 */
async function copyNew(
  c: pg.PoolClient,
  skipExisting: boolean,
  table: string,
  columns: string[],
  data: Buffer,
  fallbackSql: string,
  fallbackParams: () => unknown[],
): Promise<void> {
  if (skipExisting) await c.query(fallbackSql, fallbackParams());
  else await copyRows(c, table, columns, [data]);
}

const UNIQUE_VIOLATION = '23505';
/** A batch with its rows in waiting for the station's lock, and a locked one waiting for one of those rows: PostgreSQL ends one. */
const DEADLOCK_DETECTED = '40P01';

/** Thrown inside a transaction to roll it back; `outcome` is the answer when there is one (a gap). */
class Rollback extends Error {
  constructor(readonly outcome: IngestOutcome | null) {
    super('rolled back');
  }
}

type LockedStation = { site_id: string; acked_through: string; chain_head: string | null };

async function lockStation(c: pg.PoolClient, stationId: string): Promise<LockedStation> {
  const row = (await c.query<LockedStation>('SELECT site_id, acked_through, chain_head FROM station WHERE id = $1 FOR UPDATE', [stationId])).rows[0];
  if (!row) throw new Error('ingest for a station that is not enrolled');
  return row;
}

/** A batch's plan and the COPY data of the rows it adds, for a given acknowledged point, site and chain head. */
type Prepared = {
  acked: number;
  siteId: string;
  head: string | null;
  plan: IngestPlan;
  record: Buffer[] | null;
  person: Buffer | null;
  tube: Buffer | null;
  binding: Buffer | null;
};

/** `record`: the record rows' COPY text when it was built already (`RecordRows`). */
async function prepare(
  input: IngestInput,
  acked: number,
  held: readonly HeldRecord[],
  siteId: string,
  head: string | null,
  checks: readonly Inspected[],
  sliced: boolean,
  record?: Buffer[],
): Promise<Prepared> {
  const st = copyField(input.stationId);
  const site = copyField(siteId);
  const f = copyField;
  const plan = planIngest(input.records, acked, held, checks, { head, prevHash: input.prevHash, chainHead: input.chainHead });
  const p = plan.projection;
  const built = record ? null : await copyData(plan.newRecords, recordLine(st), sliced);
  return {
    acked,
    siteId,
    head,
    plan,
    record: record ?? (built === null ? null : [built]),
    person: await copyData(p.persons, (x) => `${st}\t${f(x.personId)}\t${site}\t${f(x.personKey)}`, sliced),
    tube: await copyData(
      p.tubesOpened,
      (x) => `${st}\t${f(x.tubeId)}\t${site}\t${f(x.code)}\t${x.capacity}\t${f(x.roundId)}\t${x.day}\t${f(x.at)}\topen`,
      sliced,
    ),
    binding: await copyData(
      p.bindings,
      (x) => `${st}\t${f(x.bindingId)}\t${site}\t${f(x.tubeId)}\t${f(x.tubeCode)}\t${f(x.personId)}\t${f(x.roundId)}\t${x.day}\t${f(x.at)}`,
      sliced,
    ),
  };
}

async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // One HQ process migrates at a time; the others wait for it.
    await client.query('SELECT pg_advisory_xact_lock(7243001)');
    await client.query('CREATE TABLE IF NOT EXISTS hq_schema (version INTEGER NOT NULL)');
    const row = (await client.query<{ version: number }>('SELECT version FROM hq_schema')).rows[0];
    const current = row?.version ?? 0;
    if (current > HQ_PG_MIGRATIONS.length) throw new Error(`HQ database schema ${current} is newer than this HQ supports (${HQ_PG_MIGRATIONS.length})`);
    for (const m of HQ_PG_MIGRATIONS.slice(current)) await m.up(client);
    if (!row) await client.query('INSERT INTO hq_schema (version) VALUES ($1)', [HQ_PG_MIGRATIONS.length]);
    else await client.query('UPDATE hq_schema SET version = $1', [HQ_PG_MIGRATIONS.length]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK');
    throw err;
  } finally {
    client.release();
  }
}

/** `fn` in a transaction on a pooled client; `tx` for the shared domains, whose work queued for the commit (the feed's) runs last. */
async function inTransaction<T>(pool: pg.Pool, fn: (c: pg.PoolClient, tx: Tx) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { tx, settle } = postgresTransaction(client);
    const value = await fn(client, tx);
    await settle();
    await client.query('COMMIT');
    client.release();
    return value;
  } catch (err) {
    // A broken connection cannot roll back; it is dropped rather than given back to the pool.
    const rolledBack = await client.query('ROLLBACK').then(
      () => true,
      () => false,
    );
    client.release(rolledBack ? undefined : true);
    throw err;
  }
}

// A result names its tube (station_id, tube_id); one from before HQ did (NULLs) is for every tube under the code.
const CREATE_TASKS = `INSERT INTO retest_task (tube_code, person_key, site_id, created_at)
  SELECT DISTINCT b.tube_code, p.person_key, b.site_id, $2 FROM binding b
  JOIN person p ON p.station_id = b.station_id AND p.person_id = b.person_id
  WHERE b.tube_code = $1 AND b.undone = 0 AND ($3::text IS NULL OR (b.station_id = $3 AND b.tube_id = $4))
  ON CONFLICT DO NOTHING`;

/**
 * PostgreSQL. Each batch is one transaction that locks its station's row (so batches of one
 * station apply in order even from several HQ processes). New records and projection rows go in
 * with COPY; the few changes to rows HQ already had are one statement per table over arrays
 * (`unnest`), which keeps the round trips per batch constant.
 */
const log = createLogger('hq');

export async function openPostgresStore(connectionString: string): Promise<HqStore> {
  const pool = new pg.Pool({ connectionString, max: 8 });
  // An idle connection that breaks (a PostgreSQL restart, a failover, a terminated backend)
  // is an 'error' event on the pool, which would end the process unheard: it is logged, the
  // pool drops that connection, and the next query opens a new one.
  pool.on('error', (err) => log.error({ err: err.message, code: (err as { code?: string }).code }, 'PostgreSQL connection lost; reconnecting on the next query'));
  await migrate(pool);

  /** The rows the batch adds: its records and the projection rows of new entities. */
  async function insertRows(c: pg.PoolClient, input: IngestInput, prepared: Prepared, skipExisting: boolean): Promise<void> {
    // Only sequence numbers above the station's acknowledged seq get here, so none can exist yet
    // (one being stored at this moment makes this wait for it, then fail on the key): COPY is safe.
    if (prepared.record !== null) await copyRows(c, 'record', RECORD_COLUMNS, prepared.record);
    await insertRest(c, input, prepared, skipExisting);
  }

  /** What the batch adds besides its record rows: conflicts and the projection rows of new entities. */
  async function insertRest(c: pg.PoolClient, input: IngestInput, prepared: Prepared, skipExisting: boolean): Promise<void> {
    const { plan, siteId } = prepared;
    const st = input.stationId;
    if (plan.conflicts.length > 0) {
      await c.query(
        `INSERT INTO conflict (station_id, seq, batch_id, stored_digest, received_digest, received, at)
         SELECT $1, u.seq, $2, u.sd, u.rd, u.rc, $3 FROM unnest($4::bigint[], $5::text[], $6::text[], $7::text[]) AS u(seq, sd, rd, rc)`,
        [
          st,
          input.batchId,
          input.receivedAt,
          plan.conflicts.map((x) => x.seq),
          plan.conflicts.map((x) => x.storedDigest),
          plan.conflicts.map((x) => x.receivedDigest),
          plan.conflicts.map((x) => x.received),
        ],
      );
    }
    const p = plan.projection;
    if (prepared.person !== null) {
      await copyNew(
        c,
        skipExisting,
        'person',
        ['station_id', 'person_id', 'site_id', 'person_key'],
        prepared.person,
        `INSERT INTO person (station_id, person_id, site_id, person_key)
         SELECT $1, x."personId", $2, x."personKey" FROM json_to_recordset($3::json) AS x("personId" text, "personKey" text)
         ON CONFLICT DO NOTHING`,
        () => [st, siteId, JSON.stringify(p.persons)],
      );
    }
    if (p.rounds.length > 0) {
      await c.query(
        `INSERT INTO round (station_id, round_id, site_id, name, started_at) SELECT $1, u.id, $2, u.n, u.a FROM unnest($3::text[], $4::text[], $5::text[]) AS u(id, n, a)
         ON CONFLICT DO NOTHING`,
        [st, siteId, p.rounds.map((x) => x.roundId), p.rounds.map((x) => x.name), p.rounds.map((x) => x.at)],
      );
    }
    if (prepared.tube !== null) {
      await copyNew(
        c,
        skipExisting,
        'tube',
        ['station_id', 'tube_id', 'site_id', 'code', 'capacity', 'round_id', 'day', 'opened_at', 'state'],
        prepared.tube,
        `INSERT INTO tube (station_id, tube_id, site_id, code, capacity, round_id, day, opened_at, state)
         SELECT $1, x."tubeId", $2, x.code, x.capacity, x."roundId", x.day, x.at, 'open'
         FROM json_to_recordset($3::json) AS x("tubeId" text, code text, capacity int, "roundId" text, day text, at text)
         ON CONFLICT DO NOTHING`,
        () => [st, siteId, JSON.stringify(p.tubesOpened)],
      );
    }
    if (prepared.binding !== null) {
      await copyNew(
        c,
        skipExisting,
        'binding',
        ['station_id', 'binding_id', 'site_id', 'tube_id', 'tube_code', 'person_id', 'round_id', 'day', 'at'],
        prepared.binding,
        `INSERT INTO binding (station_id, binding_id, site_id, tube_id, tube_code, person_id, round_id, day, at)
         SELECT $1, x."bindingId", $2, x."tubeId", x."tubeCode", x."personId", x."roundId", x.day, x.at
         FROM json_to_recordset($3::json) AS x("bindingId" text, "tubeId" text, "tubeCode" text, "personId" text, "roundId" text, day text, at text)
         ON CONFLICT DO NOTHING`,
        () => [st, siteId, JSON.stringify(p.bindings)],
      );
    }
  }

  /**
   * What the batch changes in rows HQ already had (tube states, undone bindings, re-test tasks):
   * only with the station's row locked, so that every earlier batch of the station is committed.
   */
  async function applyChanges(c: pg.PoolClient, tx: Tx, input: IngestInput, prepared: Prepared): Promise<void> {
    await applyOwnChanges(c, input, prepared);
    await afterBatch(tx, {
      stationId: input.stationId,
      siteId: prepared.siteId,
      plan: prepared.plan,
      at: input.receivedAt,
      writeRosterRows: (importId, rows) => copyRosterRows(c, importId, rows),
    });
  }

  async function applyOwnChanges(c: pg.PoolClient, input: IngestInput, prepared: Prepared): Promise<void> {
    const { plan } = prepared;
    const st = input.stationId;
    const p = plan.projection;
    // Every join below names the keys it looks up with `= ANY(array)` as well: joined only to
    // `unnest`, PostgreSQL plans to read every row of the station (its row estimate for one
    // station is old and small) and hash them, once per batch, so each batch cost more than the
    // last (measured: 15 ms per batch at 23,000 tubes). With the array in the index condition it
    // reads just those keys.
    if (p.tubeStates.length > 0) {
      await c.query(
        `UPDATE tube t SET state = u.state, count = coalesce(u.count, t.count)
         FROM unnest($2::text[], $3::text[], $4::int[]) AS u(id, state, count)
         WHERE t.station_id = $1 AND t.tube_id = ANY($2::text[]) AND t.tube_id = u.id`,
        [st, p.tubeStates.map((x) => x.tubeId), p.tubeStates.map((x) => x.state), p.tubeStates.map((x) => x.count)],
      );
    }
    if (p.bindingsUndone.length > 0) {
      await c.query('UPDATE binding SET undone = 1 WHERE station_id = $1 AND binding_id = ANY($2::text[])', [st, p.bindingsUndone]);
    }
    if (p.bindings.length > 0) {
      // Bindings that arrive after their tube came back positive still become re-test tasks.
      const codes = [...new Set(p.bindings.map((b) => b.tubeCode))];
      const positives = await c.query<{ tube_code: string; station_id: string | null; tube_id: string | null; at: string }>(
        `SELECT tube_code, station_id, tube_id, min(at) AS at FROM result WHERE result = 'positive' AND tube_code = ANY($1::text[])
         GROUP BY tube_code, station_id, tube_id`,
        [codes],
      );
      for (const pos of positives.rows) await c.query(CREATE_TASKS, [pos.tube_code, pos.at, pos.station_id, pos.tube_id]);
    }
    // An undone binding no longer samples anyone: tasks it closed open again, and one made and
    // undone within this batch closes nothing.
    const undone = new Set(p.bindingsUndone);
    if (p.bindingsUndone.length > 0) {
      await c.query(
        `UPDATE retest_task SET closed_at = NULL, closed_station_id = NULL, closed_seq = NULL, closed_binding_id = NULL
         WHERE closed_at IS NOT NULL AND closed_station_id = $1 AND closed_binding_id = ANY($2::text[])`,
        [st, p.bindingsUndone],
      );
    }
    const open = await c.query('SELECT 1 FROM retest_task WHERE closed_at IS NULL LIMIT 1');
    if (open.rowCount === 0) return;
    const retests = p.retests.filter((x) => !undone.has(x.bindingId));
    if (retests.length > 0) {
      const r = retests;
      await c.query(
        `UPDATE retest_task k SET closed_at = u.at, closed_station_id = $1, closed_seq = u.seq, closed_binding_id = u.binding
         FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[]) AS u(code, person, at, seq, binding)
         JOIN person p ON p.station_id = $1 AND p.person_id = ANY($3::text[]) AND p.person_id = u.person
         WHERE k.closed_at IS NULL AND k.tube_code = u.code AND k.person_key = p.person_key`,
        [st, r.map((x) => x.originalTubeCode), r.map((x) => x.personId), r.map((x) => x.at), r.map((x) => x.seq), r.map((x) => x.bindingId)],
      );
    }
    const b = p.bindings.filter((x) => !undone.has(x.bindingId));
    if (b.length > 0) {
      const seqByBinding = new Map(plan.newRecords.map((r) => [r.entityId, r.seq]));
      await c.query(
        `UPDATE retest_task k SET closed_at = u.at, closed_station_id = $1, closed_seq = u.seq, closed_binding_id = u.binding
         FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[]) AS u(person, tube, at, seq, binding)
         JOIN person p ON p.station_id = $1 AND p.person_id = ANY($2::text[]) AND p.person_id = u.person
         JOIN tube t ON t.station_id = $1 AND t.tube_id = ANY($3::text[]) AND t.tube_id = u.tube AND t.capacity = 1
         WHERE k.closed_at IS NULL AND k.person_key = p.person_key AND k.created_at <= u.at`,
        [
          st,
          b.map((x) => x.personId),
          b.map((x) => x.tubeId),
          b.map((x) => x.at),
          b.map((x) => seqByBinding.get(x.bindingId) ?? 0),
          b.map((x) => x.bindingId),
        ],
      );
    }
  }

  async function one<T extends pg.QueryResultRow>(q: Queryable, sql: string, params: unknown[]): Promise<T | undefined> {
    return (await q.query<T>(sql, params)).rows[0];
  }

  /**
   * Before anything is locked, the batch is inspected and planned for the usual case (it starts
   * right after what HQ holds), in slices so that another batch's round trips are not held up;
   * in that case its record rows are ready slice by slice (`rows`) while the rest is inspected.
   * Kept per input: a batch waiting for the one before it is tried again with the same input.
   */
  type Early = { rows: RecordRows | null; done: Promise<{ checks: Inspected[]; usual: Prepared | null }> };
  const early = new WeakMap<IngestInput, Early>();
  function planned(input: IngestInput): Early {
    let work = early.get(input);
    if (!work) {
      const siteId = input.siteId;
      const rows = siteId !== undefined ? new RecordRows() : null;
      const line = recordLine(copyField(input.stationId));
      const done = inspectSliced(input.records, (from, to, checks) => {
        if (!rows) return;
        let chunk = '';
        for (let i = from; i < to; i++) chunk += `${line(storedRecord(input.records[i]!, checks[i]!))}\n`;
        rows.push(Buffer.from(chunk));
      }).then(
        async (checks) => {
          rows?.end();
          // The usual case: HQ holds the station's chain up to the entry before this batch.
          const head = input.prevHash ?? null;
          return { checks, usual: rows && siteId !== undefined ? await prepare(input, input.fromSeq - 1, [], siteId, head, checks, true, rows.chunks) : null };
        },
        (err: unknown) => {
          rows?.end(err);
          throw err;
        },
      );
      // Awaited by ingest; a transaction that fails first must not leave it unhandled.
      done.catch(() => undefined);
      work = { rows, done };
      early.set(input, work);
    }
    return work;
  }

  const sql = postgresDb(pool);

  const store: HqStore = {
    backend: 'postgres',
    sql,
    async upsertSite(site) {
      await sql.transaction((tx) => upsertSite(tx, site));
    },
    async siteExists(siteId) {
      return (await one(pool, 'SELECT 1 AS x FROM site WHERE id = $1', [siteId])) !== undefined;
    },
    async createEnrollmentCode(c) {
      await pool.query('INSERT INTO enrollment_code (code_hash, site_id, created_at, expires_at, relink_station_id) VALUES ($1, $2, $3, $4, $5)', [
        c.codeHash,
        c.siteId,
        c.createdAt,
        c.expiresAt,
        c.relinkStationId ?? null,
      ]);
    },
    async enroll(input) {
      return sql.transaction((tx) => enrollStation(tx, input));
    },
    async station(id) {
      const row = await one<StationDbRow>(pool, `${STATION_SELECT} WHERE s.id = $1`, [id]);
      return row ? toStation(row) : null;
    },
    async rememberSignature(signature, expiresAtMs, nowMs) {
      // Forget expired signatures now and then, not on every request.
      if (Math.random() < 0.001) await pool.query('DELETE FROM seen_signature WHERE expires_at < $1', [nowMs]);
      const r = await pool.query('INSERT INTO seen_signature (signature, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING', [signature, expiresAtMs]);
      return r.rowCount === 1;
    },
    async touch(stationId, at, headSeq) {
      await pool.query('UPDATE station SET last_contact_at = $1, head_seq = greatest(head_seq, coalesce($2::bigint, 0)) WHERE id = $3', [at, headSeq ?? null, stationId]);
    },
    async ingest(input) {
      const work = planned(input);

      const advance = (c: pg.PoolClient, plan: IngestPlan, acked: number): Promise<IngestOutcome> =>
        c
          .query(
            `UPDATE station SET acked_through = greatest(acked_through, $1), head_seq = greatest(head_seq, coalesce($2::bigint, 0)),
               rejected = rejected + $3, conflicts = conflicts + $4, last_contact_at = $5, chain_head = $7, chain_error = NULL WHERE id = $6`,
            [
              input.toSeq,
              input.headSeq ?? null,
              plan.newRecords.filter((r) => r.rejection !== null).length,
              plan.conflicts.length,
              input.receivedAt,
              input.stationId,
              plan.chain.ok ? plan.chain.head : null,
            ],
          )
          .then(() => {
            const ackedThrough = Math.max(acked, input.toSeq);
            return { kind: 'ack', ackedThrough, expectedSeq: ackedThrough + 1, rejections: plan.rejections, chainHead: plan.chain.ok ? plan.chain.head : null } as const;
          });

      /**
       * A batch after everything HQ holds: its rows go in first and only then is the station's row
       * locked and the acknowledged point checked. So the next batch's rows go in while this one
       * waits for the one before it; only the check, the changes to older rows and the commit take
       * turns. Anything unexpected under the lock rolls the rows back.
       */
      const rowsFirst = (rows: RecordRows) =>
        inTransaction(pool, async (c, tx): Promise<IngestOutcome> => {
          await copyRows(c, 'record', RECORD_COLUMNS, rows.read());
          const ready = (await work.done).usual!;
          if (!ready.plan.chain.ok) throw new Rollback(null);
          await insertRest(c, input, ready, false);
          const station = await lockStation(c, input.stationId);
          const acked = Number(station.acked_through);
          if (acked + 1 < input.fromSeq) throw new Rollback({ kind: 'gap', expectedSeq: acked + 1 });
          if (acked !== ready.acked || station.site_id !== ready.siteId || station.chain_head !== ready.head) throw new Rollback(null);
          await applyChanges(c, tx, input, ready);
          return advance(c, ready.plan, acked);
        });

      /** Any batch, the station's row locked first: what HQ holds of it is read and re-acknowledged. */
      const lockedFirst = (skipExisting: boolean) =>
        inTransaction(pool, async (c, tx): Promise<IngestOutcome> => {
          const { checks, usual } = await work.done;
          const station = await lockStation(c, input.stationId);
          const acked = Number(station.acked_through);
          if (input.fromSeq > acked + 1) return { kind: 'gap', expectedSeq: acked + 1 };
          const held: HeldRecord[] =
            input.fromSeq <= acked
              ? (
                  await c.query<{ seq: string; digest: string; rejection: string | null; detail: string | null }>(
                    'SELECT seq, digest, rejection, detail FROM record WHERE station_id = $1 AND seq BETWEEN $2 AND $3',
                    [input.stationId, input.fromSeq, Math.min(acked, input.toSeq)],
                  )
                ).rows.map((r) => ({ ...r, seq: Number(r.seq) }))
              : [];
          const prepared =
            usual && usual.acked === acked && usual.siteId === station.site_id && usual.head === station.chain_head
              ? usual
              : await prepare(input, acked, held, station.site_id, station.chain_head, checks, false);
          if (!prepared.plan.chain.ok) return { kind: 'chainBroken', seq: prepared.plan.chain.seq, detail: prepared.plan.chain.detail };
          await insertRows(c, input, prepared, skipExisting);
          await applyChanges(c, tx, input, prepared);
          return advance(c, prepared.plan, acked);
        });

      const peek = await one<{ acked_through: string }>(pool, 'SELECT acked_through FROM station WHERE id = $1', [input.stationId]);
      if (!peek) throw new Error('ingest for a station that is not enrolled');
      // A batch at most one batch ahead of what HQ holds (its predecessor may be on its way) goes
      // rows first; one further ahead is a gap, answered without writing anything.
      const ahead = input.fromSeq - 1 - Number(peek.acked_through);
      if (work.rows && ahead >= 0 && ahead <= MAX_BATCH_RECORDS) {
        try {
          return await rowsFirst(work.rows);
        } catch (err) {
          if (err instanceof Rollback && err.outcome) return err.outcome;
          // Its range or a projection row was stored meanwhile (a duplicate send, an entity journalled twice): the locked way decides.
          const code = (err as { code?: string }).code;
          if (!(err instanceof Rollback) && code !== UNIQUE_VIOLATION && code !== DEADLOCK_DETECTED) throw err;
        }
      }
      let outcome: IngestOutcome;
      try {
        outcome = await lockedFirst(false);
      } catch (err) {
        if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
        outcome = await lockedFirst(true);
      }
      if (outcome.kind === 'chainBroken') {
        await pool.query('UPDATE station SET chain_error = $1, last_contact_at = $2 WHERE id = $3', [`seq ${outcome.seq}: ${outcome.detail}`, input.receivedAt, input.stationId]);
      }
      return outcome;
    },
    async postResult(r) {
      return sql.transaction((tx) => postResult(tx, r));
    },
    async addFeedItem(item) {
      // A transaction of its own, under the feed's lock like every other feed insert (see domains/feed.ts).
      return (await sql.transaction((tx) => insertFeed(tx, [item])))[0]!;
    },
    async feed(station, after, limit, maxBytes) {
      // The page is cut on the payloads' sizes before any payload is read.
      const rows = await pool.query<{ cursor: string; kind: string; payload: string }>(
        `WITH page AS (
           SELECT cursor, sum(octet_length(payload)) OVER (ORDER BY cursor) - octet_length(payload) AS before FROM feed_item
           WHERE cursor > $1 AND (station_id = $2 OR (station_id IS NULL AND (site_id IS NULL OR site_id = $3)))
           ORDER BY cursor LIMIT $4)
         SELECT f.cursor, f.kind, f.payload FROM page JOIN feed_item f ON f.cursor = page.cursor
         WHERE page.before < $5 OR page.before = 0 ORDER BY f.cursor`,
        [after, station.id, station.siteId, limit, maxBytes],
      );
      return rows.rows.map((r) => ({ cursor: Number(r.cursor), kind: r.kind, payload: r.payload }));
    },
    async dashboard(day) {
      return sql.read((tx) => dashboardData(tx, day));
    },
    async holdings(stationId) {
      const r = (await one<{ n: string; max_seq: string }>(pool, 'SELECT count(*) AS n, coalesce(max(seq), 0) AS max_seq FROM record WHERE station_id = $1', [stationId]))!;
      const c = (await one<{ n: string }>(pool, 'SELECT count(*) AS n FROM conflict WHERE station_id = $1', [stationId]))!;
      return { records: Number(r.n), conflicts: Number(c.n), maxSeq: Number(r.max_seq) };
    },
    async record(stationId, seq) {
      const row = await one<StoredRecord & { seq: string }>(
        pool,
        `SELECT seq, kind, entity_id AS "entityId", operator_id AS "operatorId", at, payload, digest, chain_hash AS "chainHash", rejection, detail
         FROM record WHERE station_id = $1 AND seq = $2`,
        [stationId, seq],
      );
      return row ? { ...row, seq: Number(row.seq) } : null;
    },
    async retestTasks(tubeCode) {
      const rows = await pool.query<{ person_key: string; closed_at: string | null }>('SELECT person_key, closed_at FROM retest_task WHERE tube_code = $1 ORDER BY person_key', [
        tubeCode,
      ]);
      return rows.rows.map((r) => ({ personKey: r.person_key, closed: r.closed_at !== null }));
    },
    async addRosterRows(importId, rows) {
      await inTransaction(pool, (c) => copyRosterRows(c, importId, rows));
    },
    async addRosterProblems(importId, problems) {
      const f = copyField;
      const data = await copyData(problems, (p) => `${f(importId)}\t${p.rowNo}\t${f(p.problems)}\t${p.refused ? 1 : 0}`, false);
      if (data) await inTransaction(pool, (c) => copyRows(c, 'roster_problem', ['import_id', 'row_no', 'problems', 'refused'], [data]));
    },
    async close() {
      await pool.end();
    },
  };
  return store;
}

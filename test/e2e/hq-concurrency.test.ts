/**
 * HQ with several transactions at once: the feed's cursors, a round's coverage counts and a
 * station closing a round. The interleavings that matter are forced where they can be (a
 * transaction held open on a promise, a second client on the same database); the rest is
 * checked by its outcome (the counts kept equal a recount).
 */
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { applyExemption, countSampling, recountCoverage } from '../../hq/domains/coverage';
import { addFeed, FEED_LOCK } from '../../hq/domains/feed';
import { round as roundOf } from '../../hq/domains/rounds';
import { HQ_PATHS, type BatchRecord } from '../../hq/protocol';
import { createHqServer, type HqServer } from '../../hq/server';
import { openPostgresStore } from '../../hq/store/postgres';
import type { SqlParams, Tx } from '../../hq/store/sql';
import type { HqStore } from '../../hq/store/types';
import { tempDir } from '../helpers/core';
import { startPostgres, type PgCluster } from '../helpers/postgres';
import { idNumber, SimStation } from '../unit/hq/fixtures';

const ADMIN = 'concurrency-admin';
let cluster: PgCluster | null = null;

beforeAll(async () => {
  cluster = await startPostgres({ fsync: false });
});
afterAll(async () => {
  await cluster?.stop();
});

type Gate = { promise: Promise<void>; open: () => void };
function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether `promise` has settled within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await sleep(ms);
  return settled;
}

/**
 * `tx`, except that before its `nth` statement matching `pattern` it says so (`reached`) and
 * waits for `go`: a transaction stopped between two of its statements.
 */
function pausing(tx: Tx, pattern: RegExp, nth: number, reached: Gate, go: Promise<void>): Tx {
  let seen = 0;
  const before = async (sql: string) => {
    if (pattern.test(sql) && ++seen === nth) {
      reached.open();
      await go;
    }
  };
  return {
    dialect: tx.dialect,
    all: async <T,>(sql: string, params?: SqlParams) => (await before(sql), tx.all<T>(sql, params)),
    one: async <T,>(sql: string, params?: SqlParams) => (await before(sql), tx.one<T>(sql, params)),
    run: async (sql: string, params?: SqlParams) => (await before(sql), tx.run(sql, params)),
    beforeCommit: (fn) => tx.beforeCommit(fn),
    insertRows: async (table, columns, rows) => (await before(`INSERT INTO ${table}`), tx.insertRows(table, columns, rows)),
  };
}

describe('the feed on PostgreSQL', () => {
  let store: HqStore;
  let reader: pg.Client;
  let url: string;

  afterEach(async () => {
    await reader?.end();
    await store?.close();
  });

  async function open(): Promise<void> {
    url = await cluster!.createDatabase();
    store = await openPostgresStore(url);
    reader = new pg.Client({ connectionString: url });
    await reader.connect();
  }

  const item = (kind: string) => ({ siteId: null, stationId: null, kind, payload: '{}', at: new Date().toISOString() });
  const visible = async () => (await reader.query<{ cursor: string; kind: string }>(`SELECT cursor, kind FROM feed_item WHERE kind LIKE 'test.%' ORDER BY cursor`)).rows.map((r) => ({ cursor: Number(r.cursor), kind: r.kind }));

  it('never shows an item after one with a higher cursor: the one added first and committed last comes after', async () => {
    await open();
    const added = gate();
    const commit = gate();
    const first = store.sql.transaction(async (tx) => {
      await addFeed(tx, item('test.first'));
      await addFeed(tx, item('test.first.more'));
      added.open();
      await commit.promise;
    });
    await added.promise;
    await store.sql.transaction((tx) => addFeed(tx, item('test.second')));
    // A station pulling now sees the second transaction's item and keeps its cursor.
    const seen = await visible();
    expect(seen.map((r) => r.kind)).toEqual(['test.second']);
    const highWater = seen[0]!.cursor;
    commit.open();
    await first;
    const all = await visible();
    expect(all.map((r) => r.kind)).toEqual(['test.second', 'test.first', 'test.first.more']);
    // Nothing appeared below what the station had already passed.
    for (const r of all.slice(1)) expect(r.cursor).toBeGreaterThan(highWater);
  });

  it('holds other feed writers back while a transaction that took cursors has not committed', async () => {
    await open();
    // A transaction at the point where it has taken its cursors and not yet committed.
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(`SELECT pg_advisory_xact_lock(${FEED_LOCK})`);
      await other.query(`INSERT INTO feed_item (site_id, station_id, kind, payload, at) VALUES (NULL, NULL, 'test.held', '{}', 'now')`);
      const viaTx = store.sql.transaction((tx) => addFeed(tx, item('test.tx')));
      const viaAdmin = store.addFeedItem(item('test.admin'));
      expect(await settlesWithin(Promise.all([viaTx, viaAdmin]), 400)).toBe(false);
      expect(await visible()).toEqual([]);
      await other.query('COMMIT');
      await Promise.all([viaTx, viaAdmin]);
      const all = await visible();
      expect(all[0]!.kind).toBe('test.held');
      expect(all.map((r) => r.kind).sort()).toEqual(['test.admin', 'test.held', 'test.tx']);
    } finally {
      await other.end();
    }
  });
});

/** A roster of `n` residents (resident k has `idNumber(k)`), 10 to a unit, 2 units to a building, in use at `siteId`. */
async function roster(store: HqStore, siteId: string, n: number): Promise<void> {
  await store.sql.transaction(async (tx) => {
    const importId = `roster-${siteId}`;
    await tx.run(
      `INSERT INTO roster_import (id, site_id, source, state, residents, created_at, applied_at) VALUES (@importId, @siteId, 'hq', 'current', @n, 'now', 'now')`,
      { importId, siteId, n },
    );
    for (let k = 1; k <= n; k++) {
      await tx.run(
        `INSERT INTO roster_resident (import_id, row_no, id_number, name, phone, building, unit, room, tags) VALUES (@importId, @k, @id, @name, NULL, @building, @unit, @room, 0)`,
        { importId, k, id: idNumber(k), name: `居民${k}`, building: String(Math.ceil(k / 20)), unit: String(Math.ceil(k / 10) % 2 === 1 ? 1 : 2), room: String(100 + k) },
      );
    }
  });
}

type Counts = { cells: { building: string; unit: string; tested: number; exempt: number }[]; total: number; sources: { person_key: string; sources: number }[] };

async function kept(store: HqStore, roundId: string): Promise<Counts> {
  return store.sql.read(async (tx) => ({
    cells: (
      await tx.all<{ building: string; unit: string; tested: number | string; exempt: number | string }>(
        'SELECT building, unit, tested, exempt FROM coverage_cell WHERE round_id = @roundId AND (tested <> 0 OR exempt <> 0) ORDER BY building, unit',
        { roundId },
      )
    ).map((c) => ({ building: c.building, unit: c.unit, tested: Number(c.tested), exempt: Number(c.exempt) })),
    total: Number((await tx.one<{ tested: number | string }>('SELECT tested FROM coverage_total WHERE round_id = @roundId', { roundId }))?.tested ?? 0),
    sources: (await tx.all<{ person_key: string; sources: number | string }>('SELECT person_key, sources FROM coverage_tested WHERE round_id = @roundId ORDER BY person_key', { roundId })).map(
      (r) => ({ person_key: r.person_key, sources: Number(r.sources) }),
    ),
  }));
}

/** The counts kept, then the same counted again from scratch: they must agree. */
async function expectKeptEqualsRecount(store: HqStore, roundId: string): Promise<Counts> {
  const before = await kept(store, roundId);
  await store.sql.transaction((tx) => recountCoverage(tx, roundId, new Date().toISOString()));
  expect(before).toEqual(await kept(store, roundId));
  return before;
}

describe('coverage counts on PostgreSQL, transactions forced to interleave', () => {
  let store: HqStore;
  let url: string;
  afterEach(async () => {
    await store?.close();
  });

  async function openWithRound(): Promise<string> {
    url = await cluster!.createDatabase();
    store = await openPostgresStore(url);
    await store.upsertSite({ id: 'site-c', name: '覆盖社区', config: null, at: 'now' });
    await roster(store, 'site-c', 40);
    const roundId = 'round-c';
    await store.sql.transaction((tx) =>
      tx.run(`INSERT INTO site_round (id, site_id, name, started_at, started_by) VALUES (@roundId, 'site-c', '第1轮', 'now', 'HQ')`, { roundId }),
    );
    await store.sql.transaction((tx) => recountCoverage(tx, roundId, 'now'));
    return roundId;
  }

  const sampled = (roundId: string, k: number, delta: 1 | -1) => ({ roundId, personKey: `id:${idNumber(k)}`, bindingId: `b-${k}-${delta}`, at: 'now', delta });

  it("keeps a person sampled when one station's undo and another's binding of them meet", async () => {
    const roundId = await openWithRound();
    await store.sql.transaction((tx) => countSampling(tx, [sampled(roundId, 1, 1)]));
    // Station A's undo is stopped between its first and second statement on coverage_tested.
    const reached = gate();
    const go = gate();
    const undo = store.sql.transaction((tx) => countSampling(pausing(tx, /coverage_tested/, 2, reached, go.promise), [sampled(roundId, 1, -1)]));
    await reached.promise;
    // Station B binds the same person meanwhile.
    const bind = store.sql.transaction((tx) => countSampling(tx, [sampled(roundId, 1, 1)]));
    await settlesWithin(bind, 300);
    go.open();
    await Promise.all([undo, bind]);
    const counts = await expectKeptEqualsRecount(store, roundId);
    expect(counts.sources).toEqual([{ person_key: `id:${idNumber(1)}`, sources: 1 }]);
    expect(counts.total).toBe(1);
    expect(counts.cells).toEqual([{ building: '1', unit: '1', tested: 1, exempt: 0 }]);
  });

  it('runs two recounts of a round one after the other', async () => {
    const roundId = await openWithRound();
    await store.sql.transaction((tx) => countSampling(tx, [sampled(roundId, 1, 1), sampled(roundId, 15, 1)]));
    const counted = gate();
    const commit = gate();
    const first = store.sql.transaction(async (tx) => {
      await recountCoverage(tx, roundId, 'then');
      counted.open();
      await commit.promise;
    });
    await counted.promise;
    const second = store.sql.transaction((tx) => recountCoverage(tx, roundId, 'later'));
    expect(await settlesWithin(second, 300)).toBe(false);
    commit.open();
    await Promise.all([first, second]);
    expect(await kept(store, roundId)).toMatchObject({ total: 2, cells: [{ building: '1', unit: '1', tested: 1, exempt: 0 }, { building: '1', unit: '2', tested: 1, exempt: 0 }] });
  });

  it('makes a recount wait for a batch counting in the round', async () => {
    const roundId = await openWithRound();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      // What a batch holds while it counts (`samplingOfBatch`): the round's row FOR SHARE.
      await client.query('BEGIN');
      await client.query('SELECT id FROM site_round WHERE id = $1 FOR SHARE', [roundId]);
      const recount = store.sql.transaction((tx) => recountCoverage(tx, roundId, 'now'));
      expect(await settlesWithin(recount, 300)).toBe(false);
      await client.query('COMMIT');
      await recount;
    } finally {
      await client.end();
    }
  });
});

/** A station's journal: people bound (each `[k, tube]`), some undone, exemptions set and lifted. */
class Journal {
  readonly records: BatchRecord[] = [];
  private seq = 1;
  private tubes = 0;
  private registered = new Set<number>();

  constructor(
    readonly prefix: string,
    readonly roundId: string,
    readonly hour = 1,
  ) {}

  private push(kind: string, entityId: string, payload: Record<string, unknown>): void {
    this.records.push({ seq: this.seq, kind, entityId, operatorId: 'op-1', at: new Date(Date.UTC(2026, 10, 23, this.hour, 0, 0, this.seq)).toISOString(), payload });
    this.seq++;
  }

  /** A tube of the given people; their binding ids. */
  tube(people: readonly number[]): string[] {
    this.tubes++;
    const tubeId = `tube-${this.prefix}-${this.tubes}`;
    const code = `${this.prefix}${String(this.tubes).padStart(7, '0')}`;
    this.push('tube.opened', tubeId, { code, capacity: 20, roundId: this.roundId });
    const bindings: string[] = [];
    for (const k of people) {
      const personId = `person-${this.prefix}-${k}`;
      if (!this.registered.has(k)) {
        this.registered.add(k);
        this.push('person.registered', personId, { key: `id:${idNumber(k)}`, idNumber: idNumber(k), name: `居民${k}`, format: 'id18' });
      }
      const bindingId = `binding-${this.prefix}-${this.tubes}-${k}`;
      this.push('binding.created', bindingId, { tubeId, tubeCode: code, personId, roundId: this.roundId, repeatConfirmed: true });
      bindings.push(bindingId);
    }
    this.push('tube.sealed', tubeId, { code, count: people.length, cause: 'manual' });
    return bindings;
  }

  undo(bindingId: string): void {
    this.push('binding.undone', bindingId, { tubeCode: 'x', reason: '扫错人', correctionId: `c-${bindingId}` });
  }

  exempt(k: number, set: boolean): void {
    if (set) this.push('exemption.set', this.roundId, { idNumber: idNumber(k), reason: 'hospital', note: '' });
    else this.push('exemption.lifted', this.roundId, { idNumber: idNumber(k) });
  }
}

describe.each(['sqlite', 'postgres'] as const)('a site of two stations, HQ on %s', (backend) => {
  let hq: HqServer;
  let base: string;
  afterEach(async () => {
    await hq?.close();
  });

  async function start(): Promise<{ one: SimStation; two: SimStation; roundId: string; otherRoundId: string }> {
    const databaseUrl = backend === 'postgres' ? await cluster!.createDatabase() : undefined;
    hq = await createHqServer({ dataDir: tempDir('hq-concurrency-'), databaseUrl, adminToken: ADMIN });
    base = await hq.listen(0);
    const stations: SimStation[] = [];
    for (const name of ['一号台', '二号台']) {
      const station = new SimStation(base, name);
      expect((await station.enroll((await hq.createEnrollmentCode('site-a', '东区')).code)).status).toBe(200);
      stations.push(station);
    }
    await hq.createEnrollmentCode('site-b', '西区');
    await roster(hq.store, 'site-a', 60);
    const started = await hq.startRound({ siteId: 'site-a', name: '第1轮' });
    const other = await hq.startRound({ siteId: 'site-b', name: '西区第1轮' });
    if (!started.ok || !other.ok) throw new Error('round');
    // Read once, so the cells are counted and then kept up to date by every batch.
    const res = await fetch(`${base}${HQ_PATHS.adminCoverage}/${started.round.roundId}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(res.status).toBe(200);
    return { one: stations[0]!, two: stations[1]!, roundId: started.round.roundId, otherRoundId: other.round.roundId };
  }

  async function uploadAll(station: SimStation, records: readonly BatchRecord[], size: number): Promise<void> {
    for (let i = 0; i < records.length; i += size) {
      const res = await station.upload(records.slice(i, i + size));
      expect(res.status, JSON.stringify(res.json)).toBe(200);
    }
  }

  it('keeps cells and totals equal to a recount while both stations bind, undo and exempt the same people at once', async () => {
    const { one, two, roundId } = await start();
    const a = new Journal('SYA', roundId);
    const b = new Journal('SYB', roundId);
    // Both desks sample residents 1-50 (and visitors 901-905, not on the roster), in different
    // orders, each undoing some of its bindings, some in the batch that made them and some later;
    // exemptions of people sampled and not, set and lifted.
    for (let round = 0; round < 5; round++) {
      const people = Array.from({ length: 10 }, (_, i) => round * 10 + i + 1);
      const madeA = a.tube([...people, 901 + round]);
      const madeB = b.tube([...people].reverse());
      for (const [i, id] of madeA.entries()) if (i % 3 === round % 3) a.undo(id);
      for (const [i, id] of madeB.entries()) if (i % 4 === round % 4) b.undo(id);
      a.exempt(51 + round, true);
      b.exempt(people[0]!, true);
      if (round > 0) b.exempt(51 + round - 1, false);
    }
    await Promise.all([uploadAll(one, a.records, 7), uploadAll(two, b.records, 5)]);
    const counts = await expectKeptEqualsRecount(hq.store, roundId);
    // Who is sampled is what the live bindings of both stations say.
    const live = await hq.store.sql.read((tx) =>
      tx.all<{ person_key: string; n: number | string }>(
        `SELECT p.person_key, count(*) AS n FROM binding b JOIN person p ON p.station_id = b.station_id AND p.person_id = b.person_id
         WHERE b.round_id = @roundId AND b.undone = 0 GROUP BY p.person_key ORDER BY p.person_key`,
        { roundId },
      ),
    );
    expect(counts.sources).toEqual(live.map((r) => ({ person_key: r.person_key, sources: Number(r.n) })));
    expect(counts.total).toBe(live.length);
    expect(counts.cells.reduce((n, c) => n + c.exempt, 0)).toBeGreaterThan(0);
    // Undo everything left: nobody is sampled, only exemptions remain.
    const rest = [a, b].map((j) => {
      const undone = new Set(j.records.filter((r) => r.kind === 'binding.undone').map((r) => r.entityId));
      const tail = new Journal(j.prefix, roundId);
      for (const r of j.records) if (r.kind === 'binding.created' && !undone.has(r.entityId)) tail.undo(r.entityId);
      return tail.records.map((r) => ({ ...r, seq: r.seq + j.records.length }));
    });
    await Promise.all([uploadAll(one, rest[0]!, 6), uploadAll(two, rest[1]!, 4)]);
    const after = await expectKeptEqualsRecount(hq.store, roundId);
    expect(after.sources).toEqual([]);
    expect(after.total).toBe(0);
    expect(after.cells.every((c) => c.tested === 0)).toBe(true);
  });

  it('makes every code of a batch opened at the other station too a conflict, each station told once per code', async () => {
    const { one, two, roundId } = await start();
    const a = new Journal('SYX', roundId);
    const b = new Journal('SYX', roundId, 2);
    for (let k = 1; k <= 30; k++) {
      a.tube([k]);
      b.tube([100 + k]);
    }
    await uploadAll(one, a.records, 500);
    await uploadAll(two, b.records, 500);
    const conflicts = await hq.store.sql.read((tx) => tx.all<{ code: string }>('SELECT code FROM tube_conflict ORDER BY code'));
    expect(conflicts).toHaveLength(30);
    for (const [station, later] of [
      [one, false],
      [two, true],
    ] as const) {
      const items = ((await station.feed(0, 1000)).json.items as { kind: string; payload: { code: string; later: boolean; others: unknown[] } }[]).filter((i) => i.kind === 'tube.conflict');
      expect(items.map((i) => i.payload.code).sort()).toEqual(conflicts.map((c) => c.code));
      expect(items.every((i) => i.payload.later === later && i.payload.others.length === 1)).toBe(true);
    }
  });

  it("does not let a station close another site's round", async () => {
    const { one, roundId, otherRoundId } = await start();
    const at = new Date().toISOString();
    const close = (seq: number, id: string) => ({ seq, kind: 'round.closed', entityId: id, operatorId: 'op-1', at, payload: { siteId: 'site-a' } });
    expect((await one.upload([close(1, otherRoundId)])).status).toBe(200);
    expect((await hq.store.sql.read((tx) => roundOf(tx, otherRoundId)))!.closedAt).toBeNull();
    // Its own site's round it may close.
    expect((await one.upload([close(2, roundId)])).status).toBe(200);
    expect((await hq.store.sql.read((tx) => roundOf(tx, roundId)))!.closedAt).toBe(at);
  });

  it.runIf(backend === 'postgres')('counts an exemption and a binding of the same person at once as a recount does', async () => {
    const { one, roundId } = await start();
    const exempted = gate();
    const commit = gate();
    const exemption = hq.store.sql.transaction(async (tx) => {
      await applyExemption(tx, { roundId, idNumber: idNumber(3), set: { reason: 'away', note: '' }, at: 'now', by: 'HQ' });
      exempted.open();
      await commit.promise;
    });
    await exempted.promise;
    const j = new Journal('SYA', roundId);
    j.tube([3, 4]);
    const upload = one.upload(j.records);
    await settlesWithin(upload, 500);
    commit.open();
    await exemption;
    expect((await upload).status).toBe(200);
    const counts = await expectKeptEqualsRecount(hq.store, roundId);
    // Sampled wins over exempt.
    expect(counts.cells).toEqual([{ building: '1', unit: '1', tested: 2, exempt: 0 }]);
  });
});

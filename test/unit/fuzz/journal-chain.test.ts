import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENESIS_HASH, hasPersonalFields, personalDigest, splitPersonal } from '../../../hq/chain';
import { canonicalJson, HEADER_HQ_HELD, HQ_PATHS } from '../../../hq/protocol';
import { createHqServer, type HqServer } from '../../../hq/server';
import type { StationCore } from '../../../electron/core/core';
import { ok, openCore, tempDir } from '../../helpers/core';
import { bindPeople } from '../../e2e/upload-env';
import { SimStation } from '../hq/fixtures';
import { anyText, bytes, fuzzOptions, fuzzTimeout, jsonValue } from './arbitraries';
import { chainMutations, chainPart, HeldJournal, stationHoldings, type Chained, type Json } from './chain-mutations';

type Batch = Chained & { type: string; stationId: string; batchId: string; headSeq: number };

/**
 * The journal chain as HQ reads it from a batch: every record's `hash`, `salt` or
 * `personalDigest`, and the batch's `prevHash` and `chainHead`. A valid chained batch that
 * continues what HQ holds is mutated (a field changed, an entry removed, moved or repeated, a
 * chain field flipped, dropped or of the wrong type, the chain forked or history rewritten, the
 * JSON text itself damaged) and sent signed: HQ takes it only when what the chain covers is
 * unchanged, and refuses anything else with a clear code, storing nothing.
 */

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const REFUSALS = ['chain.broken', 'body.invalid', 'body.tooLarge'];

describe('the journal chain in batches at HQ (fuzz)', () => {
  let hq: HqServer;
  let base: string;
  let hqDb: Database.Database;
  let station: SimStation;
  let journal = new HeldJournal();

  beforeAll(async () => {
    const dataDir = tempDir('hq-chain-fuzz-');
    hq = await createHqServer({ dataDir });
    base = await hq.listen(0);
    hqDb = new Database(path.join(dataDir, 'hq.sqlite'), { readonly: true });
  });
  afterAll(async () => {
    hqDb.close();
    await hq.close();
  });

  const holdings = () => stationHoldings(hqDb, station.stationId);

  /** A valid batch continuing what HQ holds: the last `overlap` records it holds sent again, then `fresh` new ones. */
  function validBatch(overlap: number, fresh: number): Batch {
    const run = journal.next(overlap, fresh);
    return { type: 'station.batch', stationId: station.stationId, batchId: randomUUID(), headSeq: run.toSeq, ...run };
  }

  async function send(body: Buffer): Promise<{ status: number; json: Json; held: string | null }> {
    const a = await station.send(station.sign('POST', HQ_PATHS.batches, body));
    return { status: a.status, json: a.json, held: a.headers.get(HEADER_HQ_HELD) };
  }

  /**
   * A station just enrolled, whose first chained batch HQ holds (the one that anchors its chain):
   * a long run moves on to a new one now and then, so that each run reads little of HQ's database.
   */
  async function freshStation(): Promise<void> {
    const { code } = await hq.createEnrollmentCode('site-chain', '链模糊测试');
    station = new SimStation(base);
    expect((await station.enroll(code)).status).toBe(200);
    journal = new HeldJournal();
    const b = validBatch(0, 6);
    const a = await send(zlib.gzipSync(JSON.stringify(b)));
    expect(a.status, JSON.stringify(a.json)).toBe(200);
    journal.took(b);
    expect(a.held).toBe(`${journal.held.length}:${journal.head}`);
  }

  it('refuses an entry that kept its personal fields with its salt swapped for their old digest (found by the property below)', async () => {
    // The digest kept in place of purged fields stood for the fields whichever were still there:
    // a name changed and the salt swapped for the old digest chained as the entry did.
    await freshStation();
    const b = validBatch(0, 2);
    const person = b.records.find((r) => typeof r.salt === 'string')!;
    person.personalDigest = personalDigest(person.salt as string, splitPersonal(person.kind as string, person.payload).personal!);
    delete person.salt;
    (person.payload as Json).name = '李四';
    const before = holdings();
    const a = await send(zlib.gzipSync(JSON.stringify(b)));
    expect(a).toMatchObject({ status: 409, json: { error: 'chain.broken', detail: `seq ${person.seq as number}: entry changed, removed or moved after it was journalled` } });
    expect(holdings()).toBe(before);
  });

  it(
    'takes a batch only when what its chain covers is intact; any change to an entry, its order or its chain fields is refused with a code, nothing stored',
    async () => {
      let accepted = 0;
      let refused = 0;
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 6 }), chainMutations, async (overlap, fresh, mutation) => {
          if (journal.held.length === 0 || journal.held.length > 150) await freshStation();
          const valid = validBatch(overlap, fresh);
          const acked = journal.held.length;
          const out = mutation.apply(structuredClone(valid), { acked, headCarried: true, text: (b) => JSON.stringify(b) });
          const text = 'text' in out ? out.text : JSON.stringify(out.value);
          const sent = 'text' in out ? parse(text) : out.value;
          const mustTake = !('text' in out) && out.valid;
          const mayTake = mustTake || chainPart(sent) === chainPart(valid);
          const before = holdings();
          const a = await send(zlib.gzipSync(text));
          if (a.status === 200) {
            // What HQ took is what it holds now, whether it should have taken it or not: later runs build on it.
            const b = sent as Batch;
            journal.took(b);
            expect(mayTake, `${mutation.name}: taken`).toBe(true);
            expect(a.json).toMatchObject({ type: 'hq.ack', ackedThrough: Math.max(acked, b.toSeq) });
            expect(a.held).toBe(`${journal.held.length}:${journal.head}`);
            accepted++;
            return;
          }
          expect(mustTake, `${mutation.name}: refused ${JSON.stringify(a.json)}`).toBe(false);
          if (a.status === 409 && a.json.type === 'hq.gap') expect(a.json.expectedSeq).toBe(acked + 1);
          else expect(REFUSALS, `${mutation.name}: ${a.status} ${JSON.stringify(a.json)}`).toContain(a.json.error);
          expect(holdings(), mutation.name).toBe(before);
          // The refusal itself says HQ holds what it held.
          expect(a.held).toBe(`${acked}:${journal.head}`);
          refused++;
        }),
        fuzzOptions(150),
      );
      expect(accepted).toBeGreaterThan(0);
      expect(refused).toBeGreaterThan(0);
    },
    fuzzTimeout(40_000),
  );

  it(
    'refuses a batch whose chain fields are of any shape but the protocol’s, before reading its records',
    async () => {
      const field = fc.constantFrom('prevHash', 'chainHead', 'both');
      await fc.assert(
        fc.asyncProperty(field, fc.oneof(jsonValue(2), anyText(70), bytes(40).map((b) => b.toString('base64'))), async (which, value) => {
          if (journal.held.length === 0) await freshStation();
          const valid = validBatch(0, 2);
          const b = structuredClone(valid) as unknown as Json;
          if (which !== 'chainHead') b.prevHash = value;
          if (which !== 'prevHash') b.chainHead = value;
          fc.pre(chainPart(parse(JSON.stringify(b))) !== chainPart(valid));
          const before = holdings();
          const a = await send(zlib.gzipSync(JSON.stringify(b)));
          expect(a.status, JSON.stringify(a.json)).toBeGreaterThanOrEqual(400);
          expect(REFUSALS).toContain(a.json.error);
          expect(holdings()).toBe(before);
        }),
        fuzzOptions(60),
      );
    },
    fuzzTimeout(),
  );
});

describe('the journal chain at the station (fuzz)', () => {
  type Row = {
    seq: number;
    station_id: string;
    kind: string;
    entity_id: string;
    operator_id: string;
    at: string;
    payload: string;
    prev_hash: string;
    hash: string;
    salt: string | null;
    personal_digest: string | null;
  };
  const COLUMNS = ['seq', 'station_id', 'kind', 'entity_id', 'operator_id', 'at', 'payload', 'prev_hash', 'hash', 'salt', 'personal_digest'] as const;
  let core: StationCore;
  let journal: Row[];

  beforeAll(async () => {
    core = await openCore();
    await bindPeople(core, 10, 5);
    journal = core.db.prepare('SELECT * FROM journal ORDER BY seq').all() as Row[];
    // As someone with the file would: the guard against updates and deletes dropped.
    core.db.exec('DROP TRIGGER journal_no_update; DROP TRIGGER journal_no_delete;');
  });
  afterAll(() => core?.close());

  /** The journal made `rows`, all of it at once. */
  function write(rows: readonly Row[]): void {
    const insert = core.db.prepare(`INSERT INTO journal (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => `@${c}`).join(', ')})`);
    core.db.transaction(() => {
      core.db.prepare('DELETE FROM journal').run();
      for (const r of rows) insert.run(r);
    })();
  }

  /** What the chain covers of a row: its content as parsed, its chain columns; the salt only for kinds with personal fields. */
  function covered(r: Row): string {
    let payload: unknown = r.payload;
    try {
      payload = canonicalJson(JSON.parse(r.payload));
    } catch {
      // unparsable: compared as text
    }
    return canonicalJson([r.seq, r.kind, r.entity_id, r.operator_id, r.at, payload, r.prev_hash, r.hash, hasPersonalFields(r.kind) ? r.salt : null, r.personal_digest]);
  }

  type Change = { name: string; rows(rows: Row[]): { rows: Row[]; valid: boolean } };
  const text = fc.oneof(fc.string({ maxLength: 8 }), anyText(8), fc.constantFrom('', GENESIS_HASH, 'f'.repeat(64), '张三', '{}', '[]', 'null'));
  const renumbered = (rows: Row[]): Row[] => rows.map((r, k) => ({ ...r, seq: k + 1 }));
  const changes: fc.Arbitrary<Change> = fc
    .oneof(
      fc.record({ i: fc.nat(), column: fc.constantFrom('kind', 'entity_id', 'operator_id', 'at', 'payload', 'prev_hash', 'hash', 'salt', 'personal_digest'), value: fc.option(text) }).map(
        ({ i, column, value }): Change => ({
          name: `column ${fc.stringify({ i, column, value })}`,
          rows(rows) {
            const r = rows[i % rows.length]!;
            const nullable = column === 'salt' || column === 'personal_digest';
            (r as Record<string, unknown>)[column] = value === null && !nullable ? '' : value;
            return { rows, valid: false };
          },
        }),
      ),
      fc.record({ i: fc.nat(), key: fc.constantFrom('name', 'idNumber', 'tubeCode', 'count', 'format', 'key', 'extra'), value: jsonValue(1) }).map(
        ({ i, key, value }): Change => ({
          name: `payload field ${fc.stringify({ i, key, value })}`,
          rows(rows) {
            const r = rows[i % rows.length]!;
            r.payload = JSON.stringify({ ...(JSON.parse(r.payload) as Json), [key]: value });
            return { rows, valid: false };
          },
        }),
      ),
      fc.record({ i: fc.nat(), name: fc.string({ minLength: 1, maxLength: 4 }), purged: fc.boolean() }).map(
        ({ i, name, purged }): Change => ({
          // What the guard still allows: the salt removed and the payload rewritten, in one update.
          name: `salt removed ${fc.stringify({ i, name, purged })}`,
          rows(rows) {
            const persons = rows.filter((r) => r.salt !== null);
            const r = persons[i % persons.length]!;
            const { publicPayload, personal } = splitPersonal(r.kind, JSON.parse(r.payload));
            r.salt = null;
            // Purged, the personal fields are gone; otherwise one of them is changed and kept.
            r.payload = JSON.stringify(purged ? publicPayload : { ...(publicPayload as Json), ...personal, name: `${String(personal!.name)}${name}` });
            return { rows, valid: purged };
          },
        }),
      ),
      fc.record({ i: fc.nat(), renumber: fc.boolean() }).map(
        ({ i, renumber }): Change => ({
          name: `removed ${fc.stringify({ i, renumber })}`,
          rows(rows) {
            const k = i % rows.length;
            const left = rows.filter((_, n) => n !== k);
            // The last entry removed leaves a shorter journal, chained as well as the whole: only HQ, holding it, can tell.
            return { rows: renumber ? renumbered(left) : left, valid: k === rows.length - 1 };
          },
        }),
      ),
      fc.record({ i: fc.nat(), j: fc.nat(), whole: fc.boolean() }).map(
        ({ i, j, whole }): Change => ({
          // Two entries moved whole (content, hashes and all) to each other's number, or only their content.
          name: `swapped ${fc.stringify({ i, j, whole })}`,
          rows(rows) {
            const [x, y] = [rows[i % rows.length]!, rows[j % rows.length]!];
            const columns = whole ? (['station_id', 'kind', 'entity_id', 'operator_id', 'at', 'payload', 'prev_hash', 'hash', 'salt', 'personal_digest'] as const) : (['kind', 'entity_id', 'operator_id', 'at', 'payload'] as const);
            for (const c of columns) [x[c], y[c]] = [y[c], x[c]] as [never, never];
            return { rows, valid: false };
          },
        }),
      ),
      fc.record({ i: fc.nat() }).map(
        ({ i }): Change => ({
          name: `repeated ${i}`,
          rows(rows) {
            const k = i % rows.length;
            return { rows: renumbered([...rows.slice(0, k + 1), { ...rows[k]! }, ...rows.slice(k + 1)]), valid: false };
          },
        }),
      ),
      fc.record({ i: fc.nat(), space: fc.constantFrom(' ', '\n', '\t', '  ') }).map(
        ({ i, space }): Change => ({
          // The same payload written out otherwise (keys in another order, white space): the same entry.
          name: `payload rewritten ${i}`,
          rows(rows) {
            const r = rows[i % rows.length]!;
            r.payload = JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(r.payload) as Json).reverse()), null, space);
            return { rows, valid: true };
          },
        }),
      ),
    )
    .map((c) => Object.assign(c, { [fc.toStringMethod]: () => c.name }));

  it('finds an entry whose personal fields were changed and its salt removed, as the guard allows (found by the property below)', async () => {
    // The guard lets an update remove an entry's salt and rewrite its payload (that is how personal
    // data is purged); the digest kept then stood for the personal fields, whichever were still there.
    const person = journal.find((r) => r.kind === 'person.registered')!;
    write(journal);
    core.db.prepare(`UPDATE journal SET salt = NULL, payload = json_set(payload, '$.name', '李四') WHERE seq = ?`).run(person.seq);
    expect(await ok(core, 'journal.verify', {})).toMatchObject({ ok: false, problem: { seq: person.seq, kind: 'changed' } });
  });

  it(
    'finds any changed, removed, moved or repeated entry, and passes a journal the same to the chain (a purge, another spelling of a payload)',
    async () => {
      await fc.assert(
        fc.asyncProperty(changes, async (change) => {
          const { rows, valid } = change.rows(structuredClone(journal));
          try {
            write(rows);
          } catch {
            // Not even a journal SQLite takes (a seq twice, text where a number goes): nothing to check.
            return;
          }
          const same = rows.length === journal.length && rows.every((r, k) => covered(r) === covered(journal[k]!));
          const check = await ok(core, 'journal.verify', {});
          if (valid || same) {
            expect(check, change.name).toMatchObject({ ok: true, checked: rows.length, problem: null });
            return;
          }
          expect(check.ok, change.name).toBe(false);
          // Found at the first entry that differs: nothing before it is doubted.
          const first = rows.findIndex((r, k) => !journal[k] || covered(r) !== covered(journal[k]!));
          expect(check.problem?.seq, change.name).toBe(rows[first]!.seq);
        }),
        fuzzOptions(100),
      );
      write(journal);
      expect(await ok(core, 'journal.verify', {})).toMatchObject({ ok: true, checked: journal.length });
    },
    fuzzTimeout(),
  );
});

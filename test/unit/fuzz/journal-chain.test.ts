import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entryDigests, entryHash, GENESIS_HASH, hasPersonalFields, personalDigest, splitPersonal } from '../../../hq/chain';
import { canonicalJson, HEADER_HQ_HELD, HQ_PATHS, recordContent, type BatchRecord } from '../../../hq/protocol';
import { createHqServer, type HqServer } from '../../../hq/server';
import type { StationCore } from '../../../electron/core/core';
import { ok, openCore, tempDir } from '../../helpers/core';
import { bindPeople } from '../../e2e/upload-env';
import { chainRecords, SimStation, samplingJournal } from '../hq/fixtures';
import { anyText, bytes, databaseDigest, fuzzOptions, fuzzTimeout, jsonValue } from './arbitraries';

/**
 * The journal chain as HQ reads it from a batch: every record's `hash`, `salt` or
 * `personalDigest`, and the batch's `prevHash` and `chainHead`. A valid chained batch that
 * continues what HQ holds is mutated (a field changed, an entry removed, moved or repeated, a
 * chain field flipped, dropped or of the wrong type, the chain forked or history rewritten, the
 * JSON text itself damaged) and sent signed: HQ takes it only when what the chain covers is
 * unchanged, and refuses anything else with a clear code, storing nothing.
 */

type Json = Record<string, unknown>;
type Batch = { type: string; stationId: string; batchId: string; fromSeq: number; toSeq: number; headSeq: number; prevHash: string; chainHead: string; records: Json[] };

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What the chain covers of a batch, and what HQ keeps of it: each record's seq, canonical content,
 * hash, and for kinds with personal fields the salt (or, without one, the digest kept in the
 * fields' place). Equal for two batches: HQ may take either; different: only one may be taken.
 */
function chainPart(batch: unknown): string | null {
  if (!isObject(batch) || !Array.isArray(batch.records)) return null;
  const records = batch.records.map((r: unknown) => {
    if (!isObject(r)) return r;
    const personal = typeof r.kind === 'string' && hasPersonalFields(r.kind);
    return {
      seq: r.seq,
      content: recordContent(r),
      hash: r.hash ?? null,
      ...(personal ? { salt: r.salt ?? null, kept: r.salt === undefined ? (r.personalDigest ?? null) : null } : {}),
    };
  });
  return canonicalJson({ fromSeq: batch.fromSeq, toSeq: batch.toSeq, prevHash: batch.prevHash ?? null, chainHead: batch.chainHead ?? null, records });
}

/** Recomputes the chain of `records` (as they are now) after `prev`, as a station rewriting its journal would. */
function rechain(records: Json[], prev: string): string {
  for (const r of records) {
    const { publicPart, personalPart } = entryDigests(r as BatchRecord, typeof r.salt === 'string' ? r.salt : null, typeof r.personalDigest === 'string' ? r.personalDigest : null);
    r.hash = entryHash(prev, r.seq as number, publicPart, personalPart);
    prev = r.hash as string;
  }
  return prev;
}

const renumber = (b: Batch): void => {
  b.records.forEach((r, i) => (r.seq = b.fromSeq + i));
  b.toSeq = b.fromSeq + b.records.length - 1;
};

const flipHex = (text: string, at: number): string => {
  const i = at % text.length;
  const c = text[i]!;
  return text.slice(0, i) + (c === '0' ? '1' : '0') + text.slice(i + 1);
};

/** A change to a valid batch; `valid`: what it makes is still a batch HQ must take (a shorter one, a purged entry). */
type Mutation = { name: string; apply(b: Batch, acked: number): { batch: unknown; valid: boolean } | { text: string } };


const at = (n: number, length: number): number => n % Math.max(1, length);
const oddValue = fc.oneof(jsonValue(1), anyText(8), fc.constantFrom('张三', '\u0000', '', -1, 1e308, 'x'.repeat(1 << 20), GENESIS_HASH, 'F'.repeat(64)));

const mutations: fc.Arbitrary<Mutation> = fc
  .oneof(
  fc.constant<Mutation>({ name: 'none', apply: (b) => ({ batch: b, valid: true }) }),
  fc.record({ i: fc.nat(), field: fc.constantFrom('kind', 'entityId', 'operatorId', 'at', 'payload', 'p.name', 'p.idNumber', 'p.tubeCode', 'p.count', 'p.extra'), value: oddValue }).map(
    ({ i, field, value }): Mutation => ({
      name: `content ${fc.stringify({ i, field, value: typeof value === 'string' && value.length > 64 ? `${value.length} chars` : value })}`,
      apply(b) {
        const r = b.records[at(i, b.records.length)]!;
        const target = field.startsWith('p.') ? (r.payload as Json) : r;
        target[field.replace(/^p\./, '')] = value;
        return { batch: b, valid: false };
      },
    }),
  ),
  fc
    .record({ i: fc.nat(), field: fc.constantFrom('hash', 'salt', 'personalDigest', 'prevHash', 'chainHead'), how: fc.constantFrom('flip', 'drop', 'upper', 'other', 'odd'), n: fc.nat(), value: oddValue })
    .map(
      ({ i, field, how, n, value }): Mutation => ({
        name: `chain ${fc.stringify({ i, field, how, n, value: typeof value === 'string' && value.length > 64 ? `${value.length} chars` : value })}`,
        apply(b) {
          const target: Json = field === 'prevHash' || field === 'chainHead' ? (b as unknown as Json) : b.records[at(i, b.records.length)]!;
          const v = target[field];
          if (how === 'drop') delete target[field];
          else if (how === 'odd') target[field] = value;
          else if (how === 'other') target[field] = b.records[at(n, b.records.length)]!.hash;
          else if (typeof v === 'string') target[field] = how === 'upper' ? v.toUpperCase() : flipHex(v, n);
          return { batch: b, valid: false };
        },
      }),
    ),
  fc.record({ i: fc.nat(), renumbered: fc.boolean() }).map(
    ({ i, renumbered }): Mutation => ({
      name: `remove ${fc.stringify({ i, renumbered })}`,
      apply(b) {
        b.records.splice(at(i, b.records.length), 1);
        if (renumbered) renumber(b);
        return { batch: b, valid: false };
      },
    }),
  ),
  fc.record({ i: fc.nat(), j: fc.nat(), seqWith: fc.boolean() }).map(
    ({ i, j, seqWith }): Mutation => ({
      name: `swap ${fc.stringify({ i, j, seqWith })}`,
      apply(b) {
        const [x, y] = [at(i, b.records.length), at(j, b.records.length)];
        [b.records[x], b.records[y]] = [b.records[y]!, b.records[x]!];
        if (!seqWith) renumber(b);
        return { batch: b, valid: false };
      },
    }),
  ),
  fc.record({ i: fc.nat(), renumbered: fc.boolean() }).map(
    ({ i, renumbered }): Mutation => ({
      name: `duplicate ${fc.stringify({ i, renumbered })}`,
      apply(b) {
        const k = at(i, b.records.length);
        b.records.splice(k, 0, structuredClone(b.records[k]!));
        if (renumbered) renumber(b);
        return { batch: b, valid: false };
      },
    }),
  ),
  fc.record({ cut: fc.integer({ min: 1, max: 4 }), newHead: fc.boolean() }).map(
    ({ cut, newHead }): Mutation => ({
      name: `truncate ${fc.stringify({ cut, newHead })}`,
      apply(b) {
        if (b.records.length <= cut) return { batch: b, valid: true };
        b.records.splice(b.records.length - cut, cut);
        b.toSeq -= cut;
        if (newHead) b.chainHead = b.records[b.records.length - 1]!.hash as string;
        // Cut and given the head of its new last entry, it is a shorter batch, as valid as the whole.
        return { batch: b, valid: newHead };
      },
    }),
  ),
  fc.record({ i: fc.nat(), name: fc.string({ minLength: 1, maxLength: 4 }) }).map(
    ({ i, name }): Mutation => ({
      // A personal field changed and the salt swapped for the digest of the fields as they were: to the
      // chain this looks like an entry whose personal fields were purged, but the fields are still there.
      name: `personal field changed, salt swapped for its old digest ${fc.stringify({ i, name })}`,
      apply(b) {
        const persons = b.records.filter((r) => typeof r.salt === 'string');
        const r = persons[at(i, persons.length)];
        if (!r) return { batch: b, valid: true };
        const { personal } = splitPersonal(r.kind as string, r.payload);
        r.personalDigest = personalDigest(r.salt as string, personal!);
        delete r.salt;
        (r.payload as Json).name = `${(r.payload as Json).name as string}${name}`;
        return { batch: b, valid: false };
      },
    }),
  ),
  fc.nat().map(
    (i): Mutation => ({
      name: `purged entry ${i}`,
      apply(b, acked) {
        // As a station sends an entry whose personal fields were purged: the public fields and the kept digest.
        const persons = b.records.filter((r) => typeof r.salt === 'string' && (r.seq as number) > acked);
        const r = persons[at(i, persons.length)];
        if (!r) return { batch: b, valid: true };
        const { publicPayload, personal } = splitPersonal(r.kind as string, r.payload);
        r.personalDigest = personalDigest(r.salt as string, personal!);
        delete r.salt;
        r.payload = publicPayload;
        return { batch: b, valid: true };
      },
    }),
  ),
  fc.record({ prev: fc.stringMatching(/^[0-9a-f]{64}$/) }).map(
    ({ prev }): Mutation => ({
      name: `forked: chained whole from ${prev}`,
      apply(b) {
        b.prevHash = prev;
        b.chainHead = rechain(b.records, prev);
        return { batch: b, valid: false };
      },
    }),
  ),
  fc.record({ i: fc.nat(), value: fc.string({ minLength: 1, maxLength: 8 }) }).map(
    ({ i, value }): Mutation => ({
      name: `history rewritten: an entry HQ holds changed, the chain recomputed ${fc.stringify({ i, value })}`,
      apply(b, acked) {
        const old = b.records.filter((r) => (r.seq as number) <= acked);
        const r = old[at(i, old.length)];
        if (!r) return { batch: b, valid: true };
        r.entityId = `${r.entityId as string}${value}`;
        b.chainHead = rechain(b.records, b.prevHash);
        return { batch: b, valid: false };
      },
    }),
  ),
  fc.constantFrom<Mutation>(
    {
      name: 'unchained',
      apply(b) {
        delete (b as Partial<Batch>).prevHash;
        delete (b as Partial<Batch>).chainHead;
        for (const r of b.records) delete r.hash;
        return { batch: b, valid: false };
      },
    },
    {
      name: 'chain fields on every record moved one up',
      apply(b) {
        const hashes = b.records.map((r) => r.hash);
        b.records.forEach((r, k) => (r.hash = hashes[(k + 1) % hashes.length]));
        return { batch: b, valid: false };
      },
    },
  ),
  // The JSON text itself: a byte replaced, cut short, something spliced in.
  fc.record({ where: fc.nat(), how: fc.constantFrom('byte', 'cut', 'splice'), byte: fc.integer({ min: 0, max: 255 }), piece: fc.oneof(anyText(6), fc.constantFrom(',', '}', ']', '"', '\\u0000', '1e999', '"hash":"00"')) }).map(
    ({ where, how, byte, piece }): Mutation => ({
      name: `text ${fc.stringify({ where, how, byte, piece })}`,
      apply(b) {
        const text = JSON.stringify(b);
        const i = where % text.length;
        if (how === 'cut') return { text: text.slice(0, i) };
        if (how === 'splice') return { text: text.slice(0, i) + piece + text.slice(i) };
        return { text: text.slice(0, i) + String.fromCharCode(byte) + text.slice(i + 1) };
      },
    }),
  ),
  // Key order inside records: not a change at all.
  fc.constant<Mutation>({
    name: 'record keys reordered',
    apply(b) {
      b.records = b.records.map((r) => Object.fromEntries(Object.entries(r).reverse()));
      return { batch: b, valid: true };
    },
  }),
  )
  // Reported by name in a counterexample, not by the function's source.
  .map((m) => Object.assign(m, { [fc.toStringMethod]: () => m.name }));

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
  /** The chained records HQ holds of the station, as sent; `head`: HQ's chain head. */
  let held: Json[] = [];
  let head = GENESIS_HASH;
  let made = 0;

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

  /**
   * What HQ holds of the station, but for what a refusal writes by design: signatures seen, and
   * why the station's last batch was refused (for the dashboard).
   */
  function holdings(): string {
    const row = hqDb.prepare('SELECT * FROM station WHERE id = ?').get(station.stationId) as Json;
    delete row.chain_error;
    delete row.last_contact_at;
    return `${databaseDigest(hqDb, ['seen_signature', 'station'], { column: 'station_id', value: station.stationId })}:${JSON.stringify(row)}`;
  }

  /** A valid batch continuing what HQ holds: the last `overlap` records it holds sent again, then `fresh` new ones. */
  function validBatch(overlap: number, fresh: number): Batch {
    const from = Math.max(1, held.length + 1 - overlap);
    made++;
    const journal = samplingJournal(fresh + (held.length === 0 ? 1 : 0), { firstSeq: held.length + 1, tubePrefix: `SY${String(made).padStart(4, '0')}`, personOffset: made * 100 });
    const run = chainRecords(journal, head);
    const records = [...held.slice(from - 1).map((r) => structuredClone(r)), ...(run.records as unknown as Json[])];
    return {
      type: 'station.batch',
      stationId: station.stationId,
      batchId: randomUUID(),
      fromSeq: from,
      toSeq: from + records.length - 1,
      headSeq: from + records.length - 1,
      prevHash: from === 1 ? GENESIS_HASH : (held[from - 2]!.hash as string),
      chainHead: run.chainHead,
      records,
    };
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
    held = [];
    head = GENESIS_HASH;
    const b = validBatch(0, 6);
    const a = await send(zlib.gzipSync(JSON.stringify(b)));
    expect(a.status, JSON.stringify(a.json)).toBe(200);
    held.push(...b.records);
    head = b.chainHead;
    expect(a.held).toBe(`${held.length}:${head}`);
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
        fc.asyncProperty(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 6 }), mutations, async (overlap, fresh, mutation) => {
          if (held.length === 0 || held.length > 150) await freshStation();
          const valid = validBatch(overlap, fresh);
          const acked = held.length;
          const out = mutation.apply(structuredClone(valid), acked);
          const text = 'text' in out ? out.text : JSON.stringify(out.batch);
          const sent = 'text' in out ? parse(text) : out.batch;
          const mustTake = !('text' in out) && out.valid;
          const mayTake = mustTake || chainPart(sent) === chainPart(valid);
          const before = holdings();
          const a = await send(zlib.gzipSync(text));
          if (a.status === 200) {
            // What HQ took is what it holds now, whether it should have taken it or not: later runs build on it.
            const b = sent as Batch;
            if (b.toSeq > acked) {
              held.push(...b.records.slice(acked + 1 - b.fromSeq));
              head = b.chainHead;
            }
            expect(mayTake, `${mutation.name}: taken`).toBe(true);
            expect(a.json).toMatchObject({ type: 'hq.ack', ackedThrough: Math.max(acked, b.toSeq) });
            expect(a.held).toBe(`${held.length}:${head}`);
            accepted++;
            return;
          }
          expect(mustTake, `${mutation.name}: refused ${JSON.stringify(a.json)}`).toBe(false);
          if (a.status === 409 && a.json.type === 'hq.gap') expect(a.json.expectedSeq).toBe(acked + 1);
          else expect(REFUSALS, `${mutation.name}: ${a.status} ${JSON.stringify(a.json)}`).toContain(a.json.error);
          expect(holdings(), mutation.name).toBe(before);
          // The refusal itself says HQ holds what it held.
          expect(a.held).toBe(`${acked}:${head}`);
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
          if (held.length === 0) await freshStation();
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

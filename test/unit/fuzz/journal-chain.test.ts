import Database from 'better-sqlite3-multiple-ciphers';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENESIS_HASH, hasPersonalFields, splitPersonal } from '../../../hq/chain';
import { canonicalJson } from '../../../hq/protocol';
import { createHqServer } from '../../../hq/server';
import type { StationCore } from '../../../electron/core/core';
import type { JournalRow } from '../../../electron/core/journal';
import { ok, openCore, tempDir } from '../../helpers/core';
import { bindPeople } from '../../e2e/upload-env';
import { anyText, fuzzOptions, fuzzTimeout, jsonValue } from './arbitraries';
import { describeChainIngest } from './chain-ingest-suite';
import { stationHoldings, type Json } from './chain-mutations';

/**
 * The journal chain: at HQ, in batches (on SQLite here; `journal-chain-postgres.test.ts` runs the
 * same suite on PostgreSQL), and at the station, in its own journal.
 */
describeChainIngest(
  'SQLite',
  async () => {
    const dataDir = tempDir('hq-chain-fuzz-');
    const hq = await createHqServer({ dataDir });
    const db = new Database(path.join(dataDir, 'hq.sqlite'), { readonly: true });
    return {
      hq,
      holdings: async (stationId) => stationHoldings(db, stationId),
      async close() {
        db.close();
        await hq.close();
      },
    };
  },
  150,
);

describe('the journal chain at the station (fuzz)', () => {
  type Row = JournalRow;
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

/**
 * The journal chain as HQ reads it from a batch, as a suite each storage backend runs: every
 * record's `hash`, `salt` or `personalDigest`, and the batch's `prevHash` and `chainHead`. A valid
 * chained batch that continues what HQ holds is mutated (`chainMutations`) and sent signed: HQ
 * takes it only when what the chain covers is unchanged, and refuses anything else with a clear
 * code, storing nothing.
 */
import { randomUUID } from 'node:crypto';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { personalDigest, splitPersonal } from '../../../hq/chain';
import { HEADER_HQ_HELD, HQ_PATHS, recordDigest } from '../../../hq/protocol';
import type { HqServer } from '../../../hq/server';
import { SimStation } from '../hq/fixtures';
import { anyText, bytes, fuzzOptions, fuzzTimeout, jsonValue } from './arbitraries';
import { chainMutations, chainPart, HeldJournal, type Chained, type Json } from './chain-mutations';

type Batch = Chained & { type: string; stationId: string; batchId: string; headSeq: number };

/**
 * An HQ on one backend: `holdings` is what it holds of a station but for what a refusal writes by
 * design (signatures seen, why the last batch was refused); equal before and after, nothing was stored.
 */
export type Backend = { hq: HqServer; holdings(stationId: string): Promise<string>; close(): Promise<void> };

function parse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const REFUSALS = ['chain.broken', 'body.invalid', 'body.tooLarge'];

/** The suite on the backend `open` starts; `runs`: the main property's runs at the default scale. */
export function describeChainIngest(name: string, open: () => Promise<Backend>, runs: number): void {
  describe(`the journal chain in batches at HQ on ${name} (fuzz)`, () => {
    let backend: Backend;
    let hq: HqServer;
    let base: string;
    let station: SimStation;
    let journal = new HeldJournal();

    beforeAll(async () => {
      backend = await open();
      hq = backend.hq;
      base = await hq.listen(0);
    });
    afterAll(async () => {
      await backend?.close();
    });

    const holdings = () => backend.holdings(station.stationId);

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
      const before = await holdings();
      const a = await send(zlib.gzipSync(JSON.stringify(b)));
      expect(a).toMatchObject({ status: 409, json: { error: 'chain.broken', detail: `seq ${person.seq as number}: entry changed, removed or moved after it was journalled` } });
      expect(await holdings()).toBe(before);
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
            const before = await holdings();
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
            expect(await holdings(), mutation.name).toBe(before);
            // The refusal itself says HQ holds what it held.
            expect(a.held).toBe(`${acked}:${journal.head}`);
            refused++;
          }),
          fuzzOptions(runs),
        );
        expect(accepted).toBeGreaterThan(0);
        expect(refused).toBeGreaterThan(0);
      },
      fuzzTimeout(40_000),
    );

    it(
      'takes two batches on their way at once only as far as both chains hold: one changed is refused, the other taken only after what it follows',
      async () => {
        await fc.assert(
          fc.asyncProperty(fc.boolean(), fc.boolean(), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }), chainMutations, async (changeFirst, secondFirst, n1, n2, mutation) => {
            if (journal.held.length === 0 || journal.held.length > 150) await freshStation();
            const acked = journal.held.length;
            const first = validBatch(0, n1);
            const second = { ...first, batchId: randomUUID(), ...journal.next(0, n2, first) };
            second.headSeq = second.toSeq;
            const target = changeFirst ? first : second;
            const out = mutation.apply(structuredClone(target), { acked: changeFirst ? acked : first.toSeq, headCarried: true, text: (b) => JSON.stringify(b) });
            const text = 'text' in out ? out.text : JSON.stringify(out.value);
            const changed = 'text' in out ? parse(text) : out.value;
            const mayTake = (!('text' in out) && out.valid) || chainPart(changed) === chainPart(target);
            const bodies = changeFirst ? [text, JSON.stringify(second)] : [JSON.stringify(first), text];
            // The second may reach HQ first: it waits there for the first, as a station's window of two does.
            const sending = bodies.map((b) => () => send(zlib.gzipSync(b)));
            const [a1, a2] = secondFirst ? await Promise.all([new Promise((r) => setTimeout(r, 5)).then(sending[0]!), sending[1]!()]) : await Promise.all([sending[0]!(), new Promise((r) => setTimeout(r, 5)).then(sending[1]!)]);
            const took = [a1!.status === 200, a2!.status === 200];
            if (took[0]) journal.took((changeFirst ? changed : first) as Batch);
            if (took[0] && took[1]) journal.took((changeFirst ? second : changed) as Batch);
            const name = `${mutation.name} (${changeFirst ? 'first' : 'second'} changed)`;
            // A changed batch is taken only as what the chain covers allows; the second never without the first.
            if (took[changeFirst ? 0 : 1]) expect(mayTake, `${name}: taken`).toBe(true);
            expect(took[1] && !took[0], `${name}: second taken without the first`).toBe(false);
            // The untouched first is taken; the untouched second only after a first HQ took (or it is told of the gap).
            if (!changeFirst) expect(a1!.status, `${name}: ${JSON.stringify(a1!.json)}`).toBe(200);
            for (const a of [a1!, a2!]) if (a.status !== 200) expect(a.status === 409 && a.json.type === 'hq.gap' ? 'hq.gap' : a.json.error, name).toMatch(/^(hq\.gap|chain\.broken|body\.invalid|body\.tooLarge)$/);
            // HQ holds exactly the records of what it took, each as the station journalled it.
            const stored = await hq.store.station(station.stationId);
            expect(stored, name).toMatchObject({ ackedThrough: journal.held.length, chainHead: journal.head });
            for (const r of journal.held.slice(acked)) {
              const record = await hq.store.record(station.stationId, r.seq as number);
              expect(record?.chainHash, name).toBe(r.hash);
              expect(record?.digest, name).toBe(recordDigest(r));
            }
          }),
          fuzzOptions(Math.ceil(runs / 3), 10_000),
        );
      },
      fuzzTimeout(),
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
            const before = await holdings();
            const a = await send(zlib.gzipSync(JSON.stringify(b)));
            expect(a.status, JSON.stringify(a.json)).toBeGreaterThanOrEqual(400);
            expect(REFUSALS).toContain(a.json.error);
            expect(await holdings()).toBe(before);
          }),
          fuzzOptions(Math.ceil(runs / 3)),
        );
      },
      fuzzTimeout(),
    );
  });
}

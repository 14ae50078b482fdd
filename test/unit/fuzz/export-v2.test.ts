import Database from 'better-sqlite3-multiple-ciphers';
import { createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import path from 'node:path';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson, encryptExport, exportSignedText, HQ_PATHS, MAX_DECOMPRESSED_BYTES } from '../../../hq/protocol';
import { createHqServer, type HqServer } from '../../../hq/server';
import { tempDir } from '../../helpers/core';
import { SimStation } from '../hq/fixtures';
import { anyText, bytes, fuzzOptions, fuzzTimeout, jsonValue } from './arbitraries';
import { chainMutations, chainPart, HeldJournal, isObject, stationHoldings, type Chained, type Json } from './chain-mutations';

/**
 * Export files of version 2 (`station export`: gzip JSON encrypted to HQ's X25519 key, signed by
 * the station), as HQ imports them from a USB stick. A valid file continuing what HQ holds is
 * changed at one of its layers: the file as it lies on the stick (any field flipped, dropped,
 * doubled, replaced by base64 garbage or the wrong type, the text cut or spliced), the sealing
 * (another HQ's key, another station's id bound in or signing, the ciphertext, tag or IV
 * altered and signed again), the export inside (its envelope, or its journal chain: an entry
 * changed, removed, moved or repeated, a chain field flipped; signed again, as a station would)
 * or its compression. HQ imports it only when what it holds of the station would be the valid
 * file's, and refuses anything else with a code, storing nothing.
 */

const IMPORT_ERRORS = ['body.invalid', 'body.tooLarge', 'station.unknown', 'station.revoked', 'signature.invalid', 'import.gap', 'chain.broken', 'export.notForThisHq'];
const FIELDS = ['version', 'stationId', 'cipher', 'ephemeralKey', 'iv', 'tag', 'export', 'signature'] as const;

let hq: HqServer;
let base: string;
let hqDb: Database.Database;
let exportKey: KeyObject;
let station: SimStation;
/** Another station of the same site: its key and its id are at hand for anyone with its stick. */
let other: SimStation;
let journal = new HeldJournal();

async function enrolled(): Promise<{ station: SimStation; exportKey: string }> {
  const { code } = await hq.createEnrollmentCode('site-export2', '导出文件模糊测试');
  const s = new SimStation(base);
  const res = await s.enroll(code);
  expect(res.status).toBe(200);
  return { station: s, exportKey: ((await res.json()) as { exportKey: string }).exportKey };
}

/** A station just enrolled, whose first chained batch HQ holds (so HQ holds its chain's head). */
async function freshStation(): Promise<void> {
  station = (await enrolled()).station;
  journal = new HeldJournal();
  const run = journal.next(0, 4);
  const { body } = station.batchBody(run.records as never, { prevHash: run.prevHash, chainHead: run.chainHead, headSeq: run.toSeq });
  expect((await station.send(station.sign('POST', HQ_PATHS.batches, body))).status).toBe(200);
  journal.took(run);
}

beforeAll(async () => {
  const dataDir = tempDir('hq-export2-fuzz-');
  hq = await createHqServer({ dataDir });
  base = await hq.listen(0);
  hqDb = new Database(path.join(dataDir, 'hq.sqlite'), { readonly: true });
  const first = await enrolled();
  other = first.station;
  exportKey = createPublicKey({ key: Buffer.from(first.exportKey, 'base64'), format: 'der', type: 'spki' });
  await freshStation();
});
afterAll(async () => {
  hqDb.close();
  await hq.close();
});

/** The export inside a file, as `station export` writes it (without the chain head: HQ takes the last record's hash). */
function payloadOf(run: Chained): Json {
  const { chainHead: _head, ...rest } = run;
  return { type: 'station.export', version: 1, stationId: station.stationId, createdAt: new Date().toISOString(), headSeq: run.toSeq, ...rest, publicKey: station.publicKeyPem };
}

type Sealing = { to: KeyObject; boundTo: string; outerStation: string; signer: KeyObject };

/** The file: the gzip export encrypted to `to` with `boundTo` as associated data, named `outerStation`, signed by `signer`. */
function seal(gz: Buffer, s: Partial<Sealing> = {}, alter?: (f: Json) => void): Json {
  const sealed = encryptExport(s.to ?? exportKey, s.boundTo ?? station.stationId, gz) as unknown as Json;
  sealed.stationId = s.outerStation ?? station.stationId;
  alter?.(sealed);
  return { ...sealed, signature: sign(null, Buffer.from(exportSignedText(sealed as never)), s.signer ?? station.privateKey).toString('base64') };
}

const gzipJson = (v: unknown): Buffer => zlib.gzipSync(typeof v === 'string' ? v : JSON.stringify(v));
const flipBase64 = (text: string, bit: number): string => {
  const b = Buffer.from(text, 'base64');
  if (b.length === 0) return 'AA==';
  b[(bit >> 3) % b.length]! ^= 1 << (bit & 7);
  return b.toString('base64');
};

/** What HQ decides on of a file: every field, its base64 fields by the bytes they decode to where HQ reads bytes. */
function filePart(file: unknown): string | null {
  if (!isObject(file)) return null;
  const decoded = (v: unknown) => (typeof v === 'string' ? `bytes:${Buffer.from(v, 'base64').toString('hex')}` : v);
  return canonicalJson({ ...file, export: decoded(file.export), signature: decoded(file.signature), keys: Object.keys(file).sort() });
}

/**
 * One change to a valid file. `inner`: the export inside as HQ would read it, when the change
 * keeps it readable; `valid`: the change leaves a file HQ must import.
 */
type Change = { name: string; make(run: Chained, acked: number): { file: Buffer; inner: unknown; valid: boolean; sameFile: boolean } };

const whole = (file: Json): Buffer => Buffer.from(JSON.stringify(file));
const oddValue = fc.oneof(jsonValue(1), anyText(12), bytes(40).map((b) => b.toString('base64')), fc.constantFrom('', '=', 'AAAA', 'A'.repeat(1 << 20), 2, null));

const changes: fc.Arbitrary<Change> = fc
  .oneof(
    { weight: 1, arbitrary: fc.constant<Change>({ name: 'none', make: (run) => ({ file: whole(seal(gzipJson(payloadOf(run)))), inner: payloadOf(run), valid: true, sameFile: true }) }) },
    // The file as it lies on the stick: nothing signed again.
    {
      weight: 3,
      arbitrary: fc.record({ field: fc.constantFrom(...FIELDS, 'extra'), how: fc.constantFrom('flip', 'odd', 'drop'), bit: fc.nat(), value: oddValue }).map(
        ({ field, how, bit, value }): Change => ({
          name: `file field ${fc.stringify({ field, how, bit, value: typeof value === 'string' && value.length > 64 ? `${value.length} chars` : value })}`,
          make(run) {
            const valid = seal(gzipJson(payloadOf(run)));
            const f = structuredClone(valid);
            if (how === 'drop') delete f[field];
            else if (how === 'odd' || typeof f[field] !== 'string' || field === 'stationId' || field === 'cipher') f[field] = value;
            else f[field] = flipBase64(f[field] as string, bit);
            return { file: whole(f), inner: payloadOf(run), valid: false, sameFile: filePart(f) === filePart(valid) };
          },
        }),
      ),
    },
    {
      weight: 2,
      arbitrary: fc
        .record({ where: fc.nat(), how: fc.constantFrom('byte', 'cut', 'splice', 'doubled', 'reordered'), byte: fc.integer({ min: 0, max: 255 }), piece: fc.oneof(anyText(6), fc.constantFrom(',', '}', '"', '\\u0000', '1e999', '"version":2,')), field: fc.constantFrom(...FIELDS) })
        .map(
          ({ where, how, byte, piece, field }): Change => ({
            name: `file text ${fc.stringify({ where, how, byte, piece, field })}`,
            make(run) {
              const valid = seal(gzipJson(payloadOf(run)));
              const text = JSON.stringify(valid);
              const i = where % text.length;
              let out: string;
              if (how === 'cut') out = text.slice(0, i);
              else if (how === 'splice') out = text.slice(0, i) + piece + text.slice(i);
              else if (how === 'byte') out = text.slice(0, i) + String.fromCharCode(byte) + text.slice(i + 1);
              // A field twice, the first one garbage: JSON.parse keeps the last, as HQ reads it.
              else if (how === 'doubled') out = `{${JSON.stringify(field)}:${JSON.stringify(piece)},${text.slice(1)}`;
              else out = JSON.stringify(Object.fromEntries(Object.entries(valid).reverse()));
              let parsed: unknown;
              try {
                parsed = JSON.parse(out);
              } catch {
                parsed = undefined;
              }
              return { file: Buffer.from(out), inner: payloadOf(run), valid: how === 'reordered', sameFile: filePart(parsed) === filePart(valid) };
            },
          }),
        ),
    },
    // The sealing, signed again: as a station (or someone with its key) would make it.
    {
      weight: 2,
      arbitrary: fc.record({ how: fc.constantFrom('another HQ', 'another station bound in', 'another station signs', 'named as another station', 'named as no station', 'ciphertext', 'tag', 'iv', 'tag cut'), bit: fc.nat() }).map(
        ({ how, bit }): Change => ({
          name: `sealing ${fc.stringify({ how, bit })}`,
          make(run) {
            const gz = gzipJson(payloadOf(run));
            const alter = (key: 'export' | 'tag' | 'iv') => (f: Json) => (f[key] = flipBase64(f[key] as string, bit));
            const altered = { ciphertext: 'export', tag: 'tag', iv: 'iv' } as const;
            const file =
              how === 'another HQ'
                ? seal(gz, { to: generateKeyPairSync('x25519').publicKey })
                : how === 'another station bound in'
                  ? seal(gz, { boundTo: other.stationId })
                  : how === 'another station signs'
                    ? seal(gz, { signer: other.privateKey })
                    : how === 'named as another station'
                      ? seal(gz, { outerStation: other.stationId })
                      : how === 'named as no station'
                        ? seal(gz, { outerStation: 'no-such-station' })
                        : how === 'tag cut'
                          ? seal(gz, {}, (f) => (f.tag = Buffer.from(f.tag as string, 'base64').subarray(0, 4 + (bit % 12)).toString('base64')))
                          : seal(gz, {}, alter(altered[how]));
            return { file: whole(file), inner: payloadOf(run), valid: false, sameFile: false };
          },
        }),
      ),
    },
    // The export inside: its journal chain changed, as a station with a tampered journal would write and sign it.
    {
      weight: 4,
      arbitrary: chainMutations.map(
        (m): Change => ({
          name: `inside: ${m.name}`,
          make(run, acked) {
            const text = (c: Chained) => JSON.stringify(payloadOf(c));
            const out = m.apply(structuredClone(run), { acked, headCarried: false, text });
            const inner = 'text' in out ? parseOrUndefined(out.text) : isObject(out.value) ? payloadOf(out.value as Chained) : out.value;
            const gz = gzipJson('text' in out ? out.text : inner);
            return { file: whole(seal(gz)), inner, valid: !('text' in out) && out.valid, sameFile: false };
          },
        }),
      ),
    },
    // The export inside: its envelope.
    {
      weight: 2,
      arbitrary: fc.record({ field: fc.constantFrom('type', 'version', 'stationId', 'createdAt', 'fromSeq', 'toSeq', 'headSeq', 'records', 'publicKey', 'extra'), value: fc.oneof(oddValue, fc.constantFrom('station.batch', 2, 0, -1, 1e300, '2026-01-01T00:00:00Z')) }).map(
        ({ field, value }): Change => ({
          name: `inside envelope ${fc.stringify({ field, value: typeof value === 'string' && value.length > 64 ? `${value.length} chars` : value })}`,
          make(run) {
            const inner = { ...payloadOf(run), [field]: field === 'stationId' && value === null ? other.stationId : value };
            return { file: whole(seal(gzipJson(inner))), inner, valid: false, sameFile: false };
          },
        }),
      ),
    },
    // Not gzip, or gzip of anything.
    {
      weight: 1,
      arbitrary: fc.oneof(bytes(200), jsonValue(2).map(gzipJson), bytes(100).map((b) => Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), b]))).map(
        (gz): Change => ({ name: `inside not an export (${gz.length} bytes)`, make: () => ({ file: whole(seal(gz)), inner: undefined, valid: false, sameFile: false }) }),
      ),
    },
  )
  .map((c) => Object.assign(c, { [fc.toStringMethod]: () => c.name }));

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

describe('export files of version 2 (fuzz)', () => {
  it(
    'imports a file only when what HQ would hold of it is the valid file’s; refuses any other with a code, storing nothing',
    async () => {
      let imported = 0;
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 5 }), changes, async (overlap, fresh, change) => {
          if (journal.held.length > 150) await freshStation();
          const run = journal.next(overlap, fresh);
          const acked = journal.held.length;
          const { file, inner, valid, sameFile } = change.make(run, acked);
          const mayTake = valid || sameFile || (inner !== undefined && chainPart(inner, false) === chainPart(payloadOf(run), false));
          const before = stationHoldings(hqDb, station.stationId);
          const outcome = await hq.importExport(file);
          if (outcome.ok) {
            // What HQ took is what it holds now, whether it should have or not: later runs build on it.
            journal.took(inner as Chained);
            expect(mayTake, `${change.name}: imported`).toBe(true);
            expect(outcome).toMatchObject({ stationId: station.stationId, ackedThrough: Math.max(acked, (inner as Chained).toSeq) });
            imported++;
            return;
          }
          expect(valid, `${change.name}: refused ${JSON.stringify(outcome)}`).toBe(false);
          expect(IMPORT_ERRORS, change.name).toContain(outcome.error);
          expect(stationHoldings(hqDb, station.stationId), change.name).toBe(before);
          expect((await hq.store.station(station.stationId))!.ackedThrough).toBe(acked);
        }),
        fuzzOptions(150),
      );
      expect(imported).toBeGreaterThan(0);
    },
    fuzzTimeout(40_000),
  );

  it('refuses a file whose export inflates past HQ’s bound, once it is known to be the station’s', async () => {
    // Gzip members one after another inflate as one stream: a megabyte of zeros, compressed once, repeated.
    const member = zlib.gzipSync(Buffer.alloc(1 << 20));
    const bomb = Buffer.concat(Array.from({ length: MAX_DECOMPRESSED_BYTES / (1 << 20) + 1 }, () => member));
    const before = stationHoldings(hqDb, station.stationId);
    expect(await hq.importExport(whole(seal(bomb)))).toMatchObject({ ok: false, error: 'body.tooLarge' });
    expect(stationHoldings(hqDb, station.stationId)).toBe(before);
  });
});

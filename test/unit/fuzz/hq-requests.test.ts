import Database from 'better-sqlite3-multiple-ciphers';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HQ_PATHS } from '../../../hq/protocol';
import { createHqServer, type HqServer } from '../../../hq/server';
import { tempDir } from '../../helpers/core';
import { SimStation, samplingJournal } from '../hq/fixtures';
import { anyText, bytes, COMMON_PIECES, databaseDigest, fuzzOptions, fuzzTimeout, idNumber, jsonValue, piecesText } from './arbitraries';

const ADMIN = 'fuzz-admin-token';
/** Written by any signed request, accepted or not: HQ remembers signatures to refuse replays. */
const SIGNATURES = ['seen_signature'];

let hq: HqServer;
let base: string;
let hqDb: Database.Database;
let station: SimStation;

beforeAll(async () => {
  const dataDir = tempDir('hq-fuzz-');
  hq = await createHqServer({ dataDir, adminToken: ADMIN });
  base = await hq.listen(0);
  const { code } = await hq.createEnrollmentCode('site-fuzz', '模糊测试社区');
  station = new SimStation(base);
  expect((await station.enroll(code)).status).toBe(200);
  hqDb = new Database(path.join(dataDir, 'hq.sqlite'), { readonly: true });
});
afterAll(async () => {
  hqDb.close();
  await hq.close();
});

type Answer = { status: number; json: Record<string, unknown> };

async function answer(res: Response): Promise<Answer> {
  const text = await res.text();
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    json = { text };
  }
  return { status: res.status, json };
}

/** HQ's refusal: a 4xx status and a code the dashboard and the stations have words for; never a 5xx or a stack. */
function expectClearRefusal(a: Answer): void {
  expect(a.status, JSON.stringify(a.json)).toBeGreaterThanOrEqual(400);
  expect(a.status).toBeLessThan(500);
  expect(a.json.error).toMatch(/^[a-z]+\.[a-zA-Z]+$/);
  if (typeof a.json.detail === 'string') expect(a.json.detail).not.toMatch(/\n\s+at /);
}

/** A body as HQ's routes may get one: any bytes, any JSON, or JSON objects close to what a route takes. */
function bodyNear(shape: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Buffer> {
  const field = (arb: fc.Arbitrary<unknown>) => fc.oneof({ weight: 3, arbitrary: arb }, jsonValue(2), anyText(30));
  const near = fc.record(Object.fromEntries(Object.entries(shape).map(([k, arb]) => [k, field(arb)])), { requiredKeys: [] });
  const extra = fc.dictionary(fc.constantFrom('extra', '__proto__', 'type'), jsonValue(1), { maxKeys: 1 });
  return fc.oneof(
    bytes(300),
    jsonValue(3).map((v) => Buffer.from(JSON.stringify(v))),
    fc.tuple(near, extra).map(([n, e]) => Buffer.from(JSON.stringify({ ...n, ...e }))),
    piecesText(COMMON_PIECES).map((t) => Buffer.from(t)),
  );
}

const text = (max: number) => fc.string({ maxLength: max });

describe('HQ request bodies (fuzz)', () => {
  it(
    'enroll: any body is refused with a clear code and nothing stored',
    async () => {
      const body = bodyNear({ code: text(70), publicKey: fc.constantFrom(station.publicKeyPem, '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----'), stationName: text(210), localStationId: text(130) });
      await fc.assert(
        fc.asyncProperty(body, fc.constantFrom('application/json', 'text/plain', ''), async (b, type) => {
          const before = databaseDigest(hqDb);
          const a = await answer(await fetch(`${base}${HQ_PATHS.enroll}`, { method: 'POST', headers: type ? { 'content-type': type } : {}, body: b }));
          expectClearRefusal(a);
          expect(databaseDigest(hqDb)).toBe(before);
        }),
        fuzzOptions(60),
      );
    },
    fuzzTimeout(),
  );

  /** A record of the sampling journal with one field of its envelope or payload replaced by something odd. */
  const sample = samplingJournal(12, { capacity: 5 });
  const oddRecord = fc
    .tuple(fc.constantFrom(...sample), fc.constantFrom('kind', 'entityId', 'operatorId', 'at', 'payload', 'extra', 'p.code', 'p.capacity', 'p.idNumber', 'p.tubeId', 'p.name'), fc.option(jsonValue(2)))
    .map(([r, key, value]) => {
      const out = JSON.parse(JSON.stringify(r)) as Record<string, unknown>;
      const target = key.startsWith('p.') ? (out.payload as Record<string, unknown>) : out;
      const k = key.replace(/^p\./, '');
      if (value === null) delete target[k];
      else target[k] = value;
      return out;
    });

  it(
    'batches: any signed body, gzip or not, is acknowledged, answered with a gap, or refused with a clear code; a refusal stores nothing',
    async () => {
      let nextSeq = 1;
      const batch = fc.oneof(
        fc.record({ raw: bytes(400), gzip: fc.boolean() }),
        fc.record({ raw: jsonValue(3).map((v) => Buffer.from(JSON.stringify(v))), gzip: fc.boolean() }),
        fc
          .record({
            records: fc.array(fc.oneof(oddRecord, fc.constantFrom(...sample)), { minLength: 1, maxLength: 6 }),
            from: fc.constantFrom('next', 'gap', 'old', 'zero'),
            stationId: fc.constantFrom('own', 'other', 'missing'),
            batchId: fc.constantFrom(randomUUID(), 'not-a-uuid'),
            covered: fc.boolean(),
            gzip: fc.boolean(),
          })
          .map((b) => {
            const from = b.from === 'next' ? nextSeq : b.from === 'gap' ? nextSeq + 3 : b.from === 'old' ? Math.max(1, nextSeq - 2) : 0;
            const records = b.records.map((r, i) => ({ ...r, seq: from + i }));
            const json: Record<string, unknown> = { type: 'station.batch', batchId: b.batchId, fromSeq: from, toSeq: from + records.length - (b.covered ? 1 : 0), records };
            if (b.stationId === 'own') json.stationId = station.stationId;
            else if (b.stationId === 'other') json.stationId = randomUUID();
            return { raw: Buffer.from(JSON.stringify(json)), gzip: b.gzip };
          }),
      );
      await fc.assert(
        fc.asyncProperty(batch, async ({ raw, gzip }) => {
          const body = gzip ? zlib.gzipSync(raw) : raw;
          const req = station.sign('POST', HQ_PATHS.batches, body);
          if (!gzip) delete req.headers['content-encoding'];
          const before = databaseDigest(hqDb, SIGNATURES);
          const a = await station.send(req);
          if (a.status === 200) {
            expect(a.json).toMatchObject({ type: 'hq.ack', stationId: station.stationId });
            nextSeq = (a.json.ackedThrough as number) + 1;
            return;
          }
          if (a.status === 409) expect(a.json).toMatchObject({ type: 'hq.gap', expectedSeq: nextSeq });
          else expectClearRefusal(a);
          expect(databaseDigest(hqDb, SIGNATURES)).toBe(before);
        }),
        {
          ...fuzzOptions(100),
          // A whole valid batch first, so the property always sees an acknowledgement and then batches after it.
          examples: [[{ raw: Buffer.from(JSON.stringify({ type: 'station.batch', batchId: randomUUID(), stationId: station.stationId, fromSeq: 1, toSeq: sample.length, records: sample.map((r, i) => ({ ...r, seq: 1 + i })) })), gzip: false }]],
        },
      );
      // Some of the valid-looking batches went in: the property saw acknowledgements, not only refusals.
      expect(nextSeq).toBeGreaterThan(1);
    },
    fuzzTimeout(40_000),
  );

  it(
    'batches: a body that is not gzip, or inflates past the bound, is refused',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(bytes(200), bytes(200).map((b) => Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), b]))), async (body) => {
          const before = databaseDigest(hqDb, SIGNATURES);
          const a = await station.send(station.sign('POST', HQ_PATHS.batches, body));
          expectClearRefusal(a);
          expect(databaseDigest(hqDb, SIGNATURES)).toBe(before);
        }),
        fuzzOptions(50),
      );
    },
    fuzzTimeout(),
  );

  it(
    'signed GETs: any feed, roster or site-day query is answered or refused with a clear code',
    async () => {
      const query = fc.array(fc.tuple(fc.constantFrom('after', 'limit', 'head', 'day', 'x', ''), fc.oneof(fc.constantFrom('-1', '0', '1e3', '1.5', 'NaN', '99999999999999999999', '', '2026-11-20', '2026-02-30'), anyText(6))), { maxLength: 4 });
      const pathOf = fc.constantFrom(HQ_PATHS.feed, HQ_PATHS.siteDay, `${HQ_PATHS.roster}/${randomUUID()}`, `${HQ_PATHS.roster}/..%2F..`, `${HQ_PATHS.roster}/%00`);
      await fc.assert(
        fc.asyncProperty(pathOf, query, async (p, q) => {
          const search = new URLSearchParams(q).toString();
          const a = await station.send(station.sign('GET', search ? `${p}?${search}` : p, Buffer.alloc(0)));
          if (a.status === 200) expect(['hq.feed', 'hq.roster', 'hq.siteDay']).toContain(a.json.type);
          else expectClearRefusal(a);
        }),
        fuzzOptions(80),
      );
    },
    fuzzTimeout(),
  );

  it(
    'signed requests with odd headers are refused as unknown, unsigned or stale, and store nothing',
    async () => {
      const header = fc.oneof(anyText(20), fc.constantFrom('', '0', '-1', '1e3', '99999999999999999', 'AAAA', station.stationId));
      await fc.assert(
        fc.asyncProperty(fc.record({ id: header, ts: header, sig: header }, { requiredKeys: [] }), async (h) => {
          const headers: Record<string, string> = {};
          // fetch refuses header values it cannot send; such a request never reaches HQ.
          for (const [k, v] of Object.entries({ 'x-station-id': h.id, 'x-station-timestamp': h.ts, 'x-station-signature': h.sig })) if (v !== undefined && /^[\x20-\x7e]*$/.test(v)) headers[k] = v;
          const before = databaseDigest(hqDb);
          const a = await answer(await fetch(`${base}${HQ_PATHS.batches}`, { method: 'POST', headers, body: zlib.gzipSync('{}') }));
          expectClearRefusal(a);
          expect(['station.unknown', 'signature.invalid', 'timestamp.stale']).toContain(a.json.error);
          expect(databaseDigest(hqDb)).toBe(before);
        }),
        fuzzOptions(50),
      );
    },
    fuzzTimeout(),
  );

  const admin = (p: string, body: Buffer, query = '') =>
    fetch(`${base}${p}${query}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body }).then(answer);

  it(
    'admin JSON: any body to any admin endpoint is done or refused with a clear code',
    async () => {
      const routes: [string, fc.Arbitrary<Buffer>][] = [
        [HQ_PATHS.adminCodes, bodyNear({ siteId: fc.constantFrom('site-fuzz', 'site-new'), siteName: text(20), ttlHours: fc.double() })],
        [HQ_PATHS.adminResults, bodyNear({ tubeCode: fc.constantFrom('SY0010000001', 'nope'), result: fc.constantFrom('negative', 'positive', 'invalid', 'maybe') })],
        [HQ_PATHS.adminKeyPersons, bodyNear({ siteId: fc.constantFrom('site-fuzz', 'nope'), listId: text(10), persons: fc.array(fc.record({ idNumber, name: text(10), reason: text(10) }), { maxLength: 3 }) })],
        [HQ_PATHS.adminSiteConfig, bodyNear({ siteId: fc.constant('site-fuzz'), name: text(20), config: jsonValue(3) })],
        [HQ_PATHS.adminStations, bodyNear({ stationId: fc.constant(station.stationId), number: fc.integer({ min: -5, max: 1200 }), name: text(70) })],
        [HQ_PATHS.adminRounds, bodyNear({ siteId: fc.constantFrom('site-fuzz', 'nope'), name: text(70), startsOn: fc.constantFrom('2026-01-01', '2026-02-30', 'x'), endsOn: fc.constantFrom('2025-01-01', '2026-12-31') })],
        [`${HQ_PATHS.adminRounds}/close`, bodyNear({ roundId: text(20) })],
        [`${HQ_PATHS.adminTubeConflicts}/resolve`, bodyNear({ code: text(20), stationId: fc.constant(station.stationId), note: text(30) })],
        [`${HQ_PATHS.adminCoverage}/${randomUUID()}/exempt`, bodyNear({ idNumber, reason: fc.constantFrom('away', 'hospital', null, 'x'), note: text(210) })],
      ];
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...routes).chain(([p, body]) => body.map((b) => [p, b] as const)), async ([p, body]) => {
          const a = await admin(p, body);
          if (a.status !== 200) expectClearRefusal(a);
        }),
        fuzzOptions(200),
      );
    },
    fuzzTimeout(40_000),
  );

  it(
    'admin roster upload: any ledger bytes and query are read or refused with a file code; nothing is put in use',
    async () => {
      const query = fc.record({
        siteId: fc.constantFrom('site-fuzz', '', 'nope'),
        fileName: anyText(20),
        mapping: fc.option(fc.oneof(anyText(30), jsonValue(2).map((v) => JSON.stringify(v)), fc.constant('{"姓名":"name","x":"nothing"}'))),
      });
      const ledger = fc.oneof(bytes(600), piecesText([...COMMON_PIECES, '姓名', '身份证号', '楼栋', '单元', '房号'], 40).map((t) => Buffer.from(t)));
      await fc.assert(
        fc.asyncProperty(query, ledger, async (q, body) => {
          const search = new URLSearchParams({ siteId: q.siteId, fileName: q.fileName, ...(q.mapping !== null ? { mapping: q.mapping } : {}) });
          const a = await admin(HQ_PATHS.adminRoster, body, `?${search.toString()}`);
          if (a.status !== 200) return expectClearRefusal(a);
          const roster = a.json.roster as { state: string; failure: { code: string } | null };
          expect(['ready', 'failed', 'needsMapping']).toContain(roster.state);
          if (roster.failure) expect(roster.failure.code).not.toBe('internal');
          expect(hqDb.prepare(`SELECT COUNT(*) FROM roster_import WHERE state = 'current'`).pluck().get()).toBe(0);
        }),
        fuzzOptions(40, 10_000),
      );
    },
    fuzzTimeout(40_000),
  );
  it(
    'lab results: any request with a live token, and any result file, is taken or refused with a clear code; a refusal posts no result',
    async () => {
      // A desk of its own with one tube, SY0010000001, so that some rows can be posted.
      const desk = new SimStation(base, '结果台');
      expect((await desk.enroll((await hq.createEnrollmentCode('site-fuzz')).code)).status).toBe(200);
      expect((await desk.upload(samplingJournal(23))).status).toBe(200);
      const issued = await admin(HQ_PATHS.adminLabTokens, Buffer.from(JSON.stringify({ lab: '模糊检验所' })));
      const token = String(issued.json.token);
      const results = () => hqDb.prepare('SELECT COUNT(*) FROM result').pluck().get();
      const row = fc.record({
        tubeCode: fc.constantFrom('SY0010000001', 'nope', '', 'SY 1'),
        result: fc.constantFrom('阴性', '阳性(+)', 'invalid', '', '?'),
        at: fc.constantFrom(new Date().toISOString(), '2026-02-30 10:00', '', 'x'),
      });
      const request = bodyNear({ lab: fc.constantFrom('模糊检验所', '别的', ''), results: fc.array(row, { maxLength: 5 }), goodRowsOnly: fc.boolean() });
      await fc.assert(
        fc.asyncProperty(request, async (body) => {
          const before = results();
          const a = await answer(await fetch(`${base}${HQ_PATHS.labResults}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body }));
          if (a.status === 200) return;
          expectClearRefusal(a);
          expect(results()).toBe(before);
        }),
        fuzzOptions(60),
      );
      const file = fc.oneof(bytes(400), piecesText([...COMMON_PIECES, '试管编码', '检测结果', '检测时间', '检测机构', '阴性', 'SY0010000001', '2026-12-01 10:00'], 40).map((t) => Buffer.from(t)));
      await fc.assert(
        fc.asyncProperty(file, fc.boolean(), async (body, good) => {
          const before = results();
          const a = await admin(HQ_PATHS.adminResultFiles, body, good ? '?goodRowsOnly=1' : '');
          if (a.status === 200) return;
          expectClearRefusal(a);
          expect(results()).toBe(before);
        }),
        fuzzOptions(40),
      );
    },
    fuzzTimeout(40_000),
  );
});

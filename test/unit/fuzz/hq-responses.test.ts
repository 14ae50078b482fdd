import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ackSchema,
  feedResponseSchema,
  gapSchema,
  hqErrorSchema,
  isAckOf,
  MAX_FEED_LIMIT,
  parseFeedItem,
  rosterPageSchema,
  type FeedItem,
} from '../../../hq/protocol';
import { StationCore } from '../../../electron/core/core';
import { DomainError } from '../../../electron/core/errors';
import { answerJson, type Exchange } from '../../../electron/core/upload/client';
import { enrollAtHq } from '../../../electron/core/upload/enroll';
import { keyPath } from '../../../electron/core/upload/keys';
import { DEMO_SITE_CONFIG } from '../../../electron/core/site/config';
import { freshFolder, openCore, signInAdmin, tempDir } from '../../helpers/core';
import { hqSigner } from '../../helpers/hq-signer';
import { bindPeople } from '../../e2e/upload-env';
import { anyText, batchOf, bytes, fuzzOptions, fuzzTimeout, idNumber, jsonValue } from './arbitraries';

/** The stand-ins' HQ key: their answers are signed, so the station reads what they say. */
const signer = hqSigner();

/** What an answer to the station may be: HQ's, a portal's, a proxy's, or garbage. */
type FakeAnswer = { status: number; contentType: string; body: Buffer };

const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'text/html', 'text/plain', '');
const status = fc.constantFrom(200, 201, 204, 301, 400, 401, 403, 404, 409, 413, 429, 500, 503);

function exchangeOf(a: FakeAnswer): Exchange {
  return { kind: 'answer', status: a.status, contentType: a.contentType, body: a.body, retryAfterMs: null, dateMs: null, hqTimeMs: null, held: null, sentAt: 0, receivedAt: 0 };
}

describe('HQ answers as the station reads them (fuzz)', () => {
  it('parses any answer body without throwing, and takes nothing but an exact acknowledgement of its batch as one', () => {
    const batch = { batchId: '5f0b6d0e-3a7e-4a53-9b55-0d3cf3f7a001', stationId: 'station-1' };
    const ackLike = fc
      .record(
        {
          type: fc.constantFrom('hq.ack', 'hq.gap', 'hq.feed', 'x'),
          batchId: fc.constantFrom(batch.batchId, 'other', ''),
          stationId: fc.constantFrom(batch.stationId, 'station-2'),
          ackedThrough: fc.oneof(fc.integer({ min: -2, max: 1e6 }), fc.double(), fc.constant('5')),
          expectedSeq: fc.oneof(fc.integer({ min: -1, max: 1e6 }), fc.constant(null)),
          rejections: fc.oneof(fc.constant([]), fc.array(jsonValue(1), { maxLength: 2 })),
        },
        { requiredKeys: [] },
      )
      .map((o) => Buffer.from(JSON.stringify(o)));
    const body = fc.oneof(bytes(300), jsonValue(3).map((v) => Buffer.from(JSON.stringify(v))), ackLike, anyText(100).map((t) => Buffer.from(t)));
    fc.assert(
      fc.property(status, contentType, body, (s, type, b) => {
        const json = answerJson(exchangeOf({ status: s, contentType: type, body: b }));
        if (isAckOf(json, batch)) {
          const ack = ackSchema.parse(json);
          expect(ack).toMatchObject(batch);
          expect(Number.isSafeInteger(ack.ackedThrough)).toBe(true);
        }
        gapSchema.safeParse(json);
        hqErrorSchema.safeParse(json);
        rosterPageSchema.safeParse(json);
        const feed = feedResponseSchema.safeParse(json);
        if (feed.success) for (const item of feed.data.items) parseFeedItem(item);
      }),
      fuzzOptions(1000),
    );
  });

  describe('enrollment', () => {
    let server: http.Server;
    let url: string;
    let next: FakeAnswer = { status: 500, contentType: '', body: Buffer.alloc(0) };
    beforeAll(async () => {
      // Signed by the key the code names, so that what is fuzzed is the answer itself.
      server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const signed = signer.headers({ headers: req.headers, body: Buffer.concat(chunks) }, next.status, next.body);
          res.writeHead(next.status, { ...signed, ...(next.contentType ? { 'content-type': next.contentType } : {}) }).end(next.body);
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it(
      'refuses any answer that is not HQ enrolling it with an enrollment code, and keeps no key',
      async () => {
        const enrolled = fc.record(
          {
            type: fc.constantFrom('station.enrolled', 'x'),
            stationId: fc.oneof(fc.string({ maxLength: 8 }), fc.integer()),
            siteId: fc.string({ maxLength: 8 }),
            siteName: fc.oneof(fc.string(), fc.constant(null)),
            stationNumber: fc.oneof(fc.integer({ min: -1, max: 1001 }), fc.double()),
            stationName: fc.oneof(fc.string({ maxLength: 70 }), fc.constant('  ')),
          },
          { requiredKeys: [] },
        );
        const refusal = fc.record({ error: fc.constantFrom('enroll.codeInvalid', 'enroll.codeUsed', 'enroll.codeExpired', 'enroll.siteFull', 'internal', 'body.invalid', 'x'), hqTime: fc.integer() }, { requiredKeys: ['error'] });
        const body = fc.oneof(bytes(200), jsonValue(2).map((v) => Buffer.from(JSON.stringify(v))), fc.oneof(enrolled, refusal).map((o) => Buffer.from(JSON.stringify(o))));
        await fc.assert(
          fc.asyncProperty(status, contentType, body, async (s, type, b) => {
            next = { status: s, contentType: type, body: b };
            const dataDir = tempDir('enroll-fuzz-');
            try {
              const done = await enrollAtHq({ dataDir, hqUrl: url, code: signer.code(), stationName: '采样台', localStationId: 'local-1', timeoutMs: 2000 });
              // Only HQ's exact answer enrolls: 200, JSON, every field of the protocol's shape.
              expect(s).toBe(200);
              expect(done.type).toBe('station.enrolled');
              expect(fs.existsSync(keyPath(dataDir))).toBe(true);
            } catch (err) {
              expect(err).toBeInstanceOf(DomainError);
              expect((err as DomainError).code).toMatch(/^enroll\.(notHq|wrongHq|codeInvalid|codeUsed|codeExpired|siteFull|hqUnreachable)$/);
              expect(fs.existsSync(keyPath(dataDir))).toBe(false);
            }
            expect(fs.existsSync(`${keyPath(dataDir)}.pending`)).toBe(false);
          }),
          fuzzOptions(80),
        );
      },
      fuzzTimeout(),
    );
  });

  describe('feed items applied at a station', () => {
    let core: StationCore | undefined;
    afterEach(() => core?.close());

    const iso = fc.date({ min: new Date('2020-01-01'), max: new Date('2035-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
    const day = iso.map((d) => d.slice(0, 10));
    const id = fc.oneof(fc.constantFrom('site-1', 'round-1', 'demo-site', 'tube-1'), fc.string({ minLength: 1, maxLength: 10 }), fc.uuid());
    const mark = fc.stringMatching(/^[A-Za-z0-9_-]{22}$/);
    const payloads: Record<FeedItem['kind'], fc.Arbitrary<unknown>> = {
      'tube.result': fc.record({ tubeCode: fc.constantFrom('SY0000000001', 'SY0000000002', 'x'), result: fc.constantFrom('negative', 'positive', 'invalid'), at: iso, stationId: fc.option(id, { nil: undefined }), tubeId: fc.option(id, { nil: undefined }) }),
      'keyperson.list': fc.record({ listId: id, persons: fc.array(fc.record({ idNumber: fc.oneof(idNumber, fc.string({ minLength: 1, maxLength: 64 })), name: fc.string({ maxLength: 20 }), reason: fc.string({ maxLength: 20 }) }), { maxLength: 4 }) }),
      'site.config': fc.record({ siteId: id, name: fc.string({ maxLength: 20 }), config: fc.oneof(jsonValue(2).filter((v) => typeof v === 'object' && v !== null && !Array.isArray(v)), fc.constant({ ...DEMO_SITE_CONFIG, tube: { pattern: '^(a+)+$', generate: { prefix: 'SY', digits: 10 } } }), fc.constant(DEMO_SITE_CONFIG)) }),
      'site.keys': fc.record({ siteId: id, markKey: fc.stringMatching(/^[A-Za-z0-9_-]{43}$/) }),
      'station.identity': fc.record({ siteId: id, siteName: fc.string({ maxLength: 30 }), number: fc.integer({ min: 1, max: 999 }), name: fc.string({ minLength: 1, maxLength: 60 }) }),
      'round.started': fc.record({ roundId: id, siteId: id, name: fc.string({ minLength: 1, maxLength: 60 }), startsOn: fc.option(day), endsOn: fc.option(day), startedAt: iso, startedBy: fc.string({ maxLength: 20 }), closedAt: fc.option(iso) }),
      'round.closed': fc.record({ roundId: id, siteId: id, closedAt: iso }),
      'round.marks': fc.record({ roundId: id, stationNumber: fc.integer({ min: 1, max: 999 }), stationName: fc.string({ maxLength: 20 }), add: fc.array(fc.record({ b: id, m: mark, at: iso }), { maxLength: 4 }), remove: fc.array(id, { maxLength: 3 }) }),
      'coverage.exemptions': fc.record({ roundId: id, set: fc.array(fc.record({ m: mark, reason: fc.constantFrom('away', 'hospital', 'sampledAtHome', 'other'), note: fc.string({ maxLength: 20 }) }), { maxLength: 3 }), lifted: fc.array(mark, { maxLength: 3 }) }),
      'roster.version': fc.record({ importId: fc.uuid(), siteId: id, rows: fc.integer({ min: 0, max: 5_000_000 }), fileName: fc.string({ maxLength: 20 }), source: fc.constantFrom('hq', 'station'), appliedAt: iso }),
      'operator.state': fc.record({
        operatorId: id,
        siteId: id,
        code: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/), fc.constantFrom('A1', 'ADMIN')),
        name: fc.string({ minLength: 1, maxLength: 50 }),
        role: fc.constantFrom('collector', 'sampler', 'gatekeeper', 'transporter', 'admin'),
        badge: fc.option(fc.constantFrom('OP0001', 'OP0002', 'x'), { nil: null }),
        // A real Argon2id string at the site's parameters, or one HQ's schema refuses.
        pinHash: fc.constantFrom('$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA', '$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA', 'x'),
        disabled: fc.boolean(),
        lockedOut: fc.boolean(),
        updatedAt: iso,
      }),
      // Passes of the site's other stations: until before from (a station never takes it), the same pass or code twice, a revocation for a pass unknown.
      'pass.issued': fc.record({
        passId: fc.constantFrom('pass-1', 'pass-2'),
        siteId: id,
        code: fc.constantFrom('CRZ-002-00000000000000000000000000', 'CRZ-002-11111111111111111111111111', 'x'),
        household: fc.string({ maxLength: 20 }),
        idNumber,
        name: fc.string({ maxLength: 20 }),
        validFrom: iso,
        validUntil: iso,
        stationId: id,
        stationNumber: fc.integer({ min: 1, max: 999 }),
        stationName: fc.string({ maxLength: 20 }),
        issuedAt: iso,
      }),
      'pass.revoked': fc.record({
        passId: fc.constantFrom('pass-1', 'pass-2', 'pass-3'),
        siteId: id,
        code: fc.constantFrom('CRZ-002-00000000000000000000000000', 'x'),
        reason: fc.string({ maxLength: 20 }),
        stationId: id,
        stationName: fc.string({ maxLength: 20 }),
        revokedAt: iso,
      }),
      // Door visits at the site's other stations: of rounds and households unknown here, the same visit twice, this station's own.
      'door.visit': fc.record({
        visitId: fc.constantFrom('visit-1', 'visit-2'),
        siteId: id,
        roundId: id,
        stationId: id,
        stationNumber: fc.integer({ min: 1, max: 999 }),
        stationName: fc.string({ maxLength: 20 }),
        building: fc.string({ minLength: 1, maxLength: 20 }),
        unit: fc.string({ maxLength: 20 }),
        room: fc.string({ maxLength: 20 }),
        mark: fc.option(mark, { nil: null }),
        outcome: fc.constantFrom('sampled', 'notHome', 'refused'),
        reason: fc.option(fc.string({ maxLength: 20 }), { nil: null }),
        revisitAt: fc.option(iso, { nil: null }),
        at: iso,
      }),
      // Isolations of the site's other stations and HQ's: the last day before the first, the same isolation twice, an end or a reading of an isolation unknown.
      'isolation.started': fc.record({
        isolationId: fc.constantFrom('iso-1', 'iso-2'),
        siteId: id,
        subject: fc.constantFrom('household', 'person'),
        household: fc.string({ maxLength: 20 }),
        persons: fc.array(fc.record({ personId: fc.constantFrom('ip-1', 'ip-2'), idNumber, name: fc.string({ maxLength: 20 }) }), { minLength: 1, maxLength: 3 }),
        reason: fc.string({ maxLength: 20 }),
        startDay: fc.constantFrom('2026-12-01', '2026-12-14', 'x'),
        untilDay: fc.constantFrom('2026-12-01', '2026-12-14'),
        samplingDays: fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 5 }),
        stationId: fc.option(id, { nil: null }),
        stationName: fc.string({ maxLength: 20 }),
        startedAt: iso,
      }),
      'isolation.ended': fc.record({ isolationId: fc.constantFrom('iso-1', 'iso-3'), siteId: id, reason: fc.string({ maxLength: 20 }), stationName: fc.string({ maxLength: 20 }), endedAt: iso }),
      'isolation.reading': fc.record({
        readingId: fc.constantFrom('rd-1', 'rd-2'),
        siteId: id,
        isolationId: fc.constantFrom('iso-1', 'iso-3'),
        personId: fc.constantFrom('ip-1', 'ip-3'),
        day: fc.constantFrom('2026-12-01', 'x'),
        slot: fc.constantFrom('morning', 'evening', 'noon'),
        celsius: fc.double({ min: 20, max: 50, noNaN: true }),
        source: fc.constantFrom('typed', 'thermometer'),
        stationName: fc.string({ maxLength: 20 }),
        at: iso,
      }),
      'tube.conflict': fc.record({
        code: fc.constantFrom('SY0000000001', 'SY0000000002'),
        tubeId: id,
        openedAt: iso,
        later: fc.boolean(),
        others: fc.array(fc.record({ stationNumber: fc.integer({ min: 1, max: 999 }), stationName: fc.string({ maxLength: 20 }), openedAt: iso }), { minLength: 1, maxLength: 3 }),
        resolved: fc.option(fc.record({ stationNumber: fc.integer({ min: 1, max: 999 }), stationName: fc.string({ maxLength: 20 }), mine: fc.boolean(), note: fc.string({ maxLength: 20 }) })),
      }),
      // A receipt of a box this station may not have, the same receipt and revision twice, a tube listed twice.
      'box.receipt': fc.record({
        receiptId: fc.constantFrom('receipt-1', 'receipt-2'),
        boxId: id,
        boxCode: fc.constantFrom('BX00000001', 'x'),
        revision: fc.integer({ min: 0, max: 3 }),
        receivedAt: iso,
        receivedBy: fc.string({ maxLength: 20 }),
        finishedAt: iso,
        boxState: fc.constantFrom('open', 'sealed', 'handedOver', 'lost'),
        expected: fc.integer({ min: 0, max: 60 }),
        received: fc.integer({ min: 0, max: 60 }),
        missing: fc.integer({ min: 0, max: 60 }),
        extra: fc.integer({ min: 0, max: 60 }),
        broken: fc.integer({ min: 0, max: 60 }),
        discrepancies: fc.array(fc.record({ tubeCode: fc.constantFrom('SY0000000001', 'SY0000000002'), status: fc.constantFrom('missing', 'extra', 'broken', 'received'), reason: fc.string({ maxLength: 20 }) }), { maxLength: 4 }),
      }),
    };
    const item = fc.constantFrom(...(Object.keys(payloads) as FeedItem['kind'][])).chain((kind) => payloads[kind].map((payload) => ({ kind, payload })));

    it(
      'applies any page of items that passes the protocol without failing, so no item can stop the feed for good',
      async () => {
        core = await openCore();
        const c = core;
        let cursor = 0;
        await fc.assert(
          fc.asyncProperty(fc.array(item, { minLength: 1, maxLength: 6 }), async (page) => {
            const items: FeedItem[] = [];
            for (const raw of page) {
              const checked = parseFeedItem({ cursor: ++cursor, kind: raw.kind, payload: raw.payload });
              if (checked.ok) items.push(checked.item);
            }
            const at = new Date().toISOString();
            // A handler that throws rolls the page back and the cursor with it: the same page would come again, forever.
            await c.writer.run(() => c.feed.apply(items, at));
            expect((await c.invoke('desk.state', {})).ok).toBe(true);
          }),
          fuzzOptions(120),
        );
      },
      fuzzTimeout(),
    );
  });

  describe('roster pages received from HQ', () => {
    let core: StationCore | undefined;
    afterEach(() => core?.close());

    const tuple = fc.tuple(
      fc.oneof(idNumber, fc.constant('11010519491231002X')),
      fc.string({ minLength: 1, maxLength: 50 }),
      fc.option(fc.string({ maxLength: 20 })),
      fc.string({ maxLength: 20 }),
      fc.string({ maxLength: 20 }),
      fc.string({ maxLength: 20 }),
      fc.integer({ min: 0, max: 15 }),
    );
    /** Pages as HQ (or anything in its place) may answer them: rows in any order, repeated, too few or too many. */
    const pages = fc.array(fc.option(fc.array(fc.tuple(fc.integer({ min: 1, max: 40 }), tuple), { maxLength: 8 })), { minLength: 1, maxLength: 5 });

    it(
      'puts a version in use only when every resident it announced came, once each; anything else leaves the roster in use as it was',
      async () => {
        core = await openCore();
        const c = core;
        let cursor = 0;
        await fc.assert(
          fc.asyncProperty(fc.integer({ min: 0, max: 25 }), pages, async (announced, answers) => {
            const before = await c.invoke('roster.summary', {});
            const importId = crypto.randomUUID();
            const item = parseFeedItem({ cursor: ++cursor, kind: 'roster.version', payload: { importId, siteId: c.identity.site.id, rows: announced, fileName: 'hq.csv', source: 'hq', appliedAt: new Date().toISOString() } });
            if (!item.ok) throw new Error(item.detail);
            await c.writer.run(() => c.feed.apply([item.item], new Date().toISOString()));
            let n = 0;
            const served: string[] = [];
            await c.roster.receive(async () => {
              const rows = answers[n++];
              if (rows === undefined || rows === null) return null;
              const page = rosterPageSchema.parse({ type: 'hq.roster', importId, total: announced, rows: rows.map(([rowNo, t]) => [rowNo, ...t]) });
              for (const row of page.rows) served.push(row[1]);
              return { total: page.total, rows: page.rows };
            });
            const after = await c.invoke('roster.summary', {});
            if (!after.ok || !before.ok) throw new Error('roster.summary refused');
            const version = after.value.imports.find((i) => i.id === importId);
            if (after.value.current?.id === importId) {
              // In use: exactly the residents announced, no ID number twice.
              expect(after.value.residents).toBe(announced);
              expect(new Set(served).size).toBe(served.length);
            } else {
              expect(after.value.current?.id ?? null).toBe(before.value.current?.id ?? null);
              expect(after.value.residents).toBe(before.value.residents);
              // Given up for good, it says why; one that was only cut short (no answer) waits to be fetched again.
              if (version?.state === 'failed') expect(version.failure).toEqual({ code: 'hq.versionBroken', rowNo: null });
            }
          }),
          fuzzOptions(40, 10_000),
        );
      },
      fuzzTimeout(),
    );
  });

  describe('the upload agent', () => {
    type Batch = { batchId: string; stationId: string; fromSeq: number; toSeq: number };
    type Reply = (batch: Batch) => FakeAnswer;
    let server: http.Server | undefined;
    let core: StationCore | undefined;
    afterEach(async () => {
      core?.close();
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
    });

    const json = (status: number, body: unknown, type = 'application/json'): FakeAnswer => ({ status, contentType: type, body: Buffer.from(JSON.stringify(body)) });
    /** HQ's acknowledgement of the batch with one thing changed (or none), a gap, a refusal, a portal page, garbage. */
    const batchReply: fc.Arbitrary<Reply> = fc.oneof(
      fc
        .record({
          status: fc.constantFrom(200, 200, 200, 201, 409),
          type: fc.constantFrom('application/json', 'text/html'),
          change: fc.constantFrom('none', 'batchId', 'stationId', 'type', 'ackedThrough', 'expectedSeq', 'rejections', 'drop'),
          through: fc.integer({ min: -3, max: 3 }),
          value: jsonValue(1),
        })
        .map((r) => (b: Batch) => {
          const ack: Record<string, unknown> = { type: 'hq.ack', batchId: b.batchId, stationId: b.stationId, ackedThrough: b.toSeq + r.through, expectedSeq: b.toSeq + 1, rejections: [{ seq: b.fromSeq, code: 'record.invalid', detail: 'x' }] };
          if (r.change === 'drop') delete ack.ackedThrough;
          else if (r.change !== 'none') ack[r.change] = r.value;
          return json(r.status, ack, r.type);
        }),
      fc.record({ status: fc.constantFrom(200, 409), expectedSeq: fc.oneof(fc.integer({ min: -1, max: 50 }), jsonValue(1)) }).map((r) => () => json(r.status, { type: 'hq.gap', expectedSeq: r.expectedSeq })),
      fc.record({ status, error: fc.oneof(fc.constantFrom('body.tooLarge', 'timestamp.stale', 'request.replayed', 'station.unknown', 'hq.busy'), anyText(10)), hqTime: fc.option(fc.oneof(fc.integer(), fc.double())) }).map((r) => () => json(r.status, { error: r.error, ...(r.hqTime === null ? {} : { hqTime: r.hqTime }) })),
      fc.record({ status, contentType, body: bytes(200) }).map((a) => () => a),
    );
    const feedReply = fc.oneof(
      fc.record({ items: fc.array(fc.record({ cursor: fc.integer({ min: -5, max: 1000 }), kind: fc.oneof(fc.constantFrom('tube.result', 'site.config', 'round.started', 'future.kind'), anyText(8)), payload: jsonValue(2) }), { maxLength: 5 }), nextCursor: fc.oneof(fc.integer({ min: -1, max: 1000 }), jsonValue(1)) }).map((f) => json(200, { type: 'hq.feed', ...f })),
      fc.record({ status, contentType, body: bytes(200) }),
    );

    /**
     * A station enrolled at a stand-in for HQ that answers each batch with `reply` and the feed with
     * `feed`; `trusted` is the furthest an exact acknowledgement of a batch let the station count.
     */
    async function agentAgainst(): Promise<{ c: StationCore; control: { reply: Reply; feed: FakeAnswer; batches: number; trusted: number } }> {
      const control = { reply: (() => json(500, {})) as Reply, feed: json(200, { type: 'hq.feed', items: [], nextCursor: 0 }), batches: 0, trusted: 0 };
      server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          let a: FakeAnswer;
          if (req.url === '/api/v1/enroll') a = json(200, { type: 'station.enrolled', stationId: 'hq-st-1', siteId: 'site-1', siteName: '社区', stationNumber: 2, stationName: '2号' });
          else if (req.url?.startsWith('/api/v1/feed')) a = control.feed;
          else {
            const batch = batchOf(Buffer.concat(chunks));
            // A body cut short (the station gave up waiting on a loaded machine and closed the request): answered as HQ would.
            if (!batch) return void res.writeHead(400).end();
            a = control.reply(batch);
            const parsed = answerJson(exchangeOf(a));
            if (a.status === 200 && isAckOf(parsed, batch)) control.trusted = Math.max(control.trusted, Math.min(ackSchema.parse(parsed).ackedThrough, batch.toSeq));
            control.batches++;
          }
          const signed = signer.headers({ headers: req.headers, body: Buffer.concat(chunks) }, a.status, a.body);
          res.writeHead(a.status, { ...signed, ...(a.contentType ? { 'content-type': a.contentType } : {}) }).end(a.body);
        });
      });
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const FAST = { backoff: { baseMs: 1, capMs: 5, maxRetryAfterMs: 10 }, timeoutMs: 1000, idleMs: 5, feedIdleMs: 5, feedEveryMs: 5, limits: { maxRecords: 7, maxBytes: 1 << 20 } };
      core = await signInAdmin(new StationCore({ ...freshFolder('agent-fuzz-'), upload: { tuning: FAST } }));
      expect((await core.invoke('upload.enroll', { hqUrl: url, code: signer.code() })).ok).toBe(true);
      expect((await core.invoke('round.start', { name: '第1轮' })).ok).toBe(true);
      return { c: core, control };
    }

    async function answered(c: StationCore, control: { batches: number }, count: number): Promise<void> {
      const start = control.batches;
      const deadline = Date.now() + 5000;
      while (control.batches < start + count && c.upload.status().waiting > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    }

    it('does not count records HQ never acknowledged when a "gap" asks for records after them (found by the property below: 409 hq.gap past the batch)', async () => {
      // A gap answer moved the station's acknowledged mark up to whatever `expectedSeq` it carried:
      // records never stored at HQ were taken as stored and never sent again.
      const { c, control } = await agentAgainst();
      await bindPeople(c, 5, 5);
      control.reply = (b) => json(409, { type: 'hq.gap', expectedSeq: b.toSeq + 1 });
      c.upload.start();
      await answered(c, control, 3);
      expect(c.upload.status()).toMatchObject({ ackedThrough: 0, lastFailure: { code: 'upload.notHq' } });
      // HQ's acknowledgement still counts.
      control.reply = (b) => json(200, { type: 'hq.ack', batchId: b.batchId, stationId: b.stationId, ackedThrough: b.toSeq, expectedSeq: b.toSeq + 1, rejections: [] });
      await answered(c, control, 100);
      expect(c.upload.status()).toMatchObject({ waiting: 0, ackedThrough: c.journal.lastSeq(), lastFailure: null });
    });

    it(
      'counts records acknowledged only on an exact acknowledgement of their batch, and keeps going whatever comes back',
      async () => {
        const { c, control } = await agentAgainst();
        let people = 0;
        c.upload.start();
        await fc.assert(
          fc.asyncProperty(fc.array(batchReply, { minLength: 1, maxLength: 4 }), feedReply, async (replies, feed) => {
            if (c.upload.status().waiting === 0) {
              await bindPeople(c, 10, 5, people);
              people += 10;
            }
            let n = 0;
            control.reply = (b) => replies[n++ % replies.length]!(b);
            control.feed = feed;
            await answered(c, control, replies.length);
            const state = c.upload.status();
            expect(state.running).toBe(true);
            expect(state.ackedThrough).toBeLessThanOrEqual(control.trusted);
            expect(state.ackedThrough).toBeLessThanOrEqual(state.headSeq);
            for (const r of state.rejections) expect(r.seq).toBeLessThanOrEqual(control.trusted);
          }),
          fuzzOptions(40, 10_000),
        );
      },
      fuzzTimeout(60_000),
    );
  });

  it('takes a feed page with more items than any page HQ sends as no page (200,000 items)', () => {
    // The station spread every item's cursor into Math.max: a forged page this long threw a RangeError out of the feed pull.
    const items = Array.from({ length: 200_000 }, (_, i) => ({ cursor: i + 1, kind: 'x', payload: 0 }));
    expect(feedResponseSchema.safeParse({ type: 'hq.feed', items, nextCursor: 0 }).success).toBe(false);
    expect(feedResponseSchema.safeParse({ type: 'hq.feed', items: items.slice(0, MAX_FEED_LIMIT), nextCursor: 0 }).success).toBe(true);
  });
});

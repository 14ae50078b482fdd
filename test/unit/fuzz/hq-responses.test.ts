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
  parseFeedItem,
  rosterPageSchema,
  type FeedItem,
} from '../../../hq/protocol';
import type { StationCore } from '../../../electron/core/core';
import { DomainError } from '../../../electron/core/errors';
import { answerJson, type Exchange } from '../../../electron/core/upload/client';
import { enrollAtHq } from '../../../electron/core/upload/enroll';
import { keyPath } from '../../../electron/core/upload/keys';
import { DEMO_SITE_CONFIG } from '../../../electron/core/site/config';
import { openCore, tempDir } from '../../helpers/core';
import { anyText, bytes, fuzzOptions, fuzzTimeout, idNumber, jsonValue } from './arbitraries';

/** What an answer to the station may be: HQ's, a portal's, a proxy's, or garbage. */
type FakeAnswer = { status: number; contentType: string; body: Buffer };

const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', 'text/html', 'text/plain', '');
const status = fc.constantFrom(200, 201, 204, 301, 400, 401, 403, 404, 409, 413, 429, 500, 503);

function exchangeOf(a: FakeAnswer): Exchange {
  return { kind: 'answer', status: a.status, contentType: a.contentType, body: a.body, retryAfterMs: null, dateMs: null, hqTimeMs: null, sentAt: 0, receivedAt: 0 };
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
      server = http.createServer((req, res) => {
        req.resume();
        req.on('end', () => res.writeHead(next.status, next.contentType ? { 'content-type': next.contentType } : {}).end(next.body));
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
              const done = await enrollAtHq({ dataDir, hqUrl: url, code: 'ABCD-EFGH', stationName: '采样台', localStationId: 'local-1', timeoutMs: 2000 });
              // Only HQ's exact answer enrolls: 200, JSON, every field of the protocol's shape.
              expect(s).toBe(200);
              expect(done.type).toBe('station.enrolled');
              expect(fs.existsSync(keyPath(dataDir))).toBe(true);
            } catch (err) {
              expect(err).toBeInstanceOf(DomainError);
              expect((err as DomainError).code).toMatch(/^enroll\.(notHq|codeInvalid|codeUsed|codeExpired|siteFull|hqUnreachable)$/);
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
      'tube.conflict': fc.record({
        code: fc.constantFrom('SY0000000001', 'SY0000000002'),
        tubeId: id,
        openedAt: iso,
        later: fc.boolean(),
        others: fc.array(fc.record({ stationNumber: fc.integer({ min: 1, max: 999 }), stationName: fc.string({ maxLength: 20 }), openedAt: iso }), { minLength: 1, maxLength: 3 }),
        resolved: fc.option(fc.record({ stationNumber: fc.integer({ min: 1, max: 999 }), stationName: fc.string({ maxLength: 20 }), mine: fc.boolean(), note: fc.string({ maxLength: 20 }) })),
      }),
    };
    const item = fc.constantFrom(...(Object.keys(payloads) as FeedItem['kind'][])).chain((kind) => payloads[kind].map((payload) => ({ kind, payload })));

    it(
      'applies any page of items that passes the protocol without failing, so no item can stop the feed for good',
      async () => {
        core = openCore();
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
});

import { generateKeyPairSync, sign } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import zlib from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { importExportFile } from '../../hq/import';
import { HEADER_STATION_ID, HQ_PATHS, ackSchema, feedResponseSchema, MAX_BODY_BYTES, MAX_DECOMPRESSED_BYTES, REPLAY_WINDOW_MS, type BatchRecord } from '../../hq/protocol';
import { createHqServer, type HqServer } from '../../hq/server';
import { tempDir } from '../helpers/core';
import { startPostgres, type PgCluster } from '../helpers/postgres';
import { SimStation, samplingJournal } from '../unit/hq/fixtures';

const ADMIN = 'test-admin-token';

/** Waits for a condition HQ reaches on its own (a request's head arriving, a socket closing). */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}
let cluster: PgCluster | null = null;

beforeAll(async () => {
  cluster = await startPostgres({ fsync: false });
});
afterAll(async () => {
  await cluster?.stop();
});

describe.each(['sqlite', 'postgres'] as const)('HQ service on %s', (backend) => {
  let hq: HqServer;
  let base: string;
  let clock: number;

  beforeEach(async () => {
    clock = Date.now();
    const databaseUrl = backend === 'postgres' ? await cluster!.createDatabase() : undefined;
    hq = await createHqServer({ dataDir: tempDir('hq-test-'), databaseUrl, adminToken: ADMIN, now: () => clock });
    base = await hq.listen(0);
  });
  afterEach(async () => {
    await hq.close();
  });

  async function admin(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }

  async function enrolled(siteId = 'site-a', name = '采样台 1'): Promise<SimStation> {
    const { code } = await hq.createEnrollmentCode(siteId, `采样点 ${siteId}`);
    const station = new SimStation(base, name);
    expect((await station.enroll(code)).status).toBe(200);
    return station;
  }

  async function holdings(station: SimStation): Promise<{ records: number; conflicts: number; maxSeq: number }> {
    return hq.store.holdings(station.stationId);
  }

  describe('enrollment', () => {
    it('gives a station its identity once per code', async () => {
      const { code } = await hq.createEnrollmentCode('site-a', '幸福社区');
      const first = new SimStation(base);
      const res = await first.enroll(code);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ type: 'station.enrolled', siteId: 'site-a', siteName: '幸福社区' });
      const again = await new SimStation(base).enroll(code);
      expect(again.status).toBe(403);
      expect(await again.json()).toMatchObject({ error: 'enroll.codeUsed' });
      expect((await hq.store.station(first.stationId))?.publicKey).toBe(first.publicKeyPem);
    });

    it('refuses expired and unknown codes and keys that are not Ed25519', async () => {
      const { code } = await hq.createEnrollmentCode('site-a', '幸福社区', 1);
      clock += 3600_000 + 1;
      const expired = await new SimStation(base).enroll(code);
      expect(await expired.json()).toMatchObject({ error: 'enroll.codeExpired' });
      const unknown = await new SimStation(base).enroll('AAAA-BBBB-CCCC');
      expect(unknown.status).toBe(403);
      expect(await unknown.json()).toMatchObject({ error: 'enroll.codeInvalid' });
      const { code: fresh } = await hq.createEnrollmentCode('site-a');
      const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
      const badKey = await fetch(`${base}${HQ_PATHS.enroll}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: fresh, publicKey: rsa, stationName: 'x', localStationId: 'y' }),
      });
      expect(badKey.status).toBe(400);
      expect(await badKey.json()).toMatchObject({ error: 'body.invalid' });
    });

    it('creates codes through the admin endpoint only with the admin token', async () => {
      const denied = await fetch(`${base}${HQ_PATHS.adminCodes}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"siteId":"s"}' });
      expect(denied.status).toBe(401);
      expect(await denied.json()).toMatchObject({ error: 'admin.unauthorized' });
      const created = await admin(HQ_PATHS.adminCodes, { siteId: 'site-b', siteName: '东区' });
      expect(created.status).toBe(200);
      expect((await new SimStation(base).enroll(String(created.json.code))).status).toBe(200);
    });
  });

  describe('signed batches', () => {
    it('stores a batch and acknowledges it', async () => {
      const station = await enrolled();
      const records = samplingJournal(50);
      const { status, json } = await station.upload(records, { headSeq: 60 });
      expect(status).toBe(200);
      const ack = ackSchema.parse(json);
      expect(ack).toMatchObject({ stationId: station.stationId, ackedThrough: 50, expectedSeq: 51, rejections: [] });
      expect(await holdings(station)).toEqual({ records: 50, conflicts: 0, maxSeq: 50 });
    });

    it('stores payloads byte for byte, escapes and all', async () => {
      const station = await enrolled();
      const records = samplingJournal(4);
      const tricky = '反斜杠 \\ 制表\t换行\n回车\r "引号" \\N 😀';
      records[2] = { ...records[2]!, payload: { ...records[2]!.payload, name: tricky } };
      expect(ackSchema.parse((await station.upload(records)).json).rejections).toEqual([]);
      const stored = await hq.store.record(station.stationId, 3);
      expect(JSON.parse(stored!.payload)).toEqual(records[2]!.payload);
      expect(stored).toMatchObject({ seq: 3, kind: 'person.registered', entityId: records[2]!.entityId, rejection: null });
      expect(ackSchema.parse((await station.upload(records)).json).rejections).toEqual([]);
    });

    it('is not stuck by a station that journals one entity twice', async () => {
      const station = await enrolled();
      const records = samplingJournal(5);
      const again = (seq: number, from: BatchRecord): BatchRecord => ({ ...from, seq, at: new Date(Date.parse(from.at) + 1000).toISOString() });
      const repeated = [...records, again(6, records[1]!), again(7, records[2]!), again(8, records[3]!)];
      expect(ackSchema.parse((await station.upload(repeated.slice(0, 3))).json).ackedThrough).toBe(3);
      expect(ackSchema.parse((await station.upload(repeated.slice(3))).json)).toMatchObject({ ackedThrough: 8, rejections: [] });
      const dash = await hq.store.dashboard(new Date(Date.parse(records[3]!.at) + 8 * 3600_000).toISOString().slice(0, 10));
      expect(dash.sites[0]).toMatchObject({ people: 1, tubes: 1 });
      expect(await holdings(station)).toEqual({ records: 8, conflicts: 0, maxSeq: 8 });
    });

    it('rejects each kind of bad request with its own error and stores nothing', async () => {
      const station = await enrolled();
      const records = samplingJournal(20);
      const other = generateKeyPairSync('ed25519').privateKey;
      const { body } = station.batchBody(records);

      const tampered = station.sign('POST', HQ_PATHS.batches, body);
      const flipped = Buffer.from(tampered.body);
      flipped[flipped.length - 10]! ^= 0xff;
      const cases: [string, Promise<{ status: number; json: Record<string, unknown> }>][] = [
        ['signature.invalid', station.send({ ...tampered, body: flipped })],
        ['signature.invalid', station.send(station.sign('POST', HQ_PATHS.batches, body, { key: other }))],
        ['signature.invalid', station.send({ ...station.sign('POST', HQ_PATHS.batches, body), path: `${HQ_PATHS.batches}?x=1` })],
        ['timestamp.stale', station.send(station.sign('POST', HQ_PATHS.batches, body, { now: clock - REPLAY_WINDOW_MS - 1000 }))],
        ['timestamp.stale', station.send(station.sign('POST', HQ_PATHS.batches, body, { now: clock + REPLAY_WINDOW_MS + 1000 }))],
        ['station.unknown', station.send(station.sign('POST', HQ_PATHS.batches, body, { stationId: 'no-such-station' }))],
      ];
      for (const [error, pending] of cases) {
        const { status, json } = await pending;
        expect(status, error).toBe(401);
        expect(json.error).toBe(error);
        expect(typeof json.hqTime).toBe('number');
      }
      expect(await holdings(station)).toEqual({ records: 0, conflicts: 0, maxSeq: 0 });
      const unsigned = await fetch(`${base}${HQ_PATHS.batches}`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body });
      expect(unsigned.status).toBe(401);
      expect(await unsigned.json()).toMatchObject({ error: 'station.unknown' });
      expect(await holdings(station)).toEqual({ records: 0, conflicts: 0, maxSeq: 0 });
    });

    it('refuses a replayed request, even one that was accepted', async () => {
      const station = await enrolled();
      const req = station.sign('POST', HQ_PATHS.batches, station.batchBody(samplingJournal(10)).body);
      expect((await station.send(req)).status).toBe(200);
      const replay = await station.send(req);
      expect(replay.status).toBe(401);
      expect(replay.json.error).toBe('request.replayed');
      const gap = station.sign('POST', HQ_PATHS.batches, station.batchBody(samplingJournal(30).slice(20)).body);
      const replayedGap = await station.send(gap);
      expect(replayedGap.status).toBe(409);
      expect((await station.send(gap)).json.error).toBe('request.replayed');
      expect(await holdings(station)).toEqual({ records: 10, conflicts: 0, maxSeq: 10 });
    });

    it('answers a gap with the sequence it expects and stores nothing', async () => {
      const station = await enrolled();
      const records = samplingJournal(40);
      expect((await station.upload(records.slice(0, 10))).status).toBe(200);
      const { status, json } = await station.upload(records.slice(20, 40));
      expect(status).toBe(409);
      expect(json).toEqual({ type: 'hq.gap', expectedSeq: 11 });
      expect(await holdings(station)).toEqual({ records: 10, conflicts: 0, maxSeq: 10 });
    });

    /** A batch request whose body is only partly sent: HQ counts it in flight until it is finished or dropped. */
    function partialBatch(station: SimStation, records: BatchRecord[]): { finish(): Promise<{ status: number; json: Record<string, unknown> }>; drop(): void } {
      const req = station.sign('POST', HQ_PATHS.batches, station.batchBody(records).body);
      const url = new URL(`${base}${HQ_PATHS.batches}`);
      let pending: http.ClientRequest | undefined;
      const answered = new Promise<{ status: number; json: Record<string, unknown> }>((resolve, reject) => {
        const r = http.request(url, { method: 'POST', headers: { ...req.headers, 'content-length': String(req.body.length) } }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(text) as Record<string, unknown> }));
        });
        r.on('error', reject);
        r.write(req.body.subarray(0, 10));
        pending = r;
      });
      return {
        finish: () => {
          pending!.end(req.body.subarray(10));
          return answered;
        },
        drop: () => {
          answered.catch(() => undefined);
          pending!.destroy();
        },
      };
    }

    /** Records 1-100 still arriving at HQ, and 101-200 sent in full behind them: the second starts after what HQ holds. */
    async function secondAheadOfFirst() {
      const station = await enrolled();
      const records = samplingJournal(200);
      const first = partialBatch(station, records.slice(0, 100));
      await until(() => hq.ingestInFlight() === 1);
      const second = station.upload(records.slice(100, 200));
      // It waits, rather than being answered with a gap.
      await until(() => hq.batchesWaiting() === 1);
      return { station, first, second };
    }

    it('stores a batch that arrives before the one ahead of it right after that one', async () => {
      const { station, first, second } = await secondAheadOfFirst();
      expect(await holdings(station)).toEqual({ records: 0, conflicts: 0, maxSeq: 0 });
      expect(ackSchema.parse((await first.finish()).json)).toMatchObject({ ackedThrough: 100 });
      const answer = await second;
      expect(answer.status).toBe(200);
      expect(ackSchema.parse(answer.json)).toMatchObject({ ackedThrough: 200, expectedSeq: 201 });
      expect(await holdings(station)).toEqual({ records: 200, conflicts: 0, maxSeq: 200 });
    });

    it('answers the waiting batch with the gap when the one ahead of it never arrives', async () => {
      const { station, first, second } = await secondAheadOfFirst();
      first.drop();
      const { status, json } = await second;
      expect(status).toBe(409);
      expect(json).toEqual({ type: 'hq.gap', expectedSeq: 1 });
      expect(hq.batchesWaiting()).toBe(0);
      expect(await holdings(station)).toEqual({ records: 0, conflicts: 0, maxSeq: 0 });
    });

    it('acknowledges duplicate and overlapping batches again without storing twice', async () => {
      const station = await enrolled();
      const records = samplingJournal(30);
      const first = await station.upload(records.slice(0, 20));
      const again = await station.upload(records.slice(0, 20));
      expect(ackSchema.parse(again.json)).toMatchObject({ ackedThrough: 20, rejections: [] });
      expect(again.json.ackedThrough).toBe(first.json.ackedThrough);
      const reordered = records.slice(5, 30).map((r) => ({ payload: r.payload, at: r.at, operatorId: r.operatorId, entityId: r.entityId, kind: r.kind, seq: r.seq }));
      const overlap = await station.upload(reordered);
      expect(ackSchema.parse(overlap.json)).toMatchObject({ ackedThrough: 30, expectedSeq: 31, rejections: [] });
      expect(await holdings(station)).toEqual({ records: 30, conflicts: 0, maxSeq: 30 });
      const dash = await hq.store.dashboard(new Date(clock + 8 * 3600_000).toISOString().slice(0, 10));
      const bound = new Set(records.filter((r) => r.kind === 'binding.created').map((r) => r.payload.personId));
      const tubes = records.filter((r) => r.kind === 'tube.opened').length;
      expect(dash.sites.find((s) => s.siteId === 'site-a')).toMatchObject({ people: bound.size, tubes });
    });

    it('rejects and flags different content under a held sequence number, never overwriting it', async () => {
      const station = await enrolled();
      const records = samplingJournal(10);
      await station.upload(records);
      const forged: BatchRecord[] = records.slice(3, 6).map((r) => (r.seq === 5 ? { ...r, payload: { ...r.payload, name: '别人' } } : r));
      const { status, json } = await station.upload(forged);
      expect(status).toBe(200);
      const ack = ackSchema.parse(json);
      expect(ack.rejections).toEqual([{ seq: 5, code: 'record.conflict', detail: expect.any(String) }]);
      expect(ack.ackedThrough).toBe(10);
      expect(await holdings(station)).toEqual({ records: 10, conflicts: 1, maxSeq: 10 });
      const same = await station.upload(records.slice(4, 5));
      expect(ackSchema.parse(same.json).rejections).toEqual([]);
      const dash = await hq.store.dashboard('2000-01-01');
      expect(dash.stations.find((s) => s.id === station.stationId)?.conflicts).toBe(1);
    });

    it('rejects invalid records one by one, acknowledging them so the stream moves on', async () => {
      const station = await enrolled();
      const records = samplingJournal(6);
      records[2] = { ...records[2]!, kind: 'tube.teleported' };
      records[4] = { ...records[4]!, payload: { tubeCode: 42 } };
      const { json } = await station.upload(records);
      const ack = ackSchema.parse(json);
      expect(ack.ackedThrough).toBe(6);
      expect(ack.rejections.map((r) => [r.seq, r.code])).toEqual([
        [3, 'record.invalid'],
        [5, 'record.invalid'],
      ]);
      expect(ack.rejections[0]!.detail).toContain('tube.teleported');
      const resent = ackSchema.parse((await station.upload(records)).json);
      expect(resent.rejections.map((r) => r.seq)).toEqual([3, 5]);
      expect(await holdings(station)).toEqual({ records: 6, conflicts: 0, maxSeq: 6 });
    });

    it('refuses malformed bodies, batches for another station and zip bombs', async () => {
      const station = await enrolled();
      const other = await enrolled('site-a', '采样台 2');
      const records = samplingJournal(5);
      const notGzip = station.sign('POST', HQ_PATHS.batches, Buffer.from('{"type":"station.batch"}'));
      expect((await station.send(notGzip)).json.error).toBe('body.invalid');
      const foreign = station.batchBody(records, { stationId: other.stationId }).body;
      expect((await station.send(station.sign('POST', HQ_PATHS.batches, foreign))).json.error).toBe('body.invalid');
      const holes = zlib.gzipSync(JSON.stringify({ type: 'station.batch', stationId: station.stationId, batchId: crypto.randomUUID(), fromSeq: 1, toSeq: 3, records: [records[0], records[2]] }));
      expect((await station.send(station.sign('POST', HQ_PATHS.batches, holes))).json.error).toBe('body.invalid');
      const huge = await station.send(station.sign('POST', HQ_PATHS.batches, Buffer.alloc(MAX_BODY_BYTES + 1, 0x20)));
      expect(huge.status).toBe(413);
      expect(huge.json.error).toBe('body.tooLarge');
      const bomb = zlib.gzipSync(Buffer.alloc(MAX_DECOMPRESSED_BYTES + 1024, 0x20), { level: 9 });
      const bombed = await station.send(station.sign('POST', HQ_PATHS.batches, bomb));
      expect(bombed.status).toBe(413);
      expect(bombed.json.error).toBe('body.tooLarge');
      expect(await holdings(station)).toEqual({ records: 0, conflicts: 0, maxSeq: 0 });
      expect(await holdings(other)).toEqual({ records: 0, conflicts: 0, maxSeq: 0 });
    });

    it('answers 503 hq.busy with Retry-After past its in-flight limit, gives no place to an unsigned batch, and takes batches again once one ends', async () => {
      const databaseUrl = backend === 'postgres' ? await cluster!.createDatabase() : undefined;
      const busy = await createHqServer({ dataDir: tempDir('hq-busy-'), databaseUrl, now: () => clock, maxIngestInFlight: 1, busyRetryAfterSeconds: 7, orderWaitMs: 60_000 });
      const busyBase = await busy.listen(0);
      let held: http.ClientRequest | undefined;
      try {
        const { code } = await busy.createEnrollmentCode('site-a', '幸福社区');
        const station = new SimStation(busyBase);
        expect((await station.enroll(code)).status).toBe(200);
        const holder = new SimStation(busyBase, '采样台 2');
        expect((await holder.enroll((await busy.createEnrollmentCode('site-a')).code)).status).toBe(200);
        // A batch whose body is still arriving is not yet known to be a station's: it holds no place.
        held = http.request(`${busyBase}${HQ_PATHS.batches}`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '1000', [HEADER_STATION_ID]: holder.stationId } });
        held.on('error', () => undefined);
        held.write('{"type":');
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(busy.ingestInFlight()).toBe(0);
        // A signed batch of the holder that starts past what HQ holds waits for the one still arriving: it holds the place.
        const waiting = holder.upload(samplingJournal(5).slice(2));
        await until(() => busy.ingestInFlight() === 1);
        const records = samplingJournal(5);
        const refused = await station.upload(records);
        expect(refused.status).toBe(503);
        expect(refused.json).toEqual({ error: 'hq.busy', hqTime: clock });
        const again = await station.send(station.sign('POST', HQ_PATHS.batches, station.batchBody(records).body));
        expect(again.headers.get('retry-after')).toBe('7');
        expect(again.headers.get('x-hq-time')).toBe(String(clock));
        expect(await busy.store.holdings(station.stationId)).toEqual({ records: 0, conflicts: 0, maxSeq: 0 });
        // Signed requests other than batches are not held up.
        expect((await station.feed(0)).status).toBe(200);
        held.destroy();
        expect((await waiting).status).toBe(409);
        await until(() => busy.ingestInFlight() === 0);
        const accepted = await station.upload(records);
        expect(accepted.status).toBe(200);
        expect(ackSchema.parse(accepted.json).ackedThrough).toBe(5);
        expect(busy.ingestInFlight()).toBe(0);
      } finally {
        held?.destroy();
        await busy.close();
      }
    });
  });

  describe('feed back to stations', () => {
    it('serves results, key persons and site configuration on a cursor, per site', async () => {
      const station = await enrolled('site-a');
      const elsewhere = await enrolled('site-b', '采样台 B');
      await station.upload(samplingJournal(25));
      expect((await admin(HQ_PATHS.adminResults, { tubeCode: 'NOPE', result: 'negative' })).json.error).toBe('tube.unknown');
      expect((await admin(HQ_PATHS.adminResults, { tubeCode: 'SY0010000001', result: 'negative' })).status).toBe(200);
      expect((await admin(HQ_PATHS.adminKeyPersons, { siteId: 'site-a', listId: 'kp-1', persons: [{ idNumber: '11010519491231002X', name: '张三', reason: '密接' }] })).status).toBe(200);
      const config = {
        tube: { pattern: '^SY\\d{10}$', generate: { prefix: 'SY', digits: 10 } },
        box: { pattern: '^BX\\d{8}$' },
        operatorBadge: { pattern: '^OP\\d{4}$' },
        personParsers: [{ kind: 'id18' }],
        defaultCapacity: 20,
        scanMaxLength: 2048,
      };
      expect((await admin(HQ_PATHS.adminSiteConfig, { siteId: 'site-a', name: '幸福社区', config: { ...config, defaultCapacity: 3 } })).json.error).toBe('body.invalid');
      expect((await admin(HQ_PATHS.adminSiteConfig, { siteId: 'site-a', name: '幸福社区', config })).status).toBe(200);
      expect((await admin(HQ_PATHS.adminKeyPersons, { listId: 'kp-all', persons: [] })).status).toBe(200);

      const keys = feedResponseSchema.parse((await station.feed(0, 1)).json);
      // The site's mark key comes first: it was made with the site.
      expect(keys.items.map((i) => i.kind)).toEqual(['site.keys']);
      const page1 = feedResponseSchema.parse((await station.feed(keys.nextCursor, 2)).json);
      expect(page1.items.map((i) => i.kind)).toEqual(['tube.result', 'keyperson.list']);
      expect(page1.items[0]!.payload).toMatchObject({ tubeCode: 'SY0010000001', result: 'negative' });
      const page2 = feedResponseSchema.parse((await station.feed(page1.nextCursor, 10)).json);
      expect(page2.items.map((i) => i.kind)).toEqual(['site.config', 'keyperson.list']);
      const page3 = feedResponseSchema.parse((await station.feed(page2.nextCursor, 10)).json);
      expect(page3).toEqual({ type: 'hq.feed', items: [], nextCursor: page2.nextCursor });
      const theirs = feedResponseSchema.parse((await elsewhere.feed(0)).json);
      // Site B came after site A, whose desks generate the default SY codes: B got its own prefix.
      expect(theirs.items.map((i) => i.kind)).toEqual(['site.keys', 'site.config', 'keyperson.list']);
      expect(theirs.items[0]!.payload).toMatchObject({ siteId: 'site-b' });
      expect(theirs.items[1]!.payload).toMatchObject({ siteId: 'site-b', config: { tube: { pattern: '^SA\\d{10}$', generate: { prefix: 'SA', digits: 10 } } } });
      expect(theirs.items[2]!.payload).toEqual({ listId: 'kp-all', persons: [] });
    });

    it('turns a positive pooled tube into re-test tasks that close when members are sampled alone', async () => {
      const station = await enrolled('site-a');
      const journal = samplingJournal(22);
      await station.upload(journal);
      expect((await admin(HQ_PATHS.adminResults, { tubeCode: 'SY0010000001', result: 'positive' })).status).toBe(200);
      const tasks = await hq.store.retestTasks('SY0010000001');
      expect(tasks).toHaveLength(10);
      expect(tasks.every((t) => !t.closed)).toBe(true);
      const at = new Date(clock + 1000).toISOString();
      const next = (seq: number, kind: string, entityId: string, payload: Record<string, unknown>): BatchRecord => ({ seq, kind, entityId, operatorId: 'op-1', at, payload });
      const retest: BatchRecord[] = [
        next(23, 'tube.opened', 'tube-single-1', { code: 'SY0019000001', capacity: 1, roundId: 'round-1' }),
        next(24, 'binding.created', 'binding-single-1', { tubeId: 'tube-single-1', tubeCode: 'SY0019000001', personId: 'person-1', roundId: 'round-1', repeatConfirmed: true }),
        next(25, 'retest.sampled', 'binding-single-1', { originalTubeCode: 'SY0010000001', tubeCode: 'SY0019000001', personId: 'person-1' }),
        next(26, 'tube.sealed', 'tube-single-1', { code: 'SY0019000001', count: 1, cause: 'capacity' }),
        next(27, 'tube.opened', 'tube-single-2', { code: 'SY0019000002', capacity: 1, roundId: 'round-1' }),
        next(28, 'binding.created', 'binding-single-2', { tubeId: 'tube-single-2', tubeCode: 'SY0019000002', personId: 'person-2', roundId: 'round-1', repeatConfirmed: true }),
      ];
      expect(ackSchema.parse((await station.upload(retest)).json).rejections).toEqual([]);
      const after = await hq.store.retestTasks('SY0010000001');
      expect(after.filter((t) => t.closed)).toHaveLength(2);
      const dash = await hq.store.dashboard('2000-01-01');
      expect(dash.positives).toEqual([expect.objectContaining({ tubeCode: 'SY0010000001', members: 10, retested: 2 })]);
    });

    it('reopens a re-test task when the station undoes the binding that closed it', async () => {
      const station = await enrolled('site-a');
      await station.upload(samplingJournal(22));
      expect((await admin(HQ_PATHS.adminResults, { tubeCode: 'SY0010000001', result: 'positive' })).status).toBe(200);
      const at = new Date(clock + 1000).toISOString();
      const next = (seq: number, kind: string, entityId: string, payload: Record<string, unknown>): BatchRecord => ({ seq, kind, entityId, operatorId: 'op-1', at, payload });
      const bind = (seq: number, n: number, person: string): BatchRecord =>
        next(seq, 'binding.created', `binding-single-${n}`, { tubeId: `tube-single-${n}`, tubeCode: `SY001900000${n}`, personId: person, roundId: 'round-1', repeatConfirmed: true });
      const undo = (seq: number, n: number, person: string): BatchRecord =>
        next(seq, 'binding.undone', `binding-single-${n}`, { tubeCode: `SY001900000${n}`, reason: `wrong person (${person})`, correctionId: `correction-${seq}` });
      const open = (seq: number, n: number): BatchRecord => next(seq, 'tube.opened', `tube-single-${n}`, { code: `SY001900000${n}`, capacity: 1, roundId: 'round-1' });
      const closed = async (): Promise<number> => (await hq.store.retestTasks('SY0010000001')).filter((t) => t.closed).length;
      const retested = async (): Promise<number> => (await hq.store.dashboard('2000-01-01')).positives[0]!.retested;
      const upload = async (records: BatchRecord[]): Promise<void> => {
        expect(ackSchema.parse((await station.upload(records)).json).rejections).toEqual([]);
      };

      // person-1 closed by `retest.sampled`, person-2 by the single-tube binding alone.
      await upload([
        open(23, 1),
        bind(24, 1, 'person-1'),
        next(25, 'retest.sampled', 'binding-single-1', { originalTubeCode: 'SY0010000001', tubeCode: 'SY0019000001', personId: 'person-1' }),
        open(26, 2),
        bind(27, 2, 'person-2'),
      ]);
      expect(await closed()).toBe(2);
      expect(await retested()).toBe(2);

      await upload([undo(28, 1, 'person-1'), undo(29, 2, 'person-2')]);
      expect(await closed()).toBe(0);
      expect(await retested()).toBe(0);

      // Sampled again after the undo, and within one batch sampled, undone and sampled once more.
      await upload([
        open(30, 3),
        bind(31, 3, 'person-1'),
        next(32, 'retest.sampled', 'binding-single-3', { originalTubeCode: 'SY0010000001', tubeCode: 'SY0019000003', personId: 'person-1' }),
        open(33, 4),
        bind(34, 4, 'person-2'),
        undo(35, 4, 'person-2'),
        open(36, 5),
        bind(37, 5, 'person-2'),
      ]);
      expect(await closed()).toBe(2);
      // The binding undone within that batch closed nothing, so its undo sent again reopens nothing.
      await upload([undo(38, 4, 'person-2')]);
      expect(await retested()).toBe(2);
    });
  });

  describe('export file import', () => {
    function exportFile(station: SimStation, records: BatchRecord[], signer = station.privateKey): Buffer {
      const gz = zlib.gzipSync(
        JSON.stringify({
          type: 'station.export',
          version: 1,
          stationId: station.stationId,
          createdAt: new Date(clock).toISOString(),
          fromSeq: records[0]!.seq,
          toSeq: records[records.length - 1]!.seq,
          records,
          publicKey: station.publicKeyPem,
        }),
      );
      return Buffer.from(JSON.stringify({ export: gz.toString('base64'), signature: sign(null, gz, signer).toString('base64') }));
    }

    it('imports a signed export with the same dedup and gap rules', async () => {
      const station = await enrolled();
      const records = samplingJournal(25_000);
      await station.upload(records.slice(0, 100));
      const file = exportFile(station, records.slice(50));
      const outcome = await importExportFile(hq.store, file);
      expect(outcome).toMatchObject({ ok: true, ackedThrough: 25_000, rejections: [] });
      expect(await importExportFile(hq.store, file)).toMatchObject({ ok: true, ackedThrough: 25_000 });
      expect(await holdings(station)).toEqual({ records: 25_000, conflicts: 0, maxSeq: 25_000 });
      const later = samplingJournal(25_100).slice(25_050);
      expect(await importExportFile(hq.store, exportFile(station, later))).toMatchObject({ ok: false, error: 'import.gap', expectedSeq: 25_001 });
    });

    it('refuses a file signed by another key, of an unknown station, or not an export', async () => {
      const station = await enrolled();
      const records = samplingJournal(10);
      const wrongKey = exportFile(station, records, generateKeyPairSync('ed25519').privateKey);
      expect(await importExportFile(hq.store, wrongKey)).toMatchObject({ ok: false, error: 'signature.invalid' });
      const stranger = new SimStation(base);
      stranger.stationId = 'not-enrolled';
      expect(await importExportFile(hq.store, exportFile(stranger, records))).toMatchObject({ ok: false, error: 'station.unknown' });
      expect(await importExportFile(hq.store, Buffer.from('<html>'))).toMatchObject({ ok: false, error: 'body.invalid' });
      expect(await holdings(station)).toEqual({ records: 0, conflicts: 0, maxSeq: 0 });
    });
  });

  describe('dashboard', () => {
    it('renders stations, sites today, coverage and positives behind the admin token', async () => {
      const station = await enrolled('site-a');
      const other = await enrolled('site-a');
      // HQ names stations itself ("1号采样台"); its staff rename them, and the dashboard escapes every name.
      expect((await admin(HQ_PATHS.adminStations, { stationId: station.stationId, name: '东门采样台' })).status).toBe(200);
      expect((await admin(HQ_PATHS.adminStations, { stationId: other.stationId, name: '<script>alert(1)</script>' })).status).toBe(200);
      await station.upload(samplingJournal(48, { at: new Date(clock) }), { headSeq: 60 });
      await admin(HQ_PATHS.adminResults, { tubeCode: 'SY0010000002', result: 'positive' });
      expect((await admin(HQ_PATHS.adminRounds, { siteId: 'site-a', name: '第2轮全员核酸' })).status).toBe(200);
      const anonymous = await fetch(`${base}/dashboard`, { redirect: 'manual' });
      expect(anonymous.status).toBe(303);
      expect(anonymous.headers.get('location')).toBe('/login');
      const res = await fetch(`${base}/dashboard`, { headers: { authorization: `Bearer ${ADMIN}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
      const html = await res.text();
      expect(html).toContain('东门采样台');
      expect(html).toContain('SY0010000002');
      expect(html).toContain('总部看板');
      expect(html).not.toContain('<script');
      expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
      const dash = await hq.store.dashboard(new Date(clock + 8 * 3600_000).toISOString().slice(0, 10));
      expect(dash.sites).toEqual([{ siteId: 'site-a', siteName: '采样点 site-a', people: 21, tubes: 3, boxes: 0 }]);
      expect(dash.stations.find((s) => s.id === station.stationId)).toMatchObject({ ackedThrough: 48, headSeq: 60 });
      // The site's round, open, with no coverage to show until the site has a roster.
      expect(dash.siteRounds).toEqual([expect.objectContaining({ siteName: '采样点 site-a', name: '第2轮全员核酸', closedAt: null, coverage: null })]);
      expect(html).toContain('第2轮全员核酸');
      const en = await (await fetch(`${base}/dashboard?lang=en`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
      expect(en).toContain('HQ dashboard');
    });

    it('signs in with the token and posts a result from the form', async () => {
      const station = await enrolled('site-a');
      await station.upload(samplingJournal(12));
      const wrong = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=nope', redirect: 'manual' });
      expect(wrong.status).toBe(401);
      const login = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${ADMIN}`, redirect: 'manual' });
      expect(login.status).toBe(303);
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      const posted = await fetch(`${base}/dashboard/results`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        body: 'tubeCode=SY0010000001&result=invalid',
        redirect: 'manual',
      });
      expect(posted.headers.get('location')).toContain('posted=ok');
      const feed = feedResponseSchema.parse((await station.feed(0)).json);
      expect(feed.items.find((i) => i.kind === 'tube.result')!.payload).toMatchObject({ tubeCode: 'SY0010000001', result: 'invalid' });
    });
  });
});

describe('HQ service restart', () => {
  it('keeps what it acknowledged and the replay memory across a restart (SQLite)', async () => {
    const dir = tempDir('hq-restart-');
    let hq = await createHqServer({ dataDir: dir, adminToken: ADMIN });
    const base = await hq.listen(0);
    const { code } = await hq.createEnrollmentCode('site-a', '幸福社区');
    const station = new SimStation(base);
    await station.enroll(code);
    const req = station.sign('POST', HQ_PATHS.batches, station.batchBody(samplingJournal(10)).body);
    expect((await station.send(req)).status).toBe(200);
    await hq.close();
    hq = await createHqServer({ dataDir: dir, adminToken: ADMIN });
    const again = new SimStation(await hq.listen(0));
    Object.assign(again, { stationId: station.stationId, privateKey: station.privateKey });
    expect((await again.send(req)).json.error).toBe('request.replayed');
    expect(await hq.store.holdings(station.stationId)).toEqual({ records: 10, conflicts: 0, maxSeq: 10 });
    await hq.close();
    expect(fs.existsSync(`${dir}/hq.sqlite`)).toBe(true);
  });
});

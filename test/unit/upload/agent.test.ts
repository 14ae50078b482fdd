import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { StationCore } from '../../../electron/core/core';
import type { UploadStatus } from '../../../electron/api/upload';
import { dataKeyOf, signInAdmin, tempDir } from '../../helpers/core';
import { bindPeople } from '../../e2e/upload-env';
import { hqSigner } from '../../helpers/hq-signer';

type Seen = { method: string; url: string; headers: http.IncomingHttpHeaders; body: Buffer; at: number };
/** `unsigned`: sent without HQ's signature (a portal, a proxy). */
type Answer = { status: number; type?: string; body: string; headers?: Record<string, string>; unsigned?: boolean };
type Script = (req: Seen, batch: { batchId: string; stationId: string; fromSeq: number; toSeq: number } | null) => Answer | Promise<Answer>;

let server: http.Server | undefined;
let core: StationCore | undefined;
afterEach(async () => {
  core?.close();
  core = undefined;
  if (server) await new Promise<void>((r) => server!.close(() => r()));
  server = undefined;
});

/** The stand-in HQ's key: enrollment codes name it, every answer is signed with it. */
const signer = hqSigner();
const CODE = signer.code();

const FAST = { backoff: { baseMs: 5, capMs: 40, maxRetryAfterMs: 5000 }, timeoutMs: 1000, idleMs: 20, feedIdleMs: 60_000, feedEveryMs: 60_000 };
const ENROLLED = { type: 'station.enrolled', stationId: 'hq-st-1', siteId: 'site-1', siteName: '测试社区', stationNumber: 2, stationName: '2号采样台' };
const json = (status: number, body: unknown, headers?: Record<string, string>): Answer => ({ status, type: 'application/json', body: JSON.stringify(body), headers });
const ack = (b: { batchId: string; toSeq: number }, extra: object = {}) =>
  json(200, { type: 'hq.ack', batchId: b.batchId, stationId: 'hq-st-1', ackedThrough: b.toSeq, expectedSeq: b.toSeq + 1, rejections: [], ...extra });

/** A scripted stand-in for HQ: answers what each test needs, records what the station sent. */
async function stubHq(script: Script): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const s: Seen = { method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks), at: Date.now() };
      seen.push(s);
      let answer: Answer;
      if (req.url === '/api/v1/enroll') answer = s.body.includes('"probe"') ? json(400, { error: 'body.invalid', hqTime: Date.now() }) : json(200, ENROLLED);
      else if (req.url?.startsWith('/api/v1/feed')) answer = json(200, { type: 'hq.feed', items: [], nextCursor: 0 });
      // The site's counts a station asks for after each feed pull: this stand-in is an HQ without them.
      else if (req.url?.startsWith('/api/v1/site-day')) answer = json(404, { error: 'not.found' });
      else {
        const batch = req.url === '/api/v1/batches' ? (JSON.parse(gunzipSync(s.body).toString('utf8')) as Parameters<Script>[1]) : null;
        answer = await script(s, batch);
      }
      const signed = answer.unsigned ? {} : signer.headers(s, answer.status, answer.body, { hqTime: answer.headers?.['x-hq-time'] });
      res.writeHead(answer.status, { 'content-type': answer.type ?? 'text/plain', ...answer.headers, ...signed });
      res.end(answer.body);
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, seen };
}

async function enrolledCore(url: string, dataDir = tempDir(), tuning: object = {}): Promise<StationCore> {
  const c = await signInAdmin(new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), upload: { tuning: { ...FAST, ...tuning } } }));
  const r = await c.invoke('upload.enroll', { hqUrl: url, code: CODE });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  // Enrolled, the station's own demo round is over: a site admin starts the site's round.
  const round = await c.invoke('round.start', { name: '第1轮全员核酸' });
  if (!round.ok) throw new Error(JSON.stringify(round.error));
  return c;
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const batches = (seen: Seen[]) => seen.filter((s) => s.url === '/api/v1/batches');
const status = (): UploadStatus => core!.upload.status();

describe('upload agent against a scripted HQ', () => {
  it('treats an ack of another batch, a truncated ack and a portal page as failures', async () => {
    let mode: 'wrongId' | 'truncated' | 'portal' | 'ok' = 'wrongId';
    const hq = await stubHq((_req, b) => {
      if (mode === 'wrongId') return ack({ batchId: '00000000-0000-4000-8000-000000000000', toSeq: b!.toSeq });
      if (mode === 'truncated') return { status: 200, type: 'application/json', body: JSON.stringify(ack(b!).body).slice(0, 40) };
      if (mode === 'portal') return { status: 200, type: 'text/html', body: '<html>login</html>', unsigned: true };
      return ack(b!);
    });
    core = await enrolledCore(hq.url);
    core.upload.start();
    for (const m of ['wrongId', 'truncated', 'portal'] as const) {
      mode = m;
      const before = batches(hq.seen).length;
      await until(() => batches(hq.seen).length >= before + 3, `${m} answers`);
      expect(core.upload.store.state().ackedThrough, m).toBe(0);
      expect(status().lastFailure?.code, m).toBe('upload.notHq');
    }
    mode = 'ok';
    await until(() => status().waiting === 0, 'acknowledged');
    expect(status()).toMatchObject({ online: true, lastFailure: null, ackedThrough: core.journal.lastSeq() });
  });

  it('corrects its clock from HQ when told its timestamp is stale, and signs with HQ time after', async () => {
    const hqAhead = 3 * 86_400_000;
    let stale = true;
    const hq = await stubHq((req, b) => {
      if (stale) {
        stale = false;
        return json(401, { error: 'timestamp.stale', hqTime: Date.now() + hqAhead });
      }
      const answer = ack(b!);
      answer.headers = { 'x-hq-time': String(Date.now() + hqAhead), date: new Date(Date.now() + hqAhead).toUTCString() };
      return answer;
    });
    core = await enrolledCore(hq.url);
    core.upload.start();
    await until(() => status().waiting === 0, 'acknowledged');
    const [first, second] = batches(hq.seen);
    expect(Math.abs(Number(first!.headers['x-station-timestamp']) - first!.at)).toBeLessThan(60_000);
    expect(Math.abs(Number(second!.headers['x-station-timestamp']) - (second!.at + hqAhead))).toBeLessThan(60_000);
    // The same frozen bytes, signed anew.
    expect(second!.body.equals(first!.body)).toBe(true);
    expect(second!.headers['x-station-signature']).not.toBe(first!.headers['x-station-signature']);
    expect(core.upload.store.state().clockOffsetMs).toBeGreaterThan(hqAhead - 60_000);
  });

  it('waits as long as Retry-After asks before sending again', async () => {
    let busy = true;
    const hq = await stubHq((_req, b) => {
      if (busy) {
        busy = false;
        return { status: 503, type: 'text/html', body: 'busy', headers: { 'retry-after': '1' }, unsigned: true };
      }
      return ack(b!);
    });
    core = await enrolledCore(hq.url);
    core.upload.start();
    await until(() => status().waiting === 0, 'acknowledged');
    const [first, second] = batches(hq.seen);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(950);
    expect(second!.body.equals(first!.body)).toBe(true);
  });

  it('backs off as long as a 429 from HQ asks, and tells staff HQ is busy', async () => {
    let limited = true;
    const hq = await stubHq((_req, b) => (limited ? json(429, { error: 'rate.limited', hqTime: Date.now(), detail: 'retry in 3600 s' }, { 'retry-after': '3600' }) : ack(b!)));
    core = await enrolledCore(hq.url);
    core.upload.start();
    await until(() => status().lastFailure?.code === 'upload.hqBusy', 'told HQ is busy');
    expect(status().lastFailure).toMatchObject({ code: 'upload.hqBusy', hqError: 'rate.limited' });
    const sent = batches(hq.seen).length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(batches(hq.seen).length).toBe(sent);
    limited = false;
    expect((await core.invoke('upload.syncNow', {})).ok).toBe(true);
    await until(() => status().waiting === 0, 'acknowledged after the wait');
  });

  it('keeps the records HQ rejected, with their codes, for staff', async () => {
    const hq = await stubHq((_req, b) => ack(b!, { rejections: [{ seq: 2, code: 'record.invalid', detail: 'payload.name: too long' }] }));
    core = await enrolledCore(hq.url);
    core.upload.start();
    await until(() => status().waiting === 0, 'acknowledged');
    expect(status()).toMatchObject({ rejectionCount: 1, rejections: [{ seq: 2, kind: 'station.created', code: 'record.invalid', detail: 'payload.name: too long' }] });
  });

  it('rebuilds a smaller batch when HQ says the body is too large', async () => {
    const sizes: number[] = [];
    const hq = await stubHq((_req, b) => {
      sizes.push(b!.toSeq - b!.fromSeq + 1);
      return sizes.length === 1 ? json(413, { error: 'body.tooLarge', hqTime: Date.now() }) : ack(b!);
    });
    core = await enrolledCore(hq.url);
    core.upload.start();
    await until(() => status().waiting === 0, 'acknowledged');
    expect(sizes[0]).toBe(core.journal.lastSeq());
    expect(sizes[1]).toBe(Math.floor(sizes[0]! / 2));
  });
});

describe('two batches on their way at once', () => {
  type Batch = NonNullable<Parameters<Script>[1]>;
  /** Batches of 4 records, and enough records for several. */
  async function pipelinedCore(url: string): Promise<StationCore> {
    const c = await enrolledCore(url, tempDir(), { limits: { maxRecords: 4, maxBytes: 1024 * 1024 } });
    await bindPeople(c, 10, 5);
    return c;
  }
  const sent = (seen: Seen[]) => batches(seen).map((s) => JSON.parse(gunzipSync(s.body).toString('utf8')) as Batch);

  it('sends the next frozen batch before the first is acknowledged, and counts acknowledgements only in order', async () => {
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((r) => (releaseFirst = r));
    let firstId: string | null = null;
    const hq = await stubHq(async (_req, b) => {
      if (firstId === null || b!.batchId === firstId) {
        firstId = b!.batchId;
        await firstHeld;
      }
      return ack(b!);
    });
    core = await pipelinedCore(hq.url);
    core.upload.start();
    // The second batch arrives and is acknowledged while the first is still unanswered.
    await until(() => batches(hq.seen).length === 2, 'the second batch sent');
    const [first, second] = sent(hq.seen);
    expect(second!.fromSeq).toBe(first!.toSeq + 1);
    expect(core.upload.store.frozen().map((b) => b.batchId)).toEqual([first!.batchId, second!.batchId]);
    await new Promise((r) => setTimeout(r, 100));
    expect(core.upload.store.state().ackedThrough).toBe(0);
    expect(batches(hq.seen)).toHaveLength(2);
    releaseFirst();
    await until(() => status().waiting === 0, 'everything acknowledged');
    // Every batch sent once, in order, contiguous.
    const all = sent(hq.seen);
    expect(new Set(all.map((b) => b.batchId)).size).toBe(all.length);
    for (let i = 1; i < all.length; i++) expect(all[i]!.fromSeq).toBe(all[i - 1]!.toSeq + 1);
    expect(all[all.length - 1]!.toSeq).toBe(core.journal.lastSeq());
  });

  it('sends the second batch again, byte for byte, when HQ answered it with a gap because the first had failed', async () => {
    let firstId: string | null = null;
    let firstTries = 0;
    const hq = await stubHq(async (_req, b) => {
      firstId ??= b!.batchId;
      if (b!.batchId === firstId && ++firstTries === 1) {
        // The first is lost on the way; HQ holds nothing, so the second is a gap.
        await new Promise((r) => setTimeout(r, 50));
        return { status: 502, type: 'text/html', body: 'bad gateway', unsigned: true };
      }
      if (b!.batchId !== firstId && firstTries < 2) return json(409, { type: 'hq.gap', expectedSeq: 1 });
      return ack(b!);
    });
    core = await pipelinedCore(hq.url);
    core.upload.start();
    await until(() => status().waiting === 0, 'everything acknowledged');
    const all = sent(hq.seen);
    const [first, second] = all;
    // Not rewound: the same two frozen batches went again, and nothing was read anew for their range.
    expect(all.filter((b) => b.batchId === first!.batchId)).toHaveLength(2);
    const secondSends = batches(hq.seen).filter((_s, i) => all[i]!.batchId === second!.batchId);
    expect(secondSends).toHaveLength(2);
    expect(secondSends[1]!.body.equals(secondSends[0]!.body)).toBe(true);
    expect(all.filter((b) => b.fromSeq === second!.fromSeq && b.batchId !== second!.batchId)).toHaveLength(0);
    expect(core.upload.store.state().ackedThrough).toBe(core.journal.lastSeq());
  });

  it('rewinds when HQ answers the first batch in line with a gap (HQ lost what it had acknowledged)', async () => {
    let lost = true;
    let expected = 1;
    const hq = await stubHq((_req, b) => {
      if (lost && b!.fromSeq > 1) {
        lost = false;
        return json(409, { type: 'hq.gap', expectedSeq: 1 });
      }
      if (b!.fromSeq > expected) return json(409, { type: 'hq.gap', expectedSeq: expected });
      expected = Math.max(expected, b!.toSeq + 1);
      return ack(b!);
    });
    core = await pipelinedCore(hq.url);
    // The station believes HQ holds its first 8 records.
    await core.writer.run(() => core!.db.prepare('UPDATE upload_state SET acked_through = 8').run());
    core.upload.start();
    await until(() => status().waiting === 0 && !lost, 'everything acknowledged');
    const all = sent(hq.seen);
    expect(all.some((b) => b.fromSeq === 1)).toBe(true);
    expect(core.upload.store.state().ackedThrough).toBe(core.journal.lastSeq());
  });
});

describe('enrollment', () => {
  it('a running station enrolled from another process (station enroll) starts uploading by itself', async () => {
    const hq = await stubHq((_req, b) => ack(b!));
    const dataDir = tempDir();
    core = await signInAdmin(new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), upload: { start: true, tuning: FAST } }));
    expect(status()).toMatchObject({ enrolled: false, running: false });
    const other = await signInAdmin(new StationCore({ dataDir, dataKey: dataKeyOf(dataDir) }));
    const enrolled = await other.invoke('upload.enroll', { hqUrl: hq.url, code: CODE });
    other.close();
    expect(enrolled.ok).toBe(true);
    await until(() => batches(hq.seen).length > 0 && status().waiting === 0, 'uploaded after enrollment elsewhere');
    expect(status()).toMatchObject({ enrolled: true, running: true });
  });

  it('keeps the private key in the data folder (0600) and sends only the public key', async () => {
    const hq = await stubHq(() => json(500, {}));
    const dataDir = tempDir();
    core = await enrolledCore(hq.url, dataDir);
    // First HQ shows its key (asked without the code), then the code goes with the public key.
    const [probe, enrollment] = hq.seen.filter((s) => s.url === '/api/v1/enroll').map((s) => JSON.parse(s.body.toString('utf8')) as Record<string, string>);
    expect(Object.keys(probe!)).toEqual(['probe']);
    const sent = enrollment!;
    expect(Object.keys(sent).sort()).toEqual(['code', 'localStationId', 'publicKey', 'stationName']);
    expect(sent.publicKey).toContain('BEGIN PUBLIC KEY');
    expect(hq.seen.every((s) => !s.body.toString('utf8').includes('PRIVATE'))).toBe(true);
    const keyFile = path.join(dataDir, 'station-key.pem');
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(keyFile, 'utf8')).toContain('BEGIN PRIVATE KEY');
    expect(status()).toMatchObject({ enrolled: true, hq: { stationId: 'hq-st-1', siteName: '测试社区' } });
    const again = await core.invoke('upload.enroll', { hqUrl: hq.url, code: CODE });
    expect(!again.ok && again.error.code).toBe('upload.alreadyEnrolled');
  });

  it('reports HQ refusals and non-HQ answers as their own errors, keeping no key', async () => {
    const dataDir = tempDir();
    let answer: Answer = json(403, { error: 'enroll.codeUsed', hqTime: Date.now() });
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const signed = answer.unsigned ? {} : signer.headers({ headers: req.headers, body: Buffer.concat(chunks) }, answer.status, answer.body);
        res.writeHead(answer.status, { 'content-type': answer.type ?? 'text/plain', ...signed });
        res.end(answer.body);
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    core = await signInAdmin(new StationCore({ dataDir, dataKey: dataKeyOf(dataDir) }));
    const used = await core.invoke('upload.enroll', { hqUrl: url, code: CODE });
    expect(!used.ok && used.error.code).toBe('enroll.codeUsed');
    answer = { status: 200, type: 'text/html', body: '<html>portal</html>', unsigned: true };
    const portal = await core.invoke('upload.enroll', { hqUrl: url, code: CODE });
    expect(!portal.ok && portal.error).toEqual({ code: 'enroll.wrongHq', params: { status: 200 } });
    answer = { status: 200, type: 'text/html', body: '<html>signed, but not an enrollment</html>' };
    const foreign = await core.invoke('upload.enroll', { hqUrl: url, code: CODE });
    expect(!foreign.ok && foreign.error).toEqual({ code: 'enroll.notHq', params: { status: 200 } });
    const closed = await core.invoke('upload.enroll', { hqUrl: 'http://127.0.0.1:1', code: CODE });
    expect(!closed.ok && closed.error.code).toBe('enroll.hqUnreachable');
    expect(fs.readdirSync(dataDir).filter((f) => f.includes('key'))).toEqual([]);
    expect(status().enrolled).toBe(false);
    const sync = await core.invoke('upload.syncNow', {});
    expect(!sync.ok && sync.error.code).toBe('upload.notEnrolled');
  });
});

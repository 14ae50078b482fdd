import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { StationCore } from '../../electron/core/core';
import { insecureTransport } from '../../electron/core/upload/service';
import { dataKeyOf, freshFolder, signInAdmin, tempDir } from '../helpers/core';
import { hqSigner } from '../helpers/hq-signer';
import { tubeCode } from '../helpers/ids';
import { StationCore as Core } from '../../electron/core/core';
import { bindPeople, FAST_TUNING, startHq, uploadedAll, waitFor, type RunningHq } from './upload-env';

/**
 * What the man in the middle does to the next requests:
 * - `pass`: forwards both ways untouched.
 * - `ackItself`: answers every batch with an acknowledgement of its own, HQ never sees it.
 * - `signOwn`: the same, signed with a key of its own as HQ's would be.
 * - `replay`: forwards a batch the first time and keeps HQ's answer from the station; answers the
 *   batch's next send with that old answer of HQ's.
 * - `forgeResult`: forwards feed requests and adds a positive result to HQ's answer.
 */
type Mode = 'pass' | 'ackItself' | 'signOwn' | 'replay' | 'forgeResult';

type Forwarded = { status: number; headers: http.IncomingHttpHeaders; body: Buffer };

function forward(target: URL, req: http.IncomingMessage, body: Buffer): Promise<Forwarded> {
  return new Promise((resolve, reject) => {
    const out = http.request({ hostname: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    out.on('error', reject);
    out.end(body);
  });
}

type Middle = { url: string; mode: Mode; answered: number; sent: string[]; close(): Promise<void> };

async function manInTheMiddle(hqUrl: string): Promise<Middle> {
  const target = new URL(hqUrl);
  const own = hqSigner();
  const kept = new Map<string, Forwarded>();
  const middle: Middle = { url: '', mode: 'pass', answered: 0, sent: [], close: async () => undefined };
  const reply = (res: http.ServerResponse, a: Forwarded, body = a.body): void => {
    const headers = { ...a.headers, 'content-length': String(body.length) };
    delete headers['transfer-encoding'];
    delete headers.connection;
    res.writeHead(a.status, headers);
    res.end(body);
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        const body = Buffer.concat(chunks);
        middle.sent.push(body.toString('latin1'));
        const isBatch = req.url === '/api/v1/batches';
        const batch = isBatch ? (JSON.parse(zlib.gunzipSync(body).toString('utf8')) as { batchId: string; stationId: string; toSeq: number }) : null;
        if (batch && (middle.mode === 'ackItself' || middle.mode === 'signOwn')) {
          middle.answered++;
          const ack = Buffer.from(JSON.stringify({ type: 'hq.ack', batchId: batch.batchId, stationId: batch.stationId, ackedThrough: batch.toSeq, expectedSeq: batch.toSeq + 1, rejections: [] }));
          const signed = middle.mode === 'signOwn' ? own.headers({ headers: req.headers, body }, 200, ack) : {};
          return reply(res, { status: 200, headers: { 'content-type': 'application/json', ...signed }, body: ack });
        }
        if (batch && middle.mode === 'replay') {
          const old = kept.get(batch.batchId);
          if (!old) {
            // HQ stores it; its answer never reaches the station, which sends the batch again.
            kept.set(batch.batchId, await forward(target, req, body));
            req.socket.destroy();
            return;
          }
          middle.answered++;
          return reply(res, old);
        }
        const answer = await forward(target, req, body);
        if (middle.mode === 'forgeResult' && req.url?.startsWith('/api/v1/feed') && answer.status === 200) {
          const feed = JSON.parse(answer.body.toString('utf8')) as { items: unknown[]; nextCursor: number };
          const cursor = feed.nextCursor + 1000;
          feed.items.push({ cursor, kind: 'tube.result', payload: { tubeCode: tubeCode(1), result: 'positive', at: new Date().toISOString() } });
          feed.nextCursor = cursor;
          middle.answered++;
          return reply(res, answer, Buffer.from(JSON.stringify(feed)));
        }
        return reply(res, answer);
      })().catch(() => req.socket.destroy());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  middle.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  middle.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return middle;
}

let hq: RunningHq | null = null;
let middle: Middle | null = null;
let core: StationCore | null = null;
afterEach(async () => {
  core?.close();
  core = null;
  await middle?.close();
  middle = null;
  await hq?.server.close();
  hq = null;
});

/** A station enrolled at HQ directly, then talking to it through the man in the middle. */
async function stationBehindMiddle(): Promise<StationCore> {
  hq = await startHq();
  middle = await manInTheMiddle(hq.url);
  const { code } = await hq.server.createEnrollmentCode('site-mitm', '中间人测试点');
  const c = await signInAdmin(new Core({ ...freshFolder('station-mitm-'), upload: { hqUrl: middle.url, start: false, tuning: FAST_TUNING } }));
  const enrolled = await c.invoke('upload.enroll', { hqUrl: hq.url, code });
  if (!enrolled.ok) throw new Error(JSON.stringify(enrolled.error));
  const round = await c.invoke('round.start', { name: '第1轮' });
  if (!round.ok) throw new Error(JSON.stringify(round.error));
  return c;
}

const hqHolds = async (c: StationCore) => (await hq!.server.store.holdings(c.upload.store.link()!.stationId)).maxSeq;

describe('answers in HQ’s name that HQ did not sign', () => {
  for (const mode of ['ackItself', 'signOwn', 'replay'] as const) {
    it(`${mode}: nothing is marked acknowledged, staff are told, and once the way is clear all goes to HQ`, async () => {
      core = await stationBehindMiddle();
      await bindPeople(core, 10, 5);
      middle!.mode = mode;
      core.upload.start();
      await waitFor('answers refused', () => middle!.answered >= 2 && (core!.upload.status().refusedAnswers?.count ?? 0) >= 2);
      const status = core.upload.status();
      expect(status.ackedThrough).toBe(0);
      expect(status.waiting).toBe(core.journal.lastSeq());
      // Signed by a key of its own: told apart from an unsigned answer, as HQ's key changed past this desk's would be.
      expect(status.lastFailure?.code).toBe(mode === 'signOwn' ? 'upload.hqKeyUnknown' : 'upload.notHq');
      expect(core.upload.store.state().lastSuccessAt).toBeNull();
      if (mode !== 'replay') expect(await hqHolds(core)).toBe(0);
      middle!.mode = 'pass';
      await waitFor('uploaded through HQ', () => uploadedAll(core!));
      expect(await hqHolds(core)).toBe(core.journal.lastSeq());
    });
  }

  it('forgeResult: a result added to HQ’s feed is not applied, nor anything of that page', async () => {
    core = await stationBehindMiddle();
    await bindPeople(core, 10, 10);
    middle!.mode = 'forgeResult';
    core.upload.start();
    await waitFor('forged feed pages refused', () => middle!.answered >= 2 && (core!.upload.status().refusedAnswers?.count ?? 0) >= 2);
    expect(core.db.prepare('SELECT count(*) AS n FROM hq_result').get()).toEqual({ n: 0 });
    expect(core.upload.store.state().feedCursor).toBe(0);
    const positives = await core.invoke('results.positives', {});
    expect(positives.ok && positives.value).toEqual([]);
    // HQ's own result, signed, is applied.
    middle!.mode = 'pass';
    await waitFor('uploaded', () => uploadedAll(core!));
    expect(await hq!.server.postResult(tubeCode(1), 'positive')).toEqual({ ok: true });
    await waitFor('HQ’s result applied', () => (core!.db.prepare('SELECT count(*) AS n FROM hq_result').get() as { n: number }).n === 1);
  });

  it('a station enrolled before HQ signed its answers takes HQ’s key from its first signed answer, then refuses any other', async () => {
    core = await stationBehindMiddle();
    await core.writer.run(() => core!.db.prepare('UPDATE hq_link SET hq_public_key = NULL').run());
    expect(core.upload.status().hqFingerprint).toBeNull();
    await bindPeople(core, 5, 5);
    core.upload.start();
    await waitFor('uploaded', () => uploadedAll(core!));
    expect(core.upload.status().hqFingerprint).toBe(hq!.server.fingerprint);
    await bindPeople(core, 5, 5, 5);
    middle!.mode = 'signOwn';
    await waitFor('the other key refused', () => (core!.upload.status().refusedAnswers?.count ?? 0) >= 1);
    expect(core.upload.status().waiting).toBeGreaterThan(0);
    // HQ's key is kept: another key is never taken without HQ's key vouching for it.
    expect(core.upload.store.link()!.hqPublicKey).toBe((await fetch(`${hq!.url}/api/v1/feed`)).headers.get('x-hq-key'));
  });
});

describe('enrollment names its HQ', () => {
  it('refuses an HQ whose key is not the one the code names, keeping no key', async () => {
    hq = await startHq();
    const other = await startHq();
    // What reaches the other HQ, as whoever runs it would see it.
    const watched = await manInTheMiddle(other.url);
    try {
      const { code } = await hq.server.createEnrollmentCode('site-real', '真总部点');
      expect(code.replace(/-/g, '').slice(12)).toBe(hq.server.fingerprint);
      const dataDir = tempDir('station-fake-');
      core = await signInAdmin(new Core({ dataDir, dataKey: dataKeyOf(dataDir) }));
      const refused = await core.invoke('upload.enroll', { hqUrl: watched.url, code });
      expect(!refused.ok && refused.error.code).toBe('enroll.wrongHq');
      expect(core.upload.status().enrolled).toBe(false);
      // It was asked to show its key, and never given the code.
      expect(watched.sent).toHaveLength(1);
      const oneTime = code.replace(/-/g, '').slice(0, 12);
      expect(watched.sent.some((body) => body.replace(/-/g, '').includes(oneTime))).toBe(false);
      // The same code without the fingerprint is refused before anything is sent.
      const bare = await core.invoke('upload.enroll', { hqUrl: hq.url, code: code.replace(/-/g, '').slice(0, 12) });
      expect(!bare.ok && bare.error.code).toBe('enroll.codeWithoutKey');
      // The real HQ still takes the code.
      const enrolled = await core.invoke('upload.enroll', { hqUrl: hq.url, code });
      expect(enrolled.ok && enrolled.value.hqFingerprint).toBe(hq.server.fingerprint);
    } finally {
      await watched.close();
      await other.server.close();
    }
  });

  it('warns of plain HTTP to an address other than this computer', () => {
    expect(insecureTransport('http://127.0.0.1:8443')).toBe(false);
    expect(insecureTransport('http://localhost:8443')).toBe(false);
    expect(insecureTransport('https://hq.example.org')).toBe(false);
    expect(insecureTransport('http://192.0.2.10:8443')).toBe(true);
    expect(insecureTransport('http://hq.example.org')).toBe(true);
  });
});

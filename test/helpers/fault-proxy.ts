import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';

/**
 * What the proxy does to one request:
 * - `pass`: forward, answer with HQ's answer.
 * - `drop`: never forward, never answer (the station's timeout ends it).
 * - `delay`: forward after `delayMs`.
 * - `duplicate`: forward twice (the second copy is a replay to HQ), answer with the second answer.
 * - `truncate`: forward, answer with HQ's status and headers but half the body.
 * - `resetBefore`: close the connection without forwarding.
 * - `resetAfter`: forward (HQ stores the batch), then close the connection without answering.
 * - `error500`: answer 500 without forwarding.
 * - `busy503`: answer 503 with `Retry-After`, without forwarding.
 * - `portal`: answer like a captive portal, `200 text/html`, without forwarding.
 */
export const FAULTS = ['pass', 'drop', 'delay', 'duplicate', 'truncate', 'resetBefore', 'resetAfter', 'error500', 'busy503', 'portal'] as const;
export type Fault = (typeof FAULTS)[number];

export type FaultProxyOptions = {
  target: string;
  /** Relative weights; faults not named do not happen. Default: everything passes. */
  weights?: Partial<Record<Fault, number>>;
  seed?: number;
  delayMs?: number;
  retryAfterSeconds?: number;
};

export type FaultProxy = {
  url: string;
  /** How often each fault happened. */
  counts: Record<Fault, number>;
  /** sha256 of every body sent for each batchId: one entry per batch means every retry was byte-identical. */
  batchBodies: Map<string, Set<string>>;
  /** How many times each batchId was sent. */
  batchSends: Map<string, number>;
  /** Forces one fault for every request (null: back to the weights). */
  force(fault: Fault | null): void;
  setTarget(url: string): void;
  setWeights(weights: Partial<Record<Fault, number>>): void;
  close(): Promise<void>;
};

/** A small seeded generator (mulberry32) so a failing run can be repeated with its seed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Forwarded = { status: number; headers: http.IncomingHttpHeaders; body: Buffer };

function forward(target: URL, req: http.IncomingMessage, body: Buffer): Promise<Forwarded> {
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers, host: target.host };
    const out = http.request(
      { hostname: target.hostname, port: target.port, path: req.url, method: req.method, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    out.on('error', reject);
    out.end(body);
  });
}

const PORTAL_PAGE = '<!doctype html><html><head><title>Wi-Fi login</title></head><body><form>Please log in to use the network</form></body></html>';

/**
 * A fault-injecting HTTP proxy on loopback between a station and HQ. Every fault is what real
 * networks do to a desk's uploads: lost packets, stalls, duplicated requests, cut answers,
 * resets, overloaded servers and captive portals.
 */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  let target = new URL(options.target);
  let weights: Partial<Record<Fault, number>> = options.weights ?? { pass: 1 };
  let forced: Fault | null = null;
  const random = seeded(options.seed ?? 1);
  const counts = Object.fromEntries(FAULTS.map((f) => [f, 0])) as Record<Fault, number>;
  const batchBodies = new Map<string, Set<string>>();
  const batchSends = new Map<string, number>();

  const pick = (): Fault => {
    if (forced) return forced;
    const entries = Object.entries(weights) as [Fault, number][];
    const total = entries.reduce((s, [, w]) => s + w, 0);
    let r = random() * total;
    for (const [fault, w] of entries) {
      if ((r -= w) < 0) return fault;
    }
    return 'pass';
  };

  const noteBatch = (req: http.IncomingMessage, body: Buffer): void => {
    if (req.method !== 'POST' || !req.url?.startsWith('/api/v1/batches')) return;
    try {
      const batch = JSON.parse(zlib.gunzipSync(body).toString('utf8')) as { batchId?: string };
      if (typeof batch.batchId !== 'string') return;
      const set = batchBodies.get(batch.batchId) ?? new Set<string>();
      set.add(createHash('sha256').update(body).digest('hex'));
      batchBodies.set(batch.batchId, set);
      batchSends.set(batch.batchId, (batchSends.get(batch.batchId) ?? 0) + 1);
    } catch {
      // not a batch body: nothing to note
    }
  };

  const send = (res: http.ServerResponse, answer: Forwarded, body = answer.body): void => {
    const headers = { ...answer.headers, 'content-length': String(body.length) };
    delete headers['transfer-encoding'];
    delete headers.connection;
    res.writeHead(answer.status, headers);
    res.end(body);
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): Promise<void> => {
    const fault = pick();
    counts[fault]++;
    noteBatch(req, body);
    switch (fault) {
      case 'drop':
        return; // the station gives up; its socket closes ours
      case 'resetBefore':
        req.socket.destroy();
        return;
      case 'error500':
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('Internal Server Error');
        return;
      case 'busy503':
        res.writeHead(503, { 'content-type': 'text/html', 'retry-after': String(options.retryAfterSeconds ?? 1) });
        res.end('<html><body>Service Unavailable</body></html>');
        return;
      case 'portal':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(PORTAL_PAGE);
        return;
      case 'delay':
        await new Promise((r) => setTimeout(r, options.delayMs ?? 200));
        return send(res, await forward(target, req, body));
      case 'duplicate': {
        await forward(target, req, body);
        return send(res, await forward(target, req, body));
      }
      case 'truncate': {
        const answer = await forward(target, req, body);
        return send(res, answer, answer.body.subarray(0, Math.floor(answer.body.length / 2)));
      }
      case 'resetAfter':
        await forward(target, req, body);
        req.socket.destroy();
        return;
      case 'pass':
        return send(res, await forward(target, req, body));
    }
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      handle(req, res, Buffer.concat(chunks)).catch(() => {
        // HQ itself is down: to the station that is a reset connection.
        req.socket.destroy();
      });
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    batchBodies,
    batchSends,
    force(fault) {
      forced = fault;
    },
    setTarget(url) {
      target = new URL(url);
    },
    setWeights(w) {
      weights = w;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

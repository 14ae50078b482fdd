import type { KeyObject } from 'node:crypto';
import { signRequest } from '../../../hq/protocol';
import { parseRetryAfter } from './backoff';
import type { HqClock } from './clock';

/** What came back from one request: no answer at all, or an answer (from HQ or from whatever sits in between). */
export type Exchange =
  | { kind: 'network'; reason: 'timeout' | 'refused' | 'reset' | 'other' }
  | {
      kind: 'answer';
      status: number;
      contentType: string;
      body: Buffer;
      retryAfterMs: number | null;
      dateMs: number | null;
      /** HQ's clock in ms from its `x-hq-time` header, when the answer carries one. */
      hqTimeMs: number | null;
      sentAt: number;
      receivedAt: number;
    };

export type ClientOptions = {
  baseUrl: string;
  stationId: string;
  privateKey: KeyObject;
  clock: HqClock;
  timeoutMs: number;
};

/** Answers larger than this are cut off and so fail to parse: a portal cannot fill memory. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;
/** HQ stamps every answer with its clock in ms; `Date` has whole seconds only. */
const HQ_TIME_HEADER = 'x-hq-time';

function networkReason(err: unknown): 'timeout' | 'refused' | 'reset' | 'other' {
  const e = err as { name?: string; cause?: { code?: string; name?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || e.cause?.name === 'TimeoutError') return 'timeout';
  const code = e.cause?.code ?? '';
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return 'reset';
  return 'other';
}

async function readBounded(response: Response, limit: number): Promise<Buffer> {
  if (!response.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    const buf = Buffer.from(chunk as Uint8Array);
    size += buf.length;
    if (size > limit) {
      chunks.push(buf.subarray(0, buf.length - (size - limit)));
      break;
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/**
 * Signed requests to HQ over Node's fetch (undici), each with a timeout covering the whole
 * exchange, body included. It reports what happened; deciding whether an answer is HQ's
 * acknowledgement is the agent's job.
 */
export class HqClient {
  constructor(private readonly options: ClientOptions) {}

  get clock(): HqClock {
    return this.options.clock;
  }

  async send(method: 'GET' | 'POST', pathWithQuery: string, body: Buffer, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Exchange> {
    const url = new URL(pathWithQuery, this.options.baseUrl);
    const signed = signRequest({
      stationId: this.options.stationId,
      privateKey: this.options.privateKey,
      method,
      pathWithQuery: url.pathname + url.search,
      body,
      now: this.options.clock.stamp(),
    });
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const sentAt = this.options.clock.local();
    try {
      const response = await fetch(url, {
        method,
        headers: { ...headers, ...signed },
        body: method === 'GET' ? undefined : body,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        redirect: 'manual',
      });
      const answer = await readBounded(response, MAX_ANSWER_BYTES);
      const receivedAt = this.options.clock.local();
      const date = response.headers.get('date');
      const dateMs = date === null ? null : Date.parse(date);
      const validDate = dateMs === null || Number.isNaN(dateMs) ? null : dateMs;
      const hqTime = response.headers.get(HQ_TIME_HEADER);
      return {
        kind: 'answer',
        status: response.status,
        contentType: response.headers.get('content-type') ?? '',
        body: answer,
        retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), validDate, receivedAt),
        dateMs: validDate,
        hqTimeMs: hqTime !== null && /^\d{1,16}$/.test(hqTime) ? Number(hqTime) : null,
        sentAt,
        receivedAt,
      };
    } catch (err) {
      return { kind: 'network', reason: networkReason(err) };
    }
  }
}

/** The answer's body as JSON when it says it is JSON and parses; otherwise null. */
export function answerJson(exchange: Exchange): unknown {
  if (exchange.kind !== 'answer' || !/^application\/json\b/i.test(exchange.contentType)) return null;
  try {
    return JSON.parse(exchange.body.toString('utf8')) as unknown;
  } catch {
    return null;
  }
}

import type { KeyObject } from 'node:crypto';
import {
  HEADER_HQ_HELD,
  HEADER_HQ_KEY,
  HEADER_HQ_KEY_ROTATION,
  HEADER_HQ_SIGNATURE,
  HEADER_HQ_TIME,
  HEADER_SIGNATURE,
  HEADER_STATION_HQ_KEY,
  hqKeyFingerprint,
  hqKeyHeader,
  keyRotationHolds,
  parseHeld,
  parseHqKey,
  parseKeyRotation,
  signRequest,
  verifyAnswer,
  type Held,
} from '../../../hq/protocol';
import { createLogger } from '../log';
import { parseRetryAfter } from './backoff';
import type { HqClock } from './clock';

const log = createLogger('upload');

/**
 * Why an answer was not taken as HQ's: `unsigned`, no valid signature of any key (a portal, a
 * proxy); `unknownKey`, signed by a key this station does not trust, with no word of its own key
 * for it (HQ changed keys while this station was away and retired the old one, or someone signs
 * in HQ's name); `forgedRotation`, a key change claimed in the name of the trusted key, which did
 * not sign it.
 */
export type Unverified = 'unsigned' | 'unknownKey' | 'forgedRotation';

/**
 * What came back from one request: no answer at all, an answer that HQ's key does not vouch for
 * (from whatever sits in between: a portal, a proxy, someone answering in HQ's name), or HQ's
 * own answer, signed for this very request.
 */
export type Exchange =
  | { kind: 'network'; reason: 'timeout' | 'refused' | 'reset' | 'other' }
  | { kind: 'unverified'; status: number; retryAfterMs: number | null; reason: Unverified }
  | {
      kind: 'answer';
      status: number;
      contentType: string;
      body: Buffer;
      retryAfterMs: number | null;
      dateMs: number | null;
      /** HQ's clock in ms from its `x-hq-time` header, when the answer carries one. */
      hqTimeMs: number | null;
      /** What HQ says it holds of this station's journal (answers to signed requests). */
      held: Held | null;
      sentAt: number;
      receivedAt: number;
    };

export type ClientOptions = {
  baseUrl: string;
  stationId: string;
  privateKey: KeyObject;
  clock: HqClock;
  timeoutMs: number;
  /**
   * HQ's key (enrollment pins it); null for a station enrolled before HQ signed its answers: it
   * takes the key of the first answer that verifies with it, and `onFirstKey` keeps it.
   */
  hqKey: KeyObject | null;
  onFirstKey?(keyHeader: string): void;
  /**
   * HQ changed its key: the key this station trusted signed the new one, which signed the answer.
   * The client trusts only the new key from then on; the caller keeps it (`previous`: the one replaced).
   */
  onKeyRotated?(keyHeader: string, previous: string): void;
};

/** Answers HQ's key did not vouch for: staff are shown how many, and when the last came. */
export type RefusedAnswers = { count: number; at: number };

/** Answers larger than this are cut off and so fail to parse: a portal cannot fill memory. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

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
  private hqKey: KeyObject | null;
  refused: RefusedAnswers | null = null;

  constructor(private readonly options: ClientOptions) {
    this.hqKey = options.hqKey;
  }

  get clock(): HqClock {
    return this.options.clock;
  }

  /** The fingerprint of the HQ key this client trusts; null before it has one. */
  get hqFingerprint(): string | null {
    return this.hqKey ? hqKeyFingerprint(this.hqKey.export({ format: 'der', type: 'spki' })) : null;
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
      const trusts = this.hqFingerprint;
      const response = await fetch(url, {
        method,
        headers: { ...headers, ...signed, ...(trusts ? { [HEADER_STATION_HQ_KEY]: trusts } : {}) },
        body: method === 'GET' ? undefined : body,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        redirect: 'manual',
      });
      const answer = await readBounded(response, MAX_ANSWER_BYTES);
      const receivedAt = this.options.clock.local();
      const date = response.headers.get('date');
      const dateMs = date === null ? null : Date.parse(date);
      const validDate = dateMs === null || Number.isNaN(dateMs) ? null : dateMs;
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), validDate, receivedAt);
      const hqTime = response.headers.get(HEADER_HQ_TIME) ?? '';
      const heldText = response.headers.get(HEADER_HQ_HELD) ?? '';
      const signature = response.headers.get(HEADER_HQ_SIGNATURE);
      const keyHeader = response.headers.get(HEADER_HQ_KEY);
      const offered = parseHqKey(keyHeader);
      const answerOf = { status: response.status, hqTime, held: heldText, request: signed[HEADER_SIGNATURE], body: answer };
      const signedBy = (key: KeyObject | null): boolean => key !== null && signature !== null && verifyAnswer(key, answerOf, signature);
      const trusted = this.hqKey;
      let rotatedFrom: string | null = null;
      if (trusted && offered && keyHeader !== hqKeyHeader(trusted)) {
        // Another key signs: taken only with the trusted key's own word for it (HQ rotated its key).
        const rotation = parseKeyRotation(response.headers.get(HEADER_HQ_KEY_ROTATION));
        const named = rotation !== null && rotation.from === hqKeyHeader(trusted);
        const holds = named && rotation.to === keyHeader && keyRotationHolds(trusted, rotation);
        const reason: Unverified | null = !signedBy(offered) ? 'unsigned' : holds ? null : named ? 'forgedRotation' : 'unknownKey';
        if (reason) return this.refuse(response.status, url.pathname, retryAfterMs, receivedAt, reason);
        rotatedFrom = hqKeyHeader(trusted);
      } else if (!signedBy(trusted ?? offered)) {
        return this.refuse(response.status, url.pathname, retryAfterMs, receivedAt, 'unsigned');
      }
      if (rotatedFrom !== null) {
        this.hqKey = offered;
        log.warn({ hqFingerprint: this.hqFingerprint }, 'HQ changed its key; the key trusted until now vouched for the new one, which is trusted from now on');
        this.options.onKeyRotated?.(keyHeader!, rotatedFrom);
      } else if (!trusted) {
        this.hqKey = offered;
        log.warn('HQ’s key taken from its first signed answer (this station was enrolled before HQ signed its answers)');
        this.options.onFirstKey?.(keyHeader!);
      }
      return {
        kind: 'answer',
        status: response.status,
        contentType: response.headers.get('content-type') ?? '',
        body: answer,
        retryAfterMs,
        dateMs: validDate,
        hqTimeMs: /^\d{1,16}$/.test(hqTime) ? Number(hqTime) : null,
        held: parseHeld(response.headers.get(HEADER_HQ_HELD)),
        sentAt,
        receivedAt,
      };
    } catch (err) {
      return { kind: 'network', reason: networkReason(err) };
    }
  }

  private refuse(status: number, path: string, retryAfterMs: number | null, at: number, reason: Unverified): Exchange {
    this.refused = { count: (this.refused?.count ?? 0) + 1, at };
    log.warn({ status, path, reason }, 'answer not signed by HQ’s key: ignored');
    return { kind: 'unverified', status, retryAfterMs, reason };
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

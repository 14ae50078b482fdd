export type BackoffPolicy = {
  /** First retry waits up to this long. */
  baseMs: number;
  /** No retry waits longer than this (unless HQ's Retry-After asks for more, up to `maxRetryAfterMs`). */
  capMs: number;
  /** A Retry-After beyond this (a broken proxy saying "a year") is cut to this. */
  maxRetryAfterMs: number;
};

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 500, capMs: 60_000, maxRetryAfterMs: 15 * 60_000 };

/**
 * Exponential backoff with full jitter: a random wait between 0 and min(cap, base·2^attempt), so
 * the stations of a district that lost HQ together do not all come back in the same second.
 * Retry-After, when HQ (or a proxy) sends it, is a floor.
 */
export function retryDelay(policy: BackoffPolicy, attempt: number, retryAfterMs: number | null, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  const jitter = Math.floor(random() * ceiling);
  if (retryAfterMs === null) return jitter;
  return Math.max(Math.min(retryAfterMs, policy.maxRetryAfterMs), jitter);
}

/** `Retry-After` as seconds or an HTTP date (RFC 9110 §10.2.3), in ms from the answer's own `Date`. */
export function parseRetryAfter(value: string | null, answerDateMs: number | null, localNow: number): number | null {
  if (value === null) return null;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - (answerDateMs ?? localNow));
}

import { describe, expect, it } from 'vitest';
import { parseRetryAfter, retryDelay } from '../../../electron/core/upload/backoff';
import { HqClock } from '../../../electron/core/upload/clock';

const policy = { baseMs: 100, capMs: 10_000, maxRetryAfterMs: 60_000 };

describe('retry delays', () => {
  it('draws a full-jitter wait between 0 and min(cap, base·2^attempt)', () => {
    expect(retryDelay(policy, 0, null, () => 0.999)).toBe(99);
    expect(retryDelay(policy, 3, null, () => 0.5)).toBe(400);
    expect(retryDelay(policy, 20, null, () => 0.999)).toBe(9990);
    expect(retryDelay(policy, 5, null, () => 0)).toBe(0);
  });

  it('waits at least what Retry-After asks, cut to the maximum', () => {
    expect(retryDelay(policy, 0, 5000, () => 0.5)).toBe(5000);
    expect(retryDelay(policy, 20, 100, () => 0.9)).toBe(9000);
    expect(retryDelay(policy, 0, 3_600_000, () => 0)).toBe(60_000);
  });

  it('reads Retry-After as seconds or as an HTTP date relative to the answer', () => {
    expect(parseRetryAfter('7', null, 0)).toBe(7000);
    const date = Date.parse('Tue, 22 Nov 2022 08:00:00 GMT');
    expect(parseRetryAfter('Tue, 22 Nov 2022 08:00:30 GMT', date, 0)).toBe(30_000);
    expect(parseRetryAfter('Tue, 22 Nov 2022 07:00:00 GMT', date, 0)).toBe(0);
    expect(parseRetryAfter('soon', date, 0)).toBeNull();
    expect(parseRetryAfter(null, date, 0)).toBeNull();
  });
});

describe('clock offset to HQ', () => {
  it('stamps strictly increasing times with the offset applied', () => {
    let local = 1_000_000;
    const clock = new HqClock(500, () => local);
    expect(clock.stamp()).toBe(1_000_500);
    expect(clock.stamp()).toBe(1_000_501);
    local += 10;
    expect(clock.stamp()).toBe(1_000_510);
  });

  it('stays strictly increasing when an answer corrects the offset back by a few milliseconds', () => {
    const local = 1_000_000;
    const clock = new HqClock(500, () => local);
    expect(clock.stamp()).toBe(1_000_500);
    // The next answer says HQ is 3 ms behind what was thought: the same time must not be signed twice.
    clock.offsetMs = 497;
    expect(clock.stamp()).toBe(1_000_501);
    expect(clock.stamp()).toBe(1_000_502);
  });

  it('learns HQ time from an exact answer, even a day back', () => {
    let local = 2_000_000_000_000;
    const clock = new HqClock(0, () => local);
    clock.stamp();
    expect(clock.learnExact(local - 86_400_000 + 50, local, local + 100)).toBe(true);
    expect(clock.offsetMs).toBe(-86_400_000);
    local += 1;
    expect(clock.stamp()).toBe(local - 86_400_000);
    expect(clock.learnExact(local - 86_400_000 + 300, local, local)).toBe(false);
  });

  it('takes a Date header only when the offset is clearly wrong (it has whole seconds)', () => {
    const local = 2_000_000_000_000;
    const clock = new HqClock(0, () => local);
    expect(clock.learnFromDate(local - 1000, local, local)).toBe(false);
    expect(clock.offsetMs).toBe(0);
    expect(clock.learnFromDate(local + 600_000, local, local)).toBe(true);
    expect(Math.abs(clock.offsetMs - 600_000)).toBeLessThanOrEqual(1000);
  });
});

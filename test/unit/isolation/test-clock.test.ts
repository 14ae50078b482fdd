import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_CLOCK_ENV, testClock } from '../../../electron/cli/test-clock';
import { tempDir } from '../../helpers/core';

describe('the test clock of `station serve`', () => {
  it('is the real clock when unset, and refused outside the test runner', () => {
    expect(testClock({})).toBeUndefined();
    expect(() => testClock({ [TEST_CLOCK_ENV]: '/tmp/clock' })).toThrow(/Station's own tests only/);
    expect(() => testClock({ [TEST_CLOCK_ENV]: '/tmp/clock', VITEST: '1' })).toThrow(/Station's own tests only/);
  });

  it('runs its file’s milliseconds ahead of the real clock under the test runner', () => {
    const file = path.join(tempDir(), 'clock');
    const now = testClock({ [TEST_CLOCK_ENV]: file, VITEST: 'true' })!;
    expect(Math.abs(now().getTime() - Date.now())).toBeLessThan(60_000);
    fs.writeFileSync(file, String(3 * 86_400_000));
    expect(now().getTime() - Date.now()).toBeGreaterThan(3 * 86_400_000 - 60_000);
  });
});

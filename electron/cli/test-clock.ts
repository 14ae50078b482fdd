import fs from 'node:fs';

/**
 * Test harness only (nothing in Station sets it): a file whose content is how many milliseconds
 * the kiosk host's clock runs ahead of the real one, so an end-to-end test can move a station's
 * day (an isolation's day 4, day 14). Honoured by `station serve` only when the process runs under
 * the test runner (VITEST, which vitest sets and passes on to the host it spawns); set anywhere
 * else, the host refuses to start rather than run on a clock someone else controls.
 */
export const TEST_CLOCK_ENV = 'STATION_TEST_CLOCK_FILE';

/** The clock the test controls, or undefined (the real clock) when the variable is unset. */
export function testClock(env: NodeJS.ProcessEnv = process.env): (() => Date) | undefined {
  const file = env[TEST_CLOCK_ENV];
  if (file === undefined || file === '') return undefined;
  if (env.VITEST !== 'true') throw new Error(`${TEST_CLOCK_ENV} is for Station's own tests only: unset it to run a station`);
  return () => {
    let offset = 0;
    try {
      offset = Number(fs.readFileSync(file, 'utf8').trim()) || 0;
    } catch {
      // No file yet: the real clock.
    }
    return new Date(Date.now() + offset);
  };
}

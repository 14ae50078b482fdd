import { it } from 'vitest';
import { StationCore } from '../../electron/core/core';
import { hashPin, PIN_HASH_OPTIONS, verifyPin } from '../../electron/core/operators/pin';
import { ms, report, summarize } from '../helpers/stats';
import { freshFolder, signInAdmin, TEST_ADMIN } from '../helpers/core';

/**
 * PIN check time: Argon2id at OWASP's parameters (what every sign-in and unlock costs, and what
 * one guess costs whoever copied the hashes), the hash a new PIN costs, and a whole sign-in
 * through `core.call` (the check, the journal entry, the session). Figures only, no assertions.
 */
it('operators: PIN check time at Argon2id m=19 MiB, t=2, p=1', async () => {
  const hash = await hashPin(TEST_ADMIN.pin);
  const time = async (n: number, fn: () => Promise<unknown>) => {
    const samples: number[] = [];
    for (let i = 0; i < n; i++) {
      const start = performance.now();
      await fn();
      samples.push(performance.now() - start);
    }
    return summarize(samples);
  };
  await time(3, () => verifyPin(hash, TEST_ADMIN.pin));
  const verify = await time(30, () => verifyPin(hash, TEST_ADMIN.pin));
  const wrong = await time(30, () => verifyPin(hash, '000999'));
  const hashing = await time(15, () => hashPin(TEST_ADMIN.pin));
  const core = await signInAdmin(new StationCore({ ...freshFolder('bench-operators-'), devices: 'off' }));
  try {
    const signIn = await time(30, () => core.invoke('operator.signIn', { code: TEST_ADMIN.code, pin: TEST_ADMIN.pin }));
    const row = (s: ReturnType<typeof summarize>) => `p50 ${ms(s.p50)}  p99 ${ms(s.p99)}  max ${ms(s.max)}  (${s.n} runs)`;
    report(`PIN check, Argon2id m=${PIN_HASH_OPTIONS.memoryCost} KiB, t=${PIN_HASH_OPTIONS.timeCost}, p=${PIN_HASH_OPTIONS.parallelism} (@node-rs/argon2)`, [
      ['verify, right PIN', row(verify)],
      ['verify, wrong PIN', row(wrong)],
      ['hash a new PIN', row(hashing)],
      ['operator.signIn through core.call', row(signIn)],
      ['guesses per second per core (1 / p50)', `${(1000 / verify.p50).toFixed(1)}`],
    ]);
  } finally {
    core.close();
  }
}, 120_000);

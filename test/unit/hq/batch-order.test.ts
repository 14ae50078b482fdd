import { setImmediate } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { BatchOrder } from '../../../hq/batch-order';
import type { IngestOutcome } from '../../../hq/store/types';

/** Whether `p` has settled once everything already queued has run (no timer involved). */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  await setImmediate();
  return done;
}

describe('the order of one station’s batches at HQ', () => {
  it('answers a batch with a gap only after the batch before it, still on its way, is stored', async () => {
    const order = new BatchOrder(600_000);
    const endFirst = order.begin('st');
    const endSecond = order.begin('st');
    let stored = false;
    const second = order.ingest('st', async (): Promise<IngestOutcome> => (stored ? { kind: 'ack', ackedThrough: 10, expectedSeq: 11, rejections: [], chainHead: null } : { kind: 'gap', expectedSeq: 1 }));
    expect(await settled(second)).toBe(false);
    expect(order.waiting()).toBe(1);
    stored = true;
    await order.ingest('st', async () => ({ kind: 'ack', ackedThrough: 5, expectedSeq: 6, rejections: [], chainHead: null }));
    expect(await second).toMatchObject({ kind: 'ack', ackedThrough: 10 });
    endFirst();
    endSecond();
  });

  it('answers a refused batch at once, though the batch after it is on its way (found by the chain fuzz on PostgreSQL)', async () => {
    // A batch refused for its chain waited, as a gap does, for the batch after it, which waited for it
    // in turn: both answers came only when the wait ran out (10 s by default).
    const order = new BatchOrder(600_000);
    const endFirst = order.begin('st');
    const endSecond = order.begin('st');
    let calls = 0;
    const refused = order.ingest('st', async (): Promise<IngestOutcome> => {
      calls++;
      return { kind: 'chainBroken', seq: 6, detail: 'entry changed, removed or moved after it was journalled' };
    });
    expect(await settled(refused)).toBe(true);
    expect(await refused).toMatchObject({ kind: 'chainBroken', seq: 6 });
    expect(order.waiting()).toBe(0);
    endSecond();
    endFirst();
    expect(calls).toBe(1);
  });
});

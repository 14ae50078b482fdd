import { afterEach, describe, expect, it } from 'vitest';
import type { StationCore } from '../../../electron/core/core';
import { parseFeedItem, type BoxReceiptFeedPayload, type FeedItem } from '../../../hq/protocol';
import { openCore, ok } from '../../helpers/core';
import { idNumber, tubeCode } from '../../helpers/ids';

let core: StationCore;
afterEach(() => core?.close());

const BOX = 'BX00000001';
const BOX2 = 'BX00000002';
let cursor = 0;

/** Tubes 1..n sealed at this desk with one person each, boxed in BOX, sealed and handed over. */
async function handedOver(n: number): Promise<string> {
  for (let i = 1; i <= n; i++) {
    await ok(core, 'scan.submit', { text: tubeCode(i), source: 'manual' });
    await ok(core, 'scan.submit', { text: idNumber(i), source: 'manual' });
  }
  await ok(core, 'tube.seal', {});
  const box = await ok(core, 'box.open', { code: BOX });
  for (let i = 1; i <= n; i++) await ok(core, 'box.addTube', { boxCode: BOX, tubeCode: tubeCode(i) });
  await ok(core, 'box.seal', { code: BOX });
  await ok(core, 'box.handOver', { code: BOX, confirmCode: BOX, transporter: { name: '钱转运', phone: '13700137000' }, tubeCount: n, coldChainNote: '' });
  return box.id;
}

function receipt(boxId: string, over: Partial<BoxReceiptFeedPayload> = {}): FeedItem {
  const payload: BoxReceiptFeedPayload = {
    receiptId: 'hq-receipt-1',
    boxId,
    boxCode: BOX,
    revision: 1,
    receivedAt: '2026-12-01T03:00:00.000Z',
    receivedBy: '检验科王五',
    finishedAt: '2026-12-01T03:10:00.000Z',
    boxState: 'handedOver',
    expected: 3,
    received: 1,
    missing: 1,
    extra: 0,
    broken: 1,
    discrepancies: [
      { tubeCode: tubeCode(3), status: 'missing', reason: '' },
      { tubeCode: tubeCode(2), status: 'broken', reason: '管盖破裂，样本外漏' },
    ],
    ...over,
  };
  const checked = parseFeedItem({ cursor: ++cursor, kind: 'box.receipt', payload });
  if (!checked.ok) throw new Error(checked.detail);
  return checked.item;
}

const apply = (items: FeedItem[]) => core.writer.run(() => core.feed.apply(items, new Date().toISOString()));

describe('the lab’s receipt of a box, from HQ', () => {
  it('is kept per revision and shown on the box with its discrepancies, the box’s code in the feed’s effects', async () => {
    core = await openCore();
    const boxId = await handedOver(3);
    expect(await ok(core, 'box.state', { code: BOX })).toMatchObject({ receipt: null, receivedAt: null, discrepancyCount: 0 });
    const journalled = core.journal.lastSeq();

    const first = await apply([receipt(boxId)]);
    expect(first).toMatchObject({ receipts: 1, receiptBoxes: [BOX] });
    const view = await ok(core, 'box.state', { code: BOX });
    expect(view).toMatchObject({ state: 'handedOver', receivedAt: '2026-12-01T03:00:00.000Z', discrepancyCount: 2 });
    expect(view.receipt).toEqual({
      receivedAt: '2026-12-01T03:00:00.000Z',
      receivedBy: '检验科王五',
      received: 1,
      missing: 1,
      extra: 0,
      broken: 1,
      discrepancies: [
        { tubeCode: tubeCode(2), status: 'broken', reason: '管盖破裂，样本外漏' },
        { tubeCode: tubeCode(3), status: 'missing', reason: '' },
      ],
    });
    expect(await ok(core, 'box.list', { limit: 10 })).toMatchObject([{ code: BOX, receivedAt: '2026-12-01T03:00:00.000Z', discrepancyCount: 2 }]);
    // HQ's word, not this station's work: nothing journalled.
    expect(core.journal.lastSeq()).toBe(journalled);

    // The same revision again changes nothing; a correction (revision 2) is shown, revision 1 kept.
    expect(await apply([receipt(boxId)])).toMatchObject({ receipts: 0, receiptBoxes: [] });
    const corrected = await apply([receipt(boxId, { revision: 2, received: 2, missing: 0, discrepancies: [{ tubeCode: tubeCode(2), status: 'broken', reason: '管盖破裂，样本外漏' }] })]);
    expect(corrected.receipts).toBe(1);
    expect(await ok(core, 'box.state', { code: BOX })).toMatchObject({ discrepancyCount: 1, receipt: { received: 2, missing: 0, discrepancies: [{ tubeCode: tubeCode(2), status: 'broken' }] } });
    expect(core.db.prepare('SELECT revision, missing FROM box_receipt ORDER BY revision').all()).toEqual([
      { revision: 1, missing: 1 },
      { revision: 2, missing: 0 },
    ]);

    // A receipt of a box this station does not have (another station's, or a box it never had) is skipped.
    expect(await apply([receipt('not-a-box-here', { receiptId: 'hq-receipt-9' })])).toMatchObject({ receipts: 0, receiptBoxes: [] });
    expect(core.db.prepare('SELECT count(*) AS n FROM box_receipt').get()).toEqual({ n: 2 });
  });

  it('says a box received with no discrepancy has none, and leaves the other boxes as they were', async () => {
    core = await openCore();
    const boxId = await handedOver(2);
    await ok(core, 'box.open', { code: BOX2 });
    await apply([receipt(boxId, { expected: 2, received: 2, missing: 0, broken: 0, discrepancies: [] })]);
    expect(await ok(core, 'box.state', { code: BOX })).toMatchObject({ discrepancyCount: 0, receipt: { received: 2, discrepancies: [] } });
    expect(await ok(core, 'box.state', { code: BOX2 })).toMatchObject({ receipt: null, receivedAt: null, discrepancyCount: 0 });
  });
});

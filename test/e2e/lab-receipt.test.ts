import { afterEach, describe, expect, it } from 'vitest';
import type { WireEvent } from '../../electron/api/wire';
import type { StationCore } from '../../electron/core/core';
import type { LabReceipt } from '../../hq/domains/lab';
import { HQ_PATHS } from '../../hq/protocol';
import { ok } from '../helpers/core';
import { tubeCode } from '../helpers/ids';
import { bindPeople, siteDesk, startHq, uploadedAll, waitFor, type RunningHq } from './upload-env';

const ADMIN = 'lab-e2e-admin';
const SITE = { id: 'site-lab-e2e', name: '东湖社区' };
const BOX = 'BX00000001';

/**
 * The chain of custody across a site: desk 1 boxes three sealed tubes, seals the box and hands it
 * to a transporter; HQ shows it in transit; the lab receives it with one tube broken and one
 * missing; desk 1 sees the receipt and its discrepancies on the box, desk 2 (same site) nothing.
 */
describe('a box from desk 1 to the lab and back', () => {
  let hq: RunningHq | undefined;
  const desks: StationCore[] = [];
  afterEach(async () => {
    for (const d of desks.splice(0)) d.close();
    await hq?.server.close();
  });

  it('is in transit on the dashboard, received at the lab with a tube missing and one broken, and desk 1 alone is told', async () => {
    hq = await startHq({ adminToken: ADMIN });
    const one = await siteDesk(hq, SITE, desks);
    const two = await siteDesk(hq, SITE, desks);
    const base = hq.url;
    const admin = { authorization: `Bearer ${ADMIN}` };
    const api = async (path: string, body: unknown) => {
      const res = await fetch(`${base}${path}`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };
    const page = async (path: string) => {
      const res = await fetch(`${base}${path}`, { headers: admin });
      expect(res.status).toBe(200);
      return res.text();
    };

    // Desk 1 samples three tubes of five, boxes them, seals the box and hands it over.
    await ok(one, 'round.start', { name: '第1轮全员核酸' });
    await bindPeople(one, 15, 5);
    const opened = await ok(one, 'box.open', { code: BOX });
    for (const n of [1, 2, 3]) await ok(one, 'box.addTube', { boxCode: BOX, tubeCode: tubeCode(n) });
    await ok(one, 'box.seal', { code: BOX });
    await ok(one, 'box.handOver', { code: BOX, confirmCode: BOX, transporter: { name: '钱转运', phone: '13700137000' }, tubeCount: 3, coldChainNote: '冰排 4 块' });
    one.upload.syncNow();
    await waitFor('desk 1 uploaded its box', () => uploadedAll(one), 30_000);

    const transit = await page(`/dashboard/boxes?site=${SITE.id}&lang=zh-CN`);
    expect(transit).toContain(`data-transit="${BOX}"`);
    expect(transit).not.toContain(`data-discrepancy="${BOX}"`);

    // The lab: the box, tube 1 received, tube 2 broken, tube 3 never scanned.
    const events: WireEvent[] = [];
    const stop = one.subscribe((e) => events.push(e));
    const begun = await api(`${HQ_PATHS.adminLab}/receipts`, { boxCode: BOX, receivedBy: '检验科王五' });
    expect(begun.status).toBe(200);
    const receiptId = (begun.json.receipt as LabReceipt).receiptId;
    const r = `${HQ_PATHS.adminLab}/receipts/${receiptId}`;
    expect((await api(`${r}/tubes`, { tubeCode: tubeCode(1) })).json.scan).toMatchObject({ status: 'received' });
    expect((await api(`${r}/broken`, { tubeCode: tubeCode(2), reason: '管盖破裂，样本外漏' })).json.scan).toMatchObject({ status: 'broken' });
    const finished = await api(`${r}/finish`, {});
    expect((finished.json as LabReceipt).counts).toEqual({ expected: 3, received: 1, missing: 1, extra: 0, broken: 1, pending: 0 });

    // Desk 1 sees the receipt on its box, with every discrepancy, and its screens are told.
    await waitFor('the receipt at desk 1', async () => {
      one.upload.syncNow();
      return (await ok(one, 'box.state', { code: BOX })).receipt !== null;
    }, 30_000);
    stop();
    const box = await ok(one, 'box.state', { code: BOX });
    expect(box).toMatchObject({ id: opened.id, state: 'handedOver', discrepancyCount: 2 });
    expect(box.receivedAt).not.toBeNull();
    expect(box.receipt).toMatchObject({
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
    expect(events.some((e) => e.event === 'boxes.changed' && (e.payload as { code: string }).code === BOX)).toBe(true);

    // Desk 2, of the same site, hears nothing of desk 1's box.
    const since = new Date().toISOString();
    await waitFor('desk 2 read the feed', () => {
      two.upload.syncNow();
      const pulled = two.upload.store.state().feedPulledAt;
      return pulled !== null && pulled > since;
    }, 30_000);
    expect(two.db.prepare('SELECT count(*) AS n FROM box_receipt').get()).toEqual({ n: 0 });

    // The site's page: no box in transit any more; the receipt's discrepancies with the reason.
    const after = await page(`/dashboard/boxes?site=${SITE.id}&lang=zh-CN`);
    expect(after).not.toContain(`data-transit="${BOX}"`);
    expect(after).toContain(`data-discrepancy="${BOX}"`);
    expect(after).toContain('管盖破裂，样本外漏');
    expect(after).toContain(`<code>${tubeCode(3)}</code> 缺失`);
  });
});

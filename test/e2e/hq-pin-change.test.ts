import { afterEach, describe, expect, it } from 'vitest';
import type { StationCore } from '../../electron/core/core';
import { verifyPin } from '../../electron/core/operators/pin';
import { ok, refused, TEST_ADMIN } from '../helpers/core';
import { siteDesk, startHq, uploadedAll, waitFor, type RunningHq } from './upload-env';

const SITE = { id: 'site-pin', name: 'PIN 测试社区' };
const COLLECTOR = { name: '赵采集', code: 'S001', role: 'collector' as const, pin: '471902' };
const OWN_PIN = '835201';

/**
 * An operator's own PIN change at one desk reaches HQ with the journal (the hash, never the PIN)
 * and from there every desk of the site; a wrong current PIN on the way is an attempt HQ takes
 * as it takes a sign-in's. On HQ's embedded SQLite: what is tested is the station's journal and
 * the protocol, which both of HQ's stores read alike.
 */
describe('an operator’s own PIN change, across the site', () => {
  let hq: RunningHq | undefined;
  const desks: StationCore[] = [];
  afterEach(async () => {
    for (const d of desks.splice(0)) d.close();
    await hq?.server.close();
  });

  it('reaches HQ and the other desk: the new PIN signs in there, the old one no longer', async () => {
    hq = await startHq();
    const deskA = await siteDesk(hq, SITE, desks);
    const deskB = await siteDesk(hq, SITE, desks);
    await ok(deskA, 'operator.create', COLLECTOR);
    await waitFor('the collector at desk B', () => deskB.operators.find({ code: COLLECTOR.code }) !== null, 20_000);

    await ok(deskA, 'operator.signIn', { code: COLLECTOR.code, pin: COLLECTOR.pin });
    expect(await refused(deskA, 'operator.changePin', { pin: '000999', newPin: OWN_PIN })).toBe('operator.pinWrong');
    await ok(deskA, 'operator.changePin', { pin: COLLECTOR.pin, newPin: OWN_PIN });
    await waitFor('desk A’s journal at HQ', () => uploadedAll(deskA), 20_000);
    const status = await ok(deskA, 'upload.status', {});
    expect(status.rejectionCount).toBe(0);

    const held = await hq.server.store.sql.read((tx) => tx.one<{ pin_hash: string }>(`SELECT pin_hash FROM site_operator WHERE code = @code`, { code: COLLECTOR.code }));
    expect(await verifyPin(held!.pin_hash, OWN_PIN)).toBe(true);
    await waitFor('the new PIN at desk B', async () => {
      const there = deskB.operators.find({ code: COLLECTOR.code });
      return there?.pinHash === held!.pin_hash;
    }, 20_000);
    expect(await refused(deskB, 'operator.signIn', { code: COLLECTOR.code, pin: COLLECTOR.pin })).toBe('operator.pinWrong');
    expect((await ok(deskB, 'operator.signIn', { code: COLLECTOR.code, pin: OWN_PIN })).state).toBe('active');
    await ok(deskB, 'operator.signIn', { code: TEST_ADMIN.code, pin: TEST_ADMIN.pin });
  }, 60_000);
});

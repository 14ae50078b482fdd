import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { StationCore } from '../../electron/core/core';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import { startPostgres, type PgCluster } from '../helpers/postgres';
import {
  FAST_TUNING,
  bindPeople,
  enrolledStation,
  hqDigests,
  hqStationId,
  startHq,
  stationDigests,
  uploadedAll,
  waitFor,
  type RunningHq,
} from './upload-env';

let hq: RunningHq | undefined;
let proxy: FaultProxy | undefined;
let core: StationCore | undefined;
let cluster: PgCluster | undefined;

async function postgres(): Promise<PgCluster> {
  cluster ??= await startPostgres();
  return cluster;
}

afterAll(async () => {
  await cluster?.stop();
});

afterEach(async () => {
  core?.close();
  await proxy?.close();
  await hq?.server.close();
  core = undefined;
  proxy = undefined;
  hq = undefined;
});

/** HQ holds exactly the station's journal: every seq, each once, with the same content. */
async function expectHqHoldsJournal(station: StationCore, running: RunningHq): Promise<void> {
  const ours = stationDigests(station);
  const theirs = await hqDigests(running, hqStationId(station));
  expect(theirs.size).toBe(ours.size);
  expect([...theirs.entries()]).toEqual([...ours.entries()]);
}

describe('upload through a faulty network', () => {
  for (const backend of ['sqlite', 'postgres'] as const) {
    it(`after 10,000 bindings HQ (${backend}) holds exactly the station records: none lost, none twice, retries byte-identical`, async () => {
      hq = await startHq(backend === 'postgres' ? { databaseUrl: await (await postgres()).createDatabase() } : {});
      proxy = await startFaultProxy({
        target: hq.url,
        seed: 20221122,
        delayMs: 150,
        retryAfterSeconds: 1,
        weights: { pass: 10, drop: 0.3, delay: 1, duplicate: 1, truncate: 1, resetBefore: 1, resetAfter: 1, error500: 1, busy503: 0.3, portal: 1 },
      });
      proxy.force('pass');
      core = await enrolledStation(hq, proxy.url, { upload: { start: true, tuning: { ...FAST_TUNING, limits: { maxRecords: 100, maxBytes: 64 * 1024 } } } });
      proxy.force(null);

      await bindPeople(core, 10_000, 10);
      const station = core;
      await waitFor('every record acknowledged', () => uploadedAll(station), 240_000);

      await expectHqHoldsJournal(core, hq);
      const holdings = await hq.server.store.holdings(hqStationId(core));
      expect(holdings).toMatchObject({ records: core.journal.lastSeq(), maxSeq: core.journal.lastSeq(), conflicts: 0 });
      const bindings = core.db.prepare(`SELECT COUNT(*) AS n FROM journal WHERE kind = 'binding.created'`).get() as { n: number };
      expect(bindings.n).toBe(10_000);
      // Every fault happened, and each batch went out with the same bytes however often it was sent.
      for (const fault of ['drop', 'delay', 'duplicate', 'truncate', 'resetBefore', 'resetAfter', 'error500', 'busy503', 'portal'] as const) {
        expect(proxy.counts[fault], fault).toBeGreaterThan(0);
      }
      for (const [batchId, bodies] of proxy.batchBodies) expect(bodies.size, batchId).toBe(1);
      expect([...proxy.batchSends.values()].some((n) => n > 1)).toBe(true);
      // The agent goes on pulling the feed through the faults; once the network is clean it says it is online again.
      proxy.force('pass');
      await waitFor('online again', () => station.upload.status().online === true, 30_000);
      const status = await core.invoke('upload.status', {});
      expect(status.ok && status.value).toMatchObject({ waiting: 0, rejectionCount: 0, online: true });
    });
  }

  it('a captive portal answer acknowledges nothing; staff see it is not HQ', async () => {
    hq = await startHq();
    proxy = await startFaultProxy({ target: hq.url });
    core = await enrolledStation(hq, proxy.url, { upload: { start: true, tuning: FAST_TUNING } });
    const station = core;
    await waitFor('the first records acknowledged', () => uploadedAll(station));
    const before = core.upload.store.state().ackedThrough;
    const heldBefore = await hq.server.store.holdings(hqStationId(core));

    proxy.force('portal');
    await bindPeople(core, 30, 10);
    await waitFor('several portal answers', () => proxy!.counts.portal >= 5);
    expect(core.upload.store.state().ackedThrough).toBe(before);
    expect(await hq.server.store.holdings(hqStationId(core))).toEqual(heldBefore);
    const status = await core.invoke('upload.status', {});
    expect(status.ok && status.value).toMatchObject({ online: false, lastFailure: { code: 'upload.notHq' } });
    expect(status.ok && status.value.waiting).toBe(core.journal.lastSeq() - before);

    proxy.force(null);
    await waitFor('everything acknowledged once the portal is gone', () => uploadedAll(station));
    await expectHqHoldsJournal(core, hq);
  });

  for (const [label, skewMs] of [
    ['a day behind', 86_400_000],
    ['a day ahead', -86_400_000],
  ] as const) {
    it(`a station clock ${label} of HQ still uploads`, async () => {
      hq = await startHq({ now: () => Date.now() + skewMs });
      proxy = await startFaultProxy({ target: hq.url });
      core = await enrolledStation(hq, proxy.url, { upload: { start: true, tuning: FAST_TUNING } });
      await bindPeople(core, 50, 10);
      const station = core;
      await waitFor('every record acknowledged', () => uploadedAll(station));
      await expectHqHoldsJournal(core, hq);
      expect(Math.abs(core.upload.status().clockOffsetMs - skewMs)).toBeLessThan(60_000);
    });
  }
});

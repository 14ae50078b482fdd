import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StationCore } from '../../electron/core/core';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import { FAST_TUNING, bindPeople, enrolledStation, hqDigests, hqStationId, startHq, stationDigests, uploadedAll, waitFor, type RunningHq } from './upload-env';
import { dataKeyOf } from '../helpers/core';

let hq: RunningHq | undefined;
let proxy: FaultProxy | undefined;
const cores: StationCore[] = [];

afterEach(async () => {
  for (const c of cores.splice(0)) c.close();
  await proxy?.close();
  await hq?.server.close();
  proxy = undefined;
  hq = undefined;
});

describe('upload across restarts and gaps', () => {
  it('resends the frozen batches byte for byte after a restart, from the last acknowledged record', async () => {
    hq = await startHq();
    proxy = await startFaultProxy({ target: hq.url });
    proxy.force('pass');
    // Batches of 100 records, so there are more than the two the agent keeps on their way.
    const tuning = { ...FAST_TUNING, limits: { maxRecords: 100, maxBytes: 1024 * 1024 } };
    const first = await enrolledStation(hq, proxy.url, { upload: { tuning } });
    cores.push(first);
    await bindPeople(first, 200, 10);
    const dataDir = path.dirname(first.db.name);
    // HQ stores every batch but no answer gets back: each batch stays frozen, unacknowledged.
    proxy.force('resetAfter');
    first.upload.start();
    await waitFor('the frozen batch sent twice', () => [...proxy!.batchSends.values()].some((n) => n >= 2));
    // The first batch and the one sent behind it before the first was acknowledged.
    const frozen = first.upload.store.frozen();
    expect(frozen.length).toBe(2);
    expect(first.upload.store.state().ackedThrough).toBe(0);
    first.close();
    cores.length = 0;

    proxy.force(null);
    const second = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), upload: { start: true, tuning } });
    cores.push(second);
    await waitFor('everything acknowledged after the restart', () => uploadedAll(second));
    for (const batch of frozen) {
      expect(proxy.batchBodies.get(batch.batchId)?.size).toBe(1);
      expect(proxy.batchSends.get(batch.batchId)).toBeGreaterThanOrEqual(2);
    }
    expect(proxy.batchSends.get(frozen[0]!.batchId)).toBeGreaterThanOrEqual(3);
    expect([...(await hqDigests(hq, hqStationId(second))).entries()]).toEqual([...stationDigests(second).entries()]);
  });

  it('sends again from the sequence HQ expects when HQ answers with a gap', async () => {
    hq = await startHq();
    const core = await enrolledStation(hq, hq.url, { upload: { tuning: FAST_TUNING } });
    cores.push(core);
    await bindPeople(core, 100, 10);
    // The station believes HQ holds the first 50 records (a restored HQ backup, say); HQ holds none.
    await core.writer.run(() => core.db.prepare('UPDATE upload_state SET acked_through = 50').run());
    core.upload.start();
    await waitFor('everything acknowledged', () => uploadedAll(core));
    expect([...(await hqDigests(hq, hqStationId(core))).entries()]).toEqual([...stationDigests(core).entries()]);
  });
});

import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { StationCore } from '../../electron/core/core';
import { HEADER_STATION_ID, HQ_PATHS } from '../../hq/protocol';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import { SimStation, samplingJournal } from '../unit/hq/fixtures';
import { FAST_TUNING, bindPeople, enrolledStation, hqDigests, hqStationId, startHq, stationDigests, uploadedAll, waitFor, type RunningHq } from './upload-env';

let hq: RunningHq | undefined;
let proxy: FaultProxy | undefined;
let core: StationCore | undefined;
let held: http.ClientRequest | undefined;

afterEach(async () => {
  held?.destroy();
  core?.close();
  await proxy?.close();
  await hq?.server.close();
  held = undefined;
  core = undefined;
  proxy = undefined;
  hq = undefined;
});

describe('HQ under load', () => {
  it('answers a station past its in-flight limit 503 with Retry-After; the agent waits that long, then uploads everything once', async () => {
    hq = await startHq({ maxIngestInFlight: 1, busyRetryAfterSeconds: 3600, orderWaitMs: 60_000 });
    // The proxy only passes requests through; it counts how often each batch is sent.
    proxy = await startFaultProxy({ target: hq.url });
    // Backoff alone would retry within milliseconds; only HQ's Retry-After makes the agent wait.
    const tuning = { ...FAST_TUNING, backoff: { baseMs: 1, capMs: 5, maxRetryAfterMs: 3_600_000 } };
    core = await enrolledStation(hq, proxy.url, { upload: { start: true, tuning } });
    const station = core;
    await waitFor('the first records acknowledged', () => uploadedAll(station));

    // Another desk's signed batch holds HQ's one place: it starts past what HQ holds and waits
    // for that desk's batch still arriving (places are given only to signed batches).
    const { code } = await hq.server.createEnrollmentCode('site-busy', '繁忙社区');
    const holder = new SimStation(hq.url, '采样台 9');
    expect((await holder.enroll(code)).status).toBe(200);
    held = http.request(`${hq.url}${HQ_PATHS.batches}`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '1000', [HEADER_STATION_ID]: holder.stationId } });
    held.on('error', () => undefined);
    held.write('{"type":');
    const waiting = holder.upload(samplingJournal(5).slice(2));
    const server = hq.server;
    await waitFor('HQ holding the waiting batch', () => server.ingestInFlight() === 1);

    const sendsBefore = new Set(proxy.batchSends.keys());
    await bindPeople(core, 30, 10);
    await waitFor('the station told HQ is busy', async () => {
      const status = await station.invoke('upload.status', {});
      return status.ok && status.value.lastFailure?.code === 'upload.hqBusy';
    });
    // The first batch in line, and perhaps the one sent behind it (records kept coming).
    const busyBatches = [...proxy.batchSends.keys()].filter((id) => !sendsBefore.has(id));
    expect(busyBatches.length).toBeGreaterThanOrEqual(1);
    expect(busyBatches.length).toBeLessThanOrEqual(2);
    // Long enough for hundreds of backoff retries; HQ asked for an hour.
    await sleep(500);
    for (const id of busyBatches) expect(proxy.batchSends.get(id)).toBe(1);
    const status = await core.invoke('upload.status', {});
    expect(status.ok && status.value).toMatchObject({ online: false, lastFailure: { code: 'upload.hqBusy' } });
    expect(status.ok && status.value.waiting).toBeGreaterThan(0);

    held.destroy();
    expect((await waiting).status).toBe(409);
    await waitFor('HQ giving the place back', () => server.ingestInFlight() === 0);
    // Staff's "sync now" ends the wait early.
    expect((await core.invoke('upload.syncNow', {})).ok).toBe(true);
    await waitFor('every record acknowledged', () => uploadedAll(station));
    const ours = stationDigests(core);
    const theirs = await hqDigests(hq, hqStationId(core));
    expect([...theirs.entries()]).toEqual([...ours.entries()]);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import type { UploadStatus } from '../../electron/api/upload';
import type { StationCore } from '../../electron/core/core';
import { DEMO_SITE_CONFIG } from '../../electron/core/site/config';
import { HQ_PATHS } from '../../hq/protocol';
import { FAST_TUNING, enrolledStation, hqDigests, hqStationId, startHq, stationDigests, uploadedAll, waitFor, type RunningHq } from './upload-env';

const ADMIN = 'site-config-admin';
let hq: RunningHq | undefined;
let core: StationCore | undefined;

afterEach(async () => {
  core?.close();
  await hq?.server.close();
  core = undefined;
  hq = undefined;
});

const abTubes = { ...DEMO_SITE_CONFIG, tube: { pattern: '^(SY\\d{10}|AB\\d{8})$', generate: { prefix: 'AB', digits: 8 } }, defaultCapacity: 5 };

describe('site configuration from HQ', () => {
  it('reaches the running desk through the feed: a code it did not know becomes a tube code', async () => {
    hq = await startHq({ adminToken: ADMIN });
    core = await enrolledStation(hq, hq.url, { upload: { start: true, tuning: FAST_TUNING } });
    const station = core;
    const refused = await core.invoke('scan.submit', { text: 'AB12345678', source: 'manual' });
    expect(refused.ok ? null : refused.error.code).toBe('scan.unrecognized');

    const posted = await fetch(`${hq.url}${HQ_PATHS.adminSiteConfig}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify({ siteId: 'site-e2e', name: '测试社区东门', config: abTubes }),
    });
    expect(posted.status).toBe(200);
    await waitFor('the desk using HQ configuration', () => station.router.classify('AB12345678').ok);

    const opened = await core.invoke('scan.submit', { text: 'AB12345678', source: 'manual' });
    expect(opened.ok && opened.value).toMatchObject({ kind: 'tube.opened', tubeCode: 'AB12345678', capacity: 5 });
    const state = await core.invoke('desk.state', {});
    expect(state.ok && state.value.site.name).toBe('测试社区东门');
    // The change is journalled like any other and reaches HQ.
    await waitFor('every record acknowledged', () => uploadedAll(station));
    const status = await core.invoke('upload.status', {});
    expect(status.ok && status.value).toMatchObject({ rejectionCount: 0, siteConfigRejection: null });
    const configured = core.db.prepare(`SELECT seq FROM journal WHERE kind = 'site.configured' ORDER BY seq DESC LIMIT 1`).get() as { seq: number };
    expect((await hqDigests(hq, hqStationId(core))).get(configured.seq)).toBe(stationDigests(core).get(configured.seq));
  });

  it('keeps the desk as it is when HQ sends a configuration it cannot use, and shows staff', async () => {
    hq = await startHq({ adminToken: ADMIN });
    core = await enrolledStation(hq, hq.url, { upload: { start: true, tuning: FAST_TUNING } });
    const statuses: UploadStatus[] = [];
    core.subscribe((e) => {
      if (e.event === 'upload.status') statuses.push(e.payload as UploadStatus);
    });
    const lastSeq = core.journal.lastSeq();
    // An HQ of another version may send what this station's schema refuses; its admin endpoint would not.
    const broken = { ...abTubes, tube: { pattern: 'AB\\d{8}', generate: { prefix: 'AB', digits: 8 } } };
    await hq.server.store.addFeedItem({
      siteId: 'site-e2e',
      stationId: null,
      kind: 'site.config',
      payload: JSON.stringify({ siteId: 'site-e2e', name: '测试社区东门', config: broken }),
      at: new Date().toISOString(),
    });
    await waitFor('staff told', () => statuses.some((s) => s.siteConfigRejection !== null));
    expect(statuses.at(-1)?.siteConfigRejection?.detail).toContain('tube.pattern');
    expect(core.router.classify('AB12345678').ok).toBe(false);
    expect(core.journal.lastSeq()).toBe(lastSeq);
    expect(core.identity.site.config).toEqual(DEMO_SITE_CONFIG);
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { StationCore } from '../../electron/core/core';
import { DEMO_SITE_CONFIG } from '../../electron/core/site/config';
import { HQ_PATHS } from '../../hq/protocol';
import { freshFolder, signInAdmin } from '../helpers/core';
import { bindPeople, FAST_TUNING, hqStationId, personId, startHq, uploadedAll, waitFor, type RunningHq } from './upload-env';

const ADMIN = 'retention-admin';
const DAY = 86_400_000;

let hq: RunningHq | undefined;
let core: StationCore | undefined;
afterEach(async () => {
  core?.close();
  await hq?.server.close();
  core = undefined;
  hq = undefined;
});

const idsIn = (c: StationCore, table: 'journal' | 'person', n: number): number => {
  const column = table === 'journal' ? 'payload' : 'id_number';
  let found = 0;
  for (let i = 0; i < n; i++) found += (c.db.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${column} LIKE ?`).get(`%${personId(i)}%`) as { n: number }).n > 0 ? 1 : 0;
  return found;
};

describe('retention of personal data', () => {
  it('purges, after the site’s period, only what HQ confirmed holding with this chain; counts and chain stay', async () => {
    hq = await startHq({ adminToken: ADMIN });
    let offset = 0;
    const { code } = await hq.server.createEnrollmentCode('site-r', '留存测试点');
    core = await signInAdmin(new StationCore({ ...freshFolder('station-retention-'), now: () => new Date(Date.now() + offset), upload: { start: true, tuning: FAST_TUNING } }));
    const desk = core;
    expect((await desk.invoke('upload.enroll', { hqUrl: hq.url, code })).ok).toBe(true);
    const posted = await fetch(`${hq.url}${HQ_PATHS.adminSiteConfig}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify({ siteId: 'site-r', name: '留存测试点', config: { ...DEMO_SITE_CONFIG, retention: { personalDataDays: 15 } } }),
    });
    expect(posted.status).toBe(200);
    await waitFor('the retention period from HQ', () => desk.identity.site.config.retention?.personalDataDays === 15);
    await desk.invoke('round.start', { name: '第1轮' });
    await bindPeople(desk, 10, 5);
    await waitFor('uploaded and confirmed', async () => (await uploadedAll(desk)) && desk.upload.status().confirmedThrough === desk.journal.lastSeq());
    const confirmed = desk.journal.lastSeq();
    // Five more people the desk has not sent yet: HQ has not confirmed them.
    await desk.upload.stop();
    await bindPeople(desk, 5, 5, 10);
    const bindings = (desk.db.prepare('SELECT count(*) AS n FROM binding').get() as { n: number }).n;

    // Within the period nothing is purged.
    expect(await desk.retention.purge()).toMatchObject({ entries: 0, persons: 0 });
    expect(idsIn(desk, 'journal', 15)).toBe(15);

    offset = 16 * DAY;
    const summary = await desk.retention.purge();
    expect(summary).toMatchObject({ persons: 10, confirmedThrough: confirmed });
    expect(summary!.entries).toBeGreaterThanOrEqual(10);
    // Gone for the confirmed ten, in the journal and the person table; kept for the five HQ does not hold.
    expect(idsIn(desk, 'journal', 10)).toBe(0);
    expect(idsIn(desk, 'person', 10)).toBe(0);
    for (let i = 10; i < 15; i++) expect(desk.db.prepare('SELECT count(*) AS n FROM person WHERE id_number = ?').get(personId(i))).toEqual({ n: 1 });
    expect(desk.db.prepare(`SELECT count(*) AS n FROM journal WHERE seq <= ? AND kind = 'person.registered' AND salt IS NOT NULL`).get(confirmed)).toEqual({ n: 0 });
    expect(desk.db.prepare(`SELECT count(*) AS n FROM person WHERE name IS NULL AND person_key LIKE 'purged:%'`).get()).toEqual({ n: 10 });
    // Counts stay: every binding and every entry.
    expect(desk.db.prepare('SELECT count(*) AS n FROM binding').get()).toEqual({ n: bindings });
    // The chain still holds, at the desk and at HQ, which takes what the desk sends next (16 days on, the screen locked itself: the admin signs in again).
    await signInAdmin(desk);
    expect(await desk.invoke('journal.verify', {})).toMatchObject({ ok: true, value: { ok: true, checked: desk.journal.lastSeq() } });
    desk.upload.start();
    await waitFor('the rest uploaded', () => uploadedAll(desk));
    expect(await hq.server.store.station(hqStationId(desk))).toMatchObject({ chainError: null, ackedThrough: desk.journal.lastSeq() });
  });

  it('keeps everything when the site sets no period', async () => {
    core = new StationCore(freshFolder('station-keep-'));
    expect(await core.retention.purge()).toBeNull();
  });
});

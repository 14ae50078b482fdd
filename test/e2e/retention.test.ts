import { afterEach, describe, expect, it } from 'vitest';
import { StationCore } from '../../electron/core/core';
import { personMark } from '../../electron/core/person/mark';
import { DEMO_SITE_CONFIG } from '../../electron/core/site/config';
import { HQ_PATHS } from '../../hq/protocol';
import { freshFolder, ok, signInAdmin } from '../helpers/core';
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
  it('purges, after the site’s period, only what HQ confirmed holding with this chain; counts and chain stay; the roster in use and key-person lists stay', async () => {
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
    const roundId = desk.rounds.current()!.id;
    // The site's roster, and exemptions with notes: two made here, one from another desk through
    // HQ's feed; a key-person list from HQ names resident 3.
    const residents = [0, 1, 2, 3].map((n) => ({ name: `居民${n}`, idNumber: personId(100 + n) }));
    const ledger = Buffer.from(`姓名,身份证号,楼栋,单元,房号\n${residents.map((r, i) => `${r.name},${r.idNumber},1,1,${101 + i}`).join('\n')}\n`);
    const { uploadId } = await ok(desk, 'roster.upload', { fileName: '台账.csv', size: ledger.length });
    await ok(desk, 'roster.uploadChunk', { uploadId, offset: 0, data: ledger.toString('base64') });
    const read = await ok(desk, 'roster.read', { uploadId });
    await desk.roster.idle();
    await ok(desk, 'roster.apply', { importId: read.id });
    const refOf = async (n: number) => (await ok(desk, 'roster.search', { query: residents[n]!.idNumber.slice(-6) }))[0]!.ref;
    await ok(desk, 'coverage.exempt', { roundId, ref: await refOf(0), reason: 'hospital', note: '市一院住院，家属电话13900000001' });
    await ok(desk, 'coverage.exempt', { roundId, ref: await refOf(1), reason: 'away', note: '在外地' });
    await desk.writer.run(() =>
      desk.feed.apply(
        [
          { cursor: 0, kind: 'coverage.exemptions', payload: { roundId, set: [{ m: personMark(desk.siteIdentity.markKey(), `id:${residents[2]!.idNumber}`), reason: 'other', note: '行动不便，上门采' }], lifted: [] } },
          { cursor: 0, kind: 'keyperson.list', payload: { listId: 'kp-1', persons: [{ idNumber: residents[3]!.idNumber, name: residents[3]!.name, reason: '密接' }] } },
        ],
        new Date().toISOString(),
      ),
    );
    await bindPeople(desk, 10, 5);
    await waitFor('uploaded and confirmed', async () => (await uploadedAll(desk)) && desk.upload.status().confirmedThrough === desk.journal.lastSeq());
    const confirmed = desk.journal.lastSeq();
    // Five more people the desk has not sent yet: HQ has not confirmed them.
    await desk.upload.stop();
    await bindPeople(desk, 5, 5, 10);
    await ok(desk, 'coverage.exempt', { roundId, ref: await refOf(3), reason: 'away', note: '出差，未确认' });
    const notes = () => desk.db.prepare('SELECT note FROM coverage_exempt ORDER BY note').all().map((r) => (r as { note: string }).note);
    const bindings = (desk.db.prepare('SELECT count(*) AS n FROM binding').get() as { n: number }).n;

    // Within the period nothing is purged.
    expect(await desk.retention.purge()).toMatchObject({ entries: 0, persons: 0, exemptionNotes: 0 });
    expect(notes()).toHaveLength(4);
    expect(idsIn(desk, 'journal', 15)).toBe(15);

    offset = 16 * DAY;
    const summary = await desk.retention.purge();
    expect(summary).toMatchObject({ persons: 10, exemptionNotes: 3, confirmedThrough: confirmed });
    expect(summary!.entries).toBeGreaterThanOrEqual(10);
    // Gone for the confirmed ten, in the journal and the person table; kept for the five HQ does not hold.
    expect(idsIn(desk, 'journal', 10)).toBe(0);
    expect(idsIn(desk, 'person', 10)).toBe(0);
    for (let i = 10; i < 15; i++) expect(desk.db.prepare('SELECT count(*) AS n FROM person WHERE id_number = ?').get(personId(i))).toEqual({ n: 1 });
    expect(desk.db.prepare(`SELECT count(*) AS n FROM journal WHERE seq <= ? AND kind = 'person.registered' AND salt IS NOT NULL`).get(confirmed)).toEqual({ n: 0 });
    expect(desk.db.prepare(`SELECT count(*) AS n FROM person WHERE name IS NULL AND person_key LIKE 'purged:%'`).get()).toEqual({ n: 10 });
    // Exemption notes: emptied for the two HQ confirmed and the one HQ sent; kept for the one it does not hold yet.
    expect(notes()).toEqual(['', '', '', '出差，未确认']);
    // Counts stay: every binding and every entry, every exemption with its reason.
    expect(desk.db.prepare('SELECT count(*) AS n FROM binding').get()).toEqual({ n: bindings });
    expect(desk.db.prepare('SELECT reason FROM coverage_exempt ORDER BY reason').all()).toEqual([{ reason: 'away' }, { reason: 'away' }, { reason: 'hospital' }, { reason: 'other' }]);
    // Kept whatever their age: the roster in use (the site's register) and HQ's key-person list (a gate's alarm list).
    expect(desk.db.prepare('SELECT name, id_number AS idNumber FROM roster.resident ORDER BY row_no').all()).toEqual(residents);
    expect(desk.db.prepare('SELECT id_number AS idNumber, name FROM key_person').all()).toEqual([residents[3]]);
    // The chain still holds, at the desk and at HQ, which takes what the desk sends next (16 days on, the screen locked itself: the admin signs in again).
    await signInAdmin(desk);
    expect(await desk.invoke('journal.verify', {})).toMatchObject({ ok: true, value: { ok: true, checked: desk.journal.lastSeq() } });
    expect((await ok(desk, 'coverage.view', { roundId })).totals).toMatchObject({ residents: 4, exempt: 4 });
    desk.upload.start();
    await waitFor('the rest uploaded', () => uploadedAll(desk));
    expect(await hq.server.store.station(hqStationId(desk))).toMatchObject({ chainError: null, ackedThrough: desk.journal.lastSeq() });
  });

  it('keeps everything when the site sets no period', async () => {
    core = new StationCore(freshFolder('station-keep-'));
    expect(await core.retention.purge()).toBeNull();
  });
});

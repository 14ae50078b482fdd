import { afterEach, describe, expect, it } from 'vitest';
import { StationCore } from '../../../electron/core/core';
import { dataKeyOf, ok, signInAdmin, tempDir } from '../../helpers/core';
import { idNumber, tubeCode } from '../../helpers/ids';

let core: StationCore | undefined;
afterEach(async () => {
  await core?.devices.stop();
  core?.close();
});

const COLLECTOR = { name: '李采集', code: 'C001', role: 'collector' as const, pin: '580317' };
const H101 = { building: '1', unit: '1', room: '101' };
const H102 = { building: '1', unit: '1', room: '102' };
const H201 = { building: '1', unit: '2', room: '201' };

describe('report.day at a door-to-door station', () => {
  it('counts visits per outcome and site hour, and the households visited once each', async () => {
    // 14:20 at the site.
    const now = Date.parse('2026-11-20T06:20:00.000Z');
    const dataDir = tempDir();
    core = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), devices: 'off', now: () => new Date(now) });
    await signInAdmin(core);
    const lines = ['姓名,身份证号,手机号,楼栋,单元,房号,标签', `居民1,${idNumber(1)},,1,1,101,`, `居民2,${idNumber(2)},,1,1,101,`, `居民3,${idNumber(3)},,1,1,102,`, `居民4,${idNumber(4)},,1,2,201,`];
    const csv = Buffer.from(lines.join('\n'));
    const { uploadId } = await ok(core, 'roster.upload', { fileName: 'r.csv', size: csv.length });
    await ok(core, 'roster.uploadChunk', { uploadId, offset: 0, data: csv.toString('base64') });
    const started = await ok(core, 'roster.read', { uploadId });
    await core.roster.idle();
    await ok(core, 'roster.apply', { importId: started.id });
    await ok(core, 'station.setWorkplace', { workplace: 'doors' });
    const collector = await ok(core, 'operator.create', COLLECTOR);
    const group = await ok(core, 'door.assign', { name: '第1组', collectorId: collector.id, areas: [{ building: '1', unit: null }] });
    await ok(core, 'operator.signIn', { code: COLLECTOR.code, pin: COLLECTOR.pin });
    const groupId = group.id;

    await ok(core, 'door.notHome', { groupId, household: H101 });
    await ok(core, 'door.refuse', { groupId, household: H102, reason: '不愿意' });
    await ok(core, 'door.scan', { groupId, household: H201, text: tubeCode(1), source: 'manual', mode: 'single' });
    await ok(core, 'door.scan', { groupId, household: H201, text: idNumber(4), source: 'manual', mode: 'single' });
    // Nobody home at 101 again: a second visit, the same household.
    await ok(core, 'door.notHome', { groupId, household: H101 });

    const rows = core.db.prepare('SELECT outcome, COUNT(*) AS n FROM door_visit GROUP BY outcome').all() as { outcome: string; n: number }[];
    const byOutcome = Object.fromEntries(rows.map((r) => [r.outcome, r.n]));
    expect(byOutcome.notHome).toBeGreaterThanOrEqual(2);
    const report = await ok(core, 'report.day', {});
    expect(report.here.totals).toMatchObject({ visitsSampled: 1, visitsRefused: byOutcome.refused, visitsNotHome: byOutcome.notHome, households: 3, people: 1, tubesOpened: 1 });
    expect(report.here.hours[14]).toMatchObject({ visitsSampled: 1, visitsNotHome: byOutcome.notHome, people: 1 });
    expect(report.here.hours.filter((h) => h.visitsSampled + h.visitsNotHome + h.visitsRefused > 0).map((h) => h.hour)).toEqual([14]);

    // The site's figures: HQ's counts, with the door visits this station holds (its own, and those relayed to it).
    const zero = { people: 0, tubesOpened: 0, tubesSealed: 0, tubesVoided: 0, boxesSealed: 0, boxesHandedOver: 0, gateIn: 0, gateOut: 0, fevers: 0 };
    const hours = Array.from({ length: 24 }, (_, hour) => ({ hour, ...zero, ...(hour === 14 ? { people: 9 } : {}) }));
    await core.writer.run(() => core!.reports.saveSite({ type: 'hq.siteDay', day: '2026-11-20', hours }, new Date(now)));
    const site = (await ok(core, 'report.day', {})).siteScope;
    expect(site?.totals).toMatchObject({ people: 9, visitsSampled: 1, visitsNotHome: byOutcome.notHome, households: 3 });
  });
});

import ExcelJS from 'exceljs';
import { afterEach, describe, expect, it } from 'vitest';
import type { StationCore } from '../../../electron/core/core';
import { openCore, ok, refused, TEST_ADMIN } from '../../helpers/core';
import { idNumber, tubeCode } from '../../helpers/ids';

let core: StationCore;
afterEach(() => core?.close());

const scan = (text: string) => ({ text, source: 'manual' as const });
const DAY = '2026-11-20';
/** A site time (UTC+8) of DAY, as the station's clock. */
const at = (hhmm: string, day = DAY) => Date.parse(`${day}T${hhmm}:00.000+08:00`);

describe('report.day at this station', () => {
  it('counts the site day per site hour: bindings not undone, tubes, boxes, gate passages; not the day before', async () => {
    let now = at('23:30', '2026-11-19');
    core = await openCore(undefined, { now: () => new Date(now) });
    // The day before at the site (15:30 UTC on the 19th): not counted.
    await ok(core, 'scan.submit', scan(tubeCode(1)));
    await ok(core, 'scan.submit', scan(idNumber(1)));
    // 00:30 on the day (16:30 UTC the day before): hour 0.
    now = at('00:30');
    await ok(core, 'operator.signIn', { code: TEST_ADMIN.code, pin: TEST_ADMIN.pin });
    await ok(core, 'scan.submit', scan(idNumber(2)));
    // 09:10: the next tube seals tube 1; two people, one undone.
    now = at('09:10');
    await ok(core, 'operator.signIn', { code: TEST_ADMIN.code, pin: TEST_ADMIN.pin });
    await ok(core, 'scan.submit', scan(tubeCode(2)));
    await ok(core, 'scan.submit', scan(idNumber(3)));
    await ok(core, 'scan.submit', scan(idNumber(4)));
    await ok(core, 'binding.undo', { reason: '扫错了' });
    // 10:20: tube 3 opened, tube 2 sealed; tube 3 voided.
    now = at('10:20');
    await ok(core, 'operator.signIn', { code: TEST_ADMIN.code, pin: TEST_ADMIN.pin });
    await ok(core, 'scan.submit', scan(tubeCode(3)));
    await ok(core, 'scan.submit', scan(idNumber(5)));
    await ok(core, 'tube.void', { tubeCode: tubeCode(3), reason: '管子破损' });
    // 11:05: a box of tubes 1 and 2 sealed; 14:40 handed over.
    now = at('11:05');
    await ok(core, 'operator.signIn', { code: TEST_ADMIN.code, pin: TEST_ADMIN.pin });
    await ok(core, 'box.open', { code: 'BX00000001' });
    await ok(core, 'box.addTube', { boxCode: 'BX00000001', tubeCode: tubeCode(1) });
    await ok(core, 'box.addTube', { boxCode: 'BX00000001', tubeCode: tubeCode(2) });
    await ok(core, 'box.seal', { code: 'BX00000001' });
    now = at('14:40');
    await ok(core, 'operator.signIn', { code: TEST_ADMIN.code, pin: TEST_ADMIN.pin });
    await ok(core, 'box.handOver', { code: 'BX00000001', confirmCode: 'BX00000001', transporter: { name: '李师傅', phone: '13800138000' }, tubeCount: 2, coldChainNote: '' });
    // 16:15: the station works as a gate; two in, one out.
    now = at('16:15');
    await ok(core, 'operator.signIn', { code: TEST_ADMIN.code, pin: TEST_ADMIN.pin });
    await ok(core, 'station.setWorkplace', { workplace: 'gate' });
    await ok(core, 'gate.scan', { ...scan(idNumber(6)), direction: 'in' });
    await ok(core, 'gate.scan', { ...scan(idNumber(7)), direction: 'in' });
    await ok(core, 'gate.scan', { ...scan(idNumber(6)), direction: 'out' });

    now = at('18:00');
    await ok(core, 'operator.signIn', { code: TEST_ADMIN.code, pin: TEST_ADMIN.pin });
    const report = await ok(core, 'report.day', {});
    expect(report.day).toBe(DAY);
    expect(report.station).toBe(core.identity.station.name);
    const { totals, hours } = report.here;
    expect(totals).toMatchObject({
      people: 3,
      tubesOpened: 2,
      tubesSealed: 2,
      tubesVoided: 1,
      boxesSealed: 1,
      boxesHandedOver: 1,
      gateIn: 2,
      gateOut: 1,
      fevers: 0,
      visitsSampled: 0,
      households: 0,
    });
    expect(hours).toHaveLength(24);
    const nonZero = (m: keyof (typeof hours)[number]) => hours.filter((h) => h[m] > 0).map((h) => [h.hour, h[m]]);
    expect(nonZero('people')).toEqual([[0, 1], [9, 1], [10, 1]]);
    expect(nonZero('tubesOpened')).toEqual([[9, 1], [10, 1]]);
    expect(nonZero('tubesSealed')).toEqual([[9, 1], [10, 1]]);
    expect(nonZero('tubesVoided')).toEqual([[10, 1]]);
    expect(nonZero('boxesSealed')).toEqual([[11, 1]]);
    expect(nonZero('boxesHandedOver')).toEqual([[14, 1]]);
    expect(nonZero('gateIn')).toEqual([[16, 2]]);
    expect(nonZero('gateOut')).toEqual([[16, 1]]);

    // The day before holds its own binding and tube only.
    const before = await ok(core, 'report.day', { day: '2026-11-19' });
    expect(before.here.totals).toMatchObject({ people: 1, tubesOpened: 1, tubesSealed: 0, boxesSealed: 0, gateIn: 0 });
    expect(before.here.hours[23]!.people).toBe(1);
    // Never synced: no site figures.
    expect(report.siteScope).toBeNull();
    expect(report.syncedAt).toBeNull();

    // The site as HQ answered it, kept with its time.
    const hqHours = report.here.hours.map(({ hour }) => ({
      hour, people: hour === 9 ? 40 : 0, tubesOpened: hour === 9 ? 4 : 0, tubesSealed: 0, tubesVoided: 0, boxesSealed: 0, boxesHandedOver: 0, gateIn: 0, gateOut: 0, fevers: hour === 9 ? 1 : 0,
    }));
    await core.writer.run(() => core.reports.saveSite({ type: 'hq.siteDay', day: DAY, hours: hqHours }, new Date(at('17:45'))));
    const withSite = await ok(core, 'report.day', {});
    expect(withSite.siteScope).toMatchObject({ asOf: new Date(at('17:45')).toISOString(), totals: { people: 40, tubesOpened: 4, fevers: 1 } });
    // Another day's answer is not this day's.
    expect((await ok(core, 'report.day', { day: '2026-11-19' })).siteScope).toBeNull();

    // The workbook: a sheet per scope, hours as rows, totals, read back.
    const file = await ok(core, 'report.export', { lang: 'zh-CN' });
    expect(file.fileName).toBe(`report-${DAY}.xlsx`);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(file.base64, 'base64') as unknown as ArrayBuffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['本机', '全点位']);
    const here = wb.worksheets[0]!;
    expect(here.getCell('B1').value).toBe(DAY);
    expect(here.getCell('B3').value).toBe(core.identity.station.name);
    expect(here.getCell('B4').value).toBe('从未同步');
    const header = here.getRow(6).values as unknown[];
    expect(header.slice(1, 4)).toEqual(['时段', '采样人数', '开管']);
    expect(here.getRow(7 + 9).values).toEqual([undefined, '09:00–10:00', 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect((here.getRow(31).values as unknown[]).slice(1, 3)).toEqual(['合计', 3]);
    const site = wb.worksheets[1]!;
    expect(site.getCell('B4').value).toBe('11-20 17:45');
    expect((site.getRow(31).values as unknown[]).slice(1, 3)).toEqual(['合计', 40]);
    const en = new ExcelJS.Workbook();
    await en.xlsx.load(Buffer.from((await ok(core, 'report.export', { lang: 'en', day: DAY })).base64, 'base64') as unknown as ArrayBuffer);
    expect(en.worksheets.map((w) => w.name)).toEqual(['This station', 'Site']);
    expect((en.worksheets[0]!.getRow(6).values as unknown[]).slice(1, 3)).toEqual(['Hour', 'People sampled']);
  });

  it('refuses a day that is not a date, and a transporter', async () => {
    core = await openCore();
    expect(await refused(core, 'report.day', { day: '2026-02-30' })).toBe('request.invalid');
    expect(await refused(core, 'report.day', { day: 'today' })).toBe('request.invalid');
    // A transporter carries boxes; the day's counts are the desk's, the gate's and the admin's.
    await ok(core, 'operator.create', { name: '钱转运', code: 'Y001', role: 'transporter', pin: '582039' });
    await ok(core, 'operator.signIn', { code: 'Y001', pin: '582039' });
    expect(await refused(core, 'report.day', {})).toMatch(/^operator\./);
  });
});

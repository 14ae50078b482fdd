import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceConfig } from '../../electron/api/devices';
import { StationCore } from '../../electron/core/core';
import { writeDeviceSettings } from '../../electron/core/devices/settings';
import type { FeedItem } from '../../hq/protocol';
import { ThermometerSimulator } from '../../native/thermometer/simulator';
import { dataKeyOf, ok, openStationFile, signInAdmin, tempDir } from '../helpers/core';
import { idNumber, tubeCode } from '../helpers/ids';
import { ptyFixture, type PtyFixture } from '../helpers/pty';
import { launchBrowser } from './helpers/browser';
import { apiCalls, openDesk, recordApiCalls, scan, type PageGlobals } from './helpers/desk-page';
import { startKiosk, type Kiosk } from './helpers/kiosk';

const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts');

/** The site's roster: `[name, n, tag]`, ID number `idNumber(n)`, households 1-1-101, 1-1-102… */
const RESIDENTS: [string, number, string][] = [
  ['张伟', 1, ''],
  ['王芳', 2, ''],
  ['李娜', 3, '重点人员'],
  ['刘洋', 4, ''],
];
/** Not on the roster, on a key-person list HQ sent. */
const OUTSIDER = idNumber(7);

/** The roster as a site admin imports it, through the core's own import. */
async function applyRoster(core: StationCore): Promise<void> {
  const lines = ['姓名,身份证号,手机号,楼栋,单元,房号,标签', ...RESIDENTS.map(([name, n, tag], i) => `${name},${idNumber(n)},,1,1,${101 + i},${tag}`)];
  const csv = Buffer.from(lines.join('\n'));
  const { uploadId } = await ok(core, 'roster.upload', { fileName: 'roster.csv', size: csv.length });
  await ok(core, 'roster.uploadChunk', { uploadId, offset: 0, data: csv.toString('base64') });
  const started = await ok(core, 'roster.read', { uploadId });
  await core.roster.idle();
  await ok(core, 'roster.apply', { importId: started.id });
}

/** The site day's hour now (UTC+8), as the gate counts it. */
const siteHourNow = () => new Date(Date.now() + 8 * 3600_000).getUTCHours();

/**
 * The attended gate in a real browser against the kiosk host: a station with its roster, one
 * resident sampled at its desk, a key-person list from HQ and a serial thermometer on a socat pty
 * pair that this test drives as the device; a site admin makes it a gate on the Site screen.
 */
describe('the attended gate in a real browser against the kiosk host', () => {
  let kiosk: Kiosk;
  let browser: Browser;
  let page: Page;
  let thermoPty: PtyFixture;
  let thermometer: ThermometerSimulator;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    thermoPty = await ptyFixture();
    const dataDir = tempDir('station-e2e-gate-');
    const devices: DeviceConfig[] = [
      { id: 'gate-thermometer', name: '门口测温仪', enabled: true, kind: 'thermometer', driver: 'serial', path: thermoPty.devicePath, baudRate: 9600, protocol: 'ir9', offsetC: 0, toleranceC: 0.2, samples: 3, gapMs: 500 },
    ];
    // What the site had before the station became a gate: its devices, its roster, a morning at the desk, HQ's key-person list.
    const setup = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), devices: 'off' });
    await setup.writer.run(() => writeDeviceSettings(setup.db, { mode: 'real', devices }));
    await signInAdmin(setup);
    await applyRoster(setup);
    await ok(setup, 'scan.submit', { text: tubeCode(1), source: 'manual' });
    await ok(setup, 'scan.submit', { text: idNumber(1), source: 'manual' });
    const list: FeedItem = { cursor: 1, kind: 'keyperson.list', payload: { listId: 'kp-1', persons: [{ idNumber: OUTSIDER, name: '赵某', reason: '密接' }] } };
    await setup.writer.run(() => setup.feed.apply([list], new Date().toISOString()));
    await setup.devices.stop();
    setup.close();

    kiosk = await startKiosk({ dataDir, pseudoTerminals: true });
    thermometer = await ThermometerSimulator.open(thermoPty.peerPath, 'ir9');
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await recordApiCalls(page);
    await openDesk(page, kiosk.url, 'zh-CN');
  });

  afterAll(async () => {
    await browser?.close();
    await thermometer?.close();
    await kiosk?.stop();
    await thermoPty?.close();
  });

  const passage = () => page.getByTestId('gate-passage');
  const journal = (kind: string) => {
    const db = openStationFile(path.join(kiosk.dataDir, 'station.db'), { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT payload FROM journal WHERE kind = ? ORDER BY seq').all(kind) as { payload: string }[]).map((r) => JSON.parse(r.payload) as Record<string, unknown>);
    } finally {
      db.close();
    }
  };

  it('a site admin makes the station a gate: the gate screen comes first and the desk tab goes', async () => {
    expect(await page.getByTestId('tab-gate').count()).toBe(0);
    await page.getByTestId('tab-site').click();
    await page.getByTestId('workplace-gate').click();
    await page.getByTestId('tab-gate').waitFor();
    await page.waitForSelector('[data-testid=workplace-setting][data-workplace=gate]');
    await page.screenshot({ path: path.join(ARTIFACTS, 'gate-site-workplace.png') });
    await page.getByTestId('tab-desk').waitFor({ state: 'detached' });
    // The gate is the first tab now.
    expect(await page.locator('nav.tabs button').first().getAttribute('data-testid')).toBe('tab-gate');
    expect(journal('station.workplaceSet').map((p) => p.workplace)).toEqual(['gate']);
    await page.getByTestId('tab-gate').click();
    await page.getByTestId('gate-screen').waitFor();
    expect(await passage().getAttribute('data-state')).toBe('empty');
    expect(await page.getByTestId('banner').innerText()).toContain('请扫码');
    await page.screenshot({ path: path.join(ARTIFACTS, 'gate-empty.png') });
    await page.waitForSelector('[data-testid=devices-indicator][data-problems="0"]');
  });

  it('(a) a resident sampled this morning, scanned in: the thermometer reading attaches itself and the verdict turns green', async () => {
    const [gateScans, deskScans] = [await apiCalls(page, 'gate.scan'), await apiCalls(page, 'scan.submit')];
    const scanned = await scan(page, idNumber(1));
    // A keyboard-wedge scan at a gate goes to the gate, in the direction shown, never to the desk.
    expect(await apiCalls(page, 'gate.scan')).toBe(gateScans + 1);
    expect(await apiCalls(page, 'scan.submit')).toBe(deskScans);
    expect(await page.getByTestId('gate-passage-direction').getAttribute('data-direction')).toBe('in');
    // Not green before the reading: waiting for it.
    expect(scanned.tone).toBe('full');
    expect(scanned.text).toContain('张伟：请测温');
    expect(await passage().getAttribute('data-shown')).toBe('wait');
    expect(await page.getByTestId('gate-person-name').innerText()).toBe('张伟');
    // Masked on screen.
    expect(await page.getByTestId('gate-person-id').innerText()).toBe(`110105********${idNumber(1).slice(-4)}`);
    expect(await passage().innerText()).not.toContain(idNumber(1));
    expect(await page.getByTestId('gate-residency').innerText()).toContain('本小区住户 1-1-101');
    expect(await page.getByTestId('gate-rule').getAttribute('data-met')).toBe('true');
    expect(await page.getByTestId('gate-rule').innerText()).toContain('72 小时内已采样');
    expect(await page.getByTestId('gate-rule-last').innerText()).toContain('本工作站');
    await page.screenshot({ path: path.join(ARTIFACTS, 'gate-wait.png') });

    await thermometer.measure(36.5, 5);
    await page.waitForSelector('[data-testid=gate-passage][data-level=pass][data-final=true]', { timeout: 15_000 });
    expect(await page.getByTestId('gate-verdict-words').innerText()).toBe('请通行');
    expect(await page.getByTestId('gate-temperature').getAttribute('data-state')).toBe('normal');
    const reading = page.getByTestId('gate-reading');
    expect(await reading.count()).toBe(1);
    expect(await reading.getAttribute('data-match')).toBe('auto');
    expect(await reading.innerText()).toContain('36.5 ℃');
    expect(await reading.innerText()).toContain('阈值 37.3℃');
    expect(await reading.innerText()).toContain('自动关联');
    // The verdict was heard again when the reading came: green in the banner too.
    await expect.poll(() => page.getByTestId('banner').getAttribute('data-tone')).toBe('accepted');
    expect(await page.getByTestId('banner').innerText()).toContain('张伟：请通行');
    await expect.poll(() => page.getByTestId('gate-count-in').innerText()).toBe('1');
    await page.screenshot({ path: path.join(ARTIFACTS, 'gate-pass.png') });
  });

  it('(b) a fever: 38.1 raises the alarm and asks for a re-measure; high again, a referral is recorded and journalled', async () => {
    const scanned = await scan(page, idNumber(2));
    expect(scanned.text).toContain('王芳');
    await thermometer.measure(38.1, 5);
    await page.waitForSelector('[data-testid=gate-passage][data-temperature=remeasure]', { timeout: 15_000 });
    expect(await passage().getAttribute('data-level')).toBe('stop');
    expect(await page.getByTestId('gate-reasons').innerText()).toContain('体温不低于 37.3℃，请复测');
    await expect.poll(() => page.getByTestId('banner').getAttribute('data-tone')).toBe('rejected');
    expect(await page.getByTestId('gate-reading').getAttribute('data-high')).toBe('true');
    await page.screenshot({ path: path.join(ARTIFACTS, 'gate-remeasure.png') });

    const remeasures = await apiCalls(page, 'gate.remeasure');
    await page.getByTestId('gate-remeasure').click();
    await expect.poll(() => apiCalls(page, 'gate.remeasure')).toBe(remeasures + 1);
    await expect.poll(() => page.getByTestId('banner').innerText()).toContain('请 王芳 再测一次体温');
    await thermometer.measure(38.1, 5);
    await page.waitForSelector('[data-testid=gate-passage][data-temperature=fever][data-final=true]', { timeout: 15_000 });
    expect(await page.getByTestId('gate-reasons').innerText()).toContain('复测仍高于 37.3℃，需转诊');
    expect(await page.getByTestId('gate-reading').count()).toBe(2);

    const form = page.getByTestId('gate-referral-form');
    await form.waitFor();
    expect(await page.getByTestId('gate-referral-submit').isDisabled()).toBe(true);
    await page.getByTestId('gate-referral-destination').fill('区发热门诊');
    await page.getByTestId('gate-referral-escort').fill('王值守');
    await page.getByTestId('gate-referral-note').fill('自述咳嗽两天');
    await page.screenshot({ path: path.join(ARTIFACTS, 'gate-fever-referral-form.png'), fullPage: true });
    await page.getByTestId('gate-referral-submit').click();
    await page.getByTestId('gate-referral').waitFor();
    expect(await page.getByTestId('gate-referral').innerText()).toContain('转往 区发热门诊，陪同：王值守');
    await form.waitFor({ state: 'detached' });
    expect(journal('gate.referral')).toEqual([expect.objectContaining({ destination: '区发热门诊', escort: '王值守', note: '自述咳嗽两天' })]);
    expect(journal('gate.reading').filter((r) => r.high === true)).toHaveLength(2);
    await expect.poll(() => page.getByTestId('gate-count-fevers').innerText()).toBe('1');
    await expect.poll(() => page.getByTestId('gate-count-referrals').innerText()).toBe('1');
  });

  it('(c) a key person on HQ’s list: an alarm with the list’s reason, and what the gate keeper did is recorded', async () => {
    const scanned = await scan(page, OUTSIDER);
    expect(scanned.tone).toBe('rejected');
    expect(await passage().getAttribute('data-level')).toBe('stop');
    const alarm = page.getByTestId('gate-key-person');
    expect(await alarm.innerText()).toContain('重点人员预警');
    expect(await alarm.innerText()).toContain('名单：密接');
    expect(await page.getByTestId('gate-residency').getAttribute('data-kind')).toBe('outsider');
    expect(await page.getByTestId('gate-reasons').innerText()).toContain('非本小区居民，请登记');

    // "Other" needs a note: the form says so and does not send.
    await page.getByTestId('gate-kp-action').selectOption('other');
    await page.getByTestId('gate-kp-note-needed').waitFor();
    expect(await page.getByTestId('gate-kp-submit').isDisabled()).toBe(true);
    await page.getByTestId('gate-kp-action').selectOption('turnedBack');
    await page.getByTestId('gate-kp-note').fill('劝返并上报社区');
    await page.screenshot({ path: path.join(ARTIFACTS, 'gate-key-person.png') });
    await page.getByTestId('gate-kp-submit').click();
    const done = page.getByTestId('gate-kp-action-done');
    await done.waitFor();
    expect(await done.getAttribute('data-action')).toBe('turnedBack');
    expect(await done.innerText()).toContain('劝返并上报社区');
    expect(journal('gate.keyPersonAction')).toEqual([expect.objectContaining({ action: 'turnedBack', note: '劝返并上报社区' })]);

    // A resident the roster marks as a key person raises the alarm too.
    await scan(page, idNumber(3));
    expect(await page.getByTestId('gate-key-person').innerText()).toContain('台账中标记为重点人员');
    await expect.poll(() => page.getByTestId('gate-count-keypersons').innerText()).toBe('2');
  });

  it('(d) a reading typed by hand: refused out of range before it is sent, then attached to the passage', async () => {
    await scan(page, idNumber(4));
    expect(await passage().getAttribute('data-level')).toBe('check');
    expect(await page.getByTestId('gate-rule').getAttribute('data-met')).toBe('false');
    const sent = await apiCalls(page, 'gate.reading');
    for (const bad of ['45', '36.55', 'abc']) {
      await page.getByTestId('gate-reading-input').fill(bad);
      await page.getByTestId('gate-reading-submit').click();
      await page.getByTestId('gate-reading-error').waitFor();
    }
    expect(await apiCalls(page, 'gate.reading')).toBe(sent);
    // F7 goes to the field without the mouse.
    await page.getByTestId('gate-reading-input').fill('');
    await page.locator('body').click({ position: { x: 5, y: 760 } });
    await page.keyboard.press('F7');
    await expect.poll(() => page.getByTestId('gate-reading-input').evaluate((el) => el === (globalThis as unknown as PageGlobals).document.activeElement)).toBe(true);
    await page.keyboard.type('36.6', { delay: 120 });
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=gate-passage][data-temperature=normal]');
    expect(await apiCalls(page, 'gate.reading')).toBe(sent + 1);
    const reading = page.getByTestId('gate-reading');
    expect(await reading.getAttribute('data-match')).toBe('manual');
    expect(await reading.innerText()).toContain('36.6 ℃');
    expect(await reading.innerText()).toContain('手工录入');
    // Still to be checked: not sampled within 72 hours.
    expect(await passage().getAttribute('data-level')).toBe('check');
    expect(await page.getByTestId('gate-verdict-words').innerText()).toBe('请核验');
    expect(await page.getByTestId('gate-reading-input').inputValue()).toBe('');
  });

  it('(e) direction out: the resident leaves, the counts and the hour chart follow; a recent passage shows again when picked', async () => {
    expect(await page.getByTestId('gate-count-in').innerText()).toBe('5');
    expect(await page.getByTestId('gate-count-out').innerText()).toBe('0');
    const onSite = Number(await page.getByTestId('gate-count-onsite').innerText());
    await page.getByTestId('gate-direction-out').click();
    await page.waitForSelector('[data-testid=gate-direction][data-direction=out]');
    expect(await page.getByTestId('gate-direction-out').getAttribute('aria-pressed')).toBe('true');
    expect(journal('station.workplaceSet').length).toBeGreaterThanOrEqual(1);

    const left = await scan(page, idNumber(1));
    expect(left.tone).toBe('accepted');
    expect(await page.getByTestId('gate-passage-direction').getAttribute('data-direction')).toBe('out');
    expect(await page.getByTestId('gate-temperature').getAttribute('data-state')).toBe('notRequired');
    await expect.poll(() => page.getByTestId('gate-count-out').innerText()).toBe('1');
    await expect.poll(() => page.getByTestId('gate-count-onsite').innerText()).toBe(String(onSite - 1));
    // The hour it was scanned in counts it (the chart's numbers, as its table gives them to screen readers).
    const outs = async () => {
      let n = 0;
      for (const row of await page.locator('[data-testid=gate-hours-table] tr[data-out]').all()) n += Number(await row.getAttribute('data-out'));
      return n;
    };
    await expect.poll(outs).toBe(1);
    const hour = Number(await page.locator('[data-testid=gate-hours-table] tr[data-out="1"]').getAttribute('data-hour'));
    expect([siteHourNow(), (siteHourNow() + 23) % 24]).toContain(hour);
    expect(await page.getByTestId('gate-hours-chart').locator('svg path').count()).toBeGreaterThan(0);

    // The recent list: newest first, each in its verdict's colour; picking the fever shows it big again.
    const rows = page.getByTestId('gate-recent-row');
    await expect.poll(() => rows.count()).toBe(6);
    expect(await rows.first().getAttribute('data-level')).toBe('pass');
    const fever = rows.filter({ hasText: '王芳' });
    expect(await fever.getAttribute('data-level')).toBe('stop');
    await page.screenshot({ path: path.join(ARTIFACTS, 'gate-out-counts.png') });
    await fever.click();
    await page.waitForSelector('[data-testid=gate-passage][data-temperature=fever]');
    expect(await page.getByTestId('gate-referral').innerText()).toContain('区发热门诊');

    // The whole screen in English, for the record.
    await page.getByTestId('language-toggle').click();
    await expect.poll(() => page.getByTestId('gate-verdict-words').innerText()).toBe('Please stop and call staff');
    await page.screenshot({ path: path.join(ARTIFACTS, 'gate-fever-en.png') });
    await page.getByTestId('language-toggle').click();
    expect(pageErrors).toEqual([]);
  });
});

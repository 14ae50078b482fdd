import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StationCore } from '../../electron/core/core';
import { dataKeyOf, ok, openStationFile, signInAdmin, tempDir } from '../helpers/core';
import { idNumber, tubeCode } from '../helpers/ids';
import { launchBrowser } from './helpers/browser';
import { nextOutcome, bannerSeq, recordApiCalls, scan, signInOnPage, type PageGlobals } from './helpers/desk-page';
import { startKiosk, type Kiosk } from './helpers/kiosk';

const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts');

/** The roster: `[name, n, household, tag]`, ID number `idNumber(n)`. */
const RESIDENTS: [string, number, string, string][] = [
  ['张伟', 1, '1,1,101', '老人'],
  ['王芳', 2, '1,1,101', ''],
  ['李娜', 3, '1,1,101', ''],
  ['刘洋', 4, '1,1,102', '卧床'],
  ['陈静', 5, '1,2,201', '居家隔离'],
  ['杨帆', 6, '1,2,201', ''],
  ['赵磊', 7, '2,1,101', ''],
];
const COLLECTOR = { name: '孙采集', code: 'C001', role: 'collector' as const, pin: '580317' };
const SAMPLER = { name: '周采样', code: 'S001', role: 'sampler' as const, pin: '604918' };

async function applyRoster(core: StationCore): Promise<void> {
  const lines = ['姓名,身份证号,手机号,楼栋,单元,房号,标签', ...RESIDENTS.map(([name, n, home, tag]) => `${name},${idNumber(n)},,${home},${tag}`)];
  const csv = Buffer.from(lines.join('\n'));
  const { uploadId } = await ok(core, 'roster.upload', { fileName: 'roster.csv', size: csv.length });
  await ok(core, 'roster.uploadChunk', { uploadId, offset: 0, data: csv.toString('base64') });
  const started = await ok(core, 'roster.read', { uploadId });
  await core.roster.idle();
  await ok(core, 'roster.apply', { importId: started.id });
}

/**
 * Door to door in a real browser against the kiosk host: a station a site admin made a
 * door-to-door device, with the roster and its staff; the collector signs in, forms the group,
 * finds nobody home at one door (onto the revisit list), samples a household into a pooled tube
 * (one person picked, one scanned) with one resident refusing, then comes back to the first door
 * and samples it; the progress follows, at a laptop's size and a tablet's.
 */
describe('door to door in a real browser against the kiosk host', () => {
  let kiosk: Kiosk;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const dataDir = tempDir('station-e2e-doors-');
    const setup = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), devices: 'off' });
    await signInAdmin(setup);
    await applyRoster(setup);
    await ok(setup, 'operator.create', COLLECTOR);
    await ok(setup, 'operator.create', SAMPLER);
    await ok(setup, 'station.setWorkplace', { workplace: 'doors' });
    await setup.devices.stop();
    setup.close();

    kiosk = await startKiosk({ dataDir });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await recordApiCalls(page);
    await page.addInitScript(() => (globalThis as unknown as PageGlobals).localStorage.setItem('station.language', 'zh-CN'));
    await page.goto(kiosk.url);
    await signInOnPage(page, COLLECTOR);
    await page.waitForSelector('[data-testid=connection-indicator][data-state=online]');
  });

  afterAll(async () => {
    await browser?.close();
    await kiosk?.stop();
  });

  const journal = (kind: string) => {
    const db = openStationFile(path.join(kiosk.dataDir, 'station.db'), { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT payload FROM journal WHERE kind = ? ORDER BY seq').all(kind) as { payload: string }[]).map((r) => JSON.parse(r.payload) as Record<string, unknown>);
    } finally {
      db.close();
    }
  };
  const household = (name: string) => page.getByTestId(`doors-household-${name}`);
  const door = () => page.getByTestId('doors-door');
  const state = (name: string) => page.getByTestId(`doors-state-${name}`);
  const waitDoor = (name: string, status?: string) => page.waitForSelector(`[data-testid=doors-door][data-household="${name}"]${status ? `[data-status=${status}]` : ''}`);
  const click = async (testId: string) => {
    const before = await bannerSeq(page);
    await page.getByTestId(testId).click();
    return nextOutcome(page, before);
  };

  it('shows the door screen first at a door-to-door station, and the collector forms the group', async () => {
    expect(await page.locator('nav.tabs button').first().getAttribute('data-testid')).toBe('tab-doors');
    expect(await page.getByTestId('tab-desk').count()).toBe(0);
    await page.getByTestId('doors-no-group').waitFor();
    await page.getByTestId('doors-new-group').click();
    await page.getByTestId('doors-assign-dialog').waitFor();
    await page.getByTestId('doors-assign-building-1').waitFor();
    await page.getByTestId('doors-assign-name').fill('第1组');
    await page.getByTestId(`doors-assign-helper-${SAMPLER.name}`).check();
    await page.getByTestId('doors-assign-building-1').check();
    await page.screenshot({ path: path.join(ARTIFACTS, 'doors-assign.png') });
    const saved = await click('doors-assign-save');
    expect(saved).toMatchObject({ tone: 'accepted' });
    expect(saved.text).toContain('第1组');
    await page.getByTestId('doors-group-name').waitFor();
    expect(await page.getByTestId('doors-bar').innerText()).toContain(`组长 ${COLLECTOR.name}`);
    expect(await page.getByTestId('doors-headline').innerText()).toContain('0/3 户完成');
    // Building 1's households, by unit and room; building 2 is not this group's.
    expect(await page.locator('[data-testid^=doors-household-]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')))).toEqual([
      'doors-household-1-1-101',
      'doors-household-1-1-102',
      'doors-household-1-2-201',
    ]);
    expect(journal('door.groupAssigned')).toMatchObject([{ name: '第1组', areas: [{ building: '1', unit: null }], tags: [] }]);
    await page.screenshot({ path: path.join(ARTIFACTS, 'doors-list.png') });
  });

  it('finds nobody home at 1-1-102: the household goes on the revisit list with the time to come back', async () => {
    await household('1-1-102').click();
    await waitDoor('1-1-102', 'toVisit');
    await page.getByTestId('doors-household-not-home').click();
    await page.getByTestId('doors-not-home-dialog').waitFor();
    await page.getByTestId('doors-revisit-time').fill('18:30');
    const recorded = await click('doors-not-home-save');
    expect(recorded.text).toContain('不在家');
    await waitDoor('1-1-102', 'revisit');
    expect(await state('刘洋').innerText()).toBe('不在家');
    await page.getByTestId('doors-tab-revisit').click();
    const revisit = page.getByTestId('doors-revisit-1-1-102');
    await revisit.waitFor();
    expect(await revisit.innerText()).toMatch(/不在家[\s\S]*约 18:30 复访/);
    expect(journal('door.visit')).toMatchObject([{ outcome: 'notHome', room: '102', personId: null, revisitAt: expect.any(String) }]);
  });

  it('samples 1-1-101 into one pooled tube, one picked with the temperature and one scanned; one refuses with the reason', async () => {
    await page.getByTestId('doors-tab-all').click();
    await household('1-1-101').click();
    await waitDoor('1-1-101');
    await page.getByTestId('doors-mode-pooled').click();
    const opened = await scan(page, tubeCode(1));
    expect(opened.text).toContain(`已开管 ${tubeCode(1)}`);
    expect(opened.text).toContain('10混1');
    await page.getByTestId('doors-temperature').fill('36.6');
    const picked = await click('doors-sample-张伟');
    expect(picked).toMatchObject({ tone: 'accepted' });
    expect(picked.text).toContain('张伟 1/10');
    expect(picked.text).toContain('体温 36.6 °C');
    const scanned = await scan(page, idNumber(2));
    expect(scanned).toMatchObject({ tone: 'accepted' });
    expect(scanned.text).toContain('王芳 2/10');
    await page.getByTestId('doors-refuse-李娜').click();
    await page.getByTestId('doors-refuse-dialog').waitFor();
    await page.getByTestId('doors-refuse-elsewhere').check();
    const refusal = await click('doors-refuse-save');
    expect(refusal.text).toContain('李娜');
    await waitDoor('1-1-101', 'done');
    expect(await state('张伟').innerText()).toBe('已采样');
    expect(await state('王芳').innerText()).toBe('已采样');
    expect(await state('李娜').innerText()).toBe('拒绝');
    expect(await page.getByTestId('doors-tube').innerText()).toContain('2/10');
    expect(await page.getByTestId('doors-history').innerText()).toContain('称已在其他地方采样');
    await page.screenshot({ path: path.join(ARTIFACTS, 'doors-door.png') });
  });

  it('comes back to 1-1-102 from the revisit list and samples it into the same tube', async () => {
    await page.getByTestId('doors-tab-revisit').click();
    await page.getByTestId('doors-revisit-1-1-102').click();
    await waitDoor('1-1-102', 'revisit');
    const sampled = await click('doors-sample-刘洋');
    expect(sampled.text).toContain('刘洋 3/10');
    await waitDoor('1-1-102', 'done');
    await page.waitForSelector('[data-testid=doors-revisits]', { state: 'detached' });
    expect(await page.getByTestId('doors-tab-revisit').innerText()).toContain('待复访 0');
    await page.getByTestId('doors-tab-progress').click();
    await page.getByTestId('doors-progress').waitFor();
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.querySelector('[data-testid=doors-progress-group]') !== null);
    const row = await page.getByTestId('doors-progress-group').innerText();
    // 3 households: 2 done, 1 still to visit; 3 sampled, 1 refusing, 2 left (1-2-201).
    expect(row.split(/\s+/).slice(-7)).toEqual(['3', '2', '0', '1', '3', '1', '2']);
    expect(await page.getByTestId('doors-headline').innerText()).toContain('2/3 户完成');
    await page.screenshot({ path: path.join(ARTIFACTS, 'doors-progress.png') });

    // The desk's own records: one tube, three bindings; the visits beside them.
    expect(journal('tube.opened')).toMatchObject([{ code: tubeCode(1), capacity: 10 }]);
    expect(journal('binding.created').map((b) => b.tubeCode)).toEqual([tubeCode(1), tubeCode(1), tubeCode(1)]);
    expect(journal('door.visit').map((v) => [v.outcome, v.room, v.temperatureC ?? null, v.reason ?? null])).toEqual([
      ['notHome', '102', null, null],
      ['sampled', '101', 36.6, null],
      ['sampled', '101', null, null],
      ['refused', '101', null, '称已在其他地方采样'],
      ['sampled', '102', null, null],
    ]);
  });

  it('fits a tablet (1024 × 768) and speaks English too', async () => {
    await page.setViewportSize({ width: 1024, height: 768 });
    await page.getByTestId('doors-tab-all').click();
    await household('1-1-101').click();
    await waitDoor('1-1-101', 'done');
    await page.screenshot({ path: path.join(ARTIFACTS, 'doors-tablet.png') });
    await household('1-2-201').click();
    await waitDoor('1-2-201', 'toVisit');
    await page.screenshot({ path: path.join(ARTIFACTS, 'doors-tablet-door.png') });
    await page.getByTestId('language-toggle').click();
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.querySelector('[data-testid=tab-doors]') !== null);
    expect(await page.getByTestId('tab-doors').innerText()).toBe('Door to door');
    expect(await door().innerText()).toContain('To sample');
    await page.screenshot({ path: path.join(ARTIFACTS, 'doors-tablet-en.png') });
    expect(pageErrors).toEqual([]);
  });
});

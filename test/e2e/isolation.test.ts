import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCharacter } from '../../electron/core/person/gb11643';
import { tempDir } from '../helpers/core';
import { launchBrowser } from './helpers/browser';
import { openDesk, scan, signInOnPage } from './helpers/desk-page';
import { setClock, startKiosk, type Kiosk } from './helpers/kiosk';

const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts');
const DAY = 86_400_000;
/** Day 1 of the isolation: 2026-12-01, 10:00 at the site (UTC+8). */
const DAY1 = Date.parse('2026-12-01T02:00:00.000Z');

function id(n: number): string {
  const first17 = `31010119800101${String(n).padStart(3, '0')}`;
  return first17 + checkCharacter(first17);
}

/**
 * Home isolation on screen against the kiosk host, its clock moved by the test (the host's test
 * clock, `STATION_TEST_CLOCK_FILE`): a household of the roster put in isolation on day 1 (its
 * sampling and temperature tasks), day 4 (its sampling task, the temperatures missed overdue and
 * highlighted, the sampling done by a binding at the desk), day 14 (ended: the schedule closed).
 */
describe('home isolation on screen, with a controlled clock', () => {
  let kiosk: Kiosk;
  let browser: Browser;
  let page: Page;
  const clockFile = path.join(tempDir('isolation-clock-'), 'clock');

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    setClock(clockFile, new Date(DAY1));
    kiosk = await startKiosk({ clockFile });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await openDesk(page, kiosk.url, 'zh-CN');
    // The roster: one household of two.
    const file = path.join(tempDir('isolation-roster-'), '台账.csv');
    fs.writeFileSync(file, ['姓名,身份证号,手机号,楼栋,单元,房号', `张三,${id(1)},,3,2,502`, `李四,${id(2)},,3,2,502`].join('\n'));
    await page.getByTestId('tab-roster').click();
    await page.getByTestId('roster-file').setInputFiles(file);
    await page.getByTestId('roster-read').click();
    await page.getByTestId('roster-apply').click({ timeout: 30_000 });
    await page.waitForFunction(() => (globalThis as unknown as { document: { querySelector(s: string): { textContent: string | null } | null } }).document.querySelector('[data-testid=roster-current]')?.textContent?.includes('居民 2 人'), undefined, { timeout: 30_000 });
  });
  afterAll(async () => {
    await browser?.close();
    await kiosk?.stop();
  });

  /** The site's clock moved: the screen locked meanwhile, so staff sign in again and open the isolation screen. */
  async function moveTo(at: number): Promise<void> {
    setClock(clockFile, new Date(at));
    await page.reload();
    await signInOnPage(page);
    await page.getByTestId('tab-isolation').click();
    await page.getByTestId('isolation-screen').waitFor();
  }

  const rows = (table: string) =>
    page.getByTestId(table).locator('[data-testid=isolation-task]').evaluateAll((trs) =>
      trs.map((tr) => `${tr.querySelector('td')?.textContent?.split(' ')[0] ?? ''} d${tr.getAttribute('data-day')} ${tr.getAttribute('data-kind')} ${tr.getAttribute('data-status')}`),
    );

  it('day 1: the household put in isolation from the roster, its tasks for today; a morning temperature recorded', async () => {
    await page.getByTestId('tab-isolation').click();
    await page.getByTestId('isolation-household-search').fill('3-2-502');
    await page.locator('[data-testid=isolation-household][data-household="3-2-502"]').click();
    await page.getByTestId('isolation-reason').fill('密接');
    await page.getByTestId('isolation-submit').click();
    await expect.poll(() => page.getByTestId('isolation-notice').innerText()).toContain('已登记 3-2-502 居家隔离，共 2 人');
    expect(await page.getByTestId('isolation-tasks').innerText()).toContain('今日任务（2026-12-01）');
    expect(await rows('isolation-today')).toEqual([
      '张三 d1 sampling pending',
      '张三 d1 temperatureMorning pending',
      '张三 d1 temperatureEvening pending',
      '李四 d1 sampling pending',
      '李四 d1 temperatureMorning pending',
      '李四 d1 temperatureEvening pending',
    ]);
    expect(await page.getByTestId('isolation-day').innerText()).toBe('第 1 天');
    await page.getByTestId('isolation-today').locator('[data-kind=temperatureMorning]').first().getByTestId('isolation-record').click();
    await page.getByTestId('isolation-celsius').fill('36.5');
    await page.getByTestId('isolation-reading-save').click();
    await expect.poll(() => rows('isolation-today')).toContain('张三 d1 temperatureMorning done');
  });

  it('day 4: its sampling task shown, the temperatures missed overdue and highlighted, sampled at the desk → done', async () => {
    await moveTo(DAY1 + 3 * DAY);
    expect(await page.getByTestId('isolation-tasks').innerText()).toContain('今日任务（2026-12-04）');
    expect((await rows('isolation-today')).slice(0, 3)).toEqual(['张三 d4 sampling pending', '张三 d4 temperatureMorning pending', '张三 d4 temperatureEvening pending']);
    const overdue = await rows('isolation-overdue');
    expect(overdue).toContain('张三 d1 temperatureEvening overdue');
    expect(overdue).toContain('李四 d1 sampling overdue');
    expect(overdue).not.toContain('张三 d1 temperatureMorning overdue');
    expect(await page.getByTestId('isolation-overdue-heading').innerText()).toContain(`逾期未完成（${overdue.length} 项）`);
    // Highlighted: an overdue row is tinted, its status in the alarm colour.
    const tint = await page.getByTestId('isolation-overdue').locator('[data-status=overdue]').first().evaluate((tr) => (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(tr).backgroundColor);
    expect(tint).toBe('rgb(253, 236, 234)');
    expect(await page.getByTestId('isolation-day').innerText()).toBe('第 4 天');
    await page.screenshot({ path: path.join(ARTIFACTS, 'isolation-day4.png') });

    // Zhang sampled at the desk: the day 4 sampling task is done.
    await page.getByTestId('tab-desk').click();
    await page.getByTestId('tube-panel').waitFor();
    await scan(page, 'SY0000000401');
    expect(await scan(page, id(1))).toMatchObject({ tone: 'accepted', text: expect.stringContaining('SY0000000401') });
    await page.getByTestId('tab-isolation').click();
    await expect.poll(() => rows('isolation-today')).toContain('张三 d4 sampling done');
    expect(await rows('isolation-today')).toContain('李四 d4 sampling pending');
  });

  it('day 14: ended with a reason, the schedule is closed', async () => {
    await moveTo(DAY1 + 13 * DAY);
    expect(await page.getByTestId('isolation-day').innerText()).toBe('第 14 天');
    expect(await rows('isolation-today')).toContain('张三 d14 sampling pending');
    await page.getByTestId('isolation-end').click();
    await page.getByTestId('isolation-end-reason').fill('期满解除');
    await page.getByTestId('isolation-end-submit').click();
    await expect.poll(() => page.getByTestId('isolation-notice').innerText()).toContain('3-2-502 的居家隔离已结束');
    await page.getByTestId('isolation-list-empty').waitFor();
    await page.getByTestId('isolation-no-tasks').waitFor();
    expect(await page.getByTestId('isolation-overdue').count()).toBe(0);
  });
});

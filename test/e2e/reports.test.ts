import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idNumber, tubeCode } from '../helpers/ids';
import { tempDir } from '../helpers/core';
import { launchBrowser } from './helpers/browser';
import { openDesk, scan } from './helpers/desk-page';
import { startKiosk, type Kiosk } from './helpers/kiosk';

const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts');

/** The site's hour now (UTC+8), as the report counts it. */
const siteHourNow = () => Number(new Date(Date.now() + 8 * 3600_000).toISOString().slice(11, 13));

/**
 * The day's report in a real browser against the kiosk host: three people bound at the desk, the
 * Reports screen shows them in its totals and in the hour's bar, says the site was never synced,
 * and its XLSX downloads and reads back with the same figures.
 */
describe('the day’s report', () => {
  let kiosk: Kiosk;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    kiosk = await startKiosk({ dataDir: tempDir('station-e2e-reports-') });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1366, height: 768 }, acceptDownloads: true });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await openDesk(page, kiosk.url, 'zh-CN');
  });

  afterAll(async () => {
    await browser?.close();
    await kiosk?.stop();
  });

  it('counts the desk’s bindings, draws the hour, and exports the workbook', async () => {
    expect((await scan(page, tubeCode(1))).tone).not.toBe('rejected');
    for (let n = 1; n <= 3; n++) expect((await scan(page, idNumber(n))).tone).toBe('accepted');
    const hour = siteHourNow();

    await page.getByTestId('tab-reports').click();
    const people = page.getByTestId('report-here-totals').locator('[data-measure=people] dd');
    await expect.poll(() => people.innerText(), { timeout: 10_000 }).toBe('3');
    expect(await page.getByTestId('report-here-totals').locator('[data-measure=tubesOpened] dd').innerText()).toBe('1');
    expect(await page.getByTestId('report-site-as-of').innerText()).toBe('从未同步');
    // The hour's row in the chart's table, and its bar drawn (the legend's swatch is one path of that colour, the bar another).
    expect(await page.getByTestId('report-here-table').locator(`tr[data-hour="${hour}"]`).getAttribute('data-people')).toBe('3');
    const chart = page.getByTestId('report-here-chart');
    await chart.locator('svg').waitFor();
    await expect.poll(() => chart.locator('svg path[fill="#0b4fc4"]').count()).toBeGreaterThanOrEqual(2);
    await page.screenshot({ path: path.join(ARTIFACTS, 'reports-zh.png') });

    const [file] = await Promise.all([page.waitForEvent('download'), page.getByTestId('report-export').click()]);
    expect(file.suggestedFilename()).toMatch(/^report-\d{4}-\d{2}-\d{2}\.xlsx$/);
    const saved = path.join(tempDir('station-e2e-reports-dl-'), file.suggestedFilename());
    await file.saveAs(saved);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(saved);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['本机', '全点位']);
    const here = wb.worksheets[0]!;
    expect(here.getCell('B4').value).toBe('从未同步');
    expect((here.getRow(6).values as unknown[]).slice(1, 3)).toEqual(['时段', '采样人数']);
    expect((here.getRow(7 + hour).values as unknown[]).slice(2, 4)).toEqual([3, 1]);
    expect((here.getRow(31).values as unknown[]).slice(1, 3)).toEqual(['合计', 3]);
    expect(pageErrors).toEqual([]);
  });
});

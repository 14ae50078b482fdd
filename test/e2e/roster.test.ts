import ExcelJS from 'exceljs';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCharacter } from '../../electron/core/person/gb11643';
import { tempDir } from '../helpers/core';
import { launchBrowser } from './helpers/browser';
import { nextOutcome, bannerSeq, openDesk } from './helpers/desk-page';
import { startKiosk, type Kiosk } from './helpers/kiosk';

const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts');

function id(n: number): string {
  const first17 = `31010119700101${String(n).padStart(3, '0')}`;
  return first17 + checkCharacter(first17);
}

/**
 * The resident ledger in a real browser against the kiosk host: a ledger with bad rows checked
 * (every reason shown with its row number), its good rows imported, a newer ledger shown as a
 * diff before it is applied, and a resident without a phone found at the desk and bound.
 */
describe('resident roster on screen', () => {
  let kiosk: Kiosk;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    kiosk = await startKiosk();
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    await openDesk(page, kiosk.url, 'zh-CN');
  });
  afterAll(async () => {
    await browser?.close();
    await kiosk?.stop();
  });

  async function chooseLedger(file: string): Promise<void> {
    await page.getByRole('button', { name: '台账', exact: true }).click();
    await page.getByTestId('roster-file').setInputFiles(file);
    await page.getByTestId('roster-read').click();
  }

  it('checks an XLSX ledger, lists every bad row with its reason, and imports the good rows', async () => {
    const book = new ExcelJS.Workbook();
    const sheet = book.addWorksheet('居民');
    sheet.addRow(['XX社区居民信息登记表']);
    sheet.addRow(['姓名', '身份证号', '手机号', '楼栋', '单元', '房号', '标签']);
    sheet.addRow(['张三', id(1), '13800138001', '3号楼', '2单元', '502', '老人']);
    sheet.addRow(['李四', `${id(2).slice(0, 17)}${id(2).endsWith('1') ? '2' : '1'}`, '13800138002', '3', '2', '503', '']);
    sheet.addRow(['', id(3), '', '3', '2', '504', '']);
    sheet.addRow(['王五', id(4), '12345', '3', '2', '505', '']);
    sheet.addRow(['赵六', id(5), '', '3', '2', '506', '卧床']);
    sheet.addRow(['赵六', id(5), '', '3', '2', '506', '']);
    sheet.addRow(['孙八', id(8), '', '4', '1', '101', '']);
    const file = path.join(tempDir('roster-xlsx-'), '幸福社区台账.xlsx');
    await book.xlsx.writeFile(file);
    await chooseLedger(file);
    await page.getByTestId('roster-preview').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('roster-total').innerText()).toContain('共 7 行');
    expect(await page.getByTestId('roster-good').innerText()).toContain('合格 2 行');
    expect(await page.getByTestId('roster-refused').innerText()).toContain('不合格 5 行');
    const problems = await page.getByTestId('roster-problems').innerText();
    for (const expected of ['第 4 行', '身份证号校验位不对', '第 5 行', '缺少姓名', '第 6 行', '手机号格式不对', '第 7 行', '第 8 行', '同一身份证号在文件中出现多次']) {
      expect(problems).toContain(expected);
    }
    // A full ID number is never shown.
    expect(problems).not.toContain(id(2).slice(0, 17));
    await page.screenshot({ path: path.join(ARTIFACTS, 'roster-preview.png'), fullPage: true });
    await page.getByTestId('roster-apply').click();
    await expect.poll(() => page.getByTestId('roster-current').innerText()).toContain('居民 2 人');
  });

  it('shows a newer CSV ledger (GB18030, as Excel saves it on Chinese Windows) as a diff before applying it', async () => {
    const { default: iconv } = await import('iconv-lite');
    const lines = [
      '姓名,身份证号,手机号,楼栋,单元,房号,标签',
      `张三,${id(1)},13800138001,3,2,502,老人`,
      `孙八,${id(8)},,5,1,201,`,
      `周九,${id(9)},,3,2,507,`,
    ];
    const file = path.join(tempDir('roster-csv-'), '台账-12月.csv');
    fs.writeFileSync(file, iconv.encode(lines.join('\r\n'), 'gb18030'));
    await chooseLedger(file);
    await page.getByTestId('roster-preview').waitFor({ timeout: 30_000 });
    const changes = await page.getByTestId('roster-changes').innerText();
    expect(changes).toContain('新增 1');
    expect(changes).toContain('换了住址 1');
    expect(changes).toContain('不再在册 0');
    const rows = await page.getByTestId('roster-change-rows').innerText();
    expect(rows).toContain('孙八');
    expect(rows).toContain('5-1-201');
    expect(rows).toContain('4-1-101');
    await page.screenshot({ path: path.join(ARTIFACTS, 'roster-diff.png'), fullPage: true });
    await page.getByTestId('roster-apply').click();
    await expect.poll(() => page.getByTestId('roster-current').innerText()).toContain('居民 3 人');
  });

  it('finds a resident without a phone or card at the desk and binds them (F5, arrows, Enter)', async () => {
    await page.getByRole('button', { name: '采样台' }).click();
    await page.getByTestId('tube-panel').waitFor();
    let before = await bannerSeq(page);
    await page.keyboard.press('F2');
    await nextOutcome(page, before);
    await page.keyboard.press('F5');
    await page.getByTestId('resident-query').waitFor();
    await page.keyboard.type('3-2');
    await expect.poll(() => page.getByTestId('resident-results').locator('li').count()).toBe(2);
    await page.screenshot({ path: path.join(ARTIFACTS, 'desk-resident-search.png') });
    before = await bannerSeq(page);
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    const outcome = await nextOutcome(page, before);
    expect(outcome.tone).toBe('accepted');
    expect(outcome.text).toContain('周九');
    expect(await page.getByTestId('members').innerText()).toContain('周九');
  });

  it('shows coverage of the round by building and unit, exempts a resident, and downloads the not-yet list', async () => {
    await page.getByRole('button', { name: '应检尽检' }).click();
    await page.getByTestId('coverage-totals').waitFor();
    // Roster: 张三 (3-2-502), 孙八 (5-1-201), 周九 (3-2-507, bound at the desk).
    await expect.poll(() => page.getByTestId('coverage-totals').innerText()).toContain('已采样 1');
    expect(await page.getByTestId('coverage-untested').innerText()).toContain('未采样 2');
    expect(await page.getByTestId('coverage-chart').locator('svg').count()).toBe(1);
    expect(await page.getByTestId('coverage-as-of').innerText()).toContain('未接入总部');
    await page.locator('[data-testid=coverage-unit][data-building="5"][data-unit="1"]').click();
    const list = page.getByTestId('coverage-list');
    await expect.poll(() => list.innerText()).toContain('孙八');
    await list.getByRole('button', { name: '登记免采' }).click();
    await page.locator('dialog[open] select').selectOption('hospital');
    await page.locator('dialog[open] button[type=submit]').click();
    await expect.poll(() => page.getByTestId('coverage-totals').innerText()).toContain('免采 1');
    expect(await page.getByTestId('coverage-untested').innerText()).toContain('未采样 1');
    await page.screenshot({ path: path.join(ARTIFACTS, 'coverage.png'), fullPage: true });
    // The whole not-yet list, as volunteers get it.
    await page.locator('[data-testid=coverage-table] tr.building').first().click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-xlsx').click()]);
    expect(download.suggestedFilename()).toMatch(/^未采样名单-.*3栋\.xlsx$/);
    const file = path.join(tempDir('coverage-dl-'), 'list.xlsx');
    await download.saveAs(file);
    const book = new ExcelJS.Workbook();
    await book.xlsx.readFile(file);
    const sheet = book.worksheets[0]!;
    expect(sheet.getRow(1).values).toEqual([undefined, '楼栋', '单元', '房号', '姓名', '身份证号', '手机号', '标签', '入户结果']);
    expect(sheet.getRow(2).getCell(4).text).toBe('张三');
    expect(sheet.rowCount).toBe(2);
  });
});

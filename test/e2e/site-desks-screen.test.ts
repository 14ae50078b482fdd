import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCharacter } from '../../electron/core/person/gb11643';
import { HQ_PATHS } from '../../hq/protocol';
import { tubeCode } from '../helpers/ids';
import { launchBrowser } from './helpers/browser';
import { bannerSeq, nextOutcome, openDesk, scan } from './helpers/desk-page';
import { scannerBurst } from './helpers/scanner';
import { startKiosk, type Kiosk } from './helpers/kiosk';
import { startHq, type RunningHq } from './upload-env';

const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts');
const ADMIN = 'desks-screen-admin';
const SITE = 'site-screens';

function id(n: number): string {
  const first17 = `42010619850101${String(n).padStart(3, '0')}`;
  return first17 + checkCharacter(first17);
}

/**
 * Two desks of one site, each a kiosk host in its own browser page, enrolled at one HQ, as the
 * staff of a sampling point see them: each desk's number, the round HQ started, the site's roster
 * with coverage whose answer is known, "sampled at the other desk" asked before sampling again,
 * and a pre-printed tube opened at both desks flagged on the later desk and on its results screen.
 */
describe('two desks of one site on screen', () => {
  let hq: RunningHq;
  const kiosks: Kiosk[] = [];
  let browser: Browser;
  let one: Page;
  let two: Page;

  beforeAll(async () => {
    hq = await startHq({ adminToken: ADMIN });
    kiosks.push(await startKiosk(), await startKiosk());
    browser = await launchBrowser();
    one = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    two = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    await openDesk(one, kiosks[0]!.url, 'zh-CN');
    await openDesk(two, kiosks[1]!.url, 'zh-CN');
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    for (const k of kiosks) await k.stop();
    await hq?.server.close();
  });

  const tab = (page: Page, name: string) => page.getByRole('button', { name, exact: true }).click();

  /** "Sync now" on the results screen, as staff press it instead of waiting for the next pull. */
  async function syncNow(page: Page): Promise<void> {
    await tab(page, '结果与上传');
    await page.getByRole('button', { name: '立即同步' }).click();
  }

  async function enroll(page: Page): Promise<void> {
    const { code } = await hq.server.createEnrollmentCode(SITE, '双屏社区');
    await tab(page, '结果与上传');
    await page.getByLabel('总部地址').fill(hq.url);
    await page.getByLabel('接入码').fill(code);
    await page.getByRole('button', { name: '接入', exact: true }).click();
    await expect.poll(() => page.getByTestId('upload-indicator').getAttribute('data-state'), { timeout: 20_000 }).toBe('online');
  }

  it('numbers the desks, gives both the round HQ started and the site roster, and counts coverage as of the last sync', async () => {
    await enroll(one);
    await enroll(two);
    await tab(one, '轮次');
    await expect.poll(() => one.getByTestId('site-station-number').innerText(), { timeout: 20_000 }).toBe('1');
    await tab(two, '轮次');
    await expect.poll(() => two.getByTestId('site-station-number').innerText(), { timeout: 20_000 }).toBe('2');

    // 2 buildings x 2 units x 5 households, one resident each: resident n lives in building ceil(n/10).
    const rows = ['姓名,身份证号,手机号,楼栋,单元,房号,标签'];
    for (let n = 1; n <= 20; n++) rows.push(`居民${n},${id(n)},,${Math.ceil(n / 10)},${Math.ceil(n / 5) % 2 === 1 ? 1 : 2},${100 + (((n - 1) % 5) + 1)},`);
    const res = await fetch(`${hq.url}${HQ_PATHS.adminRoster}?siteId=${SITE}&fileName=ledger.csv&apply=1`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/octet-stream' },
      body: Buffer.from(rows.join('\n')),
    });
    expect(await res.json()).toMatchObject({ ok: true, roster: { state: 'current', residents: 20 } });
    expect(await hq.server.startRound({ siteId: SITE, name: '第4轮全员核酸' })).toMatchObject({ ok: true });
    for (const page of [one, two]) {
      await syncNow(page);
      await expect.poll(() => page.getByTestId('round-name').innerText(), { timeout: 20_000 }).toBe('第4轮全员核酸');
      await tab(page, '台账');
      await expect.poll(() => page.getByTestId('roster-current').innerText(), { timeout: 20_000 }).toContain('居民 20 人');
    }

    // Desk 1 samples building 1 unit 1 (residents 1-5); desk 2 samples resident 16 (building 2 unit 2).
    await tab(one, '采样台');
    let before = await bannerSeq(one);
    await one.keyboard.press('F2');
    expect((await nextOutcome(one, before)).tone).toBe('info');
    for (let n = 1; n <= 5; n++) expect((await scan(one, id(n))).tone).toBe('accepted');
    await tab(two, '采样台');
    before = await bannerSeq(two);
    await two.keyboard.press('F2');
    expect((await nextOutcome(two, before)).tone).toBe('info');
    expect((await scan(two, id(16))).tone).toBe('accepted');

    // Desk 2, once desk 1's sampling has reached it, counts it too and says as of when.
    await tab(two, '应检尽检');
    await expect
      .poll(
        async () => {
          await syncNow(two);
          await tab(two, '应检尽检');
          return two.getByTestId('coverage-totals').innerText();
        },
        { timeout: 30_000, interval: 1000 },
      )
      .toContain('已采样 6');
    expect(await two.getByTestId('coverage-untested').innerText()).toContain('未采样 14');
    expect(await two.getByTestId('coverage-as-of').innerText()).toContain('截至');
    // A unit's row: building (blank), unit, on the roster, sampled, exempt, not yet, rate.
    const unit = async (b: string, u: string) => (await two.locator(`[data-testid=coverage-unit][data-building="${b}"][data-unit="${u}"] td`).allInnerTexts()).slice(2, 6);
    expect(await unit('1', '1')).toEqual(['5', '5', '0', '0']);
    expect(await unit('2', '2')).toEqual(['5', '1', '0', '4']);
    expect(await unit('1', '2')).toEqual(['5', '0', '0', '5']);
    await two.screenshot({ path: path.join(ARTIFACTS, 'two-desks-coverage.png'), fullPage: true });
  });

  it('asks at desk 2 before sampling someone desk 1 sampled this round, naming desk 1', async () => {
    await tab(two, '采样台');
    await two.getByTestId('tube-panel').waitFor();
    await scannerBurst(two, id(3));
    await two.getByTestId('confirm-previous').waitFor({ timeout: 10_000 });
    expect(await two.getByTestId('confirm-previous').innerText()).toContain('1号采样台');
    await two.screenshot({ path: path.join(ARTIFACTS, 'two-desks-confirm.png') });
    // Esc leaves them out: not sampled again here.
    const before = await bannerSeq(two);
    await two.keyboard.press('Escape');
    await nextOutcome(two, before);
    expect(await two.getByTestId('confirm-previous').count()).toBe(0);
    expect(await two.getByTestId('members').innerText()).not.toContain(id(3).slice(-4));
  });

  it('finds a resident with F5, closes the search with Escape, and goes on scanning', async () => {
    await two.keyboard.press('F5');
    await two.getByTestId('resident-query').waitFor();
    await two.keyboard.type('居民1');
    await expect.poll(() => two.getByTestId('resident-results').locator('li').count()).toBeGreaterThan(0);
    await two.keyboard.press('Escape');
    await expect.poll(() => two.getByTestId('resident-query').count()).toBe(0);
    // The scanner still reaches the desk: resident 17 is bound.
    const outcome = await scan(two, id(17));
    expect(outcome.tone).toBe('accepted');
    expect(await two.getByTestId('members').innerText()).toContain(`${id(17).slice(0, 6)}********${id(17).slice(-4)}`);
  });

  it('flags a pre-printed tube opened at both desks on the later desk and its results screen', async () => {
    const printed = tubeCode(880_000_001);
    expect((await scan(one, printed)).tone).toBe('info');
    expect((await scan(one, id(6))).tone).toBe('accepted');
    await expect.poll(() => one.getByTestId('upload-indicator').getAttribute('data-waiting'), { timeout: 20_000 }).toBe('0');
    expect((await scan(two, printed)).tone).toBe('info');
    const bound = await scan(two, id(18));
    expect(bound.tone).toBe('accepted');
    await expect.poll(() => two.getByTestId('upload-indicator').getAttribute('data-waiting'), { timeout: 20_000 }).toBe('0');
    await expect
      .poll(
        async () => {
          await syncNow(two);
          return two.getByTestId('conflicts-panel').count();
        },
        { timeout: 30_000, interval: 1000 },
      )
      .toBe(1);
    const panel = await two.getByTestId('conflicts-panel').innerText();
    expect(panel).toContain(printed);
    expect(panel).toContain('1号采样台');
    await tab(two, '采样台');
    const strip = two.getByTestId('tube-conflicts');
    await strip.waitFor();
    expect(await strip.innerText()).toContain(printed);
    expect(await strip.innerText()).toContain('1号采样台');
    await two.screenshot({ path: path.join(ARTIFACTS, 'two-desks-conflict.png') });
    // Desk 1 opened it first: its desk shows no strip.
    expect(await one.getByTestId('tube-conflicts').count()).toBe(0);
    expect(await hq.server.postResult(printed, 'positive')).toMatchObject({ ok: false, error: 'tube.ambiguous' });
  });
});

import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tubeCode } from '../helpers/ids';
import { launchBrowser } from './helpers/browser';
import { openDesk, scan } from './helpers/desk-page';
import { startKiosk, type Kiosk } from './helpers/kiosk';
import { personId, startHq, type RunningHq } from './upload-env';
import { openStationFile } from '../helpers/core';

/**
 * What staff see of the upload, in a real browser against the kiosk host: the status-bar
 * indicator on every screen, enrollment from the results screen, and a positive pooled tube
 * with its re-tests.
 */
describe('upload status and results on screen', () => {
  let hq: RunningHq;
  let kiosk: Kiosk;
  let browser: Browser;
  let page: Page;
  const indicator = () => page.getByTestId('upload-indicator');

  beforeAll(async () => {
    hq = await startHq();
    kiosk = await startKiosk();
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await openDesk(page, kiosk.url, 'zh-CN');
  });

  afterAll(async () => {
    await browser?.close();
    await kiosk?.stop();
    await hq?.server.close();
  });

  it('links the desk to HQ from the results screen, then shows every record uploaded', async () => {
    await expect.poll(() => indicator().getAttribute('data-state')).toBe('not-enrolled');
    expect(await indicator().innerText()).toContain('未接入总部');
    await page.getByRole('button', { name: '结果与上传' }).click();
    const { code } = await hq.server.createEnrollmentCode('site-screen', '屏幕测试社区');
    await page.getByLabel('总部地址').fill(hq.url);
    await page.getByLabel('接入码').fill(code);
    await page.getByRole('button', { name: '接入', exact: true }).click();
    await expect.poll(() => indicator().getAttribute('data-state'), { timeout: 20_000 }).toBe('online');
    await expect.poll(() => indicator().getAttribute('data-waiting'), { timeout: 20_000 }).toBe('0');
    expect(await indicator().innerText()).toContain('已全部上传');
    expect(await page.getByTestId('results-screen').innerText()).toContain('已接入总部：屏幕测试社区');
    // HQ's fingerprint, as its dashboard shows it, and the journal's chain checked on demand.
    expect(await page.getByTestId('results-screen').innerText()).toContain(hq.server.fingerprint.replace(/(.{5})(?=.)/g, '$1-'));
    await page.getByTestId('journal-verify').click();
    await expect.poll(() => page.getByTestId('journal-check').getAttribute('data-ok')).toBe('true');
    expect(await page.getByTestId('journal-check').innerText()).toContain('记录链完整');
    // Enrolled, the desk has no round until its site has one: HQ starts it, the desk receives it.
    await expect.poll(() => page.getByTestId('round-name').innerText()).toBe('无进行中的轮次');
    expect(await hq.server.startRound({ siteId: 'site-screen', name: '第3轮全员核酸' })).toMatchObject({ ok: true });
    await expect.poll(() => page.getByTestId('round-name').innerText(), { timeout: 20_000 }).toBe('第3轮全员核酸');
  });

  it('lists the members of a positive pooled tube with their open re-tests', async () => {
    await page.getByRole('button', { name: '采样台' }).click();
    await page.getByTestId('tube-panel').waitFor();
    await scan(page, tubeCode(1));
    for (let i = 0; i < 3; i++) await scan(page, personId(i));
    // HQ knows the tube once the desk's records have arrived; until then it refuses the result.
    await expect.poll(() => hq.server.postResult(tubeCode(1), 'positive'), { timeout: 20_000 }).toEqual({ ok: true });

    await page.getByRole('button', { name: '结果与上传' }).click();
    await expect.poll(() => page.getByTestId('retest-task').count(), { timeout: 30_000 }).toBe(3);
    expect(await page.getByTestId('positive-tube').innerText()).toContain(tubeCode(1));
    // Members are shown masked, never with a full ID number.
    expect(await page.getByTestId('results-screen').innerText()).not.toContain(personId(0));
    expect(await indicator().innerText()).toContain('待复检 3 人');
  });

  it('shows a record HQ rejected, with the reason in Chinese, on every screen', async () => {
    // HQ accepts everything this station writes; a rejection is put in place as the agent stores one.
    const db = openStationFile(path.join(kiosk.dataDir, 'station.db'));
    db.pragma('busy_timeout = 5000');
    db.prepare(`INSERT INTO upload_rejection (seq, code, detail, batch_id, at) VALUES (2, 'record.invalid', 'name: too long', 'b', ?)`).run(
      new Date().toISOString(),
    );
    db.close();
    await page.getByRole('button', { name: '采样台' }).click();
    await scan(page, personId(3));
    await expect.poll(() => indicator().getAttribute('data-rejected'), { timeout: 20_000 }).toBe('1');
    expect(await page.getByTestId('upload-rejected').innerText()).toContain('记录格式不被总部接受');
    await page.getByRole('button', { name: '结果与上传' }).click();
    expect(await page.getByTestId('rejections').innerText()).toContain('第 2 条 station.created');
    expect(await indicator().getAttribute('data-rejected')).toBe('1');
  });

  it('a desk HQ revoked says so, and is linked again from the results screen with its re-link code; nothing is left waiting', async () => {
    const db = openStationFile(path.join(kiosk.dataDir, 'station.db'), { readonly: true });
    const { station_id: stationId } = db.prepare('SELECT station_id FROM hq_link').get() as { station_id: string };
    db.close();
    expect(await hq.server.revokeStation(stationId)).toMatchObject({ ok: true });
    await page.getByRole('button', { name: '采样台' }).click();
    await scan(page, personId(4));
    await page.getByRole('button', { name: '结果与上传' }).click();
    const form = page.getByTestId('relink-form');
    await form.waitFor({ timeout: 20_000 });
    expect(await form.innerText()).toContain(`station hq station relink --station ${stationId}`);
    expect(await page.getByTestId('results-screen').innerText()).toContain('总部已吊销本采样台');
    await expect.poll(() => indicator().innerText()).toContain('需要重新接入总部');
    expect(Number(await indicator().getAttribute('data-waiting'))).toBeGreaterThan(0);
    await page.screenshot({ path: path.resolve(__dirname, '../../test-artifacts/desk-relink.png') });

    const relink = await hq.server.createRelinkCode(stationId);
    if (!relink.ok) throw new Error(relink.error);
    // The HQ address is left as it was: the desk keeps the one it had.
    await form.getByLabel('接入码').fill(relink.code);
    await form.getByRole('button', { name: '重新接入', exact: true }).click();
    await form.waitFor({ state: 'detached', timeout: 20_000 });
    await expect.poll(() => indicator().getAttribute('data-waiting'), { timeout: 20_000 }).toBe('0');
    expect(await indicator().getAttribute('data-state')).toBe('online');
    expect(await indicator().innerText()).not.toContain('需要重新接入总部');
    expect(await hq.server.store.station(stationId)).toMatchObject({ revokedAt: null });
  });
});

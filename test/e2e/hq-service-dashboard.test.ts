import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HQ_PATHS, type BatchRecord } from '../../hq/protocol';
import { createHqServer, type HqServer } from '../../hq/server';
import { tempDir } from '../helpers/core';
import { SimStation, samplingJournal } from '../unit/hq/fixtures';
import { launchBrowser } from './helpers/browser';

const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts');
const ADMIN = 'dashboard-admin-token';

describe('HQ dashboard in Chromium', () => {
  let hq: HqServer;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    hq = await createHqServer({ dataDir: tempDir('hq-dash-'), adminToken: ADMIN });
    base = await hq.listen(0);
    browser = await launchBrowser();
    const east = await hq.createEnrollmentCode('site-east', '幸福社区东门');
    const west = await hq.createEnrollmentCode('site-west', '阳光小区');
    const a = new SimStation(base);
    await a.enroll(east.code);
    const b = new SimStation(base);
    await b.enroll(west.code);
    // HQ names stations "1号采样台"; its staff give them the names the sites use.
    await hq.updateStation({ stationId: a.stationId, name: '东门 1 号台' });
    await hq.updateStation({ stationId: b.stationId, name: '阳光 2 号台' });
    await a.upload(samplingJournal(230, { tubePrefix: 'SY001' }), { headSeq: 260 });
    await b.upload(samplingJournal(90, { tubePrefix: 'SY002', capacity: 20 }), { headSeq: 90 });
    const post = (body: unknown) =>
      fetch(`${base}${HQ_PATHS.adminResults}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` }, body: JSON.stringify(body) });
    await post({ tubeCode: 'SY0010000003', result: 'positive' });
    await post({ tubeCode: 'SY0020000001', result: 'positive' });
    const at = new Date().toISOString();
    const single: BatchRecord[] = [
      { seq: 91, kind: 'tube.opened', entityId: 't-s', operatorId: 'op-1', at, payload: { code: 'SY0029000001', capacity: 1, roundId: 'round-1' } },
      { seq: 92, kind: 'binding.created', entityId: 'b-s', operatorId: 'op-1', at, payload: { tubeId: 't-s', tubeCode: 'SY0029000001', personId: 'person-1', roundId: 'round-1', repeatConfirmed: true } },
      { seq: 93, kind: 'retest.sampled', entityId: 'b-s', operatorId: 'op-1', at, payload: { originalTubeCode: 'SY0020000001', tubeCode: 'SY0029000001', personId: 'person-1' } },
    ];
    await b.upload(single, { headSeq: 93 });
    // A desk lost and revoked, and HQ's key being changed: both shown to staff.
    const lost = new SimStation(base, '丢失的台');
    await lost.enroll((await hq.createEnrollmentCode('site-east')).code);
    await hq.updateStation({ stationId: lost.stationId, name: '东门 失窃台' });
    await hq.revokeStation(lost.stationId);
    await hq.rotateKey();
  });
  afterAll(async () => {
    await browser?.close();
    await hq?.close();
  });

  it('signs in, renders every section with no CSP violation, and saves screenshots', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('requestfailed', (r) => problems.push(`${r.url()} ${r.failure()?.errorText ?? ''}`));
    await page.goto(`${base}/dashboard`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.fill('input[name=token]', ADMIN);
    await Promise.all([page.waitForURL('**/dashboard'), page.click('button[type=submit]')]);
    await expect(page.locator('h1').textContent()).resolves.toBe('总部看板');
    const text = await page.locator('main').innerText();
    for (const expected of ['东门 1 号台', '阳光 2 号台', '幸福社区东门', 'SY0010000003', 'SY0020000001', '待复检 19', '待复检 10']) expect(text).toContain(expected);
    // The same-origin stylesheet loaded under the CSP: the header has its colour.
    const headerColour = await page.evaluate('getComputedStyle(document.querySelector("header")).backgroundColor');
    expect(headerColour).toBe('rgb(18, 53, 91)');
    // The revoked desk carries its badge, in the desk's row, and is not offered for revocation again.
    const revoked = page.locator('[data-revoked]');
    await expect(revoked.count()).resolves.toBe(1);
    expect(await revoked.innerText()).toMatch(/^已于 \d\d-\d\d \d\d:\d\d:\d\d 吊销$/);
    expect(await page.locator('tr', { has: revoked }).innerText()).toContain('东门 失窃台');
    expect(await page.locator('form[data-form="revoke"] option').allInnerTexts()).not.toContain(expect.stringContaining('失窃台'));
    expect(await page.evaluate('getComputedStyle(document.querySelector("[data-revoked]")).backgroundColor')).toBe('rgb(179, 38, 30)');
    // The key change: a notice, and the desks that have not confirmed the new key.
    expect(await page.locator('[data-section="rotation"]').innerText()).toContain('总部密钥更换中');
    await expect(page.locator('[data-old-hq-key]').count()).resolves.toBe(2);
    await page.screenshot({ path: path.join(ARTIFACTS, 'hq-dashboard.png'), fullPage: true });

    await page.fill('input[name=tubeCode]', 'SY0010000004');
    await page.selectOption('select[name=result]', 'negative');
    await Promise.all([page.waitForURL('**/dashboard?**'), page.click('form[action^="/dashboard/results"] button')]);
    expect(await page.locator('.notice').innerText()).toContain('结果已录入');

    await page.goto(`${base}/dashboard?lang=en`);
    expect(await page.locator('h1').textContent()).toBe('HQ dashboard');
    expect(await page.locator('[data-revoked]').innerText()).toMatch(/^revoked on \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(await page.locator('[data-section="rotation"]').innerText()).toContain('HQ key change under way');
    await page.screenshot({ path: path.join(ARTIFACTS, 'hq-dashboard-en.png'), fullPage: true });
    expect(problems).toEqual([]);
    await context.close();
  });
});

import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKioskHost, type KioskHost } from '../../electron/kiosk/server';
import { freshFolder, TEST_ADMIN } from '../helpers/core';
import { launchBrowser } from './helpers/browser';
import { signInOnPage, type PageGlobals } from './helpers/desk-page';
import { scannerBurst } from './helpers/scanner';

const ROOT = path.resolve(__dirname, '../..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const COLLECTOR = { name: '李采集', code: 'C001', badge: 'OP0002', pin: '580317' };

/**
 * Staff at the screen, in Chromium, against the kiosk host run here with a clock the test moves
 * (the idle lock and the waits after wrong PINs are the core's, by its clock): the first-run
 * admin, a collector added, lock and unlock, wrong PINs, switching by badge and PIN, the idle lock.
 */
describe('operators at the screen', () => {
  let host: KioskHost;
  let browser: Browser;
  let page: Page;
  let now = Date.parse('2026-11-20T08:00:00.000Z');

  beforeAll(async () => {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'renderer', 'index.html'))) throw new Error('dist/renderer is missing: run "npm run build" first');
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    host = await startKioskHost({ ...freshFolder('station-e2e-operators-'), port: 0, devices: 'off', rendererDir: path.join(ROOT, 'dist', 'renderer'), now: () => new Date(now) });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await page.addInitScript(() => (globalThis as unknown as PageGlobals).localStorage.setItem('station.language', 'zh-CN'));
    await page.goto(host.launchUrl);
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    host?.core.close();
  });

  const screen = () => page.getByTestId('signin-screen');
  const errorText = () => page.getByTestId('signin-error').innerText();
  async function typePin(pin: string): Promise<void> {
    await page.getByTestId('signin-pin').fill(pin);
    await page.getByTestId('signin-submit').click();
  }

  it('makes the first site admin on a fresh station, refusing a guessable PIN and two different ones', async () => {
    await screen().waitFor();
    expect(await screen().getAttribute('data-state')).toBe('setup');
    await page.screenshot({ path: path.join(ARTIFACTS, 'operators-first-run.png') });
    await page.getByTestId('setup-name').fill(TEST_ADMIN.name);
    await page.getByTestId('setup-code').fill(TEST_ADMIN.code);
    await page.getByTestId('setup-pin').fill(TEST_ADMIN.pin);
    await page.getByTestId('setup-pin-again').fill('730518');
    await page.getByTestId('setup-submit').click();
    expect(await page.getByTestId('setup-error').innerText()).toContain('两次输入的 PIN 不一致');
    await page.getByTestId('setup-pin').fill('123456');
    await page.getByTestId('setup-pin-again').fill('123456');
    await page.getByTestId('setup-submit').click();
    await page.waitForFunction(() => ((globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }).document.querySelector('[data-testid=setup-error]')?.textContent ?? '').includes('太容易被猜到'));
    await signInOnPage(page);
    await page.getByTestId('tube-panel').waitFor();
    expect(await page.getByTestId('operator-name').innerText()).toBe(TEST_ADMIN.name);
    expect(await page.getByTestId('operator-role').innerText()).toBe('站点管理员');
  });

  it('lets the site admin add a collector with a badge and a PIN typed twice', async () => {
    await page.getByTestId('tab-operators').click();
    await page.getByTestId('operator-create').waitFor();
    await page.getByTestId('create-name').fill(COLLECTOR.name);
    await page.getByTestId('create-code').fill(COLLECTOR.code);
    await page.getByTestId('create-role').selectOption('collector');
    await page.getByTestId('create-badge').fill(COLLECTOR.badge);
    await page.getByTestId('create-pin').fill(COLLECTOR.pin);
    await page.getByTestId('create-pin-again').fill(COLLECTOR.pin);
    await page.getByTestId('create-submit').click();
    await page.getByTestId(`operator-${COLLECTOR.code}`).waitFor();
    expect(await page.getByTestId('operators-notice').innerText()).toContain('已添加 李采集');
    expect(await page.getByTestId(`state-${COLLECTOR.code}`).innerText()).toBe('正常');
  });

  it('locks on demand; a wrong PIN is refused in words; the right one unlocks', async () => {
    await page.getByTestId('lock-screen').click();
    await screen().waitFor();
    expect(await screen().getAttribute('data-state')).toBe('locked');
    expect(await page.getByTestId('locked-who').innerText()).toContain(TEST_ADMIN.name);
    // Nothing of the desk is left on the page behind the lock.
    expect(await page.getByTestId('tube-panel').count()).toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'operators-lock.png') });
    await typePin('000999');
    await page.waitForFunction(() => ((globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }).document.querySelector('[data-testid=signin-error]')?.textContent ?? '').includes('PIN 不正确'));
    expect(await errorText()).toContain('再错 9 次将被锁定');
    await page.getByTestId('language-toggle').click();
    await page.waitForFunction(() => ((globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }).document.querySelector('[data-testid=signin-title]')?.textContent ?? '') === 'Screen locked');
    await page.screenshot({ path: path.join(ARTIFACTS, 'operators-lock-en.png') });
    await page.getByTestId('language-toggle').click();
    // The keypad, as gloved fingers use it.
    for (const digit of TEST_ADMIN.pin) await page.getByTestId(`pin-key-${digit}`).click();
    await page.getByTestId('signin-submit').click();
    await page.getByTestId('tube-panel').waitFor();
  });

  it('switches operator with one badge scan and the PIN; a collector sees no admin screens', async () => {
    await scannerBurst(page, COLLECTOR.badge);
    await screen().waitFor();
    expect(await page.getByTestId('signin-title').innerText()).toBe(`${COLLECTOR.name}（${COLLECTOR.code}），请输入 PIN`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'operators-badge-pin.png') });
    await typePin(COLLECTOR.pin);
    await page.getByTestId('tube-panel').waitFor();
    expect(await page.getByTestId('operator-name').innerText()).toBe(COLLECTOR.name);
    expect(await page.getByTestId('operator-role').innerText()).toBe('信息采集员');
    const tabs = await page.locator('[data-testid^=tab-]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
    expect(tabs).toEqual(['tab-desk', 'tab-results', 'tab-boxes', 'tab-isolation', 'tab-reports']);
    // Alt+N reaches only the screens the role may use.
    await page.keyboard.press('Alt+7');
    expect(await page.getByTestId('operators-screen').count()).toBe(0);
  });

  it('waits longer after each wrong PIN, locks the operator out at 10, and the site admin unlocks', async () => {
    await page.getByTestId('sign-out').click();
    await screen().waitFor();
    expect(await screen().getAttribute('data-state')).toBe('signedOut');
    await page.screenshot({ path: path.join(ARTIFACTS, 'operators-sign-in.png') });
    for (let n = 1; n <= 10; n++) {
      await page.getByTestId('signin-code').fill(COLLECTOR.code);
      await typePin('000999');
      await page.waitForFunction(
        (expected) => ((globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }).document.querySelector('[data-testid=signin-error]')?.textContent ?? '').includes(expected),
        n < 10 ? `再错 ${10 - n} 次` : '已被锁定',
      );
      if (n === 3) {
        // Within the wait the PIN is not even checked.
        await typePin(COLLECTOR.pin);
        await page.waitForFunction(() => ((globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }).document.querySelector('[data-testid=signin-error]')?.textContent ?? '').includes('秒后再试'));
      }
      now += 61_000;
    }
    await typePin(COLLECTOR.pin);
    await page.waitForFunction(() => ((globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }).document.querySelector('[data-testid=signin-error]')?.textContent ?? '').includes('请站点管理员解锁'));

    await signInOnPage(page);
    await page.getByTestId('tab-operators').click();
    expect(await page.getByTestId(`state-${COLLECTOR.code}`).innerText()).toBe('PIN 错误次数过多，已锁定');
    await page.getByTestId(`unlock-${COLLECTOR.code}`).click();
    await page.waitForFunction((code) => (globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }).document.querySelector(`[data-testid=state-${code}]`)?.textContent === '正常', COLLECTOR.code);
    await page.screenshot({ path: path.join(ARTIFACTS, 'operators-screen.png') });
  });

  it('locks by itself after the idle time, by the core’s clock', async () => {
    await page.getByTestId('tab-desk').click();
    await page.getByTestId('tube-panel').waitFor();
    now += 5 * 60_000 + 1000;
    await screen().waitFor({ timeout: 15_000 });
    expect(await screen().getAttribute('data-state')).toBe('locked');
    await typePin(TEST_ADMIN.pin);
    await page.getByTestId('tube-panel').waitFor();
  });
});

import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKioskHost, type KioskHost } from '../../electron/kiosk/server';
import { freshFolder, ok, TEST_ADMIN } from '../helpers/core';
import { idNumber, tubeCode } from '../helpers/ids';
import { launchBrowser } from './helpers/browser';
import { signInOnPage, type PageGlobals } from './helpers/desk-page';
import { scannerBurst } from './helpers/scanner';

const ROOT = path.resolve(__dirname, '../..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const NAME = '王小明';
const ID = idNumber(7);
const COLLECTOR = { name: '李采集', code: 'C001', badge: 'OP0002', pin: '580317' };
const TEMPORARY_PIN = '471902';
const ADMIN_NEW_PIN = '602948';

/** Waits until the element's text contains `expected` (the page's words, after the core's answer). */
async function textContains(page: Page, testId: string, expected: string): Promise<void> {
  await page.waitForFunction(
    ([id, text]) => ((globalThis as unknown as { document: { querySelector(s: string): { textContent: string } | null } }).document.querySelector(`[data-testid=${id}]`)?.textContent ?? '').includes(text!),
    [testId, expected] as const,
  );
}

/**
 * The lock screen and one's own PIN, in Chromium against the kiosk host run here: while locked
 * the page receives no name over its WebSocket and shows none; unlocked, it shows the desk as it
 * is. An operator changes their PIN from the header; one whose PIN a site admin reset chooses
 * their own before the desk.
 */
describe('the locked screen and one’s own PIN, at the screen', () => {
  let host: KioskHost;
  let browser: Browser;
  let page: Page;
  /** Every WebSocket message the page received, as text. */
  const frames: string[] = [];

  beforeAll(async () => {
    if (!fs.existsSync(path.join(ROOT, 'dist', 'renderer', 'index.html'))) throw new Error('dist/renderer is missing: run "npm run build" first');
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    host = await startKioskHost({ ...freshFolder('station-e2e-lockpin-'), port: 0, devices: 'off', rendererDir: path.join(ROOT, 'dist', 'renderer') });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    page.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => frames.push(String(payload))));
    await page.addInitScript(() => (globalThis as unknown as PageGlobals).localStorage.setItem('station.language', 'zh-CN'));
    await page.goto(host.launchUrl);
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    host?.core.close();
  });

  const screen = () => page.getByTestId('signin-screen');

  it('receives no name while locked and shows none; unlocked, the desk as it is, the last outcome gone', async () => {
    await signInOnPage(page);
    await page.getByTestId('tube-panel').waitFor();
    await scannerBurst(page, tubeCode(1));
    await page.waitForSelector(`[data-testid=tube-panel][data-tube-code=${tubeCode(1)}]`);
    // A resident with a name (a scanner cannot type one into the test browser: the core takes the scan as a device's).
    await ok(host.core, 'scan.submit', { text: JSON.stringify({ name: NAME, idNumber: ID }), source: 'simulator' });
    await textContains(page, 'members', NAME);

    await page.getByTestId('lock-screen').click();
    await screen().waitFor();
    const lockedFrom = frames.length;
    // What tells screens about the desk, while locked: HQ's configuration; a change queued before the lock.
    host.core.useSiteConfig(host.core.identity.site);
    host.core.emit('desk.changed', host.core.desk.state());
    // The answer to a wrong PIN comes after them on the same socket.
    await page.getByTestId('signin-pin').fill('000999');
    await page.getByTestId('signin-submit').click();
    await textContains(page, 'signin-error', 'PIN 不正确');
    const whileLocked = frames.slice(lockedFrom);
    expect(whileLocked.length).toBeGreaterThan(0);
    expect(whileLocked.join('\n')).not.toContain(NAME);
    expect(whileLocked.join('\n')).not.toContain(ID.slice(-4));
    expect(whileLocked.some((f) => f.includes('"desk.changed"'))).toBe(false);
    expect(await page.content()).not.toContain(NAME);

    await page.getByTestId('signin-pin').fill(TEST_ADMIN.pin);
    await page.getByTestId('signin-submit').click();
    await textContains(page, 'members', NAME);
    expect(await page.getByTestId('banner').getAttribute('data-tone')).toBe('idle');
  });

  it('changes one’s own PIN from the header: a wrong current PIN counts, the rules in words, then the new PIN unlocks', async () => {
    await page.getByTestId('change-pin').click();
    await page.getByTestId('change-pin-dialog').waitFor();
    const submit = async (current: string, next: string, again = next) => {
      await page.getByTestId('change-pin-current').fill(current);
      await page.getByTestId('change-pin-new').fill(next);
      await page.getByTestId('change-pin-again').fill(again);
      await page.getByTestId('change-pin-submit').click();
    };
    await submit(TEST_ADMIN.pin, ADMIN_NEW_PIN, '602949');
    await textContains(page, 'change-pin-error', '两次输入的 PIN 不一致');
    await submit(TEST_ADMIN.pin, '123456');
    await textContains(page, 'change-pin-error', '太容易被猜到');
    await submit(TEST_ADMIN.pin, TEST_ADMIN.pin);
    await textContains(page, 'change-pin-error', '与当前 PIN 相同');
    // Counted like a sign-in's (the right PIN at the lock screen forgave the wrong one before it).
    await submit('000999', ADMIN_NEW_PIN);
    await textContains(page, 'change-pin-error', '再错 9 次将被锁定');
    await page.screenshot({ path: path.join(ARTIFACTS, 'pin-change-dialog.png') });

    // The same in English (the dialog is modal: the language switch is behind it).
    await page.getByTestId('change-pin-cancel').click();
    await page.getByTestId('language-toggle').click();
    await textContains(page, 'change-pin', 'Change PIN');
    await page.screenshot({ path: path.join(ARTIFACTS, 'pin-change-header-en.png') });
    await page.getByTestId('change-pin').click();
    await textContains(page, 'change-pin-dialog', 'Current PIN');
    await submit(TEST_ADMIN.pin, ADMIN_NEW_PIN, '602949');
    await textContains(page, 'change-pin-error', 'The two PINs differ');
    await page.screenshot({ path: path.join(ARTIFACTS, 'pin-change-dialog-en.png') });
    await page.getByTestId('change-pin-cancel').click();
    await page.getByTestId('language-toggle').click();
    await textContains(page, 'lock-screen', '锁屏');

    await page.getByTestId('change-pin').click();
    await submit(TEST_ADMIN.pin, ADMIN_NEW_PIN);
    await page.getByTestId('change-pin-dialog').waitFor({ state: 'detached' });
    await textContains(page, 'banner', 'PIN 已修改');

    await page.getByTestId('lock-screen').click();
    await screen().waitFor();
    await page.getByTestId('signin-pin').fill(TEST_ADMIN.pin);
    await page.getByTestId('signin-submit').click();
    await textContains(page, 'signin-error', 'PIN 不正确');
    await page.getByTestId('signin-pin').fill(ADMIN_NEW_PIN);
    await page.getByTestId('signin-submit').click();
    await page.getByTestId('tube-panel').waitFor();
  });

  it('after a site admin resets a PIN, its operator chooses their own before the desk', async () => {
    await page.getByTestId('tab-operators').click();
    await page.getByTestId('operator-create').waitFor();
    await page.getByTestId('create-name').fill(COLLECTOR.name);
    await page.getByTestId('create-code').fill(COLLECTOR.code);
    await page.getByTestId('create-badge').fill(COLLECTOR.badge);
    await page.getByTestId('create-pin').fill(COLLECTOR.pin);
    await page.getByTestId('create-pin-again').fill(COLLECTOR.pin);
    await page.getByTestId('create-submit').click();
    await page.getByTestId(`operator-${COLLECTOR.code}`).waitFor();
    // One's own row offers a change with the current PIN, never a reset.
    expect(await page.getByTestId(`reset-${TEST_ADMIN.code}`).count()).toBe(0);
    expect(await page.getByTestId(`change-pin-${TEST_ADMIN.code}`).innerText()).toBe('修改我的 PIN');

    await page.getByTestId(`reset-${COLLECTOR.code}`).click();
    await page.getByTestId('reset-pin').fill(TEMPORARY_PIN);
    await page.getByTestId('reset-pin-again').fill(TEMPORARY_PIN);
    await page.getByTestId('reset-submit').click();
    await textContains(page, `state-${COLLECTOR.code}`, '临时 PIN');

    // A badge scanned on the Operators screen fills the new operator's badge: switch from the desk.
    await page.getByTestId('tab-desk').click();
    await page.getByTestId('tube-panel').waitFor();
    await scannerBurst(page, COLLECTOR.badge);
    await screen().waitFor();
    await page.getByTestId('signin-pin').fill(TEMPORARY_PIN);
    await page.getByTestId('signin-submit').click();
    await page.getByTestId('forced-pin-change').waitFor();
    expect(await screen().getAttribute('data-state')).toBe('pinChange');
    expect(await page.getByTestId('tube-panel').count()).toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'pin-change-forced.png') });

    await page.getByTestId('change-pin-current').fill(TEMPORARY_PIN);
    await page.getByTestId('change-pin-new').fill('835201');
    await page.getByTestId('change-pin-again').fill('835201');
    await page.getByTestId('change-pin-submit').click();
    await page.getByTestId('tube-panel').waitFor();
    expect(await page.getByTestId('operator-name').innerText()).toBe(COLLECTOR.name);
  });
});

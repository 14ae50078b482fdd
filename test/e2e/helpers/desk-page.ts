import type { Page } from 'playwright-core';
import { TEST_ADMIN } from '../../helpers/core';
import { scannerBurst } from './scanner';

/**
 * The few page globals these helpers touch inside the browser. The tests are type-checked
 * without the DOM library (it would hide DOM use in the core), so they are declared here.
 */
export type PageGlobals = {
  __stationCalls: string[];
  WebSocket: { prototype: { send(data: unknown): void } };
  document: { activeElement: unknown; querySelector(selector: string): { getAttribute(name: string): string | null } | null };
  localStorage: { setItem(key: string, value: string): void };
};

/**
 * Records every call the page sends to the kiosk host, by method, so a test can prove that
 * something was (or was not) submitted. Installed before the page's own scripts run.
 */
export async function recordApiCalls(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const g = globalThis as unknown as PageGlobals;
    const calls: string[] = [];
    g.__stationCalls = calls;
    const send = g.WebSocket.prototype.send;
    g.WebSocket.prototype.send = function (this: unknown, data: unknown) {
      if (typeof data === 'string') {
        try {
          const message = JSON.parse(data) as { method?: string };
          if (message.method) calls.push(message.method);
        } catch {
          // not a call
        }
      }
      return send.call(this, data);
    };
  });
}

export function apiCalls(page: Page, method: string): Promise<number> {
  return page.evaluate((m) => (globalThis as unknown as PageGlobals).__stationCalls.filter((c) => c === m).length, method);
}

/** The outcome banner's sequence number: it grows by one with every outcome shown. */
export function bannerSeq(page: Page): Promise<number> {
  return page.getByTestId('banner').evaluate((el) => Number(el.getAttribute('data-seq')));
}

export type Outcome = { tone: string; text: string };

/** Plays a keyboard-wedge scanner: the text at scanner speed, then Enter; returns the banner's outcome. */
export async function scan(page: Page, text: string): Promise<Outcome> {
  const before = await bannerSeq(page);
  await scannerBurst(page, text);
  return nextOutcome(page, before);
}

/** Waits for the banner to show the outcome after `before`. */
export async function nextOutcome(page: Page, before: number): Promise<Outcome> {
  await page.waitForFunction(
    (seq) => Number((globalThis as unknown as PageGlobals).document.querySelector('[data-testid=banner]')?.getAttribute('data-seq')) > seq,
    before,
    { timeout: 10_000 },
  );
  const banner = page.getByTestId('banner');
  return { tone: (await banner.getAttribute('data-tone')) ?? '', text: await banner.innerText() };
}

/** Opens the kiosk page in a language, signs the test's site admin in, and waits until it shows the desk from the core. */
export async function openDesk(page: Page, url: string, language: 'zh-CN' | 'en' = 'zh-CN'): Promise<void> {
  await page.addInitScript((lng) => (globalThis as unknown as PageGlobals).localStorage.setItem('station.language', lng), language);
  await page.goto(url);
  await signInOnPage(page);
  await page.getByTestId('tube-panel').waitFor();
  await page.waitForSelector('[data-testid=connection-indicator][data-state=online]');
}

/**
 * Signs the test's site admin in on the screen as staff would: the first-run form on a fresh
 * station, else the staff code and PIN (also on the lock screen, "another operator"). Returns at
 * once when someone is signed in already.
 */
export async function signInOnPage(page: Page, who: { code: string; pin: string } = TEST_ADMIN): Promise<void> {
  const screen = page.locator('[data-testid=signin-screen], [data-testid=tube-panel], [data-testid=operators-screen]').first();
  await screen.waitFor();
  if ((await screen.getAttribute('data-testid')) !== 'signin-screen') return;
  const state = await screen.getAttribute('data-state');
  if (state === 'setup') {
    await page.getByTestId('setup-name').fill(TEST_ADMIN.name);
    await page.getByTestId('setup-code').fill(TEST_ADMIN.code);
    await page.getByTestId('setup-pin').fill(TEST_ADMIN.pin);
    await page.getByTestId('setup-pin-again').fill(TEST_ADMIN.pin);
    await page.getByTestId('setup-submit').click();
  } else {
    if (await page.getByTestId('signin-other').isVisible()) await page.getByTestId('signin-other').click();
    await page.getByTestId('signin-code').fill(who.code);
    await page.getByTestId('signin-pin').fill(who.pin);
    await page.getByTestId('signin-submit').click();
  }
  await page.getByTestId('signin-screen').waitFor({ state: 'detached' });
}

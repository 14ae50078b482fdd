import type { Page } from 'playwright-core';
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

/** Opens the kiosk page in a language and waits until it shows the desk from the core. */
export async function openDesk(page: Page, url: string, language: 'zh-CN' | 'en' = 'zh-CN'): Promise<void> {
  await page.addInitScript((lng) => (globalThis as unknown as PageGlobals).localStorage.setItem('station.language', lng), language);
  await page.goto(url);
  await page.getByTestId('tube-panel').waitFor();
  await page.waitForSelector('[data-testid=connection-indicator][data-state=online]');
}

import type { Page } from 'playwright-core';
import { scannerBurst } from './scanner';

/**
 * Records every call the page sends to the kiosk host, by method, so a test can prove that
 * something was (or was not) submitted. Installed before the page's own scripts run.
 */
export async function recordApiCalls(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const calls: string[] = [];
    (window as unknown as { __stationCalls: string[] }).__stationCalls = calls;
    const send = WebSocket.prototype.send;
    WebSocket.prototype.send = function (this: WebSocket, data: string | ArrayBufferLike | Blob | ArrayBufferView) {
      if (typeof data === 'string') {
        try {
          const message = JSON.parse(data) as { method?: string };
          if (message.method) calls.push(message.method);
        } catch {
          // not ours
        }
      }
      return send.call(this, data);
    };
  });
}

export function apiCalls(page: Page, method: string): Promise<number> {
  return page.evaluate((m) => (window as unknown as { __stationCalls: string[] }).__stationCalls.filter((c) => c === m).length, method);
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
  await page.waitForFunction((seq) => Number(document.querySelector('[data-testid=banner]')?.getAttribute('data-seq')) > seq, before, { timeout: 10_000 });
  const banner = page.getByTestId('banner');
  return { tone: (await banner.getAttribute('data-tone')) ?? '', text: await banner.innerText() };
}

/** Opens the kiosk page in a language and waits until it shows the desk from the core. */
export async function openDesk(page: Page, url: string, language: 'zh-CN' | 'en' = 'zh-CN'): Promise<void> {
  await page.addInitScript((lng) => localStorage.setItem('station.language', lng), language);
  await page.goto(url);
  await page.getByTestId('tube-panel').waitFor();
  await page.waitForSelector('[data-testid=connection-indicator][data-state=online]');
}

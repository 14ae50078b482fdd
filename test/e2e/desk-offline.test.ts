import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idNumber, tubeCode } from '../helpers/ids';
import { launchBrowser } from './helpers/browser';
import { openDesk, scan } from './helpers/desk-page';
import { startKiosk, type Kiosk } from './helpers/kiosk';

describe('desk when the kiosk host goes away and comes back', () => {
  let kiosk: Kiosk;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    kiosk = await startKiosk();
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await openDesk(page, kiosk.url, 'en');
  });

  afterAll(async () => {
    await browser?.close();
    await kiosk?.stop();
  });

  it('shows "offline from core", refuses scans clearly, says a restarted host needs the window opened again, and picks up where it was', async () => {
    await scan(page, tubeCode(1));
    expect((await scan(page, idNumber(1))).text).toContain('1/10');

    await kiosk.stop();
    await page.getByTestId('offline-banner').waitFor();
    expect(await page.getByTestId('connection-indicator').getAttribute('data-state')).toBe('offline');
    const refused = await scan(page, idNumber(2));
    expect(refused.tone).toBe('rejected');
    expect(refused.text).toContain('Lost the connection to the station core');

    const port = Number(new URL(kiosk.url).port);
    kiosk = await startKiosk({ dataDir: kiosk.dataDir, port });
    // A new launch has a new key: the page still holding the old one is refused, and says so.
    await page.waitForSelector('[data-testid=offline-banner][data-state=locked]', { timeout: 15_000 });
    expect(await page.getByTestId('offline-banner').innerText()).toContain('open Station again');
    expect((await scan(page, idNumber(2))).tone).toBe('rejected');
    // Opened again, as `npm start` opens it.
    await page.goto(kiosk.url);
    await page.waitForSelector('[data-testid=connection-indicator][data-state=online]', { timeout: 15_000 });
    expect(new URL(page.url()).pathname).toBe('/');
    expect(page.url()).not.toContain(kiosk.token);
    await page.getByTestId('offline-banner').waitFor({ state: 'detached' });
    // The desk is fetched again: the refused scan never reached the core.
    expect(await page.getByTestId('tube-count').innerText()).toBe('1/10');
    const bound = await scan(page, idNumber(2));
    expect(bound.tone).toBe('accepted');
    expect(bound.text).toContain('2/10');
  });
});

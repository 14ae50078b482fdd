import { it } from 'vitest';
import { launchBrowser } from '../e2e/helpers/browser';
import { openDesk, scan } from '../e2e/helpers/desk-page';
import { startKiosk } from '../e2e/helpers/kiosk';
import { scannerBurst } from '../e2e/helpers/scanner';
import { idNumber, tubeCode } from '../helpers/ids';
import { ms, report, summarize } from '../helpers/stats';

const SCANS = 200;
const CAPACITY = 20;

/** What the in-page probe keeps; the tests run without the DOM library, so it is declared here. */
type Probe = {
  expect: { count: number; capacity: number } | null;
  enterAt: number | null;
  samples: { dom: number; painted: number }[];
};
type ProbeWindow = {
  __probe: Probe;
  performance: { now(): number };
  addEventListener(type: 'keydown', fn: (e: { key: string }) => void, capture: boolean): void;
  requestAnimationFrame(fn: () => void): void;
  MutationObserver: new (fn: () => void) => { observe(target: unknown, options: Record<string, boolean>): void };
  document: { body: unknown; querySelector(selector: string): { textContent: string | null } | null };
};

it('scan-to-screen: last key of a scanner burst to the binding on screen, in Chromium against the kiosk host', async () => {
  const kiosk = await startKiosk();
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await openDesk(page, kiosk.url);
    await page.getByTestId('capacity').getByRole('button').nth(3).click();
    await page.waitForFunction(() => (globalThis as unknown as ProbeWindow).document.querySelector('[data-testid=capacity] [aria-pressed=true]')?.textContent?.includes('20'));

    // In the page: Enter's keydown starts the clock; the first DOM change that shows the new
    // count (or the tube sealed at capacity) stops it, and the next frame tells when it is painted.
    await page.evaluate(() => {
      const w = globalThis as unknown as ProbeWindow;
      const probe: Probe = { expect: null, enterAt: null, samples: [] };
      w.__probe = probe;
      w.addEventListener(
        'keydown',
        (e) => {
          if (e.key === 'Enter' && probe.expect) probe.enterAt = w.performance.now();
        },
        true,
      );
      new w.MutationObserver(() => {
        const want = probe.expect;
        if (!want || probe.enterAt === null) return;
        const shown = w.document.querySelector('[data-testid=tube-count]')?.textContent === `${want.count}/${want.capacity}`;
        const sealed = want.count === want.capacity && w.document.querySelector('.tube-awaiting') !== null;
        if (!shown && !sealed) return;
        const start = probe.enterAt;
        const dom = w.performance.now() - start;
        probe.expect = null;
        probe.enterAt = null;
        w.requestAnimationFrame(() => probe.samples.push({ dom, painted: w.performance.now() - start }));
      }).observe(w.document.body, { childList: true, subtree: true, characterData: true });
    });

    let tube = 0;
    for (let i = 0; i < SCANS; i++) {
      const count = (i % CAPACITY) + 1;
      if (count === 1) await scan(page, tubeCode(++tube));
      await page.evaluate((c) => {
        (globalThis as unknown as ProbeWindow).__probe.expect = c;
      }, { count, capacity: CAPACITY });
      await scannerBurst(page, idNumber(i + 1));
      await page.waitForFunction((n) => (globalThis as unknown as ProbeWindow).__probe.samples.length > n, i, { timeout: 10_000 });
    }

    const samples = await page.evaluate(() => (globalThis as unknown as ProbeWindow).__probe.samples);
    const dom = summarize(samples.map((s) => s.dom));
    const painted = summarize(samples.map((s) => s.painted));
    report(`scan-to-screen (Chromium, kiosk host over WebSocket, ${tube} tubes of ${CAPACITY}, durable commit each)`, [
      ['scans measured', String(dom.n)],
      ['Enter -> binding in DOM p50', ms(dom.p50)],
      ['Enter -> binding in DOM p99', ms(dom.p99)],
      ['Enter -> binding in DOM max', ms(dom.max)],
      ['Enter -> next frame p50', ms(painted.p50)],
      ['Enter -> next frame p99', ms(painted.p99)],
    ]);
  } finally {
    await browser.close();
    await kiosk.stop();
  }
});

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
  sentAt: number | null;
  answerAt: number | null;
  samples: { dom: number; painted: number; send: number; core: number }[];
};
type ProbeWindow = {
  __probe: Probe;
  WebSocket: new (url: string) => { addEventListener(type: 'message', fn: () => void): void; send(data: unknown): void };
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
    // Splits the time: Enter -> the call leaves the page -> the first answer (the core's
    // desk.changed, sent after the durable commit) arrives -> the DOM shows it.
    await page.addInitScript(() => {
      const w = globalThis as unknown as ProbeWindow;
      const probe: Probe = { expect: null, enterAt: null, sentAt: null, answerAt: null, samples: [] };
      w.__probe = probe;
      // Registered before the page's own scripts, so it runs before the wedge listener sends the call.
      w.addEventListener(
        'keydown',
        (e) => {
          if (e.key === 'Enter' && probe.expect) probe.enterAt = w.performance.now();
        },
        true,
      );
      const Base = w.WebSocket;
      w.WebSocket = class extends Base {
        constructor(url: string) {
          super(url);
          this.addEventListener('message', () => {
            if (probe.sentAt !== null && probe.answerAt === null) probe.answerAt = w.performance.now();
          });
        }
        override send(data: unknown) {
          if (probe.enterAt !== null && probe.sentAt === null) probe.sentAt = w.performance.now();
          super.send(data);
        }
      };
    });
    await openDesk(page, kiosk.url);
    await page.getByTestId('capacity').getByRole('button').nth(3).click();
    await page.waitForFunction(() => (globalThis as unknown as ProbeWindow).document.querySelector('[data-testid=capacity] [aria-pressed=true]')?.textContent?.includes('20'));

    // The first DOM change that shows the new count (or the tube sealed at capacity) stops the
    // clock Enter's keydown started; the next frame tells when it is painted.
    await page.evaluate(() => {
      const w = globalThis as unknown as ProbeWindow;
      const probe = w.__probe;
      new w.MutationObserver(() => {
        const want = probe.expect;
        if (!want || probe.enterAt === null) return;
        const shown = w.document.querySelector('[data-testid=tube-count]')?.textContent === `${want.count}/${want.capacity}`;
        const sealed = want.count === want.capacity && w.document.querySelector('.tube-awaiting') !== null;
        if (!shown && !sealed) return;
        const start = probe.enterAt;
        const now = w.performance.now();
        const sent = probe.sentAt ?? start;
        const answered = probe.answerAt ?? now;
        const split = { dom: now - start, send: sent - start, core: answered - sent };
        probe.expect = null;
        probe.enterAt = null;
        probe.sentAt = null;
        probe.answerAt = null;
        w.requestAnimationFrame(() => probe.samples.push({ ...split, painted: w.performance.now() - start }));
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
    const send = summarize(samples.map((s) => s.send));
    const core = summarize(samples.map((s) => s.core));
    const render = summarize(samples.map((s) => s.dom - s.send - s.core));
    report(`scan-to-screen (Chromium, kiosk host over WebSocket, ${tube} tubes of ${CAPACITY}, durable commit each)`, [
      ['scans measured', String(dom.n)],
      ['Enter -> binding in DOM p50', ms(dom.p50)],
      ['Enter -> binding in DOM p99', ms(dom.p99)],
      ['Enter -> binding in DOM max', ms(dom.max)],
      ['Enter -> next frame p50', ms(painted.p50)],
      ['Enter -> next frame p99', ms(painted.p99)],
      ['  of which Enter -> call sent p50/p99', `${ms(send.p50)} / ${ms(send.p99)}`],
      ['  call sent -> core answered p50/p99', `${ms(core.p50)} / ${ms(core.p99)}`],
      ['  answer -> DOM p50/p99', `${ms(render.p50)} / ${ms(render.p99)}`],
    ]);
  } finally {
    await browser.close();
    await kiosk.stop();
  }
});

import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StationCore } from '../../electron/core/core';
import { writeDeviceSettings } from '../../electron/core/devices/settings';
import { PrinterSimulator } from '../../native/printer/simulator';
import { tempDir } from '../helpers/core';
import { idNumber, tubeCode } from '../helpers/ids';
import { saveArtifact, zbarDecode } from '../helpers/printer-sim';
import { launchBrowser } from './helpers/browser';
import { openDesk, scan } from './helpers/desk-page';
import { startKiosk, type Kiosk } from './helpers/kiosk';

/**
 * The sampling desk in a real browser against the kiosk host, with a ZPL label printer on a TCP
 * 9100 simulator: scanning a tube prints its label, and a printer out of paper never stops the
 * desk from opening tubes and binding people.
 */
describe('tube labels printed from the sampling desk', () => {
  let kiosk: Kiosk;
  let browser: Browser;
  let page: Page;
  let sim: PrinterSimulator;

  beforeAll(async () => {
    sim = await PrinterSimulator.start();
    const dataDir = tempDir('station-e2e-printer-');
    const setup = new StationCore({ dataDir, devices: 'off' });
    await setup.writer.run(() =>
      writeDeviceSettings(setup.db, {
        mode: 'real',
        devices: [
          {
            id: 'desk-printer',
            name: '标签打印机',
            enabled: true,
            kind: 'printer',
            driver: 'printer',
            printer: { language: 'zpl', dpi: 203, mode: 'raster', transport: { kind: 'tcp', host: '127.0.0.1', port: sim.port }, statusTimeoutMs: 800 },
          },
        ],
      }),
    );
    await setup.devices.stop();
    setup.close();
    kiosk = await startKiosk({ dataDir });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    await openDesk(page, kiosk.url, 'zh-CN');
  });

  afterAll(async () => {
    await browser?.close();
    await kiosk?.stop();
    await sim?.close();
  });

  it('scanning a tube at the desk prints its label, and the label decodes to the tube code', async () => {
    const before = sim.jobs.length;
    await scan(page, tubeCode(501));
    await expect.poll(() => page.getByTestId('tube-code').innerText(), { timeout: 10_000 }).toBe(tubeCode(501));
    const jobs = await sim.waitForJobs(before + 1, 15_000);
    const [png] = PrinterSimulator.renderJobPng(jobs[before]!);
    saveArtifact('desk-printed-tube-label.png', png!);
    expect(zbarDecode(png!)).toEqual([tubeCode(501)]);
  });

  it('with the printer out of paper the tube still opens and people are still bound', async () => {
    sim.faults.add('paper-out');
    await scan(page, tubeCode(502));
    await expect.poll(() => page.getByTestId('tube-code').innerText(), { timeout: 10_000 }).toBe(tubeCode(502));
    await scan(page, idNumber(502));
    await expect.poll(() => page.getByTestId('member').count(), { timeout: 10_000 }).toBe(1);
    // The printer's own status reaches the screen: the device indicator counts the problem.
    await page.waitForSelector('[data-testid=devices-indicator][data-problems="1"]', { timeout: 15_000 });
    await page.screenshot({ path: path.resolve(__dirname, '../../test-artifacts/labels/desk-printer-paper-out.png') });
    sim.faults.clear();
  });
});

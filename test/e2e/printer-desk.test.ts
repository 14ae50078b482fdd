import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrinterSimulator } from '../../native/printer/simulator';
import { idNumber, tubeCode } from '../helpers/ids';
import { saveArtifact, zbarDecode } from '../helpers/printer-sim';
import { scan } from './helpers/desk-page';
import { startPrinterDesk, type PrinterDesk } from './helpers/printer-desk';

/**
 * The sampling desk in a real browser against the kiosk host, with a ZPL label printer on a TCP
 * 9100 simulator: scanning a tube prints its label, and a printer out of paper never stops the
 * desk from opening tubes and binding people.
 */
describe('tube labels printed from the sampling desk', () => {
  let desk: PrinterDesk;
  let page: Page;
  let sim: PrinterSimulator;

  beforeAll(async () => {
    desk = await startPrinterDesk('desk-printer');
    ({ page, sim } = desk);
  });

  afterAll(async () => {
    await desk?.close();
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

import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrinterSimulator } from '../../native/printer/simulator';
import { idNumber, tubeCode } from '../helpers/ids';
import { zbarDecode } from '../helpers/printer-sim';
import { scan } from './helpers/desk-page';
import { startPrinterDesk, type PrinterDesk } from './helpers/printer-desk';

const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts');
const PRINTER_ID = 'desk-printer';

/** The tube codes a job's label decodes to (zbarimg, an independent reader). */
function decodedJob(job: Parameters<typeof PrinterSimulator.renderJobPng>[0]): string[] {
  return PrinterSimulator.renderJobPng(job).flatMap((png) => zbarDecode(png));
}

/**
 * Label printing as staff see it at the desk, in a real browser against the kiosk host and a ZPL
 * printer on the TCP 9100 simulator: the quiet "printed" note, a fault in words on the desk and
 * on the Devices screen while scanning goes on, reprinting from the recent tubes and with F6,
 * and the print-on-open switch.
 */
describe('label printing at the sampling desk', () => {
  let desk: PrinterDesk;
  let page: Page;
  let sim: PrinterSimulator;

  const note = () => page.getByTestId('print-note');
  const shot = async (name: string) => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, name) });
  };
  const openTube = async (code: string) => {
    await scan(page, code);
    await expect.poll(() => page.getByTestId('tube-code').innerText(), { timeout: 10_000 }).toBe(code);
  };

  beforeAll(async () => {
    desk = await startPrinterDesk(PRINTER_ID);
    ({ page, sim } = desk);
  });

  afterAll(async () => {
    await desk?.close();
  });

  it('a tube opened prints its label and the desk says so quietly', async () => {
    await expect.poll(() => page.getByTestId('print-on-open').getAttribute('data-enabled'), { timeout: 10_000 }).toBe('true');
    const before = sim.jobs.length;
    await openTube(tubeCode(601));
    await sim.waitForJobs(before + 1, 15_000);
    await page.waitForSelector('[data-testid=print-note][data-state=printed]', { timeout: 15_000 });
    expect(await note().innerText()).toContain(`标签已打印 ${tubeCode(601)}`);
    await shot('label-desk-printed-zh.png');
  });

  it('out of paper: a warning in words on the desk and the Devices screen, and scanning goes on', async () => {
    sim.faults.add('paper-out');
    await openTube(tubeCode(602));
    await page.waitForSelector('[data-testid=print-note][data-state=failed]', { timeout: 15_000 });
    const warning = await note().innerText();
    expect(warning).toContain(tubeCode(602));
    expect(warning).toContain('标签纸用完了');
    expect(warning).not.toContain('paper-out');
    // The binding flow is not held up: the next person is bound while the warning shows.
    const bound = await scan(page, idNumber(602));
    expect(bound.tone).toBe('accepted');
    await expect.poll(() => page.getByTestId('member').count(), { timeout: 10_000 }).toBe(1);
    expect(await note().getAttribute('data-state')).toBe('failed');
    await shot('label-desk-paper-out-zh.png');

    await page.keyboard.press('Alt+2');
    const status = page.getByTestId(`device-status-${PRINTER_ID}`);
    await expect.poll(() => status.innerText(), { timeout: 15_000 }).toContain('标签纸用完了');
    expect(await status.innerText()).not.toContain('paper-out');
    // A test print into the fault is worded too, not given as the fault code.
    await page.getByTestId(`test-print-${PRINTER_ID}`).click();
    const refusal = page.getByTestId(`test-print-fault-${PRINTER_ID}`);
    await refusal.waitFor({ timeout: 15_000 });
    expect(await refusal.innerText()).toContain('标签纸用完了');
    expect(await refusal.innerText()).not.toContain('paper-out');
    await shot('label-devices-paper-out-zh.png');
    await page.keyboard.press('Alt+1');
    await page.getByTestId('tube-panel').waitFor();
  });

  it('after the fault is cleared, Reprint in the recent tubes prints that tube again', async () => {
    sim.faults.clear();
    let before = sim.jobs.length;
    await openTube(tubeCode(603));
    await sim.waitForJobs(before + 1, 15_000);
    // The tube that did not print is still called out until it is reprinted.
    await expect.poll(() => note().getAttribute('data-state'), { timeout: 15_000 }).toBe('failed');
    expect(await note().innerText()).toContain(tubeCode(602));

    before = sim.jobs.length;
    await page.getByTestId('recent-tubes').getByTestId(`reprint-${tubeCode(602)}`).click();
    const jobs = await sim.waitForJobs(before + 1, 15_000);
    expect(decodedJob(jobs[before]!)).toEqual([tubeCode(602)]);
    await page.waitForSelector('[data-testid=print-note][data-state=printed]', { timeout: 15_000 });
    expect(await note().innerText()).toContain(`标签已补打 ${tubeCode(602)}`);
  });

  it('in English: a head left open is worded, and F6 reprints once it is closed', async () => {
    await page.getByTestId('language-toggle').click();
    await page.waitForSelector('html[lang=en]');
    sim.faults.add('head-open');
    await page.keyboard.press('F6');
    await page.waitForSelector('[data-testid=print-note][data-state=failed]', { timeout: 15_000 });
    expect(await note().innerText()).toContain(`Label for ${tubeCode(603)} not printed: Print head open`);
    await shot('label-desk-head-open-en.png');
    await page.keyboard.press('Alt+2');
    await expect.poll(() => page.getByTestId(`device-status-${PRINTER_ID}`).innerText(), { timeout: 15_000 }).toContain('Print head open');
    await shot('label-devices-head-open-en.png');
    await page.keyboard.press('Alt+1');
    await page.getByTestId('tube-panel').waitFor();

    sim.faults.clear();
    const before = sim.jobs.length;
    await page.keyboard.press('F6');
    const jobs = await sim.waitForJobs(before + 1, 15_000);
    expect(decodedJob(jobs[before]!)).toEqual([tubeCode(603)]);
    await page.waitForSelector('[data-testid=print-note][data-state=printed]', { timeout: 15_000 });
    expect(await note().innerText()).toContain(`Label reprinted ${tubeCode(603)}`);
  });

  it('with print-on-open switched off, opening a tube sends no job', async () => {
    const toggle = page.getByTestId('print-on-open');
    await toggle.click();
    await expect.poll(() => toggle.getAttribute('data-enabled'), { timeout: 10_000 }).toBe('false');
    expect(await toggle.innerText()).toContain('Off');
    const before = sim.jobs.length;
    await openTube(tubeCode(604));
    // A reprint asked for afterwards is a barrier: any job from the opening would come before it.
    await page.getByTestId('recent-tubes').getByTestId(`reprint-${tubeCode(602)}`).click();
    const jobs = await sim.waitForJobs(before + 1, 15_000);
    await page.waitForSelector('[data-testid=print-note][data-state=printed]', { timeout: 15_000 });
    expect(jobs.slice(before).map(decodedJob)).toEqual([[tubeCode(602)]]);
    // A voided tube (603, left empty) offers no reprint: its label is not to be used.
    expect(await page.getByTestId('recent-tubes').getByTestId(`reprint-${tubeCode(603)}`).count()).toBe(0);
    await shot('label-desk-print-on-open-off-en.png');
  });
});

import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idNumber, tubeCode } from '../helpers/ids';
import { launchBrowser } from './helpers/browser';
import { apiCalls, bannerSeq, nextOutcome, openDesk, recordApiCalls, scan, type PageGlobals } from './helpers/desk-page';
import { startKiosk, type Kiosk } from './helpers/kiosk';
import { scannerBurst } from './helpers/scanner';
import { openStationFile } from '../helpers/core';

const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts');

// A registration code as a URL with a name: the name is what staff search for.
const NAMED_PERSON = `https://reg.example.cn/r?name=Wang%20Fang&idCard=${idNumber(900)}`;

describe('sampling desk in a real browser against the kiosk host', () => {
  let kiosk: Kiosk;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    kiosk = await startKiosk();
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await recordApiCalls(page);
    await openDesk(page, kiosk.url, 'zh-CN');
  });

  afterAll(async () => {
    await browser?.close();
    await kiosk?.stop();
  });

  const members = () => page.getByTestId('member').allInnerTexts();

  it('opens a tube and binds ten people typed at scanner speed; the tube seals itself at 10/10', async () => {
    const opened = await scan(page, tubeCode(1));
    expect(opened.tone).toBe('info');
    expect(opened.text).toContain(tubeCode(1));
    await expect.poll(() => page.getByTestId('tube-code').innerText()).toBe(tubeCode(1));

    const first = await scan(page, NAMED_PERSON);
    expect(first.tone).toBe('accepted');
    expect(first.text).toContain('Wang Fang 1/10');
    for (let i = 2; i <= 9; i++) {
      const bound = await scan(page, idNumber(i));
      expect(bound.tone, bound.text).toBe('accepted');
      expect(bound.text).toContain(`${i}/10`);
    }
    // The screen never shows an ID number in full.
    expect((await members()).join('\n')).not.toContain(idNumber(2));

    const last = await scan(page, idNumber(10));
    expect(last.tone).toBe('full');
    expect(last.text).toContain('10/10');
    expect(last.text).toContain('本管已满');
    await expect.poll(() => page.getByTestId('tube-panel').innerText()).toContain('请扫描下一支试管');
  });

  it('opens a second tube, binds people, and undoes the last one with a reason chosen by key', async () => {
    const opened = await scan(page, tubeCode(2));
    expect(opened.tone).toBe('info');
    expect(opened.text).toContain(tubeCode(2));
    await scan(page, idNumber(11));
    await scan(page, idNumber(12));
    await expect.poll(() => page.getByTestId('tube-count').innerText()).toBe('2/10');

    await page.keyboard.press('F8');
    const dialog = page.getByTestId('reason-dialog-undo');
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain(tubeCode(2));
    // A scan while the undo window is open would change who "the last person" is: refused.
    const submitted = await apiCalls(page, 'scan.submit');
    await page.keyboard.press('3');
    await expect.poll(() => dialog.locator('input[type=radio]:checked').getAttribute('value')).toBe('wrongTube');
    // A key pressed within the wedge's 50 ms of a burst counts as the burst's first key; a person
    // takes longer than that between choosing a reason and scanning.
    await page.waitForTimeout(200);
    const refused = await scan(page, idNumber(16));
    expect(refused.tone).toBe('rejected');
    // The burst's first digit (1) does not stay picked as the reason.
    expect(await dialog.locator('input[type=radio]:checked').getAttribute('value')).toBe('wrongTube');
    expect(await dialog.innerText()).toContain('撤销窗口打开时扫码不会被记录');
    expect(await apiCalls(page, 'scan.submit')).toBe(submitted);
    await page.keyboard.press('2');
    const before = await bannerSeq(page);
    await page.keyboard.press('Enter');
    const undone = await nextOutcome(page, before);
    expect(undone.tone).toBe('info');
    expect(undone.text).toContain('已撤销');
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => page.getByTestId('tube-count').innerText()).toBe('1/10');
  });

  it('asks before binding someone already sampled this round; Enter confirms', async () => {
    const asked = await scan(page, idNumber(3));
    expect(asked.tone).toBe('confirm');
    const dialog = page.getByTestId('confirm-dialog');
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain(tubeCode(1));
    const before = await bannerSeq(page);
    await page.keyboard.press('Enter');
    const bound = await nextOutcome(page, before);
    expect(bound.tone).toBe('accepted');
    expect(bound.text).toContain('2/10');
    expect((await members()).join('\n')).toContain('本轮复采');
  });

  it('rejects a tube code already used, saying which', async () => {
    const rejected = await scan(page, tubeCode(1));
    expect(rejected.tone).toBe('rejected');
    expect(rejected.text).toContain(tubeCode(1));
    expect(rejected.text).toContain('已经用过');
    // The open tube is untouched.
    expect(await page.getByTestId('tube-code').innerText()).toBe(tubeCode(2));
  });

  it('rejects a malformed scan, showing what was scanned', async () => {
    const rejected = await scan(page, 'HELLO-123');
    expect(rejected.tone).toBe('rejected');
    expect(rejected.text).toContain('HELLO-123');
    expect(rejected.text).toContain('不是本采样点的试管条码');
  });

  it('does not take text typed at human speed into the search field for a scan, and searches with it', async () => {
    const submitted = await apiCalls(page, 'scan.submit');
    const seq = await bannerSeq(page);
    await page.keyboard.press('F3');
    const search = page.getByTestId('search-input');
    await expect.poll(() => search.evaluate((el) => el === (globalThis as unknown as PageGlobals).document.activeElement)).toBe(true);
    await page.keyboard.type('Wang', { delay: 120 });
    await expect.poll(() => page.getByTestId('search-results').innerText()).toContain(tubeCode(1));
    expect(await search.inputValue()).toBe('Wang');
    expect(await apiCalls(page, 'scan.submit')).toBe(submitted);
    expect(await bannerSeq(page)).toBe(seq);

    // A scanner burst while the search field has the focus is still a scan, and leaves the field alone.
    const bound = await scan(page, idNumber(13));
    expect(bound.tone).toBe('accepted');
    expect(bound.text).toContain('3/10');
    expect(await search.inputValue()).toBe('Wang');
    expect(await apiCalls(page, 'scan.submit')).toBe(submitted + 1);
  });

  it('takes a code typed by hand in the manual field, Enter submitting it', async () => {
    await page.keyboard.press('F7');
    const submitted = await apiCalls(page, 'scan.submit');
    const before = await bannerSeq(page);
    await page.keyboard.type(idNumber(14), { delay: 90 });
    await page.keyboard.press('Enter');
    const bound = await nextOutcome(page, before);
    expect(bound.tone).toBe('accepted');
    expect(bound.text).toContain('4/10');
    expect(await apiCalls(page, 'scan.submit')).toBe(submitted + 1);
    expect(await page.getByTestId('manual-input').inputValue()).toBe('');
    await page.keyboard.press('Escape');
  });

  it('takes a burst typed into an active Chinese IME for a scan, and leaves no composed text behind', async () => {
    await page.keyboard.press('F3');
    const search = page.getByTestId('search-input');
    expect(await search.inputValue()).toBe('Wang');
    const before = await bannerSeq(page);
    await scannerBurst(page, idNumber(15), { ime: true });
    const bound = await nextOutcome(page, before);
    expect(bound.tone, bound.text).toBe('accepted');
    expect(bound.text).toContain('5/10');
    await page.waitForTimeout(300);
    expect(await search.inputValue()).toBe('Wang');
    await page.keyboard.press('Escape');
  });

  it('leaves a person out when the repeat question is answered with Esc', async () => {
    const asked = await scan(page, idNumber(4));
    expect(asked.tone).toBe('confirm');
    await page.getByTestId('confirm-dialog').waitFor();
    const before = await bannerSeq(page);
    await page.keyboard.press('Escape');
    const cancelled = await nextOutcome(page, before);
    expect(cancelled.text).toContain('已取消');
    await page.getByTestId('confirm-dialog').waitFor({ state: 'detached' });
    expect(await page.getByTestId('tube-count').innerText()).toBe('5/10');
  });

  it('agrees with the database on disk', async () => {
    const db = openStationFile(path.join(kiosk.dataDir, 'station.db'), { readonly: true, fileMustExist: true });
    try {
      const tubes = db.prepare('SELECT id, code, state, seal_cause FROM tube ORDER BY seq').all() as { id: string; code: string; state: string; seal_cause: string | null }[];
      expect(tubes.map((t) => [t.code, t.state, t.seal_cause])).toEqual([
        [tubeCode(1), 'sealed', 'capacity'],
        [tubeCode(2), 'open', null],
      ]);
      const active = db.prepare(
        `SELECT t.code, p.id_number, p.name, b.repeat_confirmed FROM binding b JOIN tube t ON t.id = b.tube_id JOIN person p ON p.id = b.person_id
         WHERE b.undo_correction_id IS NULL ORDER BY b.seq`,
      ).all() as { code: string; id_number: string; name: string | null; repeat_confirmed: number }[];
      expect(active.filter((b) => b.code === tubeCode(1)).map((b) => b.id_number)).toEqual([idNumber(900), ...[2, 3, 4, 5, 6, 7, 8, 9, 10].map(idNumber)]);
      expect(active.filter((b) => b.code === tubeCode(2)).map((b) => [b.id_number, b.repeat_confirmed])).toEqual([
        [idNumber(11), 0],
        [idNumber(3), 1],
        [idNumber(13), 0],
        [idNumber(14), 0],
        [idNumber(15), 0],
      ]);
      expect(active[0]?.name).toBe('Wang Fang');

      const undo = db
        .prepare(`SELECT c.reason, p.id_number FROM correction c JOIN binding b ON b.undo_correction_id = c.id JOIN person p ON p.id = b.person_id WHERE c.kind = 'binding.undo'`)
        .all() as { reason: string; id_number: string }[];
      expect(undo).toEqual([{ reason: '此人未采样就离开', id_number: idNumber(12) }]);

      // The screen lists exactly the open tube's active members, in order, masked.
      const shown = await members();
      expect(shown).toHaveLength(5);
      active
        .filter((b) => b.code === tubeCode(2))
        .forEach((b, i) => expect(shown[i]).toContain(b.id_number.slice(-4)));
      expect(await page.getByTestId('tube-count').innerText()).toBe('5/10');
    } finally {
      db.close();
    }
  });

  it('saves screenshots of the desk in Chinese and English', async () => {
    const bound = await scan(page, idNumber(18));
    expect(bound.text).toContain('6/10');
    await page.waitForTimeout(400);
    await page.screenshot({ path: path.join(ARTIFACTS, 'desk.png') });
    await page.getByTestId('language-toggle').click();
    await expect.poll(() => page.getByTestId('tube-panel').innerText()).toContain('Current tube');
    await page.screenshot({ path: path.join(ARTIFACTS, 'desk-en.png') });
    await page.getByTestId('language-toggle').click();
    expect(fs.statSync(path.join(ARTIFACTS, 'desk.png')).size).toBeGreaterThan(10_000);
  });

  it('voids a tube scanned into the void dialog (the scan fills the field, it does not open the tube)', async () => {
    const submitted = await apiCalls(page, 'scan.submit');
    await page.keyboard.press('F9');
    const dialog = page.getByTestId('reason-dialog-void');
    await dialog.waitFor();
    const code = dialog.locator('input[type=text]').first();
    expect(await code.inputValue()).toBe(tubeCode(2));
    await scannerBurst(page, tubeCode(1));
    await expect.poll(() => code.inputValue()).toBe(tubeCode(1));
    expect(await apiCalls(page, 'scan.submit')).toBe(submitted);
    const before = await bannerSeq(page);
    await page.keyboard.press('3');
    await page.keyboard.press('Enter');
    const voided = await nextOutcome(page, before);
    expect(voided.text).toContain(`${tubeCode(1)} 已作废`);
    expect(voided.text).toContain('样本污染');
    const db = openStationFile(path.join(kiosk.dataDir, 'station.db'), { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare(`SELECT t.state, c.reason FROM tube t JOIN correction c ON c.id = t.void_correction_id WHERE t.code = ?`).get(tubeCode(1));
      expect(row).toEqual({ state: 'voided', reason: '样本污染' });
    } finally {
      db.close();
    }
    await expect.poll(() => page.getByTestId('recent-tubes').innerText()).toContain('已作废');
  });

  it('seals with F4, opens a generated tube with F2, refuses to seal it empty, and runs single (1:1) tubes', async () => {
    let before = await bannerSeq(page);
    await page.keyboard.press('F4');
    const sealed = await nextOutcome(page, before);
    expect(sealed.tone).toBe('full');
    expect(sealed.text).toContain(`${tubeCode(2)} 已封管`);

    before = await bannerSeq(page);
    await page.keyboard.press('F2');
    const opened = await nextOutcome(page, before);
    expect(opened.tone).toBe('info');
    const generated = await page.getByTestId('tube-code').innerText();
    expect(generated).toMatch(/^SY\d{10}$/);
    expect(opened.text).toContain(generated);

    before = await bannerSeq(page);
    await page.keyboard.press('F4');
    const refused = await nextOutcome(page, before);
    expect(refused.tone).toBe('rejected');
    expect(refused.text).toContain(`试管 ${generated} 还是空的`);

    await page.getByTestId('capacity').getByRole('button', { name: '单采' }).click();
    await expect.poll(() => page.getByTestId('capacity').getByRole('button', { name: '单采' }).getAttribute('aria-pressed')).toBe('true');
    await scan(page, tubeCode(3));
    const single = await scan(page, idNumber(17));
    expect(single.tone).toBe('full');
    expect(single.text).toContain('1/1');

    const db = openStationFile(path.join(kiosk.dataDir, 'station.db'), { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare('SELECT code, state, seal_cause, capacity FROM tube ORDER BY seq').all();
      expect(rows).toEqual([
        { code: tubeCode(1), state: 'voided', seal_cause: 'capacity', capacity: 10 },
        { code: tubeCode(2), state: 'sealed', seal_cause: 'manual', capacity: 10 },
        // The empty generated tube was left for the next one: voided as unused, never sealed.
        { code: generated, state: 'voided', seal_cause: null, capacity: 10 },
        { code: tubeCode(3), state: 'sealed', seal_cause: 'capacity', capacity: 1 },
      ]);
    } finally {
      db.close();
    }
  });

  it('ran without page errors (CSP violations, exceptions)', () => {
    expect(pageErrors).toEqual([]);
  });
});

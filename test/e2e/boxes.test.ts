import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StationCore } from '../../electron/core/core';
import { writeDeviceSettings } from '../../electron/core/devices/settings';
import { PrinterSimulator } from '../../native/printer/simulator';
import { dataKeyOf, ok, signInAdmin, tempDir } from '../helpers/core';
import { idNumber, tubeCode } from '../helpers/ids';
import { zbarDecode } from '../helpers/printer-sim';
import { launchBrowser } from './helpers/browser';
import { openDesk, scan } from './helpers/desk-page';
import { startKiosk, type Kiosk } from './helpers/kiosk';
import { scannerBurst } from './helpers/scanner';
import { startHq, type RunningHq } from './upload-env';

const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts');
const BOX = 'BX00000101';
/** People bound in tubes 1..4 at the desk. */
const PEOPLE = [3, 2, 1, 2];
const OTHER_SITE = 'HD0000000123';

const ADMIN = 'boxes-e2e-admin';
/** The site as HQ knows it (the desk enrolled there before the morning's work). */
const SITE = { id: 'site-boxes-e2e', name: '演示社区采样点' };

/**
 * Boxing and hand-over in a real browser against the kiosk host: tubes sampled at the desk (through
 * the core, before the host starts), a ZPL label printer on the TCP 9100 simulator and a fake CUPS
 * `lp` first on the host's PATH that keeps what it was given. One flow: the box opened by its
 * scanned code, tubes scanned in with every refusal in words, one taken out with a reason, the box
 * sealed (its label printed and read back), its manifest saved and printed, handed over by name and
 * phone with its code re-scanned, read-only after; the status bar's count goes down. Then the lab,
 * at HQ's dashboard in the same browser: the box received with one tube broken and one missing,
 * which the desk's Boxes screen shows once it syncs; and a lab's result file with bad rows, refused
 * row by row with nothing written, then its good rows imported knowingly, the missing tube's result
 * flagged as never received.
 */
describe('boxing and hand-over at a sampling desk', () => {
  let kiosk: Kiosk;
  let browser: Browser;
  let page: Page;
  let sim: PrinterSimulator;
  let lpDir: string;
  let hq: RunningHq;
  const pageErrors: string[] = [];

  const shot = (name: string) => page.screenshot({ path: path.join(ARTIFACTS, name) });
  const indicator = () => page.getByTestId('boxes-indicator');
  const count = () => page.getByTestId('box-count').innerText();

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    sim = await PrinterSimulator.start();
    hq = await startHq({ adminToken: ADMIN });
    const dataDir = tempDir('station-e2e-boxes-');
    const setup = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), devices: 'off' });
    await setup.writer.run(() =>
      writeDeviceSettings(setup.db, {
        mode: 'real',
        devices: [
          {
            id: 'box-printer',
            name: '标签打印机',
            enabled: true,
            kind: 'printer',
            driver: 'printer',
            printer: { language: 'zpl', dpi: 203, mode: 'raster', transport: { kind: 'tcp', host: '127.0.0.1', port: sim.port }, statusTimeoutMs: 800 },
          },
        ],
      }),
    );
    // The desk linked to HQ as its site's first desk, the site's round started; then the morning at
    // the desk: tubes 1..4 sealed, tube 5 voided, tube 6 still open.
    await signInAdmin(setup);
    const { code: enrollment } = await hq.server.createEnrollmentCode(SITE.id, SITE.name);
    await ok(setup, 'upload.enroll', { hqUrl: hq.url, code: enrollment });
    await ok(setup, 'round.start', { name: '第1轮全员核酸' });
    const submit = (text: string) => ok(setup, 'scan.submit', { text, source: 'manual' });
    let person = 1;
    for (const [i, people] of PEOPLE.entries()) {
      await submit(tubeCode(i + 1));
      for (let k = 0; k < people; k++) await submit(idNumber(person++));
    }
    await ok(setup, 'tube.seal', {});
    await submit(tubeCode(5));
    await submit(idNumber(person++));
    await ok(setup, 'tube.void', { tubeCode: tubeCode(5), reason: '标签贴错' });
    await submit(tubeCode(6));
    await submit(idNumber(person));
    await setup.devices.stop();
    setup.close();

    // CUPS's lp as the host finds it: records its arguments and the document, names the job.
    lpDir = tempDir('station-e2e-lp-');
    fs.mkdirSync(path.join(lpDir, 'bin'));
    fs.writeFileSync(
      path.join(lpDir, 'bin', 'lp'),
      `#!/bin/sh\nprintf '%s\\n' "$@" > "${lpDir}/args"\ncat > "${lpDir}/job.pdf"\necho "request id is Manifest-7 (1 file(s))"\n`,
      { mode: 0o755 },
    );
    kiosk = await startKiosk({ dataDir, env: { PATH: `${path.join(lpDir, 'bin')}:${process.env.PATH ?? ''}` } });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1366, height: 768 }, acceptDownloads: true });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await openDesk(page, kiosk.url, 'zh-CN');
  });

  afterAll(async () => {
    await browser?.close();
    await kiosk?.stop();
    await sim?.close();
    await hq?.server.close();
  });

  it('the desk sends a box code to the Boxes screen; there, tubes go into the scanned box, and every refusal says why and changes nothing', async () => {
    // The end of the day so far: four sealed tubes in no box.
    await expect.poll(() => indicator().getAttribute('data-loose'), { timeout: 10_000 }).toBe('4');
    expect(await indicator().innerText()).toContain('未装箱 4 管');
    const atDesk = await scan(page, BOX);
    expect(atDesk.tone).toBe('rejected');
    expect(atDesk.text).toContain('装箱交接');

    await page.getByTestId('tab-boxes').click();
    await page.getByTestId('box-none').waitFor();
    expect(await page.getByTestId('boxes-loose').innerText()).toContain(tubeCode(1));
    const early = await scan(page, tubeCode(1));
    expect(early).toMatchObject({ tone: 'rejected' });
    expect(early.text).toContain('请先扫描转运箱条码');
    await shot('boxes-start-zh.png');

    const opened = await scan(page, BOX);
    expect(opened.text).toContain(`已开箱 ${BOX}`);
    await page.getByTestId('box-panel').waitFor();
    for (let i = 1; i <= 4; i++) {
      const added = await scan(page, tubeCode(i));
      expect(added.tone, added.text).toBe('accepted');
      expect(added.text).toContain(`${tubeCode(i)} 已装箱 ${i}/50`);
    }
    expect(await count()).toBe('4/50');
    expect(await page.getByTestId('box-people').innerText()).toBe('8');

    const refusals: [string, string][] = [
      [tubeCode(6), `样本管 ${tubeCode(6)} 还没有封管`],
      [tubeCode(5), `样本管 ${tubeCode(5)} 已作废（标签贴错）`],
      [tubeCode(1), `样本管 ${tubeCode(1)} 已在转运箱 ${BOX} 中`],
      [OTHER_SITE, `${OTHER_SITE} 不是本采样点的管码`],
      [tubeCode(99), `本工作站没有管码为 ${tubeCode(99)} 的样本管`],
    ];
    for (const [code, words] of refusals) {
      const refused = await scan(page, code);
      expect(refused.tone, code).toBe('rejected');
      expect(refused.text).toContain(words);
      expect(refused.text).not.toMatch(/box\.\w+/);
    }
    expect(await count()).toBe('4/50');
    await shot('boxes-refused-zh.png');

    // Tube 2 taken out, with the reason picked.
    await page.getByTestId(`box-remove-${tubeCode(2)}`).click();
    await page.getByTestId('box-remove-dialog').waitFor();
    await shot('boxes-remove-zh.png');
    await page.getByTestId('box-remove-submit').click();
    await page.getByTestId('box-remove-dialog').waitFor({ state: 'detached' });
    await expect.poll(count).toBe('3/50');
    expect(await page.getByTestId(`box-tube-${tubeCode(2)}`).count()).toBe(0);
    expect(await page.getByTestId('banner').innerText()).toContain('原因：样本管破损');
    // The end of the day now: tube 2 in no box, and this box not handed over.
    await expect.poll(() => indicator().innerText(), { timeout: 10_000 }).toBe('未装箱 1 管 · 未交接 1 箱');
    await expect.poll(() => page.getByTestId('boxes-pending').getAttribute('data-loose')).toBe('1');
  });

  it('seals with its counts, prints its label, saves and prints its manifest', async () => {
    const before = sim.jobs.length;
    await page.keyboard.press('F4');
    await page.getByTestId('box-seal-dialog').waitFor();
    expect(await page.getByTestId('box-seal-dialog').innerText()).toContain('3 管，6 人');
    await page.keyboard.press('Enter');
    await page.waitForSelector('[data-testid=box-panel][data-state=sealed]');
    expect(await page.getByTestId('banner').innerText()).toContain(`已封箱 ${BOX}`);
    expect(await page.getByTestId('banner').innerText()).toContain('共 3 管、6 人');

    // The label: its barcode read back by zbarimg.
    const jobs = await sim.waitForJobs(before + 1, 15_000);
    const labels = PrinterSimulator.renderJobPng(jobs[before]!);
    fs.writeFileSync(path.join(ARTIFACTS, 'boxes-label.png'), labels[0]!);
    expect(labels.flatMap((png) => zbarDecode(png))).toEqual([BOX]);
    await expect.poll(() => page.getByTestId('boxes-notice').innerText(), { timeout: 10_000 }).toBe(`箱签已打印 ${BOX}`);
    // Sealed: no tube goes in any more.
    const late = await scan(page, tubeCode(2));
    expect(late.tone).toBe('rejected');
    expect(late.text).toContain('不能再放入或取出');
    await shot('boxes-sealed-zh.png');

    // Saved: the download is the manifest, its text and its barcode read back by poppler and zbarimg.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('box-save-manifest').click()]);
    expect(download.suggestedFilename()).toBe(`装箱单_${BOX}.pdf`);
    const pdf = path.join(lpDir, 'saved.pdf');
    await download.saveAs(pdf);
    const text = execFileSync('pdftotext', ['-enc', 'UTF-8', pdf, '-'], { encoding: 'utf8' });
    for (const words of ['装箱单', '演示社区采样点', '1号采样台（1号）', BOX, '测试管理员', tubeCode(1), tubeCode(3), tubeCode(4), '合计：3 管，6 人', '转运人']) {
      expect(text, words).toContain(words);
    }
    expect(text).not.toContain(tubeCode(2));
    execFileSync('pdftoppm', ['-r', '150', '-png', '-f', '1', '-l', '1', '-singlefile', pdf, path.join(lpDir, 'page1')]);
    expect(zbarDecode(fs.readFileSync(path.join(lpDir, 'page1.png')))).toEqual([BOX]);
    await expect.poll(() => page.getByTestId('boxes-notice').innerText()).toContain(`装箱单_${BOX}.pdf`);

    // Printed: lp got the same manifest, A4, on the default queue.
    await page.getByTestId('box-print-manifest').click();
    await expect.poll(() => page.getByTestId('boxes-notice').innerText(), { timeout: 15_000 }).toBe(`装箱单 ${BOX} 已发送到打印机（系统默认打印机，任务 Manifest-7）`);
    expect(fs.readFileSync(path.join(lpDir, 'args'), 'utf8').trim().split('\n')).toEqual(['-t', `装箱单 ${BOX}`, '-o', 'media=A4']);
    expect(execFileSync('pdftotext', ['-enc', 'UTF-8', path.join(lpDir, 'job.pdf'), '-'], { encoding: 'utf8' })).toContain('合计：3 管，6 人');
  });

  it('hands over by name and phone with the box code re-scanned and the count confirmed; read-only after, the count goes down', async () => {
    await page.getByTestId('box-hand-over').click();
    const dialog = page.getByTestId('box-handover-dialog');
    await dialog.waitFor();
    await page.getByTestId('handover-name').fill('李师傅');
    await page.getByTestId('handover-phone').fill('13800138000');
    await page.getByTestId('handover-note-icePacks').click();
    // Another box's code re-scanned: refused, in words.
    await scannerBurst(page, 'BX00000999');
    await expect.poll(() => page.getByTestId('handover-confirm').inputValue()).toBe('BX00000999');
    await page.getByTestId('handover-count').fill('3');
    await page.getByTestId('handover-submit').click();
    await expect.poll(() => page.getByTestId('handover-problem').innerText()).toContain('复扫的箱码 BX00000999 与转运箱');
    // The right code, a wrong count: refused, and the count is not told.
    await scannerBurst(page, BOX);
    await expect.poll(() => page.getByTestId('handover-confirm').inputValue()).toBe(BOX);
    await page.getByTestId('handover-count').fill('2');
    await page.getByTestId('handover-submit').click();
    await expect.poll(() => page.getByTestId('handover-problem').innerText()).toContain('清点的数量（2 管）与转运箱');
    await shot('boxes-handover-zh.png');
    await page.getByTestId('handover-count').fill('3');
    await page.getByTestId('handover-submit').click();
    await dialog.waitFor({ state: 'detached' });

    await page.waitForSelector('[data-testid=box-panel][data-state=handedOver]');
    expect(await page.getByTestId('banner').innerText()).toContain(`已交接 ${BOX}`);
    expect(await page.getByTestId('box-readonly').innerText()).toBe('已交接，只读');
    expect(await page.getByTestId('box-handover-transporter').innerText()).toBe('李师傅，电话 138****8000');
    expect(await page.getByTestId('box-handover-count').innerText()).toBe('3 管');
    expect(await page.getByTestId('box-handover-note').innerText()).toBe('冰排冷藏，2–8 ℃');
    expect(await page.locator('[data-testid^=box-remove-]').count()).toBe(0);
    expect(await page.getByTestId('box-hand-over').isDisabled()).toBe(true);
    expect(await page.getByTestId('box-seal').isDisabled()).toBe(true);
    // Its code scanned again shows it as it is; a tube is refused.
    expect((await scan(page, BOX)).text).toContain('已交接转运，只能查看');
    expect((await scan(page, tubeCode(2))).tone).toBe('rejected');
    expect(await count()).toBe('3/50');
    // The status bar's count went down: only tube 2 is left to box.
    await expect.poll(() => indicator().getAttribute('data-count'), { timeout: 10_000 }).toBe('1');
    expect(await indicator().innerText()).toBe('未装箱 1 管');
    await shot('boxes-handed-over-zh.png');
  });

  it('the lab receives the box at HQ with a tube broken and one missing; the desk sees it on the box once it syncs; in English too', async () => {
    // HQ has the box in transit once the desk has uploaded it.
    const lab = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    await lab.goto(`${hq.url}/login`);
    await lab.fill('input[name=token]', ADMIN);
    await Promise.all([lab.waitForURL('**/dashboard'), lab.click('button[type=submit]')]);
    await expect
      .poll(
        async () => {
          await lab.goto(`${hq.url}/dashboard/boxes?site=${SITE.id}&lang=zh-CN`);
          return lab.locator(`[data-transit="${BOX}"]`).count();
        },
        { timeout: 30_000 },
      )
      .toBe(1);

    // At the lab: the box scanned, tube 1 received, tube 3 broken, tube 4 never found.
    await lab.goto(`${hq.url}/dashboard/lab?lang=zh-CN`);
    const receive = lab.locator('[data-form=lab-receive]');
    await receive.locator('input[name=receivedBy]').fill('王检验');
    await receive.locator('input[name=boxCode]').fill(BOX);
    await Promise.all([lab.waitForLoadState(), receive.locator('button[type=submit]').click()]);
    await lab.locator('[data-form=lab-scan]').waitFor();
    await lab.locator('[data-form=lab-scan] input[name=tubeCode]').fill(tubeCode(1));
    await Promise.all([lab.waitForLoadState(), lab.locator('[data-form=lab-scan] button[type=submit]').click()]);
    await expect.poll(() => lab.locator(`[data-tube="${tubeCode(1)}"]`).getAttribute('data-status')).toBe('received');
    await lab.locator('[data-form=lab-broken] input[name=tubeCode]').fill(tubeCode(3));
    await lab.locator('[data-form=lab-broken] input[name=reason]').fill('管盖破裂，样本外漏');
    await Promise.all([lab.waitForLoadState(), lab.locator('[data-form=lab-broken] button[type=submit]').click()]);
    await expect.poll(() => lab.locator(`[data-tube="${tubeCode(3)}"]`).getAttribute('data-status')).toBe('broken');
    await Promise.all([lab.waitForLoadState(), lab.locator('[data-form=lab-finish] button[type=submit]').click()]);
    await lab.locator('[data-receipt-state=finished]').waitFor();
    expect(await lab.locator(`[data-tube="${tubeCode(4)}"]`).getAttribute('data-status')).toBe('missing');
    await lab.screenshot({ path: path.join(ARTIFACTS, 'boxes-lab-receipt-zh.png'), fullPage: true });

    // At the desk: staff sync from the results screen, and the box shows the lab's receipt.
    await page.getByRole('button', { name: '结果与上传' }).click();
    await page.getByRole('button', { name: '立即同步' }).click();
    await page.getByTestId('tab-boxes').click();
    const receipt = page.getByTestId('box-receipt');
    await expect
      .poll(
        async () => {
          if ((await receipt.count()) > 0) return true;
          await page.getByRole('button', { name: '结果与上传' }).click();
          await page.getByRole('button', { name: '立即同步' }).click();
          await page.getByTestId('tab-boxes').click();
          return false;
        },
        { timeout: 30_000, interval: 1000 },
      )
      .toBe(true);
    expect(await receipt.getAttribute('data-tone')).toBe('bad');
    const words = await receipt.innerText();
    for (const w of ['实验室已接收，有差异', '王检验', '已接收 1 管', '缺失 1 管', '破损 1 管', '管盖破裂，样本外漏']) expect(words).toContain(w);
    expect(await page.getByTestId(`box-receipt-row-${tubeCode(4)}`).innerText()).toContain('缺失');
    expect(await page.getByTestId(`boxes-list-${BOX}`).innerText()).toContain('实验室已接收，差异 2 管');
    await shot('boxes-receipt-zh.png');

    await page.getByTestId('language-toggle').click();
    await page.waitForSelector('html[lang=en]');
    expect(await receipt.innerText()).toContain('Received by the lab, with discrepancies');
    expect(await page.getByTestId('box-handover-transporter').innerText()).toBe('李师傅, phone 138****8000');
    await shot('boxes-receipt-en.png');
    await page.getByTestId('language-toggle').click();
    await page.waitForSelector('html[lang=zh-CN]');
    await lab.close();
    expect(pageErrors).toEqual([]);
  });

  it('a lab result file with bad rows is refused row by row with nothing written; its good rows imported knowingly, the missing tube flagged', async () => {
    const lab = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    await lab.goto(`${hq.url}/login`);
    await lab.fill('input[name=token]', ADMIN);
    await Promise.all([lab.waitForURL('**/dashboard'), lab.click('button[type=submit]')]);
    const results = () => hq.server.store.sql.read((tx) => tx.all<{ tube_code: string; result: string; not_received: number }>('SELECT tube_code, result, not_received FROM result ORDER BY tube_code'));
    // Tested yesterday (Beijing time): never ahead of HQ's clock.
    const day = new Date(Date.now() + 8 * 3_600_000 - 86_400_000).toISOString().slice(0, 10);
    const csv = [
      '试管编码,检测结果,检测时间,检测机构',
      `${tubeCode(1)},阴性,${day} 15:30,市检测中心`,
      `${tubeCode(4)},阴性,${day} 15:31,市检测中心`,
      `${tubeCode(77)},阴性,${day} 15:32,市检测中心`,
      `${tubeCode(3)},阴阳,${day} 15:33,市检测中心`,
      `${tubeCode(1)},阳性,${day} 15:34,市检测中心`,
    ].join('\n');
    await lab.goto(`${hq.url}/dashboard/results/import?lang=zh-CN`);
    await lab.locator('[data-form=result-file] input[name=file]').setInputFiles({ name: '检测结果.csv', mimeType: 'text/csv', buffer: Buffer.from(csv, 'utf8') });
    await Promise.all([lab.waitForLoadState(), lab.locator('[data-form=result-file] button[type=submit]').click()]);
    await lab.locator('[data-section=summary][data-state=refused]').waitFor();
    // Each bad row named, with its row number; nothing written.
    const rows = await lab.locator('[data-error-row]').evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-error-row'))));
    expect([...new Set(rows)].sort()).toEqual([2, 4, 5, 6]);
    expect(await lab.locator('[data-section=errors]').innerText()).toContain(tubeCode(77));
    expect(await results()).toEqual([]);
    await lab.screenshot({ path: path.join(ARTIFACTS, 'boxes-result-file-zh.png'), fullPage: true });

    // Its one good row (tube 4) imported knowingly: written, and flagged as never received at the lab.
    const good = lab.locator('[data-form=import-good]');
    await good.locator('input[name=confirm]').check();
    await Promise.all([lab.waitForLoadState(), good.locator('button[type=submit]').click()]);
    await lab.locator('[data-decision=imported]').waitFor();
    expect(await lab.locator('[data-count=imported]').innerText()).toBe('1');
    expect(await lab.locator('[data-count=notReceived]').innerText()).toBe('1');
    expect(await lab.locator(`[data-flagged="${tubeCode(4)}"]`).count()).toBe(1);
    expect(await results()).toEqual([{ tube_code: tubeCode(4), result: 'negative', not_received: 1 }]);
    await lab.close();
  });
});

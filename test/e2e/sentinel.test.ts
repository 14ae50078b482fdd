import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIM_SCANNER_ID, SIM_THERMOMETER_ID } from '../../electron/core/devices/simulation';
import { startKioskHost, type KioskHost } from '../../electron/kiosk/server';
import { freshFolder, ok, signInAdmin, TEST_ADMIN } from '../helpers/core';
import { idNumber, tubeCode } from '../helpers/ids';
import { until } from '../helpers/pty';
import { launchBrowser } from './helpers/browser';
import type { PageGlobals } from './helpers/desk-page';
import { scannerBurst } from './helpers/scanner';

const ROOT = path.resolve(__dirname, '../..');
const ARTIFACTS = path.join(ROOT, 'test-artifacts');
const RENDERER = path.join(ROOT, 'dist', 'renderer');
const KEEPER = { name: '王值守', code: 'G001', role: 'gatekeeper' as const, pin: '580317', badge: 'OP7701' };

type SpeechGlobals = PageGlobals & { spoken: string[] };

/**
 * The page's speech synthesis, observed: a Chinese voice that records what it is asked to say
 * (headless Chromium has no voices of its own; a real kiosk has the OS's).
 */
async function withChineseVoice(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const g = globalThis as unknown as Record<string, unknown> & { spoken: string[] };
    g.spoken = [];
    const voice = { lang: 'zh-CN', name: '测试中文语音', voiceURI: 'test-zh', localService: true, default: true };
    class Utterance {
      lang = '';
      voice: unknown = null;
      rate = 1;
      constructor(readonly text: string) {}
    }
    Object.defineProperty(g, 'SpeechSynthesisUtterance', { value: Utterance, configurable: true });
    Object.defineProperty(g, 'speechSynthesis', {
      configurable: true,
      value: {
        getVoices: () => [voice],
        cancel: () => undefined,
        speak: (u: Utterance) => g.spoken.push(u.text),
        addEventListener: () => undefined,
        removeEventListener: () => undefined,
      },
    });
  });
}

async function residents(host: KioskHost): Promise<void> {
  const lines = ['姓名,身份证号,手机号,楼栋,单元,房号,标签', `张三,${idNumber(1)},,1,1,101,`, `李四,${idNumber(2)},,1,1,102,`];
  const csv = Buffer.from(lines.join('\n'));
  const { uploadId } = await ok(host.core, 'roster.upload', { fileName: 'r.csv', size: csv.length });
  await ok(host.core, 'roster.uploadChunk', { uploadId, offset: 0, data: csv.toString('base64') });
  const started = await ok(host.core, 'roster.read', { uploadId });
  await host.core.roster.idle();
  await ok(host.core, 'roster.apply', { importId: started.id });
}

/**
 * The unattended sentinel in Chromium against the kiosk host, with the simulated scanner and
 * thermometer (socat pty pairs): nobody signs in; a person scans, the thermometer reads, and the
 * kiosk shows and says the verdict in Mandarin; staff controls only for a site admin's badge.
 */
describe('the sentinel kiosk', () => {
  const folder = freshFolder('station-e2e-sentinel-');
  let host: KioskHost;
  let browser: Browser;
  let page: Page;
  const frames: string[] = [];
  const pageErrors: string[] = [];

  const start = () =>
    startKioskHost({ ...folder, port: 0, devices: 'simulated', deviceOptions: { retryMs: 20, maxRetryMs: 200, pseudoTerminals: true }, rendererDir: RENDERER });
  const connected = async (h: KioskHost) => {
    const state = (id: string) => h.core.devices.list().devices.find((d) => d.config.id === id)?.status.state;
    await until(() => state(SIM_SCANNER_ID) === 'connected' && state(SIM_THERMOMETER_ID) === 'connected', 10_000, 'simulated devices connected');
  };
  const thermometer = (celsius: number) => host.core.devices.simulate(SIM_THERMOMETER_ID, { celsius });
  const prompt = (p: Page = page) => p.getByTestId('sentinel-screen').getAttribute('data-prompt');
  const spoken = (p: Page = page) => p.evaluate(() => (globalThis as unknown as SpeechGlobals).spoken.slice());

  beforeAll(async () => {
    if (!fs.existsSync(path.join(RENDERER, 'index.html'))) throw new Error('dist/renderer is missing: run "npm run build" first');
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    host = await start();
    await signInAdmin(host.core);
    await residents(host);
    // 张三 was sampled at this station's desk this morning; 李四 never was.
    await ok(host.core, 'scan.submit', { text: tubeCode(1), source: 'manual' });
    await ok(host.core, 'scan.submit', { text: idNumber(1), source: 'manual' });
    await ok(host.core, 'operator.create', KEEPER);
    await ok(host.core, 'station.setWorkplace', { workplace: 'sentinel' });
    await ok(host.core, 'operator.signOut', {});
    await connected(host);
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('websocket', (ws) => ws.on('framereceived', ({ payload }) => frames.push(String(payload))));
    await page.addInitScript(() => (globalThis as unknown as PageGlobals).localStorage.setItem('station.language', 'zh-CN'));
    await withChineseVoice(page);
    await page.goto(host.launchUrl);
  });

  afterAll(async () => {
    await browser?.close();
    await host?.close();
    await host?.core.devices.stop();
    host?.core.close();
  });

  it('opens on the kiosk with nobody signed in: no sign-in, no staff controls', async () => {
    await page.getByTestId('sentinel-screen').waitFor();
    expect(await prompt()).toBe('idle');
    await expect.poll(() => page.getByTestId('sentinel-words').innerText()).toBe('请扫码');
    expect(await page.getByTestId('sentinel-site').innerText()).toContain(host.core.identity.station.name);
    expect(await page.locator('button, input, select, textarea, a[href]').count()).toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'sentinel-idle.png') });
  });

  it('a resident scans, the thermometer reads, and the kiosk says "张三，体温正常，请通行"', async () => {
    await scannerBurst(page, idNumber(1));
    await expect.poll(() => prompt(), { timeout: 10_000 }).toBe('measure');
    expect(await page.getByTestId('sentinel-name').innerText()).toBe('张三');
    await thermometer(36.6);
    await expect.poll(() => prompt(), { timeout: 15_000 }).toBe('pass');
    expect(await page.getByTestId('sentinel-screen').getAttribute('data-level')).toBe('pass');
    expect(await page.getByTestId('sentinel-temperature').innerText()).toContain('36.6');
    await page.screenshot({ path: path.join(ARTIFACTS, 'sentinel-pass.png') });
    expect(await spoken()).toEqual(['张三，请测量体温', '张三，体温正常，请通行']);
    expect(await page.getByTestId('sentinel-screen').getAttribute('data-voice')).toBe('speech');
  });

  it('a fever: "measure again", then "体温异常，请联系工作人员", in red', async () => {
    await scannerBurst(page, idNumber(1));
    await expect.poll(() => prompt(), { timeout: 10_000 }).toBe('measure');
    await thermometer(38.3);
    await expect.poll(() => prompt(), { timeout: 15_000 }).toBe('remeasure');
    await thermometer(38.5);
    await expect.poll(() => prompt(), { timeout: 20_000 }).toBe('fever');
    expect(await page.getByTestId('sentinel-screen').getAttribute('data-level')).toBe('stop');
    await page.screenshot({ path: path.join(ARTIFACTS, 'sentinel-fever.png') });
    expect((await spoken()).slice(-2)).toEqual(['体温偏高，请重新测量', '体温异常，请联系工作人员']);
    // The gate keeper's record of it: the fever, both readings, taken by the station itself.
    const fever = host.core.db.prepare(`SELECT temperature, operator_id FROM gate_passage ORDER BY seq DESC LIMIT 1`).get() as { temperature: string; operator_id: string | null };
    expect(fever).toEqual({ temperature: 'fever', operator_id: null });
  });

  it('says why nobody is stopped: someone never sampled hears "请联系工作人员" only; a tube code is "scan again"', async () => {
    await scannerBurst(page, idNumber(2));
    await expect.poll(() => prompt(), { timeout: 10_000 }).toBe('staff');
    expect(await page.getByTestId('sentinel-words').innerText()).toBe('请联系工作人员');
    await scannerBurst(page, tubeCode(9));
    await expect.poll(() => prompt(), { timeout: 10_000 }).toBe('unreadable');
    expect((await spoken()).slice(-2)).toEqual(['请联系工作人员', '无法识别，请重新扫码']);
    // What reached the page: names and temperatures, never an ID number, a household or a reason.
    const all = frames.join('\n');
    for (const never of [idNumber(1).slice(-6), idNumber(2).slice(-6), '1-1-101', 'rule.notMet', 'keyPerson']) expect(all).not.toContain(never);
  });

  it('refuses staff controls to a gate keeper’s badge, opens them for a site admin’s, and goes back to the kiosk on lock', async () => {
    await scannerBurst(page, KEEPER.badge);
    // Refused by the core: still the kiosk, no PIN pad.
    await page.waitForTimeout(500);
    expect(await page.getByTestId('sentinel-screen').isVisible()).toBe(true);
    expect(await page.getByTestId('signin-screen').count()).toBe(0);
    // Alt+number switches screens elsewhere; here there is nothing to switch to.
    await page.keyboard.press('Alt+1');
    expect(await page.getByTestId('sentinel-screen').isVisible()).toBe(true);

    await scannerBurst(page, TEST_ADMIN.badge);
    await page.getByTestId('signin-screen').waitFor();
    await page.getByTestId('signin-pin').fill(TEST_ADMIN.pin);
    await page.getByTestId('signin-submit').click();
    await page.getByTestId('operator-box').waitFor();
    expect(await page.getByTestId('tab-operators').isVisible()).toBe(true);
    await page.getByTestId('lock-screen').click();
    await page.getByTestId('sentinel-screen').waitFor();
    expect(pageErrors).toEqual([]);
  });

  it('plays tones where the machine has no Chinese voice', async () => {
    const plain = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await plain.addInitScript(() => {
      const g = globalThis as unknown as Record<string, unknown>;
      Object.defineProperty(g, 'speechSynthesis', { configurable: true, value: { getVoices: () => [{ lang: 'en-US', name: 'English' }], cancel: () => undefined, speak: () => undefined } });
    });
    await plain.goto(host.launchUrl);
    await plain.getByTestId('sentinel-screen').waitFor();
    await scannerBurst(plain, idNumber(1));
    await expect.poll(() => plain.getByTestId('sentinel-screen').getAttribute('data-voice'), { timeout: 10_000 }).toBe('tone');
    await plain.close();
  });

  it('comes back as the kiosk after the station restarts, with nobody to sign in', async () => {
    await host.close();
    await host.core.devices.stop();
    host.core.close();
    host = await start();
    await connected(host);
    const again = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await withChineseVoice(again);
    // The launcher opens the window again with this launch's key, as the shortcut does.
    await again.goto(host.launchUrl);
    await again.getByTestId('sentinel-screen').waitFor();
    await scannerBurst(again, idNumber(1));
    await expect.poll(() => prompt(again), { timeout: 10_000 }).toBe('measure');
    await host.core.devices.simulate(SIM_THERMOMETER_ID, { celsius: 36.4 });
    await expect.poll(() => prompt(again), { timeout: 15_000 }).toBe('pass');
    expect((await spoken(again)).at(-1)).toBe('张三，体温正常，请通行');
    await again.close();
  });
});

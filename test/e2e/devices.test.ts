import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceConfig } from '../../electron/api/devices';
import { StationCore } from '../../electron/core/core';
import { writeDeviceSettings } from '../../electron/core/devices/settings';
import { SerialScannerSimulator } from '../../native/scanner/simulator';
import { ThermometerSimulator } from '../../native/thermometer/simulator';
import { dataKeyOf, tempDir } from '../helpers/core';
import { idNumber, tubeCode } from '../helpers/ids';
import { ptyFixture, type PtyFixture } from '../helpers/pty';
import { launchBrowser } from './helpers/browser';
import { bannerSeq, nextOutcome, openDesk } from './helpers/desk-page';
import { startKiosk, type Kiosk } from './helpers/kiosk';

const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts');

/**
 * The kiosk host as a site runs it, with a serial scanner and a serial thermometer configured on
 * socat pty pairs whose far ends this test drives as the devices.
 */
describe('devices in a real browser against the kiosk host', () => {
  let kiosk: Kiosk;
  let browser: Browser;
  let page: Page;
  let scannerPty: PtyFixture;
  let thermoPty: PtyFixture;
  let scanner: SerialScannerSimulator;
  let thermometer: ThermometerSimulator;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    scannerPty = await ptyFixture();
    thermoPty = await ptyFixture();
    const dataDir = tempDir('station-e2e-devices-');
    const devices: DeviceConfig[] = [
      { id: 'desk-scanner', name: '采样台扫码枪', enabled: true, kind: 'scanner', driver: 'serial', path: scannerPty.devicePath, baudRate: 9600, terminator: 'cr', idleMs: 60, aimPrefix: false },
      { id: 'gate-thermometer', name: '门口测温仪', enabled: true, kind: 'thermometer', driver: 'serial', path: thermoPty.devicePath, baudRate: 9600, protocol: 'ir9', offsetC: 0, toleranceC: 0.2, samples: 3, gapMs: 500 },
    ];
    // The configuration a site admin would have saved, written before the station starts.
    const setup = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), devices: 'off' });
    await setup.writer.run(() => writeDeviceSettings(setup.db, { mode: 'real', devices }));
    await setup.devices.stop();
    setup.close();

    kiosk = await startKiosk({ dataDir, pseudoTerminals: true });
    scanner = await SerialScannerSimulator.open(scannerPty.peerPath, 'cr');
    thermometer = await ThermometerSimulator.open(thermoPty.peerPath, 'ir9');
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await openDesk(page, kiosk.url, 'zh-CN');
  });

  afterAll(async () => {
    await browser?.close();
    await scanner?.close();
    await thermometer?.close();
    await kiosk?.stop();
    await scannerPty?.close();
    await thermoPty?.close();
  });

  it('a serial scanner scan opens a tube and binds a person on the desk screen', async () => {
    await page.waitForSelector('[data-testid=devices-indicator][data-problems="0"]');
    await scanner.scan(tubeCode(41));
    await expect.poll(() => page.getByTestId('tube-code').innerText(), { timeout: 10_000 }).toBe(tubeCode(41));
    await expect.poll(() => page.getByTestId('banner').innerText(), { timeout: 10_000 }).toContain(tubeCode(41));
    const before = await bannerSeq(page);
    await scanner.scan(idNumber(41));
    await expect.poll(() => page.getByTestId('member').count(), { timeout: 10_000 }).toBe(1);
    // The serial scan gets the same banner (colour and sound) as a typed one.
    expect(await nextOutcome(page, before)).toMatchObject({ tone: 'accepted' });
    const again = await bannerSeq(page);
    await scanner.scan(idNumber(41));
    expect(await nextOutcome(page, again)).toMatchObject({ tone: 'rejected' });
    // Masked on screen, as every person is.
    expect(await page.getByTestId('member').innerText()).not.toContain(idNumber(41));
    await page.screenshot({ path: path.join(ARTIFACTS, 'devices-desk-serial-scan.png') });
  });

  it('shows the thermometer reading live on the Devices screen, and an unplug and re-plug', async () => {
    await page.getByRole('button', { name: '设备' }).click();
    await page.getByTestId('devices-screen').waitFor();
    await page.waitForSelector('[data-testid=device-gate-thermometer][data-state=connected]');
    await thermometer.measure(37.6, 5);
    await expect.poll(() => page.getByTestId('reading-gate-thermometer').innerText(), { timeout: 10_000 }).toContain('37.6 °C');
    expect(await page.getByTestId('reading-gate-thermometer').getAttribute('class')).toContain('is-fever');
    await page.screenshot({ path: path.join(ARTIFACTS, 'devices-screen-reading.png'), fullPage: true });

    await thermometer.close();
    await thermoPty.unplug();
    await page.waitForSelector('[data-testid=device-gate-thermometer][data-state=disconnected]', { timeout: 10_000 });
    expect(await page.getByTestId('device-status-gate-thermometer').innerText()).toContain('正在自动重连');
    await page.waitForSelector('[data-testid=devices-indicator][data-problems="1"]');
    await thermoPty.plug();
    await page.waitForSelector('[data-testid=device-gate-thermometer][data-state=connected]', { timeout: 10_000 });
    await page.waitForSelector('[data-testid=devices-indicator][data-problems="0"]');
    expect(pageErrors).toEqual([]);
  });

  it('changes a configured device from the Devices screen and it keeps working', async () => {
    await page.getByTestId('edit-desk-scanner').click();
    const form = page.getByTestId('device-form');
    await form.getByLabel('名称').fill('一号台扫码枪');
    await page.getByTestId('device-form-save').click();
    await expect.poll(() => page.getByTestId('device-desk-scanner').innerText()).toContain('一号台扫码枪');
    await page.waitForSelector('[data-testid=device-desk-scanner][data-state=connected]', { timeout: 10_000 });
    await page.getByRole('button', { name: '采样台' }).click();
    await scanner.scan(idNumber(42));
    await expect.poll(() => page.getByTestId('member').count(), { timeout: 10_000 }).toBe(2);
  });
});

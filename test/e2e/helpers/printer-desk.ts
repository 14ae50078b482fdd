import type { Browser, Page } from 'playwright-core';
import { StationCore } from '../../../electron/core/core';
import { writeDeviceSettings } from '../../../electron/core/devices/settings';
import { PrinterSimulator } from '../../../native/printer/simulator';
import { dataKeyOf, tempDir } from '../../helpers/core';
import { launchBrowser } from './browser';
import { openDesk } from './desk-page';
import { startKiosk, type Kiosk } from './kiosk';

export type PrinterDesk = { kiosk: Kiosk; browser: Browser; page: Page; sim: PrinterSimulator; close(): Promise<void> };

/**
 * A station configured with one ZPL label printer on the TCP 9100 simulator, its kiosk host
 * running and the desk open in Chromium (zh-CN).
 */
export async function startPrinterDesk(printerId: string): Promise<PrinterDesk> {
  const sim = await PrinterSimulator.start();
  const dataDir = tempDir('station-e2e-printer-desk-');
  const setup = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), devices: 'off' });
  await setup.writer.run(() =>
    writeDeviceSettings(setup.db, {
      mode: 'real',
      devices: [
        {
          id: printerId,
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
  const kiosk = await startKiosk({ dataDir });
  const browser = await launchBrowser();
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  await openDesk(page, kiosk.url, 'zh-CN');
  return {
    kiosk,
    browser,
    page,
    sim,
    async close() {
      await browser.close();
      await kiosk.stop();
      await sim.close();
    },
  };
}

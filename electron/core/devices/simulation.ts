import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DeviceConfig } from '../../api/devices';
import { FakeHid } from '../../../native/hid/fake';
import { PrinterSimulator } from '../../../native/printer/simulator';
import { openPtyPair, type PtyPair } from '../../../native/serial/pty';
import { FakeHidScanner, SerialScannerSimulator, SIMULATED_HID_SCANNER } from '../../../native/scanner/simulator';
import { ThermometerSimulator } from '../../../native/thermometer/simulator';
import { createLogger } from '../log';

const log = createLogger('devices');

/** A training device: its configuration, and how to make it scan or measure. */
export type SimulatedDevice = {
  config: DeviceConfig;
  /** Why it could not be set up (socat missing…); the device then shows this as its error. */
  unavailable: string | null;
  scan?(text: string): Promise<void>;
  measure?(celsius: number): Promise<void>;
};

export type Simulation = { devices: SimulatedDevice[]; hid: FakeHid; close(): Promise<void> };

export const SIM_SCANNER_ID = 'sim-serial-scanner';
export const SIM_HID_SCANNER_ID = 'sim-hid-scanner';
export const SIM_THERMOMETER_ID = 'sim-thermometer';
export const SIM_PRINTER_ID = 'sim-printer';

/**
 * The simulated devices of training mode (and `npm start` on the demo site): a serial scanner
 * and a thermometer on socat pty pairs, driven through the same drivers as real ones, and a
 * HID POS scanner at the node-hid boundary, and a ZPL printer on a local TCP 9100 simulator
 * that keeps every job.
 */
export async function startSimulation(): Promise<Simulation> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'station-sim-'));
  const pairs: PtyPair[] = [];
  const closers: (() => Promise<void>)[] = [];
  const hid = new FakeHid();

  const pair = async (name: string): Promise<PtyPair | string> => {
    try {
      const p = await openPtyPair(path.join(dir, name), path.join(dir, `${name}-peer`));
      pairs.push(p);
      return p;
    } catch (err) {
      log.warn({ detail: err instanceof Error ? err.message.slice(0, 120) : String(err) }, 'simulator pty unavailable');
      return 'simulator.unavailable';
    }
  };

  const devices: SimulatedDevice[] = [];

  const scannerPty = await pair('scanner');
  const scannerConfig: DeviceConfig = {
    id: SIM_SCANNER_ID,
    name: '模拟串口扫码枪',
    enabled: true,
    kind: 'scanner',
    driver: 'serial',
    path: typeof scannerPty === 'string' ? path.join(dir, 'scanner') : scannerPty.devicePath,
    baudRate: 9600,
    terminator: 'cr',
    idleMs: 60,
    aimPrefix: false,
  };
  if (typeof scannerPty === 'string') devices.push({ config: scannerConfig, unavailable: scannerPty });
  else {
    const sim = await SerialScannerSimulator.open(scannerPty.peerPath, 'cr');
    closers.push(() => sim.close());
    devices.push({ config: scannerConfig, unavailable: null, scan: (text) => sim.scan(text) });
  }

  const hidScanner = new FakeHidScanner(hid, SIMULATED_HID_SCANNER, 'aim-header');
  devices.push({
    config: {
      id: SIM_HID_SCANNER_ID,
      name: '模拟 HID 扫码枪',
      enabled: true,
      kind: 'scanner',
      driver: 'hid-pos',
      vendorId: SIMULATED_HID_SCANNER.vendorId,
      productId: SIMULATED_HID_SCANNER.productId,
      serialNumber: null,
      layout: 'aim-header',
    },
    unavailable: null,
    scan: async (text) => hidScanner.scan(text, ']Q1'),
  });

  const thermoPty = await pair('thermometer');
  const thermoConfig: DeviceConfig = {
    id: SIM_THERMOMETER_ID,
    name: '模拟测温仪',
    enabled: true,
    kind: 'thermometer',
    driver: 'serial',
    path: typeof thermoPty === 'string' ? path.join(dir, 'thermometer') : thermoPty.devicePath,
    baudRate: 9600,
    protocol: 'ir9',
    offsetC: 0,
    toleranceC: 0.2,
    samples: 3,
    gapMs: 1500,
  };
  if (typeof thermoPty === 'string') devices.push({ config: thermoConfig, unavailable: thermoPty });
  else {
    const sim = await ThermometerSimulator.open(thermoPty.peerPath, 'ir9');
    closers.push(() => sim.close());
    devices.push({ config: thermoConfig, unavailable: null, measure: (c) => sim.measure(c) });
  }

  try {
    const printer = await PrinterSimulator.start();
    closers.push(() => printer.close());
    devices.push({
      config: {
        id: SIM_PRINTER_ID,
        name: '模拟标签打印机',
        enabled: true,
        kind: 'printer',
        driver: 'printer',
        printer: { language: 'zpl', transport: { kind: 'tcp', host: '127.0.0.1', port: printer.port }, dpi: 203 },
      },
      unavailable: null,
    });
  } catch (err) {
    log.warn({ detail: err instanceof Error ? err.message.slice(0, 120) : String(err) }, 'printer simulator unavailable');
  }

  return {
    devices,
    hid,
    close: async () => {
      for (const c of closers) await c().catch(() => undefined);
      for (const p of pairs) await p.close().catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

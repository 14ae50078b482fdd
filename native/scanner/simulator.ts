import { SerialPort } from 'serialport';
import type { FakeHid } from '../hid/fake';
import type { HidDeviceInfo } from '../hid/boundary';
import type { Terminator } from '../serial/framer';
import { encodeHidPosReports, type HidPosLayout } from './hid-pos';

const TERMINATORS: Record<Terminator, string> = { cr: '\r', lf: '\n', crlf: '\r\n', none: '' };

/** Opens the simulator's end of a pty pair. */
export async function openPeer(peerPath: string, baudRate = 9600): Promise<SerialPort> {
  const port = new SerialPort({ path: peerPath, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  return port;
}

export function writeAll(port: SerialPort, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    port.write(bytes, (err) => (err ? reject(err) : port.drain((e) => (e ? reject(e) : resolve()))));
  });
}

/** A serial scanner on the far end of a pty pair: "scans" by writing what a scanner would send. */
export class SerialScannerSimulator {
  private constructor(private readonly port: SerialPort, private readonly terminator: Terminator) {}

  static async open(peerPath: string, terminator: Terminator): Promise<SerialScannerSimulator> {
    return new SerialScannerSimulator(await openPeer(peerPath), terminator);
  }

  /** Sends one scan; `chunkSize` splits it the way a slow USB link would (even mid-character). */
  async scan(text: string, chunkSize?: number): Promise<void> {
    const bytes = Buffer.from(text + TERMINATORS[this.terminator], 'utf8');
    if (!chunkSize) return writeAll(this.port, bytes);
    for (let at = 0; at < bytes.length; at += chunkSize) {
      await writeAll(this.port, bytes.subarray(at, at + chunkSize));
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  async close(): Promise<void> {
    if (this.port.isOpen) await new Promise<void>((resolve) => this.port.close(() => resolve()));
  }
}

export const SIMULATED_HID_SCANNER: HidDeviceInfo = {
  path: 'sim:hidraw0',
  vendorId: 0x0c2e,
  productId: 0x0b61,
  manufacturer: 'Station simulator',
  product: 'HID POS scanner (simulated)',
  serialNumber: 'SIM-HID-1',
  usagePage: 0x8c,
  usage: 0x02,
};

/** A HID POS scanner at the node-hid boundary: scans become the reports the device would send. */
export class FakeHidScanner {
  constructor(
    private readonly hid: FakeHid,
    readonly info: HidDeviceInfo,
    private readonly layout: HidPosLayout,
  ) {
    hid.attach(info);
  }

  scan(text: string, aim: string | null = ']Q1'): void {
    for (const report of encodeHidPosReports(this.layout, text, aim)) this.hid.feed(this.info.path, report);
  }

  unplug(): void {
    this.hid.detach(this.info.path);
  }

  plug(): void {
    this.hid.attach(this.info);
  }
}

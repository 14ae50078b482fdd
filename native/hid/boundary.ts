/**
 * The node-hid boundary: the only place that touches the native HID library. Everything above it
 * sees these small types, so tests and the simulator plug a fake in here, fed with report bytes
 * exactly as hidapi delivers them (report ID first on Linux).
 */
export type HidDeviceInfo = {
  path: string;
  vendorId: number;
  productId: number;
  manufacturer: string | null;
  product: string | null;
  serialNumber: string | null;
  usagePage: number | null;
  usage: number | null;
};

export type HidConnection = {
  on(event: 'data', listener: (report: Buffer) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  close(): Promise<void>;
};

export type HidBoundary = {
  devices(): Promise<HidDeviceInfo[]>;
  open(path: string): Promise<HidConnection>;
};

/** node-hid could not be loaded (libusb/hidraw missing, no prebuild): HID is unavailable. */
export class HidUnavailableError extends Error {
  constructor(readonly reason: string) {
    super(`hid unavailable: ${reason}`);
  }
}

/** HID POS bar code scanners announce usage page 0x8C. */
export const BARCODE_SCANNER_USAGE_PAGE = 0x8c;

type NodeHidModule = typeof import('node-hid');

let loaded: Promise<NodeHidModule> | null = null;

/** Loads node-hid on first use; a failure to load becomes a HidUnavailableError, never a crash. */
async function nodeHid(): Promise<NodeHidModule> {
  loaded ??= import('node-hid');
  try {
    return await loaded;
  } catch (err) {
    loaded = null;
    throw new HidUnavailableError(err instanceof Error ? err.message.slice(0, 200) : String(err));
  }
}

export const nodeHidBoundary: HidBoundary = {
  async devices() {
    const hid = await nodeHid();
    const list = await hid.devicesAsync();
    return list
      .filter((d): d is typeof d & { path: string } => typeof d.path === 'string')
      .map((d) => ({
        path: d.path,
        vendorId: d.vendorId,
        productId: d.productId,
        manufacturer: d.manufacturer ?? null,
        product: d.product ?? null,
        serialNumber: d.serialNumber ?? null,
        usagePage: d.usagePage ?? null,
        usage: d.usage ?? null,
      }));
  },
  async open(path) {
    const hid = await nodeHid();
    const device = await hid.HIDAsync.open(path);
    const connection: HidConnection = {
      on: (event: string, listener: (arg: Buffer & Error) => void) => device.on(event, listener),
      close: () => device.close(),
    };
    return connection;
  },
};

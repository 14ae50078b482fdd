/**
 * The devices part of the typed API (composed into contract.ts): scanners, thermometers and
 * label printers as the station configures them, their live status and readings. Types and zod
 * schemas only: it runs in the core, the hosts and the renderer.
 */
import { z } from 'zod';
import type { Result, ScanOutcome } from './contract';

/** `device.pathRefused`: the path is not a device Station may open (params: id, reason notADevice | notListed | notUsbPrinter). */
export type DeviceErrorCode = 'device.notFound' | 'device.notSimulated' | 'device.unsupported' | 'device.offline' | 'device.printFailed' | 'device.pathRefused';

export type DeviceKind = 'scanner' | 'thermometer' | 'printer';

/** real: the configured devices; simulated: the training devices; off: nothing is opened. */
export const deviceModeSchema = z.enum(['real', 'simulated', 'off']);
export type DeviceMode = z.infer<typeof deviceModeSchema>;

/**
 * `keyboard`: a keyboard-wedge scanner, read by the renderer; the core only lists it.
 * `reason` is a code the renderer words (devices.json): port.missing, port.busy, hid.unavailable…
 */
export type DeviceState = 'connecting' | 'connected' | 'disconnected' | 'error' | 'keyboard' | 'off';
export type DeviceStatus = { state: DeviceState; reason?: string };

const id = z.string().trim().min(1).max(64).regex(/^[A-Za-z0-9._-]+$/);
const name = z.string().trim().min(1).max(80);
const devicePath = z.string().min(1).max(256).regex(/^\/dev\/|^\/tmp\/|^COM\d+$/, 'a device path');
const baudRate = z.number().int().min(300).max(921_600);

const common = { id, name, enabled: z.boolean().default(true) };

export const serialScannerConfigSchema = z
  .object({
    ...common,
    kind: z.literal('scanner'),
    driver: z.literal('serial'),
    path: devicePath,
    baudRate: baudRate.default(9600),
    terminator: z.enum(['cr', 'lf', 'crlf', 'none']).default('cr'),
    idleMs: z.number().int().min(10).max(2000).default(60),
    aimPrefix: z.boolean().default(false),
  })
  .strict();

export const hidScannerConfigSchema = z
  .object({
    ...common,
    kind: z.literal('scanner'),
    driver: z.literal('hid-pos'),
    vendorId: z.number().int().min(0).max(0xffff),
    productId: z.number().int().min(0).max(0xffff),
    serialNumber: z.string().max(128).nullable().default(null),
    layout: z.enum(['aim-header', 'symbology-trailer']).default('aim-header'),
  })
  .strict();

export const wedgeScannerConfigSchema = z.object({ ...common, kind: z.literal('scanner'), driver: z.literal('wedge') }).strict();

export const thermometerConfigSchema = z
  .object({
    ...common,
    kind: z.literal('thermometer'),
    driver: z.literal('serial'),
    path: devicePath,
    baudRate: baudRate.default(9600),
    protocol: z.enum(['ascii', 'ir9', 'modbus']),
    /** ASCII protocol: a regular expression whose first group is the value in °C. */
    asciiPattern: z
      .string()
      .min(1)
      .max(200)
      .refine((p) => {
        try {
          new RegExp(p);
          return true;
        } catch {
          return false;
        }
      }, 'a regular expression')
      .optional(),
    modbus: z
      .object({ address: z.number().int().min(1).max(247), register: z.number().int().min(0).max(0xffff), scale: z.number().int().min(1).max(1000) })
      .strict()
      .optional(),
    /** Added to every value; changed through devices.calibrate so it stays in the audit trail. */
    offsetC: z.number().min(-5).max(5).default(0),
    toleranceC: z.number().min(0.05).max(1).default(0.2),
    samples: z.number().int().min(2).max(20).default(3),
    gapMs: z.number().int().min(200).max(30_000).default(1500),
  })
  .strict();

/** A label printer; `printer` is the printer driver's own configuration, checked by it. */
export const printerDeviceConfigSchema = z
  .object({ ...common, kind: z.literal('printer'), driver: z.literal('printer'), printer: z.record(z.string(), z.unknown()) })
  .strict();

export const deviceConfigSchema = z.union([
  serialScannerConfigSchema,
  hidScannerConfigSchema,
  wedgeScannerConfigSchema,
  thermometerConfigSchema,
  printerDeviceConfigSchema,
]);
export type DeviceConfig = z.infer<typeof deviceConfigSchema>;
export type DeviceConfigInput = z.input<typeof deviceConfigSchema>;

/** The `devices` setting: what the station opens, and how. */
export const deviceSettingsSchema = z.object({ mode: deviceModeSchema.default('real'), devices: z.array(deviceConfigSchema).max(32).default([]) });
export type DeviceSettings = z.infer<typeof deviceSettingsSchema>;

export type ThermometerReadingView = { celsius: number; at: string };

export type DeviceView = {
  config: DeviceConfig;
  status: DeviceStatus;
  /** A training device made by the simulator; not stored. */
  simulated: boolean;
  lastReading: ThermometerReadingView | null;
};

export type DevicesView = { mode: DeviceMode; devices: DeviceView[] };

export type SerialPortView = {
  path: string;
  byId: string | null;
  vendorId: string | null;
  productId: string | null;
  manufacturer: string | null;
  serialNumber: string | null;
};

export type HidDeviceView = {
  path: string;
  vendorId: number;
  productId: number;
  manufacturer: string | null;
  product: string | null;
  serialNumber: string | null;
  usagePage: number | null;
  /** Usage page 0x8C: a HID POS bar code scanner. */
  barcodeScanner: boolean;
};

/** The label as printed, as a PNG data URL (the same 1-bit raster the printer gets). */
export type TestPrintView = { previewPng: string; printed: boolean; status: DeviceStatus };

export type DiscoveryView = { serial: SerialPortView[]; hid: HidDeviceView[]; warnings: string[] };

const reasonSchema = z.string().trim().min(1).max(200);

export const deviceArgs = {
  'devices.list': z.object({}).strict(),
  'devices.discover': z.object({}).strict(),
  'devices.save': z.object({ device: deviceConfigSchema }).strict(),
  'devices.remove': z.object({ id }).strict(),
  'devices.setMode': z.object({ mode: deviceModeSchema }).strict(),
  'devices.calibrate': z.object({ id, offsetC: z.number().min(-5).max(5), reason: reasonSchema }).strict(),
  /** Training mode: make a simulated device scan or measure. */
  'devices.simulate': z
    .object({
      id,
      scan: z.string().min(1).max(2048).optional(),
      celsius: z.number().min(20).max(45).optional(),
    })
    .strict()
    .refine((a) => (a.scan === undefined) !== (a.celsius === undefined), 'either scan or celsius'),
  /** A sample tube label on a printer; `dryRun` only renders the preview. */
  'devices.testPrint': z.object({ id, dryRun: z.boolean().default(false) }).strict(),
} as const;

type Args<K extends keyof typeof deviceArgs> = z.infer<(typeof deviceArgs)[K]>;

export type DeviceHandlers = {
  'devices.list': { args: Args<'devices.list'>; value: DevicesView };
  'devices.discover': { args: Args<'devices.discover'>; value: DiscoveryView };
  'devices.save': { args: Args<'devices.save'>; value: DevicesView };
  'devices.remove': { args: Args<'devices.remove'>; value: DevicesView };
  'devices.setMode': { args: Args<'devices.setMode'>; value: DevicesView };
  'devices.calibrate': { args: Args<'devices.calibrate'>; value: DeviceView };
  'devices.simulate': { args: Args<'devices.simulate'>; value: DeviceView };
  'devices.testPrint': { args: Args<'devices.testPrint'>; value: TestPrintView };
};

export type DeviceEvents = {
  'device.status': { id: string; kind: DeviceKind; status: DeviceStatus };
  /** A thermometer's stable reading for one person. */
  'thermometer.reading': { id: string; celsius: number; at: string };
  /** What a scan from a serial or HID scanner did, as if it had been typed at the desk. */
  'scan.outcome': { id: string; source: 'serial' | 'hid'; result: Result<ScanOutcome> };
};

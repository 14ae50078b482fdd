/**
 * Label printers: the one entry point the core and the device manager use.
 *
 * Stable API:
 * - `printerConfigSchema` (zod): `{ language: 'zpl'|'tspl'|'epl'|'escpos', transport: { kind: 'tcp',
 *   host, port=9100 } | { kind: 'serial', path, baudRate=9600 } | { kind: 'usb-device',
 *   path='/dev/usb/lp0' } | { kind: 'os-queue', name }, dpi: 203|300, mode: 'raster'|'native',
 *   darkness 0–30, labelSize?: { widthMm, heightMm }, statusTimeoutMs }`.
 * - `openPrinter(config)` → `Printer` with `print(job)`, `status()`, `close()`. `print` rejects
 *   with a `PrinterError` whose `fault` says why; `status()` never rejects: transport failures
 *   and silence come back as faults (`no-answer` when a status query gets no reply in time).
 * - `PrinterStatus`, `PrinterFault`, `PRINTER_FAULTS` (the renderer has words for each fault).
 * A job is a laid-out label (`layoutLabel` from native/label) or ready-made bytes.
 */
import { z } from 'zod';
import type { LabelPlan } from '../label/layout';
import { encodeLabel, escposStatusQuery, PRINTER_LANGUAGES, TSPL_STATUS_QUERY, ZPL_HOST_QUERY_STATUS, ZPL_HOST_STATUS } from './encoders';
import {
  isEscPosStatusByte,
  parseEscPosStatus,
  parseTsplStatus,
  parseZplHostStatus,
  parseZplHqes,
  statusFrom,
  zplHostStatusComplete,
  zplHqesComplete,
  type PrinterStatus,
} from './status';
import type { SerialPathPolicy } from '../serial/device-path';
import { faultOf, osQueueTransport, PrinterError, serialTransport, tcpTransport, usbDeviceTransport, type PrinterTransport } from './transports';

export const printerTransportSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('tcp'), host: z.string().min(1).max(255), port: z.number().int().min(1).max(65535).default(9100) }).strict(),
  z.object({ kind: z.literal('serial'), path: z.string().min(1).max(255), baudRate: z.number().int().min(1200).max(921600).default(9600) }).strict(),
  z.object({ kind: z.literal('usb-device'), path: z.string().min(1).max(255).default('/dev/usb/lp0') }).strict(),
  z.object({ kind: z.literal('os-queue'), name: z.string().regex(/^[A-Za-z0-9_.@-]{1,127}$/) }).strict(),
]);
export type PrinterTransportConfig = z.infer<typeof printerTransportSchema>;

export const printerConfigSchema = z
  .object({
    language: z.enum(PRINTER_LANGUAGES),
    transport: printerTransportSchema,
    dpi: z.union([z.literal(203), z.literal(300)]).default(203),
    /** raster: the preview's bitmap, dot for dot (default); native: resident fonts and barcodes. */
    mode: z.enum(['raster', 'native']).default('raster'),
    darkness: z.number().int().min(0).max(30).default(15),
    /** The media loaded, when it differs from the template's size. */
    labelSize: z.object({ widthMm: z.number().min(10).max(300), heightMm: z.number().min(10).max(500) }).strict().optional(),
    statusTimeoutMs: z.number().int().min(100).max(30_000).default(1500),
  })
  .strict();
export type PrinterConfig = z.infer<typeof printerConfigSchema>;

export type PrintJob = { label: LabelPlan; copies?: number } | { bytes: Uint8Array };

export type Printer = {
  readonly config: PrinterConfig;
  print(job: PrintJob): Promise<void>;
  status(): Promise<PrinterStatus>;
  close(): Promise<void>;
};

export function transportFor(config: PrinterTransportConfig, pathPolicy: SerialPathPolicy = {}): PrinterTransport {
  switch (config.kind) {
    case 'tcp':
      return tcpTransport(config.host, config.port);
    case 'serial':
      return serialTransport(config.path, config.baudRate, pathPolicy);
    case 'usb-device':
      return usbDeviceTransport(config.path, undefined, pathPolicy);
    case 'os-queue':
      return osQueueTransport(config.name);
  }
}

async function queryStatus(config: PrinterConfig, transport: PrinterTransport): Promise<PrinterStatus> {
  const timeout = config.statusTimeoutMs;
  if (!transport.canRead || config.language === 'epl') return { ...statusFrom([]), state: 'unknown' };
  switch (config.language) {
    case 'zpl': {
      const hs = await transport.query(ZPL_HOST_STATUS, zplHostStatusComplete, timeout);
      const parsed = hs ? parseZplHostStatus(hs.toString('latin1')) : null;
      if (parsed) return statusFrom(parsed.faults, parsed.printing);
      // Newer firmware stays silent to ~HS while paper is out or the head is open; ~HQES answers.
      const hq = await transport.query(ZPL_HOST_QUERY_STATUS, zplHqesComplete, timeout);
      const faults = hq ? parseZplHqes(hq.toString('latin1')) : null;
      return statusFrom(faults ?? ['no-answer']);
    }
    case 'tspl': {
      const reply = await transport.query(TSPL_STATUS_QUERY, (r) => r.length >= 1, timeout);
      if (!reply) return statusFrom(['no-answer']);
      const parsed = parseTsplStatus(reply[0]!);
      return statusFrom(parsed.faults, parsed.printing);
    }
    case 'escpos': {
      const bytes: number[] = [];
      for (const n of [1, 2, 4] as const) {
        const reply = await transport.query(escposStatusQuery(n), (r) => r.length >= 1, timeout);
        if (!reply || !isEscPosStatusByte(reply[0]!)) return statusFrom(['no-answer']);
        bytes.push(reply[0]!);
      }
      return statusFrom(parseEscPosStatus({ printer: bytes[0]!, offline: bytes[1]!, paper: bytes[2]! }));
    }
  }
}

/**
 * Opens a printer. Nothing is sent until the first job or status query. `pathPolicy`: which
 * device paths its serial or USB transport may open (see native/serial/device-path).
 */
export function openPrinter(input: z.input<typeof printerConfigSchema>, transport?: PrinterTransport, pathPolicy?: SerialPathPolicy): Printer {
  const config = printerConfigSchema.parse(input);
  const link = transport ?? transportFor(config.transport, pathPolicy);
  // One job or query at a time: printers serve one connection, and replies must not interleave.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };
  return {
    config,
    print(job) {
      return serial(async () => {
        const bytes = 'bytes' in job ? job.bytes : encodeLabel(config.language, job.label, { mode: config.mode, darkness: config.darkness, copies: job.copies ?? 1 });
        try {
          await link.write(bytes);
        } catch (err) {
          throw err instanceof PrinterError ? err : new PrinterError(faultOf(err), String(err));
        }
      });
    },
    status() {
      return serial(async () => {
        try {
          return await queryStatus(config, link);
        } catch (err) {
          return statusFrom([faultOf(err)]);
        }
      });
    },
    close() {
      return serial(() => link.close());
    },
  };
}

export { encodeLabel, ENCODERS, PRINTER_LANGUAGES } from './encoders';
export type { EncodeMode, EncodeOptions, PrinterLanguage } from './encoders';
export { PRINTER_FAULTS, statusFrom } from './status';
export type { PrinterFault, PrinterStatus } from './status';
export { faultOf, osQueueTransport, PrinterError, serialTransport, tcpTransport, usbDeviceTransport } from './transports';
export type { PrinterTransport } from './transports';

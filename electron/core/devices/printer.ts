import { EventEmitter } from 'node:events';
import type { DeviceStatus } from '../../api/devices';
import { layoutLabel, loadTemplates, pngDataUrl, bitmapToPng, renderLabel, withMargin } from '../../../native/label';
import type { LabelPlan } from '../../../native/label';
import { openPrinter, printerConfigSchema, type Printer, type PrinterConfig, type PrinterStatus } from '../../../native/printer';
import type { SerialPathPolicy } from '../../../native/serial/device-path';
import { createLogger } from '../log';

const log = createLogger('devices');

/** How a printer's own status reads in the device list: faults become `printer.<fault>` reasons. */
export function printerDeviceStatus(s: PrinterStatus): DeviceStatus {
  if (s.state !== 'fault') return { state: 'connected' };
  const fault = s.faults[0] ?? 'printer-error';
  const state = fault === 'disconnected' || fault === 'no-answer' ? 'disconnected' : 'error';
  return { state, reason: `printer.${fault}` };
}

/** Parses a stored printer configuration with the printer driver's own schema. */
export function parsePrinterConfig(input: unknown): PrinterConfig {
  return printerConfigSchema.parse(input);
}

type Events = { status: [DeviceStatus] };

/**
 * A configured label printer kept under watch: its status is asked for every `pollMs` (a
 * printer says nothing by itself) and reported like any other device's.
 */
export class WatchedPrinter extends EventEmitter<Events> {
  readonly printer: Printer;
  private timer: NodeJS.Timeout | null = null;
  private current: DeviceStatus = { state: 'connecting' };
  private polling = false;

  constructor(
    config: PrinterConfig,
    private readonly pollMs = 2000,
    pathPolicy?: SerialPathPolicy,
  ) {
    super();
    this.printer = openPrinter(config, undefined, pathPolicy);
  }

  get status(): DeviceStatus {
    return this.current;
  }

  start(): void {
    this.emit('status', this.current);
    void this.poll();
    this.timer = setInterval(() => void this.poll(), this.pollMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.printer.close().catch(() => undefined);
  }

  /** Asks now (after a print, or when staff press "test"). */
  async poll(): Promise<DeviceStatus> {
    if (this.polling) return this.current;
    this.polling = true;
    try {
      const next = printerDeviceStatus(await this.printer.status());
      if (next.state !== this.current.state || next.reason !== this.current.reason) {
        this.current = next;
        this.emit('status', next);
      }
    } catch (err) {
      log.warn({ err }, 'printer status failed');
    } finally {
      this.polling = false;
    }
    return this.current;
  }
}

/** A sample tube label: the same raster that is printed is what the preview shows. */
export function testLabel(dpi: PrinterConfig['dpi'], data: { code: string; siteName: string; stationName: string; pool: string; date: string }): { plan: LabelPlan; previewPng: string } {
  const template = loadTemplates().get('tube');
  if (!template) throw new Error('tube label template missing');
  const plan = layoutLabel(template, data, dpi);
  return { plan, previewPng: pngDataUrl(bitmapToPng(withMargin(renderLabel(plan), 0))) };
}

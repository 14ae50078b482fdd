import { EventEmitter } from 'node:events';
import { createLogger } from '../../electron/core/log';
import { BARCODE_SCANNER_USAGE_PAGE, HidUnavailableError, type HidBoundary, type HidConnection, type HidDeviceInfo } from '../hid/boundary';
import type { LinkStatus } from '../serial/link';
import type { DecodedScan } from './aim';
import { HidPosAssembler, type HidPosLayout } from './hid-pos';

const log = createLogger('hid-scanner');

/** Which device to use: HID paths change on every re-plug, vendor/product (and serial) do not. */
export type HidScannerMatch = { vendorId: number; productId: number; serialNumber?: string | null };

export type HidScannerOptions = {
  boundary: HidBoundary;
  match: HidScannerMatch;
  layout: HidPosLayout;
  retryMs?: number;
  maxRetryMs?: number;
};

export type HidStatusReason = 'hid.unavailable' | 'hid.missing' | 'hid.busy' | 'hid.lost';

export type HidScannerStatus = { state: LinkStatus['state']; reason?: HidStatusReason; detail?: string };

type Events = { scan: [DecodedScan]; status: [HidScannerStatus] };

export function matchesScanner(d: HidDeviceInfo, m: HidScannerMatch): boolean {
  return d.vendorId === m.vendorId && d.productId === m.productId && (!m.serialNumber || d.serialNumber === m.serialNumber);
}

/** A HID POS scanner: finds its device, assembles scans from reports, reconnects after re-plug. */
export class HidScanner extends EventEmitter<Events> {
  private connection: HidConnection | null = null;
  private readonly assembler: HidPosAssembler;
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;
  private delay: number;
  private current: HidScannerStatus = { state: 'disconnected' };

  constructor(private readonly options: HidScannerOptions) {
    super();
    this.assembler = new HidPosAssembler(options.layout);
    this.delay = options.retryMs ?? 100;
  }

  get status(): HidScannerStatus {
    return this.current;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.setStatus({ state: 'connecting' });
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const c = this.connection;
    this.connection = null;
    if (c) await c.close().catch(() => undefined);
    this.setStatus({ state: 'disconnected' });
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    let connection: HidConnection;
    try {
      const device = (await this.options.boundary.devices())
        .filter((d) => matchesScanner(d, this.options.match))
        // Scanners expose several interfaces; the POS one carries usage page 0x8C.
        .sort((a, b) => Number(b.usagePage === BARCODE_SCANNER_USAGE_PAGE) - Number(a.usagePage === BARCODE_SCANNER_USAGE_PAGE))[0];
      if (!device) {
        this.setStatus({ state: 'disconnected', reason: 'hid.missing' });
        return this.retry();
      }
      connection = await this.options.boundary.open(device.path);
    } catch (err) {
      if (err instanceof HidUnavailableError) this.setStatus({ state: 'error', reason: 'hid.unavailable', detail: err.reason });
      else this.setStatus({ state: 'error', reason: 'hid.busy', detail: err instanceof Error ? err.message.slice(0, 200) : undefined });
      return this.retry();
    }
    if (this.stopped) {
      await connection.close().catch(() => undefined);
      return;
    }
    this.connection = connection;
    this.assembler.reset();
    connection.on('data', (report) => this.onReport(report));
    connection.on('error', (err) => this.onLost(connection, err));
    this.delay = this.options.retryMs ?? 100;
    this.setStatus({ state: 'connected' });
  }

  private onReport(report: Buffer): void {
    const result = this.assembler.push(report);
    if (result.kind === 'scan') this.emit('scan', result.scan);
    else if (result.kind === 'ignored') log.debug({ reason: result.reason }, 'report ignored');
  }

  private onLost(connection: HidConnection, err: Error): void {
    if (this.connection !== connection) return;
    this.connection = null;
    this.assembler.reset();
    void connection.close().catch(() => undefined);
    log.warn({ detail: err.message.slice(0, 120) }, 'hid scanner lost');
    if (this.stopped) return;
    this.setStatus({ state: 'disconnected', reason: 'hid.lost' });
    this.retry();
  }

  private retry(): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.connect();
    }, this.delay);
    this.delay = Math.min(this.delay * 2, this.options.maxRetryMs ?? 500);
  }

  private setStatus(status: HidScannerStatus): void {
    if (status.state === this.current.state && status.reason === this.current.reason) return;
    this.current = status;
    this.emit('status', status);
  }
}

import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import { SerialPort } from 'serialport';
import { createLogger } from '../../electron/core/log';
import { DevicePathError, resolveSerialPort, type SerialPathPolicy } from './device-path';

const log = createLogger('serial');

export type LinkState = 'connecting' | 'connected' | 'disconnected' | 'error';

/** Why a port is not usable, as a code the renderer translates. */
export type LinkReason = 'port.missing' | 'port.busy' | 'port.denied' | 'port.lost' | 'port.error' | 'port.refused';

export type LinkStatus = { state: LinkState; reason?: LinkReason };

export type SerialLinkOptions = {
  path: string;
  baudRate: number;
  /** First retry delay; doubles up to `maxRetryMs`, kept well under the 2 s re-plug promise. */
  retryMs?: number;
  maxRetryMs?: number;
  /** How often an open port checks that its device node is still the one it opened. */
  watchMs?: number;
  /** Which paths may be opened (see device-path): by default only serial ports discovery lists. */
  pathPolicy?: SerialPathPolicy;
};

/** The device number behind a path, or null when the node is gone. */
function deviceNumber(path: string): number | null {
  try {
    return fs.statSync(path).rdev;
  } catch {
    return null;
  }
}

export function classifyPortError(err: unknown): LinkReason {
  const e = err as { code?: string; message?: string } | null;
  const text = `${e?.code ?? ''} ${e?.message ?? ''}`;
  if (/ENOENT|No such file/i.test(text)) return 'port.missing';
  if (/EBUSY|lock|busy/i.test(text)) return 'port.busy';
  if (/EACCES|EPERM|Permission/i.test(text)) return 'port.denied';
  if (/EIO|ENXIO|EBADF|disconnect/i.test(text)) return 'port.lost';
  return 'port.error';
}

const REFUSED_RETRY_MS = 5_000;

type LinkEvents = { data: [Buffer]; status: [LinkStatus] };

/**
 * A serial port that keeps itself open: when the device vanishes (unplugged, pty closed) or is
 * not there yet, it retries with a capped backoff and reports each change of status. It never
 * throws out of its event handlers, so a device can never take the core down.
 */
export class SerialLink extends EventEmitter<LinkEvents> {
  private port: SerialPort | null = null;
  private timer: NodeJS.Timeout | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private delay: number;
  private stopped = true;
  private current: LinkStatus = { state: 'disconnected' };
  private readonly retryMs: number;
  private readonly maxRetryMs: number;

  constructor(private readonly options: SerialLinkOptions) {
    super();
    this.retryMs = options.retryMs ?? 100;
    this.maxRetryMs = options.maxRetryMs ?? 500;
    this.delay = this.retryMs;
  }

  get status(): LinkStatus {
    return this.current;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.setStatus({ state: 'connecting' });
    this.open();
  }

  async write(bytes: Buffer): Promise<void> {
    const port = this.port;
    if (!port?.isOpen) throw new Error('port not open');
    await new Promise<void>((resolve, reject) => port.write(bytes, (err) => (err ? reject(err) : resolve())));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.stopWatch();
    await this.release();
    this.setStatus({ state: 'disconnected' });
  }

  /** Opens the port only once its path is known to be a serial port (never a file). */
  private open(): void {
    if (this.stopped) return;
    resolveSerialPort(this.options.path, this.options.pathPolicy).then(
      (real) => this.openResolved(real),
      (err: unknown) => {
        if (this.stopped) return;
        let reason = err instanceof DevicePathError ? 'port.refused' : classifyPortError(err);
        if (reason === 'port.refused') log.warn({ port: this.options.path, refusal: (err as DevicePathError).reason }, 'serial path refused');
        // A device that was there and vanished stays "unplugged, reconnecting", not "not found".
        if (reason === 'port.missing' && this.current.reason === 'port.lost') reason = 'port.lost';
        this.setStatus({ state: reason === 'port.missing' || reason === 'port.lost' ? 'disconnected' : 'error', reason });
        // A refused path is looked at again now and then (a port udev has not listed yet), not at re-plug speed.
        if (reason === 'port.refused') this.delay = Math.max(this.delay, REFUSED_RETRY_MS);
        this.retry();
      },
    );
  }

  private openResolved(path: string): void {
    if (this.stopped) return;
    const port = new SerialPort({ path, baudRate: this.options.baudRate, autoOpen: false, lock: true });
    this.port = port;
    port.on('data', (chunk: Buffer) => this.emit('data', chunk));
    port.on('error', (err) => this.lost(port, err));
    port.on('close', (err: unknown) => this.lost(port, err ?? new Error('disconnect')));
    port.open((err) => {
      if (this.port !== port) return;
      if (err) {
        this.port = null;
        const reason = classifyPortError(err);
        this.setStatus({ state: reason === 'port.missing' ? 'disconnected' : 'error', reason });
        this.retry();
        return;
      }
      this.delay = this.retryMs;
      this.watch(port);
      this.setStatus({ state: 'connected' });
    });
  }

  /**
   * The read loop does not always see a vanished device (a pty whose other end died can stay
   * silent), so an open port also checks that its device node still exists and is the same one.
   */
  private watch(port: SerialPort): void {
    const opened = deviceNumber(this.options.path);
    this.stopWatch();
    // Windows COM ports have no device node to look at; there the read loop's errors suffice.
    if (opened === null) return;
    this.watchdog = setInterval(() => {
      if (this.port !== port) return this.stopWatch();
      const now = deviceNumber(this.options.path);
      if (now === null || now !== opened) this.lost(port, new Error('ENXIO: device node changed or vanished'));
    }, this.options.watchMs ?? 200);
  }

  private stopWatch(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
  }

  private lost(port: SerialPort, err: unknown): void {
    if (this.port !== port) return;
    this.port = null;
    this.stopWatch();
    if (port.isOpen) port.close(() => undefined);
    if (this.stopped) return;
    this.setStatus({ state: 'disconnected', reason: 'port.lost' });
    log.warn({ port: this.options.path, reason: classifyPortError(err) }, 'serial port lost');
    this.retry();
  }

  private retry(): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.open();
    }, this.delay);
    this.delay = Math.min(this.delay * 2, this.maxRetryMs);
  }

  private async release(): Promise<void> {
    const port = this.port;
    this.port = null;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }

  private setStatus(status: LinkStatus): void {
    if (status.state === this.current.state && status.reason === this.current.reason) return;
    this.current = status;
    this.emit('status', status);
  }
}

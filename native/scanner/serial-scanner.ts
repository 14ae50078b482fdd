import { EventEmitter } from 'node:events';
import { PayloadFramer, type Terminator } from '../serial/framer';
import type { SerialPathPolicy } from '../serial/device-path';
import { SerialLink, type LinkStatus } from '../serial/link';
import { splitAim, type DecodedScan } from './aim';

export type SerialScannerOptions = {
  path: string;
  baudRate: number;
  terminator: Terminator;
  /** With no terminator, a scan ends when the line has been quiet this long. */
  idleMs?: number;
  /** Strip a leading AIM identifier (scanner set to transmit it). */
  aimPrefix?: boolean;
  retryMs?: number;
  maxRetryMs?: number;
  /** Which paths the port may be (see native/serial/device-path); only listed serial ports by default. */
  pathPolicy?: SerialPathPolicy;
};

type Events = { scan: [DecodedScan]; status: [LinkStatus] };

/** A USB CDC (serial) scanner: payloads cut at the terminator, decoded as UTF-8 when whole. */
export class SerialScanner extends EventEmitter<Events> {
  private readonly link: SerialLink;
  private readonly framer: PayloadFramer;
  private idle: NodeJS.Timeout | null = null;
  private readonly decoder = new TextDecoder('utf-8');

  constructor(private readonly options: SerialScannerOptions) {
    super();
    this.framer = new PayloadFramer(options.terminator);
    this.link = new SerialLink({ path: options.path, baudRate: options.baudRate, retryMs: options.retryMs, maxRetryMs: options.maxRetryMs, pathPolicy: options.pathPolicy });
    this.link.on('status', (s) => {
      // A scan cut off by an unplug is incomplete: drop it rather than submit half a code.
      if (s.state !== 'connected') this.framer.flush();
      this.emit('status', s);
    });
    this.link.on('data', (chunk) => this.onData(chunk));
  }

  get status(): LinkStatus {
    return this.link.status;
  }

  start(): void {
    this.link.start();
  }

  async stop(): Promise<void> {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    await this.link.stop();
  }

  private onData(chunk: Buffer): void {
    for (const payload of this.framer.push(chunk)) this.deliver(payload);
    if (this.options.terminator === 'none') {
      if (this.idle) clearTimeout(this.idle);
      this.idle = setTimeout(() => {
        this.idle = null;
        const rest = this.framer.flush();
        if (rest) this.deliver(rest);
      }, this.options.idleMs ?? 50);
    }
  }

  private deliver(payload: Buffer): void {
    const text = this.decoder.decode(payload);
    this.emit('scan', this.options.aimPrefix ? splitAim(text) : { text, aim: null });
  }
}

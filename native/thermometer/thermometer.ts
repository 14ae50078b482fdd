import { EventEmitter } from 'node:events';
import type { SerialPathPolicy } from '../serial/device-path';
import { SerialLink, type LinkStatus } from '../serial/link';
import {
  asciiLineDecoder,
  DEFAULT_MODBUS,
  ir9Decoder,
  modbusDecoder,
  modbusReadRequest,
  type ModbusOptions,
  type ThermometerDecoder,
  type ThermometerProtocol,
} from './codecs';
import { DEFAULT_STABILIZER, ReadingStabilizer, type StabilizerOptions } from './stable';

export type ThermometerOptions = {
  path: string;
  baudRate: number;
  protocol: ThermometerProtocol;
  asciiPattern?: string;
  modbus?: ModbusOptions;
  /** Register modules answer only when asked: how often to ask. */
  pollMs?: number;
  stabilizer?: Partial<StabilizerOptions>;
  retryMs?: number;
  maxRetryMs?: number;
  /** Which paths the port may be (see native/serial/device-path); only listed serial ports by default. */
  pathPolicy?: SerialPathPolicy;
  now?: () => number;
};

export type ThermometerReading = { celsius: number; at: number };

type Events = { reading: [ThermometerReading]; sample: [number]; status: [LinkStatus] };

export function createDecoder(o: Pick<ThermometerOptions, 'protocol' | 'asciiPattern' | 'modbus'>): ThermometerDecoder {
  if (o.protocol === 'ascii') return asciiLineDecoder(o.asciiPattern);
  if (o.protocol === 'ir9') return ir9Decoder();
  return modbusDecoder(o.modbus ?? DEFAULT_MODBUS);
}

/** A serial thermometer: frames decoded, values stabilised into one reading per person. */
export class Thermometer extends EventEmitter<Events> {
  private readonly link: SerialLink;
  private decoder: ThermometerDecoder;
  private readonly stabilizer: ReadingStabilizer;
  private poll: NodeJS.Timeout | null = null;
  private readonly now: () => number;

  constructor(private readonly options: ThermometerOptions) {
    super();
    this.now = options.now ?? Date.now;
    this.decoder = createDecoder(options);
    this.stabilizer = new ReadingStabilizer({ ...DEFAULT_STABILIZER, ...options.stabilizer });
    this.link = new SerialLink({ path: options.path, baudRate: options.baudRate, retryMs: options.retryMs, maxRetryMs: options.maxRetryMs, pathPolicy: options.pathPolicy });
    this.link.on('status', (s) => {
      // Bytes from before an unplug never join bytes after it.
      if (s.state !== 'connected') this.decoder = createDecoder(this.options);
      this.emit('status', s);
    });
    this.link.on('data', (chunk) => this.onData(chunk));
  }

  get status(): LinkStatus {
    return this.link.status;
  }

  setOffset(offsetC: number): void {
    this.stabilizer.setOffset(offsetC);
  }

  start(): void {
    this.link.start();
    if (this.options.protocol === 'modbus') {
      const request = modbusReadRequest(this.options.modbus ?? DEFAULT_MODBUS);
      this.poll = setInterval(() => {
        if (this.link.status.state === 'connected') this.link.write(request).catch(() => undefined);
      }, this.options.pollMs ?? 200);
    }
  }

  async stop(): Promise<void> {
    if (this.poll) clearInterval(this.poll);
    this.poll = null;
    await this.link.stop();
  }

  private onData(chunk: Buffer): void {
    for (const value of this.decoder.push(chunk)) {
      this.emit('sample', value);
      const at = this.now();
      const celsius = this.stabilizer.push(value, at);
      if (celsius !== null) this.emit('reading', { celsius, at });
    }
  }
}

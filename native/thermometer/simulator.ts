import type { SerialPort } from 'serialport';
import { openPeer, writeAll } from '../scanner/simulator';
import { DEFAULT_MODBUS, encodeIr9, encodeModbusReply, parseModbusRequest, type ModbusOptions, type ThermometerProtocol } from './codecs';

/**
 * A thermometer on the far end of a pty pair. Stream protocols (ASCII, IR frame) send a burst of
 * frames per `measure`; the register module answers each poll with the value it currently sees
 * (the ambient temperature when nobody stands in front of it).
 */
export class ThermometerSimulator {
  private current: number;
  private pending: Buffer = Buffer.alloc(0);

  private constructor(
    private readonly port: SerialPort,
    private readonly protocol: ThermometerProtocol,
    private readonly modbus: ModbusOptions,
    private readonly ambientC: number,
  ) {
    this.current = ambientC;
    if (protocol === 'modbus') port.on('data', (chunk: Buffer) => this.answer(chunk));
  }

  static async open(peerPath: string, protocol: ThermometerProtocol, modbus: ModbusOptions = DEFAULT_MODBUS, ambientC = 24.5): Promise<ThermometerSimulator> {
    return new ThermometerSimulator(await openPeer(peerPath), protocol, modbus, ambientC);
  }

  /** Bytes a stream thermometer sends for one value. */
  frame(celsius: number): Buffer {
    if (this.protocol === 'ascii') return Buffer.from(`T=${celsius.toFixed(1)}C\r\n`, 'latin1');
    if (this.protocol === 'ir9') return encodeIr9(celsius, this.ambientC);
    return encodeModbusReply(this.modbus, celsius);
  }

  /** A person steps up: `samples` values around `celsius`, then they leave. */
  async measure(celsius: number, samples = 5, intervalMs = 20): Promise<void> {
    // A register module is only polled every few hundred ms: hold each value long enough to be seen.
    const hold = this.protocol === 'modbus' ? Math.max(intervalMs, 250) : intervalMs;
    for (let i = 0; i < samples; i++) {
      const value = celsius + (i % 2 === 0 ? 0 : 0.05);
      if (this.protocol === 'modbus') this.current = value;
      else await this.raw(this.frame(value));
      await new Promise((r) => setTimeout(r, hold));
    }
    this.current = this.ambientC;
  }

  /** Writes bytes as they are (garbage, split frames, bad checksums). */
  raw(bytes: Buffer): Promise<void> {
    return writeAll(this.port, bytes);
  }

  async close(): Promise<void> {
    if (this.port.isOpen) await new Promise<void>((resolve) => this.port.close(() => resolve()));
  }

  private answer(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 8) {
      if (parseModbusRequest(this.pending.subarray(0, 8), this.modbus)) {
        this.pending = this.pending.subarray(8);
        writeAll(this.port, encodeModbusReply(this.modbus, this.current)).catch(() => undefined);
      } else this.pending = this.pending.subarray(1);
    }
  }
}

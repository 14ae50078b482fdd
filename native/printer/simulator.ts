import { EventEmitter } from 'node:events';
import net from 'node:net';
import type { Bitmap } from '../label/bitmap';
import { bitmapToPng } from '../label/png';
import { createLogger } from '../../electron/core/log';
import { renderJobBytes } from './raster-decode';

const log = createLogger('printer-simulator');

export type SimulatedFault = 'paper-out' | 'head-open' | 'paused' | 'offline';

export type SimulatorOptions = {
  /** 0 picks a free port (tests); training mode may use 9100 if it is free. */
  port?: number;
  faults?: SimulatedFault[];
  /** Answers no status query at all: the printer that is on but wedged. */
  silent?: boolean;
  /** Like current Zebra firmware: no ~HS reply while paper is out or the head is open (~HQES still answers). */
  hostStatusSilentOnError?: boolean;
};

export type SimulatedJob = { bytes: Buffer; receivedAt: Date };

const STX = '\x02';
const ETX = '\x03';

/**
 * A TCP 9100 label printer on 127.0.0.1, for tests and training mode: keeps every job,
 * answers ZPL ~HS / ~HQES, TSPL <ESC>!? and ESC/POS DLE EOT queries with the configured
 * faults, and renders jobs to PNG (ZPL; the raster graphics of TSPL, EPL and ESC/POS) so what
 * was "printed" can be looked at and decoded.
 */
export class PrinterSimulator extends EventEmitter<{ job: [SimulatedJob] }> {
  readonly jobs: SimulatedJob[] = [];
  faults = new Set<SimulatedFault>();
  silent: boolean;
  hostStatusSilentOnError: boolean;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    options: SimulatorOptions,
  ) {
    super();
    this.silent = options.silent ?? false;
    this.hostStatusSilentOnError = options.hostStatusSilentOnError ?? false;
    for (const f of options.faults ?? []) this.faults.add(f);
  }

  static async start(options: SimulatorOptions = {}): Promise<PrinterSimulator> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('simulator has no TCP address');
    const sim = new PrinterSimulator(server, address.port, options);
    server.on('connection', (socket) => sim.serve(socket));
    log.info({ port: sim.port }, 'printer simulator listening');
    return sim;
  }

  private serve(socket: net.Socket): void {
    this.sockets.add(socket);
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      // A status query is a connection's whole content so far; anything else is job data.
      const answer = this.answer(buffer);
      if (answer !== undefined) {
        buffer = Buffer.alloc(0);
        if (answer !== null) socket.write(answer);
      }
    });
    socket.on('end', () => {
      if (buffer.length > 0) {
        const job = { bytes: buffer, receivedAt: new Date() };
        this.jobs.push(job);
        this.emit('job', job);
      }
      socket.end();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => this.sockets.delete(socket));
  }

  /** The reply to a status query; null for a query left unanswered, undefined for job data. */
  private answer(query: Buffer): Buffer | null | undefined {
    const text = query.toString('latin1').trim();
    const has = (f: SimulatedFault) => this.faults.has(f);
    const bit = (on: boolean, value: number) => (on ? value : 0);
    if (text === '~HS') {
      if (this.silent || (this.hostStatusSilentOnError && (has('paper-out') || has('head-open')))) return null;
      const one = `030,${bit(has('paper-out'), 1)},${bit(has('paused'), 1)},0200,000,0,0,0,000,0,0,0`;
      const two = `001,0,${bit(has('head-open'), 1)},0,0,2,6,0,00000000,1,000`;
      return Buffer.from(`${STX}${one}${ETX}\r\n${STX}${two}${ETX}\r\n${STX}1234,0${ETX}\r\n`, 'latin1');
    }
    if (text === '~HQES') {
      if (this.silent) return null;
      const flags = bit(has('paper-out'), 0x1) | bit(has('head-open'), 0x4);
      const errors = `${flags ? 1 : 0} 00000000 ${flags.toString(16).padStart(8, '0')}`;
      return Buffer.from(`${STX}\r\n\r\n  PRINTER STATUS\r\n   ERRORS:         ${errors}\r\n   WARNINGS:       0 00000000 00000000\r\n${ETX}\r\n`, 'latin1');
    }
    if (query.length === 3 && query[0] === 0x1b && query[1] === 0x21 && query[2] === 0x3f) {
      if (this.silent) return null;
      return Buffer.from([bit(has('head-open'), 0x01) | bit(has('paper-out'), 0x04) | bit(has('paused'), 0x10)]);
    }
    if (query.length === 3 && query[0] === 0x10 && query[1] === 0x04 && query[2]! >= 1 && query[2]! <= 4) {
      if (this.silent) return null;
      const n = query[2];
      const value = n === 1 ? bit(has('offline'), 0x08) : n === 2 ? bit(has('head-open'), 0x04) | bit(has('paper-out'), 0x20) : n === 4 ? bit(has('paper-out'), 0x60) : 0;
      return Buffer.from([0x12 | value]);
    }
    return undefined;
  }

  /** Resolves when at least `count` jobs have arrived (tests should pass their own timeout). */
  waitForJobs(count: number, timeoutMs = 5000): Promise<SimulatedJob[]> {
    if (this.jobs.length >= count) return Promise.resolve(this.jobs.slice());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('job', check);
        reject(new Error(`simulator got ${this.jobs.length} of ${count} jobs`));
      }, timeoutMs);
      const check = () => {
        if (this.jobs.length < count) return;
        clearTimeout(timer);
        this.off('job', check);
        resolve(this.jobs.slice());
      };
      this.on('job', check);
    });
  }

  /** The labels of a job as bitmaps: ZPL rendered, TSPL/EPL/ESC-POS raster graphics decoded. */
  static renderJob(job: SimulatedJob): Bitmap[] {
    return renderJobBytes(job.bytes);
  }

  static renderJobPng(job: SimulatedJob): Buffer[] {
    return PrinterSimulator.renderJob(job).map(bitmapToPng);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

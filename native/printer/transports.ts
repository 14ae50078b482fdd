import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { SerialPort } from 'serialport';
import { DevicePathError, resolveSerialPort, resolveUsbPrinter, type SerialPathPolicy } from '../serial/device-path';
import type { PrinterFault } from './status';

/** A failed print or status query, with the fault staff are shown. */
export class PrinterError extends Error {
  constructor(
    readonly fault: PrinterFault,
    message: string,
  ) {
    super(message);
  }
}

/** Maps OS errors (sockets, device files, serial ports, spawn) to what staff can act on. */
export function faultOf(err: unknown): PrinterFault {
  if (err instanceof PrinterError) return err.fault;
  if (err instanceof DevicePathError) return 'not-a-printer';
  const code = (err as { code?: string } | null)?.code ?? '';
  const message = (err as { message?: string } | null)?.message ?? '';
  if (/^(ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|EHOSTDOWN|ENOENT|ENODEV|ENXIO|EIO|ECONNRESET|EPIPE|EBADF)$/.test(code)) return 'disconnected';
  if (/^(EACCES|EPERM)$/.test(code) || /Permission denied/i.test(message)) return 'permission-denied';
  if (code === 'EBUSY' || /Resource busy|Cannot lock/i.test(message)) return 'busy';
  if (code === 'ETIMEDOUT') return 'no-answer';
  if (/No such file|ENOENT/i.test(message)) return 'disconnected';
  return 'transport-error';
}

function wrap(err: unknown): PrinterError {
  if (err instanceof PrinterError) return err;
  const e = err as { code?: string; message?: string } | null;
  return new PrinterError(faultOf(err), `${e?.code ?? ''} ${e?.message ?? String(err)}`.trim());
}

/**
 * How job bytes reach a printer. `query` sends a status request and collects the reply until
 * `complete` accepts it; it resolves null when nothing complete arrived within `timeoutMs`.
 */
export type PrinterTransport = {
  readonly kind: 'tcp' | 'serial' | 'usb-device' | 'os-queue';
  /** False when replies cannot come back this way (the OS print queue). */
  readonly canRead: boolean;
  write(bytes: Uint8Array): Promise<void>;
  query(bytes: Uint8Array, complete: (reply: Buffer) => boolean, timeoutMs: number): Promise<Buffer | null>;
  close(): Promise<void>;
};

/**
 * Raw TCP (port 9100, "JetDirect"): one connection per job or query, closed after it, because
 * most printers serve one connection at a time and drop idle ones.
 */
export function tcpTransport(host: string, port: number, connectTimeoutMs = 3000, idleTimeoutMs = 15_000): PrinterTransport {
  const connect = () =>
    new Promise<net.Socket>((resolve, reject) => {
      const socket = net.createConnection({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new PrinterError('no-answer', `no connection to ${host}:${port} within ${connectTimeoutMs} ms`));
      }, connectTimeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(socket);
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(wrap(err));
      });
    });
  return {
    kind: 'tcp',
    canRead: true,
    async write(bytes) {
      const socket = await connect();
      await new Promise<void>((resolve, reject) => {
        // A printer that stops reading (paper out, paused with a full buffer) must not hang the job.
        socket.setTimeout(idleTimeoutMs, () => {
          socket.destroy();
          reject(new PrinterError('no-answer', `printer stopped reading for ${idleTimeoutMs} ms`));
        });
        socket.once('error', (err) => reject(wrap(err)));
        socket.end(bytes, () => {
          socket.setTimeout(0);
          resolve();
        });
      });
      // The printer closes its side when it has read everything; do not wait on it forever.
      const closer = setTimeout(() => socket.destroy(), 2000);
      socket.once('close', () => clearTimeout(closer));
      socket.resume();
    },
    async query(bytes, complete, timeoutMs) {
      const socket = await connect();
      return new Promise<Buffer | null>((resolve) => {
        let reply = Buffer.alloc(0);
        const finish = (value: Buffer | null) => {
          clearTimeout(timer);
          socket.destroy();
          resolve(value);
        };
        const timer = setTimeout(() => finish(null), timeoutMs);
        socket.on('data', (chunk: Buffer) => {
          reply = Buffer.concat([reply, chunk]);
          if (complete(reply)) finish(reply);
        });
        socket.on('error', () => finish(null));
        socket.on('close', () => finish(complete(reply) ? reply : null));
        socket.write(bytes);
      });
    },
    async close() {},
  };
}

/**
 * A serial (or USB CDC) printer through the serialport library; opened on first use, and only
 * when its path is a serial port discovery lists (see device-path).
 */
export function serialTransport(path: string, baudRate: number, pathPolicy: SerialPathPolicy = {}): PrinterTransport {
  let port: SerialPort | null = null;
  const open = async (): Promise<SerialPort> => {
    if (port?.isOpen) return port;
    let real: string;
    try {
      real = await resolveSerialPort(path, pathPolicy);
    } catch (err) {
      throw wrap(err);
    }
    const p = new SerialPort({ path: real, baudRate, autoOpen: false });
    await new Promise<void>((resolve, reject) => p.open((err) => (err ? reject(wrap(err)) : resolve())));
    p.on('error', () => {
      port = null;
    });
    p.on('close', () => {
      if (port === p) port = null;
    });
    port = p;
    return p;
  };
  const send = (p: SerialPort, bytes: Uint8Array) =>
    new Promise<void>((resolve, reject) => {
      p.write(Buffer.from(bytes), (err) => {
        if (err) return reject(wrap(err));
        p.drain((e) => (e ? reject(wrap(e)) : resolve()));
      });
    });
  return {
    kind: 'serial',
    canRead: true,
    async write(bytes) {
      await send(await open(), bytes);
    },
    async query(bytes, complete, timeoutMs) {
      const p = await open();
      let reply = Buffer.alloc(0);
      let done: (value: Buffer | null) => void = () => {};
      const answered = new Promise<Buffer | null>((resolve) => (done = resolve));
      const onData = (chunk: Buffer) => {
        reply = Buffer.concat([reply, chunk]);
        if (complete(reply)) done(reply);
      };
      p.on('data', onData);
      const timer = setTimeout(() => done(null), timeoutMs);
      try {
        await send(p, bytes);
        return await answered;
      } finally {
        clearTimeout(timer);
        p.off('data', onData);
      }
    },
    async close() {
      const p = port;
      port = null;
      if (p?.isOpen) await new Promise<void>((resolve) => p.close(() => resolve()));
    },
  };
}

/**
 * The Linux USB printer class device (`/dev/usb/lp0`): opened per job, never created (a typo'd
 * path must not become a regular file), and only when it is a /dev/usb/lp<N> character device:
 * the path is resolved and checked, then the opened handle is checked again before a byte is
 * written, so no link or file swapped in between is ever written to. `pathPolicy` lets the test
 * harness stand a pseudo-terminal in for the printer. Replies are read non-blocking and polled,
 * so a printer that never answers cannot park a thread of the libuv pool in read().
 */
export function usbDeviceTransport(path: string, stallTimeoutMs = 15_000, pathPolicy: SerialPathPolicy = {}): PrinterTransport {
  const devicePath = async (): Promise<string> => {
    if (pathPolicy.pseudoTerminals) {
      const real = await fs.promises.realpath(path);
      if (/^\/dev\/pts\/\d+$/.test(real)) return real;
    }
    return resolveUsbPrinter(path);
  };
  const openDevice = async (flags: number): Promise<fs.promises.FileHandle> => {
    const real = await devicePath();
    const handle = await fs.promises.open(real, flags | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY | fs.constants.O_NOFOLLOW);
    if (!(await handle.stat()).isCharacterDevice()) {
      await handle.close();
      throw new DevicePathError('notADevice', path);
    }
    return handle;
  };
  // Non-blocking writes too: usblp blocks write() while the printer takes no data (paper out).
  const writeAll = async (handle: fs.promises.FileHandle, bytes: Uint8Array) => {
    let offset = 0;
    let lastProgress = Date.now();
    while (offset < bytes.length) {
      try {
        const { bytesWritten } = await handle.write(bytes, offset, bytes.length - offset);
        offset += bytesWritten;
        if (bytesWritten > 0) lastProgress = Date.now();
      } catch (err) {
        if ((err as { code?: string }).code !== 'EAGAIN') throw err;
        if (Date.now() - lastProgress > stallTimeoutMs) throw new PrinterError('no-answer', `printer took no data for ${stallTimeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  };
  return {
    kind: 'usb-device',
    canRead: true,
    async write(bytes) {
      let handle: fs.promises.FileHandle | null = null;
      try {
        handle = await openDevice(fs.constants.O_WRONLY);
        await writeAll(handle, bytes);
      } catch (err) {
        throw wrap(err);
      } finally {
        await handle?.close().catch(() => undefined);
      }
    },
    async query(bytes, complete, timeoutMs) {
      let handle: fs.promises.FileHandle | null = null;
      try {
        handle = await openDevice(fs.constants.O_RDWR);
        await writeAll(handle, bytes);
        const deadline = Date.now() + timeoutMs;
        let reply = Buffer.alloc(0);
        const chunk = Buffer.alloc(1024);
        while (Date.now() < deadline) {
          try {
            const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
            if (bytesRead > 0) reply = Buffer.concat([reply, chunk.subarray(0, bytesRead)]);
            if (complete(reply)) return reply;
            if (bytesRead > 0) continue;
          } catch (err) {
            if ((err as { code?: string }).code !== 'EAGAIN') throw err;
          }
          await new Promise((r) => setTimeout(r, 20));
        }
        return null;
      } catch (err) {
        throw wrap(err);
      } finally {
        await handle?.close().catch(() => undefined);
      }
    },
    async close() {},
  };
}

/**
 * The OS print queue in raw mode: CUPS `lp -d QUEUE -o raw` with the job on stdin, so the
 * driver passes our bytes through untouched. A queue gives no status replies (`canRead` false).
 *
 * Windows (designed, not runnable on the Linux build machines): the same bytes go to the
 * spooler with the RAW datatype: OpenPrinter(name) → StartDocPrinter(DOC_INFO_1 { pDatatype:
 * "RAW" }) → StartPagePrinter → WritePrinter(bytes) → EndPagePrinter → EndDocPrinter →
 * ClosePrinter, from a small native helper (winspool.drv) or PowerShell's .NET P/Invoke of
 * those calls; `Out-Printer` is not an option because it renders text through the driver.
 * Job state comes back from GetJob/EnumJobs (JOB_STATUS_PAPEROUT, _OFFLINE, _ERROR).
 */
export function osQueueTransport(queue: string, command = 'lp'): PrinterTransport {
  return {
    kind: 'os-queue',
    canRead: false,
    write(bytes) {
      return new Promise<void>((resolve, reject) => {
        const child = spawn(command, ['-d', queue, '-o', 'raw'], { stdio: ['pipe', 'ignore', 'pipe'] });
        let stderr = '';
        child.stderr.setEncoding('utf8');
        child.stderr.on('data', (text: string) => {
          stderr = (stderr + text).slice(-500);
        });
        child.on('error', (err) => reject(new PrinterError('transport-error', `${command}: ${err.message}`)));
        child.on('close', (code) => {
          if (code === 0) return resolve();
          const fault: PrinterFault = /does not exist|unknown destination|not found/i.test(stderr) ? 'disconnected' : 'transport-error';
          reject(new PrinterError(fault, `${command} exited with ${code}: ${stderr.trim()}`));
        });
        child.stdin.on('error', () => undefined);
        child.stdin.end(Buffer.from(bytes));
      });
    },
    async query() {
      return null;
    },
    async close() {},
  };
}

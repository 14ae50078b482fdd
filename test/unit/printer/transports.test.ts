import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { osQueueTransport, PrinterError, serialTransport, tcpTransport, usbDeviceTransport } from '../../../native/printer/transports';
import { ptyFixture, type PtyFixture } from '../../helpers/pty';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'station-printer-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A TCP listener that records what each connection sent and answers with `reply(bytes)`. */
async function listener(reply: (received: Buffer) => Buffer | null): Promise<{ port: number; received: Buffer[] }> {
  const received: Buffer[] = [];
  const server = net.createServer((socket) => {
    let data = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const answer = reply(data);
      if (answer) socket.write(answer);
    });
    socket.on('end', () => {
      received.push(data);
      socket.end();
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as net.AddressInfo).port, received };
}

async function rejection(promise: Promise<unknown>): Promise<PrinterError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof PrinterError) return err;
    throw err;
  }
  throw new Error('expected a PrinterError');
}

describe('raw TCP 9100', () => {
  it('delivers a job byte for byte, one connection per job', async () => {
    const server = await listener(() => null);
    const t = tcpTransport('127.0.0.1', server.port);
    const job = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i & 0xff));
    await t.write(job);
    await t.write(Buffer.from('second'));
    await expect.poll(() => server.received.length).toBe(2);
    expect(server.received[0]!.equals(job)).toBe(true);
    expect(server.received[1]!.toString()).toBe('second');
  });

  it('collects a reply until it is complete, and gives null when none comes in time', async () => {
    const server = await listener((q) => (q.toString() === 'Q?' ? Buffer.from('AB') : null));
    const t = tcpTransport('127.0.0.1', server.port);
    expect((await t.query(Buffer.from('Q?'), (r) => r.length >= 2, 1000))?.toString()).toBe('AB');
    expect(await t.query(Buffer.from('silence'), (r) => r.length >= 1, 200)).toBeNull();
  });

  it('a printer that stops reading fails the job with "no-answer" instead of hanging', async () => {
    const server = net.createServer((socket) => socket.pause());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const sockets: net.Socket[] = [];
    server.on('connection', (s) => sockets.push(s));
    cleanups.push(() => sockets.forEach((s) => s.destroy()));
    const t = tcpTransport('127.0.0.1', (server.address() as net.AddressInfo).port, 1000, 300);
    expect((await rejection(t.write(Buffer.alloc(64 * 1024 * 1024)))).fault).toBe('no-answer');
  });

  it('a refused connection is "disconnected"', async () => {
    const server = await listener(() => null);
    const port = server.port;
    while (cleanups.length) await cleanups.pop()!();
    expect((await rejection(tcpTransport('127.0.0.1', port).write(Buffer.from('x')))).fault).toBe('disconnected');
  });
});

describe('serial (socat pty)', () => {
  let pty: PtyFixture;
  it('writes the job and reads a status reply through the real serialport library', async () => {
    pty = await ptyFixture();
    cleanups.push(() => pty.close());
    const printer = new SerialPort({ path: pty.peerPath, baudRate: 9600 });
    await new Promise<void>((resolve, reject) => printer.once('open', resolve).once('error', reject));
    cleanups.push(() => new Promise<void>((resolve) => (printer.isOpen ? printer.close(() => resolve()) : resolve())));
    let seen = Buffer.alloc(0);
    printer.on('data', (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      if (seen.subarray(-3).equals(Buffer.from([0x1b, 0x21, 0x3f]))) printer.write(Buffer.from([0x04]));
    });
    const t = serialTransport(pty.devicePath, 9600, { pseudoTerminals: true });
    cleanups.push(() => t.close());
    await t.write(Buffer.from('SIZE 50 mm,25 mm\r\nPRINT 1,1\r\n'));
    await expect.poll(() => seen.toString('latin1')).toContain('PRINT 1,1');
    const reply = await t.query(Buffer.from([0x1b, 0x21, 0x3f]), (r) => r.length >= 1, 2000);
    expect(reply?.[0]).toBe(0x04);
    expect(await t.query(Buffer.from('nothing'), (r) => r.length >= 1, 200)).toBeNull();
  });

  it('a missing port is "disconnected"', async () => {
    const t = serialTransport(path.join(tempDir(), 'no-such-tty'), 9600);
    expect((await rejection(t.write(Buffer.from('x')))).fault).toBe('disconnected');
  });
});

describe('USB printer device file', () => {
  it('writes to the device (a pty stands in for /dev/usb/lp0) and never creates a missing one', async () => {
    const pty = await ptyFixture();
    cleanups.push(() => pty.close());
    const printer = new SerialPort({ path: pty.peerPath, baudRate: 9600 });
    await new Promise<void>((resolve, reject) => printer.once('open', resolve).once('error', reject));
    cleanups.push(() => new Promise<void>((resolve) => (printer.isOpen ? printer.close(() => resolve()) : resolve())));
    let seen = '';
    printer.on('data', (chunk: Buffer) => (seen += chunk.toString('latin1')));
    await usbDeviceTransport(pty.devicePath, undefined, { pseudoTerminals: true }).write(Buffer.from('^XA^XZ'));
    await expect.poll(() => seen).toBe('^XA^XZ');
    const missing = path.join(tempDir(), 'lp1');
    expect((await rejection(usbDeviceTransport(missing, undefined, { pseudoTerminals: true }).write(Buffer.from('x')))).fault).toBe('disconnected');
    expect(fs.existsSync(missing)).toBe(false);
  });

  it('refuses a regular file, a link to one, and a pty outside tests as "not-a-printer", and leaves the file untouched', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'important.txt');
    fs.writeFileSync(file, 'keep me');
    const before = fs.statSync(file);
    const link = path.join(dir, 'lp0');
    fs.symlinkSync(file, link);
    const pty = await ptyFixture();
    cleanups.push(() => pty.close());
    for (const target of [file, link]) {
      // Not even the test harness' allowance lets a file through.
      for (const policy of [{}, { pseudoTerminals: true }]) {
        const t = usbDeviceTransport(target, undefined, policy);
        expect((await rejection(t.write(Buffer.from('^XA^FDoverwritten^FS^XZ')))).fault).toBe('not-a-printer');
        expect((await rejection(t.query(Buffer.from('~HS'), () => true, 100))).fault).toBe('not-a-printer');
        expect((await rejection(serialTransport(target, 9600, policy).write(Buffer.from('x')))).fault).toBe('not-a-printer');
      }
    }
    expect((await rejection(usbDeviceTransport(pty.devicePath).write(Buffer.from('x')))).fault).toBe('not-a-printer');
    expect((await rejection(serialTransport(pty.devicePath, 9600).write(Buffer.from('x')))).fault).toBe('not-a-printer');
    expect(fs.readFileSync(file, 'utf8')).toBe('keep me');
    expect(fs.statSync(file).mtimeMs).toBe(before.mtimeMs);
    // Another character device is not a printer either.
    expect((await rejection(usbDeviceTransport('/dev/null').write(Buffer.from('x')))).fault).toBe('not-a-printer');
  });

  it('a device that takes no more data fails the job with "no-answer" instead of blocking a thread', async () => {
    const pty = await ptyFixture();
    cleanups.push(() => pty.close());
    // Nobody reads the far end: the pty and socat's buffers fill, then writes would block.
    const t = usbDeviceTransport(pty.devicePath, 300, { pseudoTerminals: true });
    expect((await rejection(t.write(Buffer.alloc(8 * 1024 * 1024, 0x41)))).fault).toBe('no-answer');
  });

  it('refuses a directory rather than report success', async () => {
    expect((await rejection(usbDeviceTransport(tempDir()).write(Buffer.from('x')))).fault).toBe('not-a-printer');
  });

  it('reads a status reply non-blocking (a pty stands in for /dev/usb/lp0), null on silence', async () => {
    const pty = await ptyFixture();
    cleanups.push(() => pty.close());
    const printer = new SerialPort({ path: pty.peerPath, baudRate: 9600 });
    await new Promise<void>((resolve, reject) => printer.once('open', resolve).once('error', reject));
    cleanups.push(() => new Promise<void>((resolve) => (printer.isOpen ? printer.close(() => resolve()) : resolve())));
    printer.on('data', (chunk: Buffer) => {
      if (chunk.includes(0x04)) printer.write(Buffer.from([0x12]));
    });
    const t = usbDeviceTransport(pty.devicePath, undefined, { pseudoTerminals: true });
    expect((await t.query(Buffer.from([0x10, 0x04, 0x01]), (r) => r.length >= 1, 2000))?.[0]).toBe(0x12);
    expect(await t.query(Buffer.from('x'), (r) => r.length >= 1, 200)).toBeNull();
  });
});

describe('OS print queue (lp -o raw)', () => {
  function fakeLp(dir: string, script: string): string {
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, 'lp'), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
    const original = process.env.PATH;
    process.env.PATH = `${bin}:${original}`;
    cleanups.push(() => {
      process.env.PATH = original;
    });
    return bin;
  }

  it('runs lp -d QUEUE -o raw with the job on stdin', async () => {
    const dir = tempDir();
    fakeLp(dir, `echo "$@" > "${dir}/args"; cat > "${dir}/job"; echo "request id is Q-1 (1 file(s))"`);
    const job = Buffer.from([0x1b, 0x40, 0x1d, 0x76, 0x30, 0x00, 0xff, 0x00]);
    await osQueueTransport('Label_Printer').write(job);
    expect(fs.readFileSync(path.join(dir, 'args'), 'utf8').trim()).toBe('-d Label_Printer -o raw');
    expect(fs.readFileSync(path.join(dir, 'job')).equals(job)).toBe(true);
  });

  it('an unknown queue is "disconnected"; other lp failures are transport errors', async () => {
    const dir = tempDir();
    fakeLp(dir, 'cat > /dev/null; if [ "$2" = "gone" ]; then echo "lp: The printer or class does not exist." >&2; exit 1; fi; echo "lp: Error - scheduler not responding" >&2; exit 1');
    expect((await rejection(osQueueTransport('gone').write(Buffer.from('x')))).fault).toBe('disconnected');
    expect((await rejection(osQueueTransport('other').write(Buffer.from('x')))).fault).toBe('transport-error');
  });

  it('a queue has no status channel', async () => {
    const t = osQueueTransport('q');
    expect(t.canRead).toBe(false);
    expect(await t.query(Buffer.from('~HS'), () => true, 100)).toBeNull();
  });
});

import { EventEmitter } from 'node:events';
import type { HidBoundary, HidConnection, HidDeviceInfo } from './boundary';

type FakeConnection = HidConnection & { emitter: EventEmitter; path: string; open: boolean };

/**
 * A fake node-hid: devices are attached and detached by hand and reports are fed as raw bytes.
 * Used by the tests and by the simulated (training) HID scanner.
 */
export class FakeHid implements HidBoundary {
  private readonly attached = new Map<string, HidDeviceInfo>();
  private readonly connections = new Set<FakeConnection>();
  private busy = new Set<string>();

  attach(info: HidDeviceInfo): void {
    this.attached.set(info.path, info);
  }

  /** Unplugs: open connections get the error node-hid gives when a device goes away. */
  detach(path: string): void {
    this.attached.delete(path);
    for (const c of this.connections) {
      if (c.path !== path || !c.open) continue;
      c.open = false;
      this.connections.delete(c);
      c.emitter.emit('error', new Error('could not read from HID device'));
    }
  }

  /** Makes `open` fail as it does when another program holds the device. */
  setBusy(path: string, busy: boolean): void {
    if (busy) this.busy.add(path);
    else this.busy.delete(path);
  }

  feed(path: string, report: Buffer): void {
    for (const c of this.connections) if (c.path === path && c.open) c.emitter.emit('data', report);
  }

  openCount(path: string): number {
    return [...this.connections].filter((c) => c.path === path && c.open).length;
  }

  async devices(): Promise<HidDeviceInfo[]> {
    return [...this.attached.values()];
  }

  async open(path: string): Promise<HidConnection> {
    if (!this.attached.has(path)) throw new Error(`cannot open device with path ${path}`);
    if (this.busy.has(path)) throw new Error('cannot open device: Device or resource busy');
    const emitter = new EventEmitter();
    const connection: FakeConnection = {
      emitter,
      path,
      open: true,
      on: (event: string, listener: (arg: Buffer & Error) => void) => emitter.on(event, listener),
      close: async () => {
        connection.open = false;
        this.connections.delete(connection);
      },
    } as FakeConnection;
    this.connections.add(connection);
    return connection;
  }
}

/**
 * A stand-in for the `electron` module (there is no Electron binary on the build machines):
 * just the members the host uses, recording what it is asked to do and letting tests play
 * the parts Electron plays (app ready, navigation attempts, IPC calls, a utility process).
 * Use with `vi.mock('electron', () => import('./fake-electron.js'))`.
 */
import { EventEmitter } from 'node:events';
import { vi } from 'vitest';
import type { ParentPort } from '../../../electron/utility/core-process';

export class FakeEvent<P extends object = object> {
  defaultPrevented = false;
  constructor(readonly params: P) {
    Object.assign(this, params);
  }
  preventDefault(): void {
    this.defaultPrevented = true;
  }
}

export class FakeWebFrameMain {
  constructor(
    public url: string,
    readonly parent: FakeWebFrameMain | null = null,
    readonly processId = 1,
    readonly routingId = 1,
  ) {}
}

let nextContentsId = 1;

export class FakeWebContents extends EventEmitter {
  readonly id = nextContentsId++;
  readonly mainFrame = new FakeWebFrameMain('', null, 1, this.id);
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  readonly sent: { channel: string; args: unknown[] }[] = [];
  destroyed = false;

  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }
  getURL(): string {
    return this.mainFrame.url;
  }
  send(channel: string, ...args: unknown[]): void {
    this.sent.push({ channel, args });
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  /** Emits what Electron emits before a navigation; true if the navigation would go ahead. */
  tryNavigation(kind: 'will-navigate' | 'will-frame-navigate' | 'will-redirect', url: string): boolean {
    const event = new FakeEvent({ url });
    this.emit(kind, event);
    return !event.defaultPrevented;
  }
  tryAttachWebview(): boolean {
    const event = new FakeEvent({});
    this.emit('will-attach-webview', event, {}, {});
    return !event.defaultPrevented;
  }
}

export class BrowserWindow extends EventEmitter {
  static readonly instances: BrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  loadedUrl: string | null = null;
  shown = false;
  destroyed = false;
  kiosk = false;

  constructor(readonly options: Record<string, unknown>) {
    super();
    BrowserWindow.instances.push(this);
    app.emit('web-contents-created', new FakeEvent({}), this.webContents);
  }
  loadURL(url: string): Promise<void> {
    this.loadedUrl = url;
    this.webContents.mainFrame.url = url;
    return Promise.resolve();
  }
  show(): void {
    this.shown = true;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  isMinimized(): boolean {
    return false;
  }
  close(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.emit('closed');
    if (BrowserWindow.instances.every((w) => w.destroyed)) app.emit('window-all-closed');
  }
  restore(): void {}
  focus(): void {}
  setKiosk(flag: boolean): void {
    this.kiosk = flag;
  }
}

let markReady: () => void = () => undefined;
const ready = new Promise<void>((resolve) => {
  markReady = resolve;
});

export const app = Object.assign(new EventEmitter(), {
  isPackaged: false,
  paths: { appData: '/tmp/station-fake-appdata', userData: '/tmp/station-fake-appdata/Electron' } as Record<string, string>,
  sandboxEnabled: false,
  singleInstance: true,
  getPath(name: string): string {
    const value = this.paths[name];
    if (!value) throw new Error(`no fake path ${name}`);
    return value;
  },
  setPath(name: string, value: string): void {
    this.paths[name] = value;
  },
  enableSandbox(): void {
    this.sandboxEnabled = true;
  },
  requestSingleInstanceLock(): boolean {
    return this.singleInstance;
  },
  whenReady(): Promise<void> {
    return ready;
  },
  /** Test side: Electron's `ready`. */
  becomeReady(): void {
    markReady();
  },
  quit: vi.fn(),
});

type Handler = (event: unknown, ...args: unknown[]) => unknown;

export const ipcMain = {
  handlers: new Map<string, Handler>(),
  handle(channel: string, handler: Handler): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, handler);
  },
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  },
};

export const ipcRenderer = Object.assign(new EventEmitter(), {
  invoke: vi.fn(async (_channel: string, ..._args: unknown[]): Promise<unknown> => undefined),
});

export const contextBridge = {
  exposed: new Map<string, unknown>(),
  exposeInMainWorld(key: string, api: unknown): void {
    this.exposed.set(key, api);
  },
};

export const protocol = {
  privileged: [] as { scheme: string; privileges: Record<string, boolean> }[],
  handlers: new Map<string, (request: Request) => Promise<Response> | Response>(),
  registerSchemesAsPrivileged(schemes: { scheme: string; privileges: Record<string, boolean> }[]): void {
    this.privileged.push(...schemes);
  },
  handle(scheme: string, handler: (request: Request) => Promise<Response> | Response): void {
    this.handlers.set(scheme, handler);
  },
};

export class FakeSession {
  readonly protocol = protocol;
  permissionRequestHandler: ((contents: unknown, permission: string, callback: (granted: boolean) => void, details: unknown) => void) | null = null;
  permissionCheckHandler: ((contents: unknown, permission: string, origin: string, details: unknown) => boolean) | null = null;
  devicePermissionHandler: ((details: unknown) => boolean) | null = null;
  setPermissionRequestHandler(handler: FakeSession['permissionRequestHandler']): void {
    this.permissionRequestHandler = handler;
  }
  setPermissionCheckHandler(handler: FakeSession['permissionCheckHandler']): void {
    this.permissionCheckHandler = handler;
  }
  setDevicePermissionHandler(handler: FakeSession['devicePermissionHandler']): void {
    this.devicePermissionHandler = handler;
  }
}

export const session = { defaultSession: new FakeSession() };

/**
 * Electron's safeStorage: a real OS key store unless a test says otherwise (`available`,
 * `backend`). Its "encryption" is a XOR, enough to show the wrapped key is not the key.
 */
const xor = (bytes: Buffer) => Buffer.from(bytes.map((b) => b ^ 0x5a));
export const safeStorage = {
  available: true,
  backend: 'gnome_libsecret' as 'basic_text' | 'gnome_libsecret' | 'kwallet' | 'kwallet5' | 'kwallet6' | 'unknown',
  async isAsyncEncryptionAvailable(): Promise<boolean> {
    return this.available;
  },
  getSelectedStorageBackend() {
    return this.backend;
  },
  async encryptStringAsync(plain: string): Promise<Buffer> {
    if (!this.available) throw new Error('encryption is not available');
    return xor(Buffer.from(`fake-os:${plain}`));
  },
  async decryptStringAsync(encrypted: Buffer): Promise<{ shouldReEncrypt: boolean; result: string }> {
    const text = xor(encrypted).toString();
    if (!this.available || !text.startsWith('fake-os:')) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
    return { shouldReEncrypt: false, result: text.slice('fake-os:'.length) };
  },
};

export const dialog = {
  showMessageBox: vi.fn(async (..._args: unknown[]): Promise<{ response: number }> => ({ response: 1 })),
};

type PortEvent = { data: unknown; ports: MessagePortMain[] };

/** Electron's MessagePortMain: messages are structured-cloned and queue until `start()`. */
export class MessagePortMain extends EventEmitter {
  other: MessagePortMain | null = null;
  private started = false;
  private closed = false;
  private readonly queue: PortEvent[] = [];

  postMessage(message: unknown): void {
    if (this.closed || !this.other) return;
    const other = this.other;
    const event = { data: structuredClone(message), ports: [] };
    setImmediate(() => other.deliver(event));
  }
  start(): void {
    this.started = true;
    for (const event of this.queue.splice(0)) this.emit('message', event);
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close');
    this.other?.close();
  }
  private deliver(event: PortEvent): void {
    if (this.closed) return;
    if (this.started) this.emit('message', event);
    else this.queue.push(event);
  }
}

export class MessageChannelMain {
  readonly port1 = new MessagePortMain();
  readonly port2 = new MessagePortMain();
  constructor() {
    this.port1.other = this.port2;
    this.port2.other = this.port1;
  }
}

/** What runs "inside" a fake utility process: Electron's parent port and a way to exit. */
export type FakeProgram = (parentPort: ParentPort, exit: (code: number) => void) => void;

/** Electron's UtilityProcess, running `program` in this process instead of a child. */
export class FakeUtilityProcess extends EventEmitter {
  readonly parentPort = new EventEmitter();
  readonly received: unknown[] = [];
  exited = false;
  killed = false;

  constructor(
    readonly modulePath: string,
    readonly args: string[],
    readonly options: Record<string, unknown>,
    program: FakeProgram,
  ) {
    super();
    const parentPort: ParentPort = {
      on: (event: 'message', listener: (e: { data: unknown; ports: MessagePortMain[] }) => void) => this.parentPort.on(event, listener),
      postMessage: (message) => setImmediate(() => this.emit('message', structuredClone(message))),
    };
    program(parentPort, (code) => this.exit(code));
  }
  postMessage(message: unknown, transfer: MessagePortMain[] = []): void {
    this.received.push(message);
    const event = { data: structuredClone(message), ports: transfer };
    setImmediate(() => this.parentPort.emit('message', event));
  }
  kill(): boolean {
    this.killed = true;
    this.exit(15);
    return true;
  }
  /** Test side: the process dies (a crash when `code` is not 0). */
  exit(code: number): void {
    if (this.exited) return;
    this.exited = true;
    setImmediate(() => this.emit('exit', code));
  }
}

export const utilityProcess = {
  children: [] as FakeUtilityProcess[],
  program: ((parent) => parent.on('message', () => undefined)) as FakeProgram,
  fork(modulePath: string, args: string[] = [], options: Record<string, unknown> = {}): FakeUtilityProcess {
    const child = new FakeUtilityProcess(modulePath, args, options, this.program);
    this.children.push(child);
    return child;
  },
};

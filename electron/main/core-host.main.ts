/**
 * Runs the core in an Electron utility process and speaks the wire protocol to it over a
 * MessagePort. The core owns SQLite and the devices; if it crashes it is restarted, a few
 * times, and then the host stays in a failed state the window shows, rather than looping.
 */
import { MessageChannelMain, utilityProcess, type MessagePortMain, type UtilityProcess } from 'electron';
import { z } from 'zod';
import type { Method, Result } from '../api/contract';
import type { DeviceMode } from '../api/devices';
import type { WireEvent, WireRequest } from '../api/wire';
import type { DataKey } from '../core/db/cipher';
import { createLogger } from '../core/log';
import { coreToHostSchema, type HostToCore, type StartupFailure } from '../utility/core-protocol';

const log = createLogger('core-host');

export type CoreHostState =
  | { kind: 'starting' }
  | { kind: 'ready' }
  | { kind: 'restarting'; crashes: number; delayMs: number }
  | { kind: 'failed'; cause: { kind: 'crashes'; count: number } | { kind: 'startup'; failure: StartupFailure } }
  | { kind: 'stopped' };

export type CoreHostOptions = {
  /** The compiled `electron/utility/core-process.js`. */
  modulePath: string;
  dataDir: string;
  /** Overrides the stored device mode for this run. */
  devices?: DeviceMode;
  /** Overrides the enrolled HQ address for this run. */
  hqUrl?: string;
  onEvent(event: WireEvent): void;
  onState(state: CoreHostState): void;
  /** A call unanswered this long is answered `host.unreachable` (it may still commit). */
  requestTimeoutMs?: number;
  /** Crashes tolerated within `crashWindowMs`; one more and the host gives up. */
  restartLimit?: number;
  crashWindowMs?: number;
  /** First restart delay; doubled for each crash in the window. */
  restartDelayMs?: number;
  /** How long a shutdown may take to close the database before the process is killed. */
  stopTimeoutMs?: number;
  now?: () => number;
};

/** The core's own process is trusted code; the envelope is checked so a bug cannot crash the host. */
const fromCoreSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('result'), id: z.number().int().nonnegative(), result: z.object({ ok: z.boolean() }).passthrough() }),
  z.object({ type: z.literal('event'), event: z.string(), payload: z.unknown() }),
]);

type Pending = { resolve(result: Result<unknown>): void; timer: NodeJS.Timeout };

const unreachable = (sent: 0 | 1): Result<never> => ({ ok: false, error: { code: 'host.unreachable', params: { sent } } });

export class CoreHost {
  private child: UtilityProcess | null = null;
  private port: MessagePortMain | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private crashTimes: number[] = [];
  private restartTimer: NodeJS.Timeout | null = null;
  private current: CoreHostState = { kind: 'stopped' };
  private stopping: Promise<void> | null = null;
  private stopped: (() => void) | null = null;
  private dataKey: DataKey | null = null;
  private readonly timeoutMs: number;
  private readonly restartLimit: number;
  private readonly crashWindowMs: number;
  private readonly restartDelayMs: number;
  private readonly stopTimeoutMs: number;
  private readonly now: () => number;

  constructor(private readonly options: CoreHostOptions) {
    this.timeoutMs = options.requestTimeoutMs ?? 30_000;
    this.restartLimit = options.restartLimit ?? 3;
    this.crashWindowMs = options.crashWindowMs ?? 60_000;
    this.restartDelayMs = options.restartDelayMs ?? 500;
    this.stopTimeoutMs = options.stopTimeoutMs ?? 5_000;
    this.now = options.now ?? Date.now;
  }

  get state(): CoreHostState {
    return this.current;
  }

  /** Starts the core on the data key the host unlocked; restarts after a crash reuse it. */
  start(dataKey: DataKey): void {
    if (this.child || this.stopping || this.restartTimer) return;
    this.dataKey = dataKey;
    this.spawn();
  }

  /** After a failure staff chose to try again: a fresh start with a fresh crash budget. */
  retry(): void {
    if (this.current.kind !== 'failed' || this.stopping) return;
    this.crashTimes = [];
    this.spawn();
  }

  /** Sends one command to the core. Never rejects: a missing or silent core is `host.unreachable`. */
  call(method: Method, args: unknown): Promise<Result<unknown>> {
    const port = this.port;
    if (!port || this.stopping) return Promise.resolve(unreachable(0));
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        log.warn({ method, id }, 'core did not answer in time');
        resolve(unreachable(1));
      }, this.timeoutMs);
      this.pending.set(id, { resolve, timer });
      const request: WireRequest = { type: 'call', id, method, args };
      port.postMessage(request);
    });
  }

  /** Lets the core finish what it accepted and close its database; kills it if it takes too long. */
  stop(): Promise<void> {
    this.stopping ??= new Promise<void>((resolve) => {
      if (this.restartTimer) clearTimeout(this.restartTimer);
      this.restartTimer = null;
      const child = this.child;
      if (!child) {
        this.setState({ kind: 'stopped' });
        resolve();
        return;
      }
      const killTimer = setTimeout(() => {
        log.warn('core did not stop in time; killing it');
        child.kill();
      }, this.stopTimeoutMs);
      this.stopped = () => {
        clearTimeout(killTimer);
        resolve();
      };
      const shutdown: HostToCore = { type: 'shutdown' };
      child.postMessage(shutdown);
    });
    return this.stopping;
  }

  private spawn(): void {
    const dataKey = this.dataKey;
    if (!dataKey) return;
    this.setState({ kind: 'starting' });
    const child = utilityProcess.fork(this.options.modulePath, [], { serviceName: 'Station core' });
    const { port1, port2 } = new MessageChannelMain();
    this.child = child;
    this.port = port1;
    port1.on('message', (event) => this.receive(event.data));
    port1.start();
    child.on('message', (message: unknown) => this.control(child, message));
    child.on('error', (type, location) => log.error({ type, location }, 'core process fatal error'));
    child.once('exit', (code) => this.exited(child, code));
    const { dataDir, devices, hqUrl } = this.options;
    const open: HostToCore = { type: 'open', dataDir, dataKey: dataKey.toString('hex'), ...(devices && { devices }), ...(hqUrl && { hqUrl }) };
    child.postMessage(open, [port2]);
  }

  private receive(data: unknown): void {
    const parsed = fromCoreSchema.safeParse(data);
    if (!parsed.success) {
      log.error('malformed message from the core');
      return;
    }
    const message = parsed.data;
    if (message.type === 'event') {
      this.options.onEvent(message as WireEvent);
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    clearTimeout(pending.timer);
    pending.resolve(message.result as Result<unknown>);
  }

  private control(child: UtilityProcess, data: unknown): void {
    if (child !== this.child) return;
    const parsed = coreToHostSchema.safeParse(data);
    if (!parsed.success) {
      log.error('malformed control message from the core');
      return;
    }
    if (parsed.data.type === 'ready') {
      this.setState({ kind: 'ready' });
      return;
    }
    // The database cannot be opened: restarting would fail the same way, so staff must act.
    log.error({ code: parsed.data.error.code }, 'core could not start');
    this.setState({ kind: 'failed', cause: { kind: 'startup', failure: parsed.data.error } });
    this.detach(0);
    child.kill();
  }

  private exited(child: UtilityProcess, code: number): void {
    if (child !== this.child) return;
    this.child = null;
    this.detach(1);
    if (this.stopping) {
      this.setState({ kind: 'stopped' });
      this.stopped?.();
      return;
    }
    if (this.current.kind === 'failed') return;
    log.error({ code }, 'core process exited');
    const now = this.now();
    this.crashTimes = [...this.crashTimes.filter((t) => now - t < this.crashWindowMs), now];
    const crashes = this.crashTimes.length;
    if (crashes > this.restartLimit) {
      this.setState({ kind: 'failed', cause: { kind: 'crashes', count: crashes } });
      return;
    }
    const delayMs = this.restartDelayMs * 2 ** (crashes - 1);
    this.setState({ kind: 'restarting', crashes, delayMs });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      this.spawn();
    }, delayMs);
  }

  /** Drops the port; every call still waiting is answered (`sent` says whether it may have run). */
  private detach(sent: 0 | 1): void {
    this.port?.close();
    this.port = null;
    for (const pending of this.pending.values()) {
      clearTimeout(pending.timer);
      pending.resolve(unreachable(sent));
    }
    this.pending.clear();
  }

  private setState(state: CoreHostState): void {
    this.current = state;
    this.options.onState(state);
  }
}

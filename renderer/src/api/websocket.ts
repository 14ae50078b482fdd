import type { ArgsOf, Method, Result, ValueOf } from '../../../electron/api/contract';
import { EventHub, unreachable, type Connection, type StationClient } from './client';
import { z } from './zod';

/** The parts of a WebSocket the client uses (the browser's, or `ws` in tests). */
export type SocketLike = {
  readonly readyState: number;
  send(data: string): void;
  close(): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
};

export type SocketClientOptions = {
  url: string;
  createSocket: (url: string) => SocketLike;
  /** How long a call made before the first connection waits for it. */
  queueTimeoutMs?: number;
  /** How long a sent call waits for its answer. */
  answerTimeoutMs?: number;
  /** Reconnect delays, growing up to the last one. */
  retryDelaysMs?: number[];
  /**
   * Asked when a connection could not be opened: whether the host refused this page (a key from
   * an earlier launch of the host), which staff fix by opening Station again, not by waiting.
   */
  isRefused?: () => Promise<boolean>;
};

// The wire envelope is checked; payloads are the core's own typed values (electron/api/contract).
const wireMessageSchema = z.union([
  z.object({
    type: z.literal('result'),
    id: z.number().int().nonnegative(),
    result: z.union([
      z.object({ ok: z.literal(true), value: z.unknown() }),
      z.object({
        ok: z.literal(false),
        error: z.object({ code: z.string().min(1), params: z.record(z.string(), z.union([z.string(), z.number()])).optional() }),
      }),
    ]),
  }),
  z.object({ type: z.literal('event'), event: z.string().min(1), payload: z.unknown() }),
]);

type Waiting = { resolve: (result: Result<unknown>) => void; cancelTimer: () => void };
type Queued = Waiting & { method: Method; args: unknown };

const OPEN = 1;

/**
 * The kiosk host's transport: one WebSocket to `/api`, reconnected automatically when the host
 * restarts. A call made while the page is still connecting waits for the link (up to
 * `queueTimeoutMs`); once the link was lost, calls fail at once with `host.unreachable` (sent: 0)
 * rather than run seconds later behind the staff's back, and a call whose answer is lost with
 * the link fails with sent: 1 (it may have run). No call ever vanishes without an answer.
 */
export function createSocketClient(options: SocketClientOptions): StationClient {
  const queueTimeoutMs = options.queueTimeoutMs ?? 8_000;
  const answerTimeoutMs = options.answerTimeoutMs ?? 30_000;
  const retryDelays = options.retryDelaysMs ?? [200, 500, 1_000, 2_000];
  const events = new EventHub();
  const connectionListeners = new Set<(c: Connection) => void>();
  const sent = new Map<number, Waiting>();
  let queue: Queued[] = [];
  let nextId = 1;
  let connection: Connection = 'connecting';
  let socket: SocketLike | null = null;
  let attempt = 0;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;

  function setConnection(next: Connection): void {
    if (next === connection) return;
    connection = next;
    for (const listener of connectionListeners) listener(next);
  }

  function timer(fn: () => void, ms: number): () => void {
    const handle = setTimeout(fn, ms);
    return () => clearTimeout(handle);
  }

  function transmit(item: Queued): void {
    const id = nextId++;
    const waiting: Waiting = {
      resolve: item.resolve,
      cancelTimer: timer(() => {
        sent.delete(id);
        item.resolve(unreachable(true));
      }, answerTimeoutMs),
    };
    sent.set(id, waiting);
    socket?.send(JSON.stringify({ type: 'call', id, method: item.method, args: item.args }));
  }

  function onMessage(data: unknown): void {
    if (typeof data !== 'string') return;
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      return;
    }
    const parsed = wireMessageSchema.safeParse(json);
    if (!parsed.success) return;
    const message = parsed.data;
    if (message.type === 'event') {
      events.emit(message.event, message.payload);
      return;
    }
    const waiting = sent.get(message.id);
    if (!waiting) return;
    sent.delete(message.id);
    waiting.cancelTimer();
    waiting.resolve(message.result as Result<unknown>);
  }

  function onLost(): void {
    socket = null;
    for (const [id, waiting] of sent) {
      sent.delete(id);
      waiting.cancelTimer();
      waiting.resolve(unreachable(true));
    }
    if (closed) return;
    // Still refused until a retry says otherwise; the page goes on trying (a new key may come).
    if (connection !== 'locked') setConnection('offline');
    const delay = retryDelays[Math.min(attempt, retryDelays.length - 1)] ?? 1_000;
    attempt++;
    retryTimer = setTimeout(connect, delay);
  }

  function onOpen(): void {
    attempt = 0;
    setConnection('online');
    const waiting = queue;
    queue = [];
    for (const item of waiting) {
      item.cancelTimer();
      transmit(item);
    }
  }

  async function checkRefused(): Promise<void> {
    if (!options.isRefused || !(await options.isRefused().catch(() => false))) return;
    if (!closed && connection !== 'online') setConnection('locked');
  }

  function connect(): void {
    retryTimer = null;
    if (closed) return;
    let s: SocketLike;
    try {
      s = options.createSocket(options.url);
    } catch {
      onLost();
      return;
    }
    socket = s;
    s.onmessage = (event) => onMessage(event.data);
    s.onerror = () => undefined;
    let opened = false;
    s.onopen = () => {
      opened = true;
      onOpen();
    };
    s.onclose = () => {
      if (socket !== s) return;
      onLost();
      if (!opened) void checkRefused();
    };
  }

  connect();

  return {
    call<M extends Method>(method: M, args: ArgsOf<M>): Promise<Result<ValueOf<M>>> {
      return new Promise<Result<unknown>>((resolve) => {
        if (closed || connection === 'offline' || connection === 'locked') return resolve(unreachable(false));
        const item: Queued = { method, args, resolve, cancelTimer: () => undefined };
        if (socket && socket.readyState === OPEN) {
          transmit(item);
          return;
        }
        item.cancelTimer = timer(() => {
          queue = queue.filter((q) => q !== item);
          resolve(unreachable(false));
        }, queueTimeoutMs);
        queue.push(item);
      }) as Promise<Result<ValueOf<M>>>;
    },
    on: (event, listener) => events.on(event, listener),
    connection: () => connection,
    onConnection(listener) {
      connectionListeners.add(listener);
      return () => connectionListeners.delete(listener);
    },
    close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      for (const item of queue) {
        item.cancelTimer();
        item.resolve(unreachable(false));
      }
      queue = [];
      socket?.close();
      onLost();
    },
  };
}

/** The kiosk host serves the page and the API from the same origin. */
export function apiUrl(location: { protocol: string; host: string }): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api`;
}

import type { ApiError, EventName, Events, StationApi } from '../../../electron/api/contract';

/** Whether the screen can reach the core right now; 'locked': the host refuses this page (it was restarted). */
export type Connection = 'connecting' | 'online' | 'offline' | 'locked';

/** The API as the screen uses it: the typed calls and events, plus the link's health. */
export type StationClient = StationApi & {
  connection(): Connection;
  onConnection(listener: (connection: Connection) => void): () => void;
  close(): void;
};

export function unreachable(sent: boolean): { ok: false; error: ApiError } {
  return { ok: false, error: { code: 'host.unreachable', params: { sent: sent ? 1 : 0 } } };
}

/** Listeners per event name, shared by both transports. */
export class EventHub {
  private readonly listeners = new Map<EventName, Set<(payload: never) => void>>();

  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  emit(event: string, payload: unknown): void {
    const set = this.listeners.get(event as EventName);
    if (!set) return;
    for (const listener of set) (listener as (p: unknown) => void)(payload);
  }
}

import { wireRequestSchema, type WireMessage } from '../api/wire';
import type { StationCore } from './core';
import { createLogger } from './log';

const log = createLogger('transport');

export type WireSession = {
  /** Hands one incoming message (already decoded from JSON) to the core. */
  receive(message: unknown): void;
  close(): void;
};

/**
 * Connects one client (a WebSocket, an Electron MessagePort) to the core: requests are checked
 * against the wire schema, answered in any order by id, and every core event is forwarded.
 * A malformed message is answered with `request.invalid` when it has an id, else dropped.
 */
export function openWireSession(core: StationCore, send: (message: WireMessage) => void): WireSession {
  const unsubscribe = core.subscribe((event) => send(event));
  let open = true;
  return {
    receive(message) {
      const parsed = wireRequestSchema.safeParse(message);
      if (!parsed.success) {
        const id = typeof message === 'object' && message !== null && 'id' in message ? (message as { id: unknown }).id : undefined;
        log.warn('malformed request');
        if (typeof id === 'number' && Number.isInteger(id) && id >= 0) {
          send({ type: 'result', id, result: { ok: false, error: { code: 'request.invalid' } } });
        }
        return;
      }
      const { id, method, args } = parsed.data;
      void core.call(method, args).then((result) => {
        if (open) send({ type: 'result', id, result });
      });
    },
    close() {
      open = false;
      unsubscribe();
    },
  };
}

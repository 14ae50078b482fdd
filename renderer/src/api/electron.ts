import type { ArgsOf, Method, PreloadApi, Result, ValueOf } from '../../../electron/api/contract';
import { EventHub, unreachable, type StationClient } from './client';

/**
 * The Electron host's transport: the preload's `window.station`. The main process restarts the
 * core itself, so the link is always "online" from here; a call that throws (the core's
 * process went away mid-call) still comes back as an answer, never as an exception.
 */
export function createPreloadClient(station: PreloadApi): StationClient {
  const events = new EventHub();
  const unsubscribe = station.onEvent(({ event, payload }) => events.emit(event, payload));
  return {
    async call<M extends Method>(method: M, args: ArgsOf<M>): Promise<Result<ValueOf<M>>> {
      const fn = station[method] as (a: ArgsOf<M>) => Promise<Result<ValueOf<M>>>;
      try {
        return await fn(args);
      } catch {
        return unreachable(true);
      }
    },
    on: (event, listener) => events.on(event, listener),
    connection: () => 'online',
    onConnection: () => () => undefined,
    close: unsubscribe,
  };
}

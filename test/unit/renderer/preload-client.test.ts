import { describe, expect, it } from 'vitest';
import type { EventName, Events, PreloadApi } from '../../../electron/api/contract';
import { createPreloadClient } from '../../../renderer/src/api/electron';

type Listener = (event: { event: EventName; payload: Events[EventName] }) => void;

/** A preload bridge as electron/preload exposes it, with every method answering by name. */
function fakePreload(overrides: Partial<Record<string, (args: unknown) => Promise<unknown>>> = {}) {
  const listeners = new Set<Listener>();
  const bridge = new Proxy(
    {
      onEvent(listener: Listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    {
      get(target, prop: string) {
        if (prop in target) return target[prop as keyof typeof target];
        return overrides[prop] ?? (async () => ({ ok: true, value: prop }));
      },
    },
  ) as unknown as PreloadApi;
  return { bridge, emit: (event: EventName, payload: unknown) => listeners.forEach((l) => l({ event, payload } as never)), listeners };
}

describe('Electron preload client', () => {
  it('calls the preload function of the same name with the arguments', async () => {
    const { bridge } = fakePreload({ 'tube.search': async (args) => ({ ok: true, value: args }) });
    const client = createPreloadClient(bridge);
    expect(await client.call('desk.state', {})).toEqual({ ok: true, value: 'desk.state' });
    expect(await client.call('tube.search', { query: 'SY01' })).toEqual({ ok: true, value: { query: 'SY01' } });
    expect(client.connection()).toBe('online');
  });

  it('routes events to the listeners of that event only, and unsubscribes on close', () => {
    const { bridge, emit, listeners } = fakePreload();
    const client = createPreloadClient(bridge);
    const seen: unknown[] = [];
    const off = client.on('desk.changed', (payload) => seen.push(payload));
    emit('desk.changed', { n: 1 });
    emit('devices.changed' as EventName, { n: 2 });
    off();
    emit('desk.changed', { n: 3 });
    expect(seen).toEqual([{ n: 1 }]);
    client.close();
    expect(listeners.size).toBe(0);
  });

  it('answers host.unreachable when the bridge throws (the core process went away mid-call)', async () => {
    const { bridge } = fakePreload({
      'scan.submit': async () => {
        throw new Error('utility process exited');
      },
    });
    const client = createPreloadClient(bridge);
    expect(await client.call('scan.submit', { text: 'SY0000000001', source: 'wedge' })).toEqual({
      ok: false,
      error: { code: 'host.unreachable', params: { sent: 1 } },
    });
  });
});

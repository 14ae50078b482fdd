import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { startKioskHost } from '../../../electron/kiosk/server';
import type { StationClient } from '../../../renderer/src/api/client';
import { createSocketClient, type SocketLike } from '../../../renderer/src/api/websocket';
import { tempDir, withKey } from '../../helpers/core';

type Call = { type: 'call'; id: number; method: string; args: unknown };

/** A stand-in kiosk host: answers calls with `answer`, can push events, go away and come back. */
async function fakeHost(port = 0, answer: (call: Call) => unknown = (call) => ({ ok: true, value: call.method })) {
  const server = new WebSocketServer({ host: '127.0.0.1', port });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const received: Call[] = [];
  server.on('connection', (socket) => {
    socket.on('message', (data) => {
      const call = JSON.parse(String(data)) as Call;
      received.push(call);
      const result = answer(call);
      if (result !== undefined) socket.send(JSON.stringify({ type: 'result', id: call.id, result }));
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    received,
    push(event: string, payload: unknown) {
      for (const socket of server.clients) socket.send(JSON.stringify({ type: 'event', event, payload }));
    },
    async close() {
      for (const socket of server.clients) socket.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const clients: StationClient[] = [];
const hosts: { close(): Promise<void> }[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const h of hosts.splice(0)) await h.close();
});

function connect(port: number, options: { queueTimeoutMs?: number; answerTimeoutMs?: number } = {}): StationClient {
  const client = createSocketClient({
    url: `ws://127.0.0.1:${port}/api`,
    createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
    retryDelaysMs: [50],
    ...options,
  });
  clients.push(client);
  return client;
}

function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (check()) return resolve();
      if (Date.now() > deadline) return reject(new Error('condition not met in time'));
      setTimeout(tick, 10);
    };
    tick();
  });
}

describe('kiosk WebSocket client', () => {
  it('answers each call by id and delivers events to their listeners', async () => {
    const host = await fakeHost();
    hosts.push(host);
    const client = connect(host.port);
    const seen: unknown[] = [];
    client.on('desk.changed', (payload) => seen.push(payload));
    const [a, b] = await Promise.all([client.call('desk.state', {}), client.call('tube.search', { query: 'SY' })]);
    expect(a).toEqual({ ok: true, value: 'desk.state' });
    expect(b).toEqual({ ok: true, value: 'tube.search' });
    expect(client.connection()).toBe('online');
    host.push('desk.changed', { marker: 1 });
    await until(() => seen.length === 1);
    expect(seen).toEqual([{ marker: 1 }]);
  });

  it('holds calls made before the link is up and sends them once it is', async () => {
    const host = await fakeHost();
    hosts.push(host);
    const client = connect(host.port);
    expect(client.connection()).toBe('connecting');
    const result = await client.call('desk.state', {});
    expect(result.ok).toBe(true);
    expect(host.received.map((c) => c.method)).toEqual(['desk.state']);
  });

  it('goes offline when the host goes away, fails calls in flight and while offline as unreachable, and reconnects by itself', async () => {
    let hold = false;
    const host = await fakeHost(0, (call) => (hold ? undefined : { ok: true, value: call.method }));
    const port = host.port;
    const client = connect(port, { queueTimeoutMs: 5000 });
    const states: string[] = [];
    client.onConnection((c) => states.push(c));
    await client.call('desk.state', {});

    hold = true;
    const inFlight = client.call('scan.submit', { text: 'SY0000000001', source: 'wedge' });
    await until(() => host.received.length === 2);
    await host.close();
    expect(await inFlight).toEqual({ ok: false, error: { code: 'host.unreachable', params: { sent: 1 } } });
    await until(() => client.connection() === 'offline');

    // While offline a call fails at once: staff are told to scan again, so it must not run later.
    expect(await client.call('desk.state', {})).toEqual({ ok: false, error: { code: 'host.unreachable', params: { sent: 0 } } });
    const back = await fakeHost(port);
    hosts.push(back);
    await until(() => client.connection() === 'online');
    expect(await client.call('desk.state', {})).toEqual({ ok: true, value: 'desk.state' });
    expect(back.received.map((c) => c.method)).toEqual(['desk.state']);
    expect(states).toEqual(['online', 'offline', 'online']);
  });

  it('fails a call clearly when the host stays away longer than the queue waits', async () => {
    const host = await fakeHost();
    const port = host.port;
    await host.close();
    const client = connect(port, { queueTimeoutMs: 100 });
    expect(await client.call('desk.state', {})).toEqual({ ok: false, error: { code: 'host.unreachable', params: { sent: 0 } } });
  });

  it('ignores messages that are not wire messages', async () => {
    const host = await fakeHost(0, (call) => (call.method === 'desk.state' ? { nonsense: true } : { ok: true, value: 1 }));
    hosts.push(host);
    const client = connect(host.port, { answerTimeoutMs: 200 });
    expect(await client.call('desk.state', {})).toEqual({ ok: false, error: { code: 'host.unreachable', params: { sent: 1 } } });
    expect(await client.call('tube.search', { query: 'x' })).toEqual({ ok: true, value: 1 });
  });

  it('says the host refuses the page when it was restarted with a new key, and comes back once given it', async () => {
    const dataDir = tempDir();
    let host = await startKioskHost({ ...withKey(dataDir), port: 0, rendererDir: tempDir() });
    const origin = host.url.slice(0, -1);
    // What the browser does: the cookie the launch page set goes with the WebSocket and /healthz.
    let key = host.token;
    const cookie = () => `station-kiosk-${new URL(origin).port}=${key}`;
    const client = createSocketClient({
      url: `${origin.replace('http', 'ws')}/api`,
      createSocket: (url) => new WebSocket(url, { origin, headers: { cookie: cookie() } }) as unknown as SocketLike,
      retryDelaysMs: [50],
      isRefused: async () => (await fetch(`${origin}/healthz`, { headers: { cookie: cookie() } })).status === 401,
    });
    clients.push(client);
    expect((await client.call('operator.session', {})).ok).toBe(true);

    await host.close();
    host = await startKioskHost({ ...withKey(dataDir), port: Number(new URL(origin).port), rendererDir: tempDir() });
    hosts.push(host);
    await until(() => client.connection() === 'locked');
    expect(await client.call('operator.session', {})).toEqual({ ok: false, error: { code: 'host.unreachable', params: { sent: 0 } } });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(client.connection()).toBe('locked');

    key = host.token;
    await until(() => client.connection() === 'online');
    expect((await client.call('operator.session', {})).ok).toBe(true);
  });
});

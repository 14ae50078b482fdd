import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WireEvent } from '../../../electron/api/wire';
import { CoreHost, type CoreHostOptions, type CoreHostState } from '../../../electron/main/core-host.main';
import { runCoreProcess } from '../../../electron/utility/core-process';
import { TEST_ADMIN, tempDir } from '../../helpers/core';
import { idNumber, tubeCode } from '../../helpers/ids';
import { utilityProcess, type FakeProgram, type FakeUtilityProcess } from './fake-electron';

vi.mock('electron', () => import('./fake-electron.js'));

const turn = () => new Promise((resolve) => setImmediate(resolve));
const until = async (check: () => boolean) => {
  while (!check()) await turn();
};

/**
 * A stand-in core: says ready, answers every call with its method name (or never, when
 * `answers` is false), and exits when told to shut down.
 */
const stubCore =
  (answers: boolean): FakeProgram =>
  (parent, exit) => {
    parent.on('message', (event) => {
      if ((event.data as { type: string }).type === 'shutdown') return exit(0);
      const [port] = event.ports;
      if (!port) return;
      port.on('message', ({ data }) => {
        const request = data as { id: number; method: string };
        if (answers) port.postMessage({ type: 'result', id: request.id, result: { ok: true, value: request.method } });
      });
      port.start();
      parent.postMessage({ type: 'ready' });
    });
  };
const echoCore = stubCore(true);
const silentCore = stubCore(false);
const KEY = randomBytes(32);

function makeHost(overrides: Partial<CoreHostOptions> = {}) {
  const states: CoreHostState[] = [];
  const events: WireEvent[] = [];
  const host = new CoreHost({
    modulePath: '/app/dist/electron/utility/core-process.js',
    dataDir: tempDir(),
    onEvent: (event) => events.push(event),
    onState: (state) => states.push(state),
    restartDelayMs: 1,
    ...overrides,
  });
  return { host, states, events };
}

const lastChild = (): FakeUtilityProcess => {
  const child = utilityProcess.children.at(-1);
  if (!child) throw new Error('no utility process was forked');
  return child;
};

let host: CoreHost | null = null;
beforeEach(() => {
  utilityProcess.children.length = 0;
  utilityProcess.program = echoCore;
});
afterEach(async () => {
  vi.useRealTimers();
  await host?.stop();
  host = null;
});

describe('core host (main process side of the utility process)', () => {
  it('forks the core process, hands it the data folder and a port, and round-trips a scan through the real core', async () => {
    utilityProcess.program = (parent, exit) => void runCoreProcess(parent, exit);
    const made = makeHost();
    host = made.host;
    host.start(KEY);
    const child = lastChild();
    expect(child.modulePath).toBe('/app/dist/electron/utility/core-process.js');
    expect(child.received[0]).toEqual({ type: 'open', dataDir: expect.any(String), dataKey: KEY.toString('hex') });

    expect(await host.call('operator.setup', TEST_ADMIN)).toMatchObject({ ok: true, value: { state: 'active' } });
    expect(await host.call('scan.submit', { text: tubeCode(3), source: 'wedge' })).toMatchObject({ ok: true, value: { kind: 'tube.opened' } });
    expect(await host.call('scan.submit', { text: idNumber(3), source: 'wedge' })).toMatchObject({
      ok: true,
      value: { kind: 'person.bound', tubeCode: tubeCode(3), count: 1 },
    });
    expect(made.states.map((s) => s.kind)).toEqual(['starting', 'ready']);
    await until(() => made.events.some((e) => e.event === 'desk.changed' && e.payload.openTube?.count === 1));

    await host.stop();
    expect(child.received.at(-1)).toEqual({ type: 'shutdown' });
    expect(child.killed).toBe(false);
    expect(made.states.at(-1)).toEqual({ kind: 'stopped' });
    expect(await host.call('desk.state', {})).toEqual({ ok: false, error: { code: 'host.unreachable', params: { sent: 0 } } });
  });

  it('answers calls in flight with host.unreachable when the core dies, and restarts it', async () => {
    utilityProcess.program = silentCore;
    const made = makeHost();
    host = made.host;
    host.start(KEY);
    const inFlight = host.call('desk.state', {});
    await turn();
    lastChild().exit(1);
    expect(await inFlight).toEqual({ ok: false, error: { code: 'host.unreachable', params: { sent: 1 } } });
    await until(() => utilityProcess.children.length === 2);
    expect(made.states.map((s) => s.kind)).toEqual(['starting', 'ready', 'restarting', 'starting']);
    expect(made.states[2]).toEqual({ kind: 'restarting', crashes: 1, delayMs: 1 });
  });

  it('gives up after too many crashes in a short time and stays failed until told to retry', async () => {
    const made = makeHost({ restartLimit: 2 });
    host = made.host;
    host.start(KEY);
    for (let crash = 1; crash <= 3; crash++) {
      await until(() => utilityProcess.children.length === crash);
      lastChild().exit(1);
      await until(() => made.states.at(-1)?.kind !== 'ready' && made.states.at(-1)?.kind !== 'starting');
    }
    expect(made.states.at(-1)).toEqual({ kind: 'failed', cause: { kind: 'crashes', count: 3 } });
    await turn();
    expect(utilityProcess.children).toHaveLength(3);
    expect(await host.call('desk.state', {})).toEqual({ ok: false, error: { code: 'host.unreachable', params: { sent: 0 } } });

    host.retry();
    expect(utilityProcess.children).toHaveLength(4);
    expect(await host.call('desk.state', {})).toEqual({ ok: true, value: 'desk.state' });
  });

  it('does not restart a core that cannot open its database, and says why', async () => {
    utilityProcess.program = (parent) =>
      parent.on('message', () => parent.postMessage({ type: 'fatal', error: { code: 'storage.corrupt' } }));
    const made = makeHost();
    host = made.host;
    host.start(KEY);
    await until(() => lastChild().exited);
    await turn();
    expect(made.states.at(-1)).toEqual({ kind: 'failed', cause: { kind: 'startup', failure: { code: 'storage.corrupt' } } });
    expect(lastChild().killed).toBe(true);
    expect(utilityProcess.children).toHaveLength(1);
  });

  it('answers a call the core never answers with host.unreachable after the timeout', async () => {
    utilityProcess.program = silentCore;
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const made = makeHost({ requestTimeoutMs: 5_000 });
    host = made.host;
    host.start(KEY);
    const call = host.call('tube.seal', {});
    let answered = false;
    void call.then(() => (answered = true));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(answered).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await call).toEqual({ ok: false, error: { code: 'host.unreachable', params: { sent: 1 } } });
  });

  it('kills a core that does not stop in time', async () => {
    utilityProcess.program = (parent) => parent.on('message', () => undefined);
    const made = makeHost({ stopTimeoutMs: 1 });
    host = made.host;
    host.start(KEY);
    await host.stop();
    expect(lastChild().killed).toBe(true);
    expect(made.states.at(-1)).toEqual({ kind: 'stopped' });
  });

  it('ignores malformed messages from the core', async () => {
    utilityProcess.program = (parent, exit) =>
      parent.on('message', (event) => {
        if ((event.data as { type: string }).type === 'shutdown') return exit(0);
        const [port] = event.ports;
        port?.on('message', ({ data }) => {
          const { id } = data as { id: number };
          port.postMessage({ type: 'result', id: 'not-a-number', result: { ok: true, value: 'wrong' } });
          port.postMessage({ type: 'result', id, result: { ok: true, value: 'right' } });
        });
        port?.start();
        parent.postMessage({ type: 'nonsense' } as never);
      });
    const made = makeHost();
    host = made.host;
    host.start(KEY);
    expect(await host.call('desk.state', {})).toEqual({ ok: true, value: 'right' });
    expect(made.states.map((s) => s.kind)).toEqual(['starting']);
  });
});

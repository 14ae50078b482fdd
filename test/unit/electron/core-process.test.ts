import Database from 'better-sqlite3-multiple-ciphers';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { WireMessage } from '../../../electron/api/wire';
import { runCoreProcess, type CoreProcess, type ParentPort } from '../../../electron/utility/core-process';
import type { CoreToHost } from '../../../electron/utility/core-protocol';
import { dataKeyOf, openStationFile, tempDir, TEST_ADMIN } from '../../helpers/core';
import { idNumber, tubeCode } from '../../helpers/ids';
import { MessageChannelMain, type MessagePortMain } from './fake-electron';

/** The key the host would unlock for `dataDir`, as the open message carries it. */
const keyHex = (dataDir: string) => dataKeyOf(dataDir).toString('hex');

/** The utility process's side of Electron, played by the test: the parent port and an exit. */
function startCoreProcess() {
  const fromHost = new EventEmitter();
  const toHost: CoreToHost[] = [];
  const exits: number[] = [];
  const parent: ParentPort = {
    on: (event: 'message', listener: (e: { data: unknown; ports: MessagePortMain[] }) => void) => fromHost.on(event, listener),
    postMessage: (message) => toHost.push(structuredClone(message)),
  };
  const running: CoreProcess = runCoreProcess(parent, (code) => exits.push(code));
  const send = (data: unknown, ports: MessagePortMain[] = []) => fromHost.emit('message', { data, ports });
  return { running, send, toHost, exits };
}

/** The host's end of the wire: numbered calls, answers by id, events collected. */
function wireClient(port: MessagePortMain) {
  const answers = new Map<number, (result: unknown) => void>();
  const events: WireMessage[] = [];
  let nextId = 1;
  port.on('message', ({ data }: { data: WireMessage }) => {
    if (data.type === 'event') events.push(data);
    else answers.get(data.id)?.(data.result);
  });
  port.start();
  const call = (method: string, args: unknown) =>
    new Promise<{ ok: boolean; value?: unknown; error?: { code: string } }>((resolve) => {
      const id = nextId++;
      answers.set(id, resolve as (result: unknown) => void);
      port.postMessage({ type: 'call', id, method, args });
    });
  return { call, events };
}

const until = async (check: () => boolean) => {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
};

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

describe('core utility process', () => {
  it('opens the database it is given and serves the wire protocol on the transferred port', async () => {
    const dataDir = path.join(tempDir(), 'nested', 'data');
    const proc = startCoreProcess();
    cleanup = () => proc.running.shutdown();
    const { port1, port2 } = new MessageChannelMain();
    proc.send({ type: 'open', dataDir, dataKey: keyHex(dataDir), devices: 'off' }, [port2]);
    expect(proc.toHost).toEqual([{ type: 'ready' }]);
    expect(fs.existsSync(path.join(dataDir, 'station.db'))).toBe(true);

    const client = wireClient(port1);
    expect(await client.call('operator.setup', TEST_ADMIN)).toMatchObject({ ok: true, value: { state: 'active' } });
    const opened = await client.call('scan.submit', { text: tubeCode(1), source: 'wedge' });
    expect(opened).toMatchObject({ ok: true, value: { kind: 'tube.opened', tubeCode: tubeCode(1) } });
    const bound = await client.call('scan.submit', { text: idNumber(1), source: 'wedge' });
    expect(bound).toMatchObject({ ok: true, value: { kind: 'person.bound', count: 1, tubeCode: tubeCode(1) } });
    expect(await client.call('devices.list', {})).toMatchObject({ ok: true, value: { mode: 'off' } });
    expect(await client.call('tube.explode', {})).toMatchObject({ ok: false, error: { code: 'request.unknownMethod' } });
    const deskChanges = () => client.events.filter((e) => e.type === 'event' && e.event === 'desk.changed');
    // The desk as it was at sign-in, then after each scan.
    await until(() => deskChanges().length >= 3);
    expect(deskChanges()[0]).toMatchObject({ payload: { openTube: null } });
    expect(deskChanges()[2]).toMatchObject({ payload: { openTube: { code: tubeCode(1), count: 1 } } });
  });

  it('finishes a scan already accepted when told to shut down, then closes the database and exits', async () => {
    const dataDir = tempDir();
    const proc = startCoreProcess();
    const { port1, port2 } = new MessageChannelMain();
    proc.send({ type: 'open', dataDir, dataKey: keyHex(dataDir) }, [port2]);
    const client = wireClient(port1);
    await client.call('operator.setup', TEST_ADMIN);
    await client.call('scan.submit', { text: tubeCode(2), source: 'wedge' });

    const bound = client.call('scan.submit', { text: idNumber(2), source: 'wedge' });
    // The call reaches the core before the shutdown does (ports deliver on the next turn).
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    proc.send({ type: 'shutdown' });
    await proc.running.shutdown();
    expect(await bound).toMatchObject({ ok: true, value: { kind: 'person.bound' } });
    expect(proc.exits).toEqual([0]);

    const db = openStationFile(path.join(dataDir, 'station.db'), { readonly: true });
    try {
      const row = db.prepare('SELECT count(*) AS n FROM binding').get() as { n: number };
      expect(row.n).toBe(1);
    } finally {
      db.close();
    }
  });

  it('reports a database written by a newer Station instead of opening it', async () => {
    const dataDir = tempDir();
    const db = new Database(path.join(dataDir, 'station.db'));
    db.pragma('user_version = 999');
    db.close();
    const proc = startCoreProcess();
    cleanup = () => proc.running.shutdown();
    const { port2 } = new MessageChannelMain();
    let portClosed = false;
    port2.on('close', () => (portClosed = true));
    proc.send({ type: 'open', dataDir, dataKey: keyHex(dataDir) }, [port2]);
    expect(proc.toHost).toEqual([{ type: 'fatal', error: { code: 'storage.newerVersion', params: { found: 999, supported: expect.any(Number) } } }]);
    expect(portClosed).toBe(true);
  });

  it('reports a key that does not open the database, and leaves the database as it was', async () => {
    const dataDir = tempDir();
    const db = openStationFile(path.join(dataDir, 'station.db'));
    db.exec('CREATE TABLE written (x)');
    db.close();
    const before = fs.readFileSync(path.join(dataDir, 'station.db'));
    const proc = startCoreProcess();
    cleanup = () => proc.running.shutdown();
    const { port2 } = new MessageChannelMain();
    proc.send({ type: 'open', dataDir, dataKey: randomBytes(32).toString('hex') }, [port2]);
    expect(proc.toHost).toEqual([{ type: 'fatal', error: { code: 'storage.keyWrong' } }]);
    expect(fs.readFileSync(path.join(dataDir, 'station.db'))).toEqual(before);
  });

  it('ignores malformed messages from the host and closes the ports they carry', () => {
    const proc = startCoreProcess();
    cleanup = () => proc.running.shutdown();
    const { port2 } = new MessageChannelMain();
    let portClosed = false;
    port2.on('close', () => (portClosed = true));
    proc.send({ type: 'open', dataDir: '' }, [port2]);
    proc.send({ type: 'open', dataDir: tempDir(), dataKey: 'ab'.repeat(32), extra: true });
    proc.send({ type: 'open', dataDir: tempDir(), dataKey: 'not a key' });
    proc.send('shutdown');
    expect(proc.toHost).toEqual([]);
    expect(portClosed).toBe(true);
    expect(proc.exits).toEqual([]);
  });
});

import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { METHODS, type PreloadApi } from '../../../electron/api/contract';
import { CALL_CHANNEL, EVENT_CHANNEL } from '../../../electron/main/ipc.main';
import { contextBridge, FakeEvent, ipcRenderer } from './fake-electron';

vi.mock('electron', () => import('./fake-electron.js'));

const preloadFile = path.resolve(__dirname, '../../../electron/preload/preload.ts');
let station: PreloadApi;

beforeAll(async () => {
  await import('../../../electron/preload/preload.js');
  station = contextBridge.exposed.get('station') as PreloadApi;
});

describe('preload', () => {
  it('exposes window.station and nothing else', () => {
    expect([...contextBridge.exposed.keys()]).toEqual(['station']);
  });

  it('has exactly one function per API method, plus onEvent', () => {
    expect(Object.keys(station).sort()).toEqual([...METHODS, 'onEvent'].sort());
    for (const value of Object.values(station)) expect(typeof value).toBe('function');
    expect(Object.values(station)).not.toContain(ipcRenderer.invoke);
  });

  it('sends each method over station.call with its own name and the arguments as given', async () => {
    for (const method of METHODS) {
      ipcRenderer.invoke.mockResolvedValueOnce({ ok: true, value: `answer to ${method}` });
      const call = station[method] as (args: unknown) => Promise<unknown>;
      await expect(call({ probe: method })).resolves.toEqual({ ok: true, value: `answer to ${method}` });
      expect(ipcRenderer.invoke).toHaveBeenLastCalledWith(CALL_CHANNEL, method, { probe: method });
    }
  });

  it('hands listeners the event and payload only, and unsubscribes exactly the listener it was given', () => {
    const first = vi.fn();
    const second = vi.fn();
    const before = ipcRenderer.listenerCount(EVENT_CHANNEL);
    const stopFirst = station.onEvent(first);
    station.onEvent(second);
    expect(ipcRenderer.listenerCount(EVENT_CHANNEL)).toBe(before + 2);

    const message = { event: 'results.changed', payload: { openRetests: 3 } };
    ipcRenderer.emit(EVENT_CHANNEL, new FakeEvent({ sender: 'the IPC event' }), message);
    expect(first).toHaveBeenCalledTimes(1);
    expect(first.mock.calls[0]).toEqual([message]);

    stopFirst();
    stopFirst();
    expect(ipcRenderer.listenerCount(EVENT_CHANNEL)).toBe(before + 1);
    ipcRenderer.emit(EVENT_CHANNEL, new FakeEvent({}), message);
    expect(first).toHaveBeenCalledTimes(1);
    expect(second).toHaveBeenCalledTimes(2);
  });

  it('compiles to a script that requires only electron, as a sandboxed preload must', () => {
    const source = fs.readFileSync(preloadFile, 'utf8');
    const output = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
    const required = [...output.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
    expect(required).toEqual(['electron']);
    expect(output).not.toMatch(/\bimport\(/);
  });
});

import type { BrowserWindow as ElectronWindow } from 'electron';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { Method, Result } from '../../../electron/api/contract';
import { CALL_CHANNEL, EVENT_CHANNEL, registerStationIpc, sendEvent } from '../../../electron/main/ipc.main';
import { BrowserWindow, FakeWebFrameMain, ipcMain } from './fake-electron';

vi.mock('electron', () => import('./fake-electron.js'));

const core = { call: vi.fn(async (method: Method, _args: unknown): Promise<Result<unknown>> => ({ ok: true, value: method })) };
let window: BrowserWindow;
let unregister: () => void;

beforeEach(() => {
  unregister?.();
  core.call.mockClear();
  window = new BrowserWindow({});
  void window.loadURL('app://station/index.html');
  unregister = registerStationIpc(core, () => window as unknown as ElectronWindow);
});

/** What Electron passes to an `ipcMain.handle` listener when a frame calls `invoke`. */
function invoke(frame: FakeWebFrameMain | null, method: unknown, args: unknown): Promise<unknown> {
  const handler = ipcMain.handlers.get(CALL_CHANNEL);
  if (!handler) throw new Error('station.call is not registered');
  return Promise.resolve(handler({ sender: window.webContents, senderFrame: frame }, method, args));
}

describe('station.call', () => {
  it('relays a valid call from the window’s main frame to the core', async () => {
    const result = await invoke(window.webContents.mainFrame, 'scan.submit', { text: 'SY0000000001', source: 'wedge' });
    expect(result).toEqual({ ok: true, value: 'scan.submit' });
    expect(core.call).toHaveBeenCalledWith('scan.submit', { text: 'SY0000000001', source: 'wedge' });
  });

  it.each([
    ['another origin', () => new FakeWebFrameMain('https://evil.example/', null, 1, window.webContents.id)],
    ['a file URL', () => new FakeWebFrameMain('file:///tmp/index.html', null, 1, window.webContents.id)],
    ['a look-alike host', () => new FakeWebFrameMain('app://station.evil/', null, 1, window.webContents.id)],
    ['a subframe of our page', () => new FakeWebFrameMain('app://station/frame.html', window.webContents.mainFrame, 1, 99)],
    ['another window’s frame', () => new FakeWebFrameMain('app://station/index.html', null, 2, 42)],
    ['a frame that is gone', () => null],
  ])('refuses a call from %s without reaching the core', async (_name, frame) => {
    await expect(invoke(frame(), 'desk.state', {})).rejects.toThrow(/only answered for the Station window/);
    expect(core.call).not.toHaveBeenCalled();
  });

  it('refuses when the window navigated away from the app', async () => {
    window.webContents.mainFrame.url = 'https://evil.example/';
    await expect(invoke(window.webContents.mainFrame, 'desk.state', {})).rejects.toThrow();
    expect(core.call).not.toHaveBeenCalled();
  });

  it.each(['tube.explode', '__proto__', 'constructor', 'toString', 42, null])('answers an unknown method %s as data, without reaching the core', async (method) => {
    const result = (await invoke(window.webContents.mainFrame, method, {})) as Result<unknown>;
    expect(result).toMatchObject({ ok: false, error: { code: 'request.unknownMethod' } });
    expect(core.call).not.toHaveBeenCalled();
  });

  it.each([
    ['scan.submit', { text: 'x', source: 'telepathy' }],
    ['scan.submit', { text: 'x', source: 'wedge', extra: 1 }],
    ['desk.setCapacity', { capacity: 7 }],
    ['tube.void', { tubeCode: 'SY1', reason: '   ' }],
    ['scan.submit', 'not an object'],
  ])('answers invalid arguments for %s as request.invalid, without reaching the core', async (method, args) => {
    const result = (await invoke(window.webContents.mainFrame, method, args)) as Result<unknown>;
    expect(result).toMatchObject({ ok: false, error: { code: 'request.invalid', params: { method } } });
    expect(core.call).not.toHaveBeenCalled();
  });
});

describe('station.event', () => {
  it('pushes the event name and payload to the window', () => {
    sendEvent(window as unknown as ElectronWindow, { type: 'event', event: 'results.changed', payload: { openRetests: 2 } });
    expect(window.webContents.sent).toEqual([{ channel: EVENT_CHANNEL, args: [{ event: 'results.changed', payload: { openRetests: 2 } }] }]);
  });

  it('sends nothing to a window that left the app or is gone', () => {
    window.webContents.mainFrame.url = 'https://evil.example/';
    sendEvent(window as unknown as ElectronWindow, { type: 'event', event: 'results.changed', payload: { openRetests: 1 } });
    window.webContents.mainFrame.url = 'app://station/index.html';
    window.destroyed = true;
    sendEvent(window as unknown as ElectronWindow, { type: 'event', event: 'results.changed', payload: { openRetests: 1 } });
    sendEvent(null, { type: 'event', event: 'results.changed', payload: { openRetests: 1 } });
    expect(window.webContents.sent).toEqual([]);
  });
});

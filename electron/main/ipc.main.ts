/**
 * The one IPC channel between the window and the core: `station.call` (method + args, answered
 * with a Result) and `station.event` (pushed). Only our window's main frame, showing our own
 * origin, may call, and only known methods with valid arguments are relayed.
 */
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent, type WebFrameMain } from 'electron';
import { argSchemas, type Method, type Result } from '../api/contract';
import type { WireEvent } from '../api/wire';
import { createLogger } from '../core/log';
import { isAppUrl } from './protocol.main';

const log = createLogger('ipc');

export const CALL_CHANNEL = 'station.call';
export const EVENT_CHANNEL = 'station.event';

export type CoreCaller = { call(method: Method, args: unknown): Promise<Result<unknown>> };

/** The sender is the main frame of `window` and shows a page of the app's own origin. */
export function isTrustedSender(frame: WebFrameMain | null, window: BrowserWindow | null): boolean {
  if (!frame || !window || window.isDestroyed()) return false;
  const main = window.webContents.mainFrame;
  const isMainFrame = frame.parent === null && frame.processId === main.processId && frame.routingId === main.routingId;
  return isMainFrame && isAppUrl(frame.url);
}

/**
 * Checks one call the way the core will (method known, arguments valid) so that nothing
 * malformed crosses into the core's process; refusals are Results the renderer can show.
 */
export function checkCall(method: unknown, args: unknown): { ok: true; method: Method; args: unknown } | { ok: false; result: Result<never> } {
  if (typeof method !== 'string' || !Object.hasOwn(argSchemas, method)) {
    const shown = typeof method === 'string' ? method.slice(0, 64) : typeof method;
    return { ok: false, result: { ok: false, error: { code: 'request.unknownMethod', params: { method: shown } } } };
  }
  const m = method as Method;
  const parsed = argSchemas[m].safeParse(args ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const params = { method: m, field: issue?.path.join('.') ?? '', detail: issue?.message ?? '' };
    return { ok: false, result: { ok: false, error: { code: 'request.invalid', params } } };
  }
  return { ok: true, method: m, args: parsed.data };
}

/** Registers the `station.call` handler; returns its removal. */
export function registerStationIpc(core: CoreCaller, mainWindow: () => BrowserWindow | null): () => void {
  ipcMain.handle(CALL_CHANNEL, async (event: IpcMainInvokeEvent, method: unknown, args: unknown) => {
    if (!isTrustedSender(event.senderFrame, mainWindow())) {
      log.warn({ senderId: event.sender.id }, 'station.call from an untrusted frame refused');
      throw new Error('station.call is only answered for the Station window');
    }
    const checked = checkCall(method, args);
    if (!checked.ok) return checked.result;
    return core.call(checked.method, checked.args);
  });
  return () => ipcMain.removeHandler(CALL_CHANNEL);
}

/** Pushes one core event to the window, if it still shows the app. */
export function sendEvent(window: BrowserWindow | null, event: WireEvent): void {
  if (!window || window.isDestroyed()) return;
  const contents = window.webContents;
  if (contents.isDestroyed() || !isAppUrl(contents.getURL())) return;
  contents.send(EVENT_CHANNEL, { event: event.event, payload: event.payload });
}

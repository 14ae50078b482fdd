/**
 * The unlock window: a small page of the app's own (`app://station/unlock.html`) that asks the site
 * admin for the data passphrase before the core starts, or, on a fresh folder, for the one to set.
 * The passphrase goes from the page to this process only (`unlock.submit`, from this window's main
 * frame alone); the core gets the unwrapped key.
 */
import { BrowserWindow, ipcMain, type IpcMainInvokeEvent } from 'electron';
import { passphraseSchema, UNLOCK_MODE_CHANNEL, UNLOCK_SUBMIT_CHANNEL, type UnlockAnswer, type UnlockMode } from '../api/unlock';
import { StorageKeyError, type DataKey } from '../core/db/cipher';
import { createLogger } from '../core/log';
import { isTrustedSender } from './ipc.main';
import { APP_SCHEME, APP_HOST } from './protocol.main';
import { mainWindowOptions } from './security.main';

const log = createLogger('unlock');

export const UNLOCK_URL = `${APP_SCHEME}://${APP_HOST}/unlock.html`;

/**
 * Shows the window until `attempt` accepts a passphrase (resolves with its key) or the window is
 * closed (resolves null). A wrong passphrase is answered in the window, which asks again.
 */
export function askPassphraseInWindow(preload: string, devTools: boolean, mode: UnlockMode, attempt: (passphrase: string) => Promise<DataKey>): Promise<DataKey | null> {
  const window = new BrowserWindow({ ...mainWindowOptions(preload, { devTools }), width: 520, height: 420, minWidth: 420, minHeight: 360, resizable: false });
  return new Promise((resolve) => {
    let key: DataKey | null = null;
    const trusted = (event: IpcMainInvokeEvent, channel: string) => {
      if (isTrustedSender(event.senderFrame, window)) return;
      log.warn({ senderId: event.sender.id, channel }, 'unlock call from an untrusted frame refused');
      throw new Error(`${channel} is only answered for the unlock window`);
    };
    const done = () => {
      ipcMain.removeHandler(UNLOCK_MODE_CHANNEL);
      ipcMain.removeHandler(UNLOCK_SUBMIT_CHANNEL);
    };
    ipcMain.handle(UNLOCK_MODE_CHANNEL, (event: IpcMainInvokeEvent) => {
      trusted(event, UNLOCK_MODE_CHANNEL);
      return mode;
    });
    ipcMain.handle(UNLOCK_SUBMIT_CHANNEL, async (event: IpcMainInvokeEvent, passphrase: unknown): Promise<UnlockAnswer> => {
      trusted(event, UNLOCK_SUBMIT_CHANNEL);
      const parsed = passphraseSchema.safeParse(passphrase);
      if (!parsed.success) return { ok: false, code: 'request.invalid' };
      if (key) return { ok: true };
      try {
        key = await attempt(parsed.data);
      } catch (err) {
        if (err instanceof StorageKeyError && (err.code === 'storage.keyWrong' || err.code === 'storage.passphraseTooShort')) {
          log.warn({ code: err.code }, 'passphrase refused');
          return { ok: false, code: err.code };
        }
        log.error({ err }, 'unlock failed');
        return { ok: false, code: 'internal' };
      }
      setImmediate(() => window.close());
      return { ok: true };
    });
    window.once('ready-to-show', () => window.show());
    window.on('closed', () => {
      done();
      resolve(key);
    });
    void window.loadURL(UNLOCK_URL);
  });
}

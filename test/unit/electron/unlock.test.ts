import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { UNLOCK_MODE_CHANNEL, UNLOCK_SUBMIT_CHANNEL, type UnlockApi } from '../../../electron/api/unlock';
import { openEncrypted, StorageKeyError, type DataKey } from '../../../electron/core/db/cipher';
import { defaultKeyFile } from '../../../electron/core/vault/key-file';
import { osKeyStore, unlockDataKey, type PassphrasePrompt } from '../../../electron/main/data-key.main';
import { askPassphraseInWindow, UNLOCK_URL } from '../../../electron/main/unlock.main';
import { tempDir } from '../../helpers/core';
import { BrowserWindow, contextBridge, dialog, ipcMain, ipcRenderer, safeStorage } from './fake-electron';

vi.mock('electron', () => import('./fake-electron.js'));

const turn = () => new Promise((resolve) => setImmediate(resolve));

/** Calls an unlock channel as `window`'s main frame (or another frame) would. */
async function invoke(window: BrowserWindow, channel: string, ...args: unknown[]): Promise<unknown> {
  const handler = ipcMain.handlers.get(channel);
  if (!handler) throw new Error(`${channel} is not registered`);
  return handler({ sender: window.webContents, senderFrame: window.webContents.mainFrame }, ...args);
}

beforeEach(() => {
  safeStorage.available = true;
  safeStorage.backend = 'gnome_libsecret';
  BrowserWindow.instances.length = 0;
  dialog.showMessageBox.mockClear();
});

describe('the OS key store (safeStorage)', () => {
  it('is used when the OS has a real one', async () => {
    const store = await osKeyStore('linux');
    expect(store).not.toBeNull();
    expect(await store!.decrypt(await store!.encrypt('ab'))).toBe('ab');
    expect(await osKeyStore('win32')).not.toBeNull();
  });

  it('is not pretended on Linux with basic_text, nor where encryption is unavailable', async () => {
    safeStorage.backend = 'basic_text';
    expect(await osKeyStore('linux')).toBeNull();
    // basic_text is a Linux answer only; elsewhere availability decides.
    expect(await osKeyStore('darwin')).not.toBeNull();
    safeStorage.available = false;
    expect(await osKeyStore('win32')).toBeNull();
  });
});

describe('unlocking the data key in the app', () => {
  it('with the OS key store: a new key wrapped in the folder, the same key at the next start, no question asked', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const prompt = vi.fn<PassphrasePrompt>();
    const store = await osKeyStore('linux');
    const key = await unlockDataKey(dataDir, prompt, store);
    expect(key).toHaveLength(32);
    expect(await unlockDataKey(dataDir, prompt, store)).toEqual(key);
    expect(prompt).not.toHaveBeenCalled();
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, 'data-key.json'), 'utf8'))).toMatchObject({ protector: 'os' });
  });

  it('with basic_text: the admin sets a passphrase on the first start and gives it at the next, a wrong one asked again', async () => {
    const dataDir = path.join(tempDir(), 'data');
    const created = await unlockDataKey(dataDir, (mode, attempt) => (expect(mode).toBe('create'), attempt('correct horse battery')), null);
    expect(created).toHaveLength(32);
    expect(fs.existsSync(defaultKeyFile(dataDir))).toBe(false);

    const tries: string[] = [];
    const unlocked = await unlockDataKey(
      dataDir,
      async (mode, attempt) => {
        expect(mode).toBe('unlock');
        for (const p of ['wrong horse battery', 'correct horse battery']) {
          tries.push(p);
          try {
            return await attempt(p);
          } catch (err) {
            expect(err).toBeInstanceOf(StorageKeyError);
          }
        }
        return null;
      },
      null,
    );
    expect(unlocked).toEqual(created);
    expect(tries).toHaveLength(2);
  });

  it('says so and gives up when the key cannot be had (an encrypted database whose key is gone)', async () => {
    const dataDir = path.join(tempDir(), 'data');
    fs.mkdirSync(dataDir);
    const db = openEncrypted(path.join(dataDir, 'station.db'), randomBytes(32));
    db.exec('CREATE TABLE t (x)');
    db.close();
    expect(await unlockDataKey(dataDir, vi.fn(), await osKeyStore('linux'))).toBeNull();
    const [options] = dialog.showMessageBox.mock.calls[0] as [{ message: string; detail: string }];
    expect(options.detail).toBe('storage.locked');
    expect(options.message).toMatch(/找不到/);
    expect(options.message).toMatch(/key to this station’s data is missing/);
  });
});

describe('the unlock window', () => {
  it('is a locked-down window on the app’s own unlock page; answers only its own frame; a wrong passphrase is answered there and asked again', async () => {
    const key: DataKey = randomBytes(32);
    const attempt = vi.fn(async (p: string) => {
      if (p !== 'right one') throw new StorageKeyError('storage.keyWrong', 'the passphrase is wrong');
      return key;
    });
    const unlocked = askPassphraseInWindow('/app/unlock.preload.js', false, 'unlock', attempt);
    const [window] = BrowserWindow.instances;
    expect(window!.loadedUrl).toBe(UNLOCK_URL);
    expect(window!.options.webPreferences).toMatchObject({ preload: '/app/unlock.preload.js', contextIsolation: true, sandbox: true, nodeIntegration: false });

    expect(await invoke(window!, UNLOCK_MODE_CHANNEL)).toBe('unlock');
    const stranger = new BrowserWindow({});
    await stranger.loadURL('https://example.com/');
    await expect(invoke(stranger, UNLOCK_SUBMIT_CHANNEL, 'right one')).rejects.toThrow(/only answered for the unlock window/);
    expect(await invoke(window!, UNLOCK_SUBMIT_CHANNEL, 42)).toEqual({ ok: false, code: 'request.invalid' });
    expect(await invoke(window!, UNLOCK_SUBMIT_CHANNEL, 'x'.repeat(1025))).toEqual({ ok: false, code: 'request.invalid' });
    expect(await invoke(window!, UNLOCK_SUBMIT_CHANNEL, 'wrong')).toEqual({ ok: false, code: 'storage.keyWrong' });
    expect(window!.destroyed).toBe(false);
    expect(await invoke(window!, UNLOCK_SUBMIT_CHANNEL, 'right one')).toEqual({ ok: true });
    expect(await unlocked).toEqual(key);
    expect(window!.destroyed).toBe(true);
    expect(ipcMain.handlers.has(UNLOCK_SUBMIT_CHANNEL)).toBe(false);
  });

  it('gives no key when the admin closes it', async () => {
    const unlocked = askPassphraseInWindow('/app/unlock.preload.js', false, 'create', vi.fn());
    BrowserWindow.instances[0]!.close();
    expect(await unlocked).toBeNull();
    expect(ipcMain.handlers.has(UNLOCK_MODE_CHANNEL)).toBe(false);
  });
});

describe('the unlock preload', () => {
  it('exposes window.stationUnlock: the mode and the passphrase, over the unlock channels only', async () => {
    await import('../../../electron/preload/unlock.preload.js');
    const api = contextBridge.exposed.get('stationUnlock') as UnlockApi;
    expect(Object.keys(api).sort()).toEqual(['mode', 'submit']);
    ipcRenderer.invoke.mockResolvedValueOnce('create');
    expect(await api.mode()).toBe('create');
    expect(ipcRenderer.invoke).toHaveBeenLastCalledWith(UNLOCK_MODE_CHANNEL);
    ipcRenderer.invoke.mockResolvedValueOnce({ ok: true });
    expect(await api.submit('p')).toEqual({ ok: true });
    expect(ipcRenderer.invoke).toHaveBeenLastCalledWith(UNLOCK_SUBMIT_CHANNEL, 'p');
    await turn();
  });
});

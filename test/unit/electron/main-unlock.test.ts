/**
 * The desktop app on Linux without a real key store (`basic_text`): the unlock window comes first
 * and asks the site admin to set a passphrase; the core starts only with the key it unwraps, and
 * the unlock window closing does not quit the app.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { UNLOCK_MODE_CHANNEL, UNLOCK_SUBMIT_CHANNEL } from '../../../electron/api/unlock';
import { defaultKeyFile } from '../../../electron/core/vault/key-file';
import { runCoreProcess } from '../../../electron/utility/core-process';
import { tempDir } from '../../helpers/core';
import { app, BrowserWindow, ipcMain, safeStorage, utilityProcess } from './fake-electron';

vi.mock('electron', () => import('./fake-electron.js'));

const until = async (check: () => boolean) => {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
};
const dataDir = path.join(tempDir(), 'data');
const argv = process.argv;
const platform = Object.getOwnPropertyDescriptor(process, 'platform')!;

beforeAll(async () => {
  process.argv = ['/opt/Station/station', '--data', dataDir, '--devices', 'off'];
  Object.defineProperty(process, 'platform', { value: 'linux' });
  safeStorage.backend = 'basic_text';
  utilityProcess.program = (parent, exit) => void runCoreProcess(parent, exit);
  await import('../../../electron/main/main.js');
});
afterAll(() => {
  process.argv = argv;
  Object.defineProperty(process, 'platform', platform);
});

it('asks for a new passphrase before anything starts, then starts the core with the key it protects', async () => {
  app.becomeReady();
  await until(() => BrowserWindow.instances.length === 1);
  const unlock = BrowserWindow.instances[0]!;
  expect(unlock.loadedUrl).toBe('app://station/unlock.html');
  expect(unlock.options.webPreferences).toMatchObject({ preload: path.resolve(__dirname, '../../../electron/preload/unlock.preload.js'), sandbox: true });
  expect(utilityProcess.children).toHaveLength(0);

  const call = (channel: string, ...args: unknown[]) => ipcMain.handlers.get(channel)!({ sender: unlock.webContents, senderFrame: unlock.webContents.mainFrame }, ...args);
  expect(await call(UNLOCK_MODE_CHANNEL)).toBe('create');
  expect(await call(UNLOCK_SUBMIT_CHANNEL, 'short')).toEqual({ ok: false, code: 'storage.passphraseTooShort' });
  expect(await call(UNLOCK_SUBMIT_CHANNEL, '站点口令 correct horse')).toEqual({ ok: true });

  await until(() => BrowserWindow.instances.length === 2);
  expect(unlock.destroyed).toBe(true);
  expect(app.quit).not.toHaveBeenCalled();
  expect(BrowserWindow.instances[1]!.loadedUrl).toBe('app://station/index.html');
  await until(() => utilityProcess.children.length === 1);
  expect(utilityProcess.children[0]!.received[0]).toMatchObject({ type: 'open', dataDir, dataKey: expect.stringMatching(/^[0-9a-f]{64}$/) });
  // The key is under the passphrase, in the folder; nothing in clear beside it.
  expect(JSON.parse(fs.readFileSync(path.join(dataDir, 'data-key.json'), 'utf8'))).toMatchObject({ protector: 'passphrase', kdf: { algorithm: 'argon2id', memoryCost: 19456, timeCost: 2, parallelism: 1 } });
  expect(fs.existsSync(defaultKeyFile(dataDir))).toBe(false);
});

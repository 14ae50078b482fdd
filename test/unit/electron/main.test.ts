import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Result, ScanOutcome } from '../../../electron/api/contract';
import { openEncrypted } from '../../../electron/core/db/cipher';
import { CALL_CHANNEL, EVENT_CHANNEL } from '../../../electron/main/ipc.main';
import { runCoreProcess } from '../../../electron/utility/core-process';
import { TEST_ADMIN, tempDir } from '../../helpers/core';
import { idNumber, tubeCode } from '../../helpers/ids';
import { app, BrowserWindow, FakeEvent, ipcMain, protocol, session, utilityProcess } from './fake-electron';

vi.mock('electron', () => import('./fake-electron.js'));

const turn = () => new Promise((resolve) => setImmediate(resolve));
const until = async (check: () => boolean) => {
  while (!check()) await turn();
};

const dataDir = path.join(tempDir(), 'desk-data');
const argv = process.argv;

beforeAll(async () => {
  process.argv = ['/opt/Station/station', '--no-sandbox', '--data', dataDir, '--devices', 'off'];
  utilityProcess.program = (parent, exit) => void runCoreProcess(parent, exit);
  await import('../../../electron/main/main.js');
});
afterAll(() => {
  process.argv = argv;
});

const mainWindow = (): BrowserWindow => {
  const window = BrowserWindow.instances[0];
  if (!window) throw new Error('no window was created');
  return window;
};

function callFromWindow(method: string, args: unknown): Promise<Result<unknown>> {
  const handler = ipcMain.handlers.get(CALL_CHANNEL);
  if (!handler) throw new Error('station.call is not registered');
  const window = mainWindow();
  return Promise.resolve(handler({ sender: window.webContents, senderFrame: window.webContents.mainFrame }, method, args)) as Promise<Result<unknown>>;
}

describe('Electron main process', () => {
  it('before ready: registers the app scheme, enforces the sandbox everywhere, uses the Station app-data folder, opens nothing', () => {
    expect(protocol.privileged.map((s) => s.scheme)).toEqual(['app']);
    expect(app.sandboxEnabled).toBe(true);
    expect(app.getPath('userData')).toBe(path.join(app.getPath('appData'), 'Station'));
    expect(BrowserWindow.instances).toHaveLength(0);
    expect(utilityProcess.children).toHaveLength(0);
  });

  it('when ready: denies permissions, serves app://, starts the core with the command line’s options and opens a locked-down window on the app', async () => {
    app.becomeReady();
    await until(() => BrowserWindow.instances.length === 1);
    expect(session.defaultSession.permissionCheckHandler?.(null, 'media', 'app://station', {})).toBe(false);
    expect(protocol.handlers.has('app')).toBe(true);

    const [child] = utilityProcess.children;
    expect(child?.modulePath).toBe(path.resolve(__dirname, '../../../electron/utility/core-process.js'));
    expect(child?.received[0]).toEqual({ type: 'open', dataDir, dataKey: expect.stringMatching(/^[0-9a-f]{64}$/), devices: 'off' });
    // The OS's key store keeps the key: wrapped in the data folder, no key file beside it.
    expect(fs.existsSync(path.join(dataDir, 'data-key.json'))).toBe(true);
    expect(fs.existsSync(`${dataDir}.key`)).toBe(false);

    const window = mainWindow();
    expect(window.options.webPreferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      preload: path.resolve(__dirname, '../../../electron/preload/preload.js'),
    });
    expect(window.loadedUrl).toBe('app://station/index.html');
    expect(window.webContents.tryNavigation('will-navigate', 'https://example.com/')).toBe(false);
    expect(window.webContents.windowOpenHandler?.({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    window.emit('ready-to-show');
    expect(window.shown).toBe(true);
  });

  it('carries a scan from the window to the core and the core’s events back to the window', async () => {
    expect(await callFromWindow('operator.setup', TEST_ADMIN)).toMatchObject({ ok: true, value: { state: 'active' } });
    expect(await callFromWindow('scan.submit', { text: tubeCode(5), source: 'wedge' })).toMatchObject({ ok: true, value: { kind: 'tube.opened' } });
    const bound = (await callFromWindow('scan.submit', { text: idNumber(5), source: 'wedge' })) as Result<ScanOutcome>;
    expect(bound).toMatchObject({ ok: true, value: { kind: 'person.bound', count: 1 } });
    const sent = mainWindow().webContents.sent;
    await until(() => sent.some((m) => (m.args[0] as { payload?: { openTube?: { count?: number } } }).payload?.openTube?.count === 1));
    expect(sent.every((m) => m.channel === EVENT_CHANNEL)).toBe(true);
  });

  it('on quit: holds the quit until the core has closed its database, then quits', async () => {
    const event = new FakeEvent({});
    app.emit('before-quit', event);
    expect(event.defaultPrevented).toBe(true);
    await until(() => app.quit.mock.calls.length > 0);
    expect(utilityProcess.children[0]?.received.at(-1)).toEqual({ type: 'shutdown' });

    const again = new FakeEvent({});
    app.emit('before-quit', again);
    expect(again.defaultPrevented).toBe(false);

    const { dataKey } = utilityProcess.children[0]?.received[0] as { dataKey: string };
    const db = openEncrypted(path.join(dataDir, 'station.db'), Buffer.from(dataKey, 'hex'), { readonly: true });
    try {
      expect((db.prepare('SELECT count(*) AS n FROM binding').get() as { n: number }).n).toBe(1);
    } finally {
      db.close();
    }
  });
});

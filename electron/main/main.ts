/**
 * Electron main process: a thin, locked-down host. It starts the core in a utility process,
 * serves the built renderer from `app://station/` and bridges the window to the core through
 * one IPC channel. Everything with state or devices lives in the core. Before the core starts,
 * the data folder's key is unlocked (`data-key.main.ts`): by the OS's key store, or by the site
 * admin's passphrase in the unlock window.
 *
 * Development: Electron runs its own Node, so the core's native modules
 * (better-sqlite3-multiple-ciphers, serialport, node-hid) must be built for Electron's ABI before
 * `npm start` can use Electron: `npm run rebuild:electron`. That build no longer loads under plain Node (tests, `station serve`);
 * `npm rebuild` switches back. Packaging (`npm run dist`) rebuilds for Electron by itself.
 */
import path from 'node:path';
import { app, BrowserWindow, session } from 'electron';
import type { WorkplaceView } from '../api/gate';
import { createLogger } from '../core/log';
import { askRetryAfterCoreFailure } from './core-failure.main';
import { CoreHost } from './core-host.main';
import { osKeyStore, unlockDataKey, type PassphrasePrompt } from './data-key.main';
import { registerStationIpc, sendEvent } from './ipc.main';
import { launchOptionsFrom } from './launch-options.main';
import { SentinelMode } from './sentinel.main';
import { APP_ENTRY_URL, APP_SCHEME, createAppProtocolHandler, registerAppScheme } from './protocol.main';
import { denyPermissions, installWebContentsGuards, mainWindowOptions } from './security.main';
import { askPassphraseInWindow } from './unlock.main';

const log = createLogger('main');

// Compiled layout: dist/electron/{main,preload,utility}/ and dist/renderer/, inside app.asar when packaged.
const PRELOAD = path.join(__dirname, '..', 'preload', 'preload.js');
const UNLOCK_PRELOAD = path.join(__dirname, '..', 'preload', 'unlock.preload.js');
const CORE_PROCESS = path.join(__dirname, '..', 'utility', 'core-process.js');
const RENDERER_ROOT = path.join(__dirname, '..', '..', 'renderer');

function main(): void {
  registerAppScheme();
  app.enableSandbox();
  // The folder `station serve` uses by default (core/paths.ts), however Electron was launched.
  app.setPath('userData', path.join(app.getPath('appData'), 'Station'));
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }

  let window: BrowserWindow | null = null;
  let failureShown = false;
  const launch = launchOptionsFrom(process.argv, app.getPath('userData'));
  const host = new CoreHost({
    modulePath: CORE_PROCESS,
    ...launch,
    onEvent: (event) => {
      sentinel.observe(event);
      sendEvent(window, event);
    },
    onState: (state) => {
      log.info({ state: state.kind }, 'core state');
      if (state.kind === 'ready') void sentinel.learn();
      if (state.kind !== 'failed' || failureShown) return;
      // Nobody stands at a sentinel to answer a dialog: it starts its core again by itself.
      if (sentinel.coreFailed()) return;
      failureShown = true;
      void askRetryAfterCoreFailure(window, state).then((retry) => {
        failureShown = false;
        if (retry) host.retry();
        else app.quit();
      });
    },
  });

  const sentinel = new SentinelMode({
    window: () => window,
    askWorkplace: async () => {
      const result = await host.call('station.workplace', {});
      return result.ok ? (result.value as WorkplaceView).workplace : null;
    },
    retryCore: () => host.retry(),
  });

  const createWindow = (): BrowserWindow => {
    const created = new BrowserWindow(mainWindowOptions(PRELOAD, { devTools: !app.isPackaged }));
    sentinel.applyTo(created);
    created.once('ready-to-show', () => created.show());
    created.on('closed', () => {
      if (window === created) window = null;
    });
    void created.loadURL(APP_ENTRY_URL);
    return created;
  };

  installWebContentsGuards();
  app.on('second-instance', () => {
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });
  // The unlock window closes before the main one opens: that is not the last window closing.
  let unlocking = true;
  app.on('window-all-closed', () => {
    if (!unlocking) app.quit();
  });
  app.on('before-quit', (event) => {
    if (host.state.kind === 'stopped') return;
    // The core closes its database first; quitting resumes once it has.
    event.preventDefault();
    void host.stop().then(() => app.quit());
  });

  void app.whenReady().then(async () => {
    denyPermissions(session.defaultSession);
    session.defaultSession.protocol.handle(APP_SCHEME, createAppProtocolHandler(RENDERER_ROOT));
    registerStationIpc(host, () => window);
    const prompt: PassphrasePrompt = (mode, attempt) => askPassphraseInWindow(UNLOCK_PRELOAD, !app.isPackaged, mode, attempt);
    const dataKey = await unlockDataKey(launch.dataDir, prompt, await osKeyStore());
    if (!dataKey) {
      app.quit();
      return;
    }
    host.start(dataKey);
    window = createWindow();
    unlocking = false;
  });
}

main();

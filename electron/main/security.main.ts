/**
 * The window's locks. The renderer shows scans and talks to the core through the preload;
 * it needs no Node, no other origin, no new windows, no webviews and no browser permissions,
 * so all of them are off or denied, for this window and for any webContents made later.
 */
import { app, type BrowserWindowConstructorOptions, type Session, type WebContents } from 'electron';
import { createLogger } from '../core/log';
import { isAppUrl } from './protocol.main';

const log = createLogger('security');

export function mainWindowOptions(preload: string, options: { devTools: boolean }): BrowserWindowConstructorOptions {
  return {
    title: 'Station',
    width: 1280,
    height: 800,
    minWidth: 800,
    minHeight: 600,
    show: false,
    backgroundColor: '#ffffff',
    autoHideMenuBar: true,
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools: options.devTools,
    },
  };
}

/** Navigation stays on the app's origin; anything else is stopped before it starts. */
export function hardenWebContents(contents: WebContents): void {
  contents.setWindowOpenHandler(({ url }) => {
    log.warn({ origin: originOf(url) }, 'window.open denied');
    return { action: 'deny' };
  });
  const stayOnAppOrigin = (event: { url: string; preventDefault(): void }, kind: string): void => {
    if (isAppUrl(event.url)) return;
    event.preventDefault();
    log.warn({ origin: originOf(event.url), kind }, 'navigation blocked');
  };
  contents.on('will-navigate', (event) => stayOnAppOrigin(event, 'navigate'));
  contents.on('will-frame-navigate', (event) => stayOnAppOrigin(event, 'frame'));
  contents.on('will-redirect', (event) => stayOnAppOrigin(event, 'redirect'));
  contents.on('will-attach-webview', (event) => {
    event.preventDefault();
    log.warn('webview attach blocked');
  });
}

/** Every permission request and check is refused: the app uses none (devices go through the core). */
export function denyPermissions(session: Session): void {
  session.setPermissionRequestHandler((_contents, permission, callback) => {
    log.warn({ permission }, 'permission request denied');
    callback(false);
  });
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
}

/** Applies `hardenWebContents` to every webContents the app ever creates, this window's included. */
export function installWebContentsGuards(): void {
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents));
}

/** Where a blocked attempt wanted to go, without path or query (they may carry personal data). */
function originOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return 'unparseable';
  }
}

import type { Session, WebContents } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { denyPermissions, hardenWebContents, installWebContentsGuards, mainWindowOptions } from '../../../electron/main/security.main';
import { app, FakeEvent, FakeSession, FakeWebContents } from './fake-electron';

vi.mock('electron', () => import('./fake-electron.js'));

const asContents = (contents: FakeWebContents) => contents as unknown as WebContents;

describe('window security', () => {
  it('isolates the page: context isolation, sandbox, no Node, web security on, no webviews', () => {
    const options = mainWindowOptions('/app/dist/electron/preload/preload.js', { devTools: false });
    expect(options.webPreferences).toMatchObject({
      preload: '/app/dist/electron/preload/preload.js',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      devTools: false,
    });
  });

  it('denies every new window', () => {
    const contents = new FakeWebContents();
    hardenWebContents(asContents(contents));
    expect(contents.windowOpenHandler?.({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    expect(contents.windowOpenHandler?.({ url: 'app://station/index.html' })).toEqual({ action: 'deny' });
  });

  it('lets navigation stay on the app origin and stops every other navigation and redirect', () => {
    const contents = new FakeWebContents();
    hardenWebContents(asContents(contents));
    for (const kind of ['will-navigate', 'will-frame-navigate', 'will-redirect'] as const) {
      expect(contents.tryNavigation(kind, 'app://station/index.html#/desk')).toBe(true);
      for (const url of ['https://example.com/', 'http://127.0.0.1:8080/', 'file:///etc/passwd', 'app://other/index.html', 'javascript:alert(1)', 'data:text/html,x']) {
        expect(contents.tryNavigation(kind, url)).toBe(false);
      }
    }
  });

  it('refuses to attach a webview', () => {
    const contents = new FakeWebContents();
    hardenWebContents(asContents(contents));
    expect(contents.tryAttachWebview()).toBe(false);
  });

  it('guards every webContents created later, not only the main window', () => {
    installWebContentsGuards();
    const later = new FakeWebContents();
    app.emit('web-contents-created', new FakeEvent({}), later);
    expect(later.tryNavigation('will-navigate', 'https://example.com/')).toBe(false);
    expect(later.windowOpenHandler?.({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
  });

  it('denies every permission request and check', () => {
    const session = new FakeSession();
    denyPermissions(session as unknown as Session);
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'hid', 'serial', 'usb', 'fullscreen', 'openExternal']) {
      const callback = vi.fn();
      session.permissionRequestHandler?.(null, permission, callback, {});
      expect(callback).toHaveBeenCalledWith(false);
      expect(session.permissionCheckHandler?.(null, permission, 'app://station', {})).toBe(false);
    }
    expect(session.devicePermissionHandler?.({ deviceType: 'hid', origin: 'app://station' })).toBe(false);
  });
});

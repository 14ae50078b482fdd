import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import {
  APP_CSP,
  APP_ENTRY_URL,
  createAppProtocolHandler,
  isAppUrl,
  registerAppScheme,
  resolveAppPath,
} from '../../../electron/main/protocol.main';
import { tempDir } from '../../helpers/core';
import { protocol } from './fake-electron';

vi.mock('electron', () => import('./fake-electron.js'));

const SECRET = 'secret outside the renderer folder';
let base: string;
let root: string;
let handler: (request: Request) => Promise<Response>;

beforeAll(() => {
  base = tempDir();
  root = path.join(base, 'renderer');
  fs.mkdirSync(path.join(root, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>Station</title>');
  fs.writeFileSync(path.join(root, 'assets', 'app.js'), 'export {};');
  fs.writeFileSync(path.join(root, 'assets', 'scan ok.wav'), Buffer.from('RIFF'));
  fs.writeFileSync(path.join(base, 'secret.txt'), SECRET);
  fs.writeFileSync(path.join(base, 'renderer-evil.txt'), SECRET);
  handler = createAppProtocolHandler(root);
});

const get = (url: string, method = 'GET') => handler(new Request(url, { method }));

describe('app:// protocol', () => {
  it('is registered as a standard, secure scheme before the app is ready', () => {
    registerAppScheme();
    expect(protocol.privileged).toEqual([{ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) }]);
  });

  it('serves the renderer with the CSP, its content type and nosniff', async () => {
    const page = await get(APP_ENTRY_URL);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Station</title>');
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe(APP_CSP);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    const script = await get('app://station/assets/app.js');
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await get('app://station/')).status).toBe(200);
    const sound = await get('app://station/assets/scan%20ok.wav');
    expect(sound.status).toBe(200);
    expect(sound.headers.get('content-type')).toBe('audio/wav');
  });

  it('has the policy the app needs: own scripts only, no plugins, no framing, no base rewriting', () => {
    const directives = Object.fromEntries(APP_CSP.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1).join(' ')]));
    expect(directives).toEqual({
      'default-src': "'self'",
      'script-src': "'self'",
      'style-src': "'self' 'unsafe-inline'",
      'img-src': "'self' data: blob:",
      'media-src': "'self' data: blob:",
      'connect-src': "'self'",
      'object-src': "'none'",
      'base-uri': "'none'",
      'frame-ancestors': "'none'",
    });
  });

  it.each([
    'app://station/../secret.txt',
    'app://station/%2e%2e/secret.txt',
    'app://station/%2E%2E/secret.txt',
    'app://station/assets/..%2f..%2fsecret.txt',
    'app://station/..%5csecret.txt',
    'app://station/%2fetc%2fpasswd',
    'app://station//etc/passwd',
    'app://station/C:/Windows/win.ini',
    'app://station/index.html%00.js',
    'app://station/../renderer-evil.txt',
    'app://station/%E0%A4%A',
  ])('never serves a file outside the renderer folder: %s', async (url) => {
    const response = await get(url);
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(await response.text()).not.toContain(SECRET);
    expect(response.headers.get('content-security-policy')).toBe(APP_CSP);
  });

  it.each([
    ['/../secret.txt', 400],
    ['/assets/../../secret.txt', 400],
    ['/%2e%2e/secret.txt', 400],
    ['/.%2e/secret.txt', 400],
    ['/assets/%2e%2e%2f%2e%2e%2fsecret.txt', 400],
    ['//etc/passwd', 400],
    ['/C:/Windows/win.ini', 400],
    ['/a\\..\\..\\secret.txt', 400],
    ['/index.html%00', 400],
    ['secret.txt', 400],
  ] as const)('refuses the raw path %s before touching the disk', (rawPath, status) => {
    expect(resolveAppPath(root, rawPath)).toEqual({ ok: false, status });
  });

  it('maps a clean path inside the folder', () => {
    expect(resolveAppPath(root, '/assets/app.js')).toEqual({ ok: true, file: path.join(root, 'assets', 'app.js') });
    expect(resolveAppPath(root, '/')).toEqual({ ok: true, file: path.join(root, 'index.html') });
  });

  it('refuses other hosts, other methods and missing files', async () => {
    expect((await get('app://elsewhere/index.html')).status).toBe(403);
    expect((await get('app://station:8080/index.html')).status).toBe(403);
    expect((await get(APP_ENTRY_URL, 'POST')).status).toBe(405);
    expect((await get('app://station/missing.js')).status).toBe(404);
    expect((await get('app://station/assets')).status).toBe(404);
  });

  it('recognises only its own origin', () => {
    expect(isAppUrl('app://station/index.html')).toBe(true);
    expect(isAppUrl('app://station/desk?x=1#y')).toBe(true);
    for (const url of ['app://stationx/', 'app://evil@station/', 'app://station:1/', 'https://station/', 'file:///index.html', 'app:station', '', 'not a url']) {
      expect(isAppUrl(url)).toBe(false);
    }
  });
});

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startKioskHost, type KioskHost } from '../../electron/kiosk/server';
import { freshFolder, tempDir, TEST_ADMIN, withKey } from '../helpers/core';
import { tubeCode } from '../helpers/ids';

let host: KioskHost | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
});

type SocketOptions = { origin?: string; token?: string; headers?: Record<string, string> };

function openSocket(url: string, options: SocketOptions): WebSocket {
  const headers = { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...options.headers };
  return new WebSocket(url.replace('http', 'ws') + 'api', { ...(options.origin ? { origin: options.origin } : {}), headers });
}

function connect(url: string, options: SocketOptions = {}): Promise<WebSocket> {
  const ws = openSocket(url, options);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** A refused WebSocket: the upgrade is answered with this HTTP status and never opens. */
function refusedUpgrade(url: string, options: SocketOptions): Promise<number> {
  const ws = openSocket(url, options);
  ws.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    ws.once('open', () => reject(new Error('the WebSocket was opened')));
    ws.once('unexpected-response', (req, res) => {
      resolve(res.statusCode ?? 0);
      req.destroy();
    });
  });
}

/** A raw GET, so the Host header can be anything (fetch always sends the real one). */
function get(url: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on('error', reject);
  });
}

function next(ws: WebSocket, predicate: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const onMessage = (data: Buffer) => {
      const message = JSON.parse(data.toString()) as Record<string, unknown>;
      if (predicate(message)) {
        ws.off('message', onMessage);
        resolve(message);
      }
    };
    ws.on('message', onMessage);
  });
}

describe('kiosk host', () => {
  it('answers API calls over the WebSocket and pushes desk events', async () => {
    host = await startKioskHost({ ...freshFolder(), port: 0, rendererDir: tempDir() });
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const ws = await connect(host.url, { origin: host.url.slice(0, -1), token: host.token });
    // The desk works for a signed-in operator only: the first-run step signs the test's admin in.
    const setup = next(ws, (m) => m.type === 'result' && m.id === 6);
    ws.send(JSON.stringify({ type: 'call', id: 6, method: 'operator.setup', args: TEST_ADMIN }));
    expect(await setup).toMatchObject({ result: { ok: true, value: { state: 'active' } } });
    const event = next(ws, (m) => m.type === 'event' && m.event === 'desk.changed');
    const result = next(ws, (m) => m.type === 'result' && m.id === 7);
    ws.send(JSON.stringify({ type: 'call', id: 7, method: 'scan.submit', args: { text: tubeCode(1), source: 'wedge' } }));
    expect(await result).toMatchObject({ result: { ok: true, value: { kind: 'tube.opened', tubeCode: tubeCode(1) } } });
    expect(await event).toMatchObject({ event: 'desk.changed', payload: { openTube: { code: tubeCode(1) } } });
    const invalid = next(ws, (m) => m.id === 8);
    ws.send(JSON.stringify({ type: 'call', id: 8, method: 'scan.submit', args: { text: 5 } }));
    expect(await invalid).toMatchObject({ result: { ok: false, error: { code: 'request.invalid' } } });
    ws.close();
  });

  it('refuses a WebSocket from another origin, without an origin, or without the key', async () => {
    host = await startKioskHost({ ...freshFolder(), port: 0, rendererDir: tempDir() });
    const own = host.url.slice(0, -1);
    expect(await refusedUpgrade(host.url, { origin: 'http://evil.example', token: host.token })).toBe(403);
    expect(await refusedUpgrade(host.url, { token: host.token })).toBe(403);
    expect(await refusedUpgrade(host.url, { origin: own })).toBe(401);
    expect(await refusedUpgrade(host.url, { origin: own, token: 'x'.repeat(43) })).toBe(401);
    expect(await refusedUpgrade(host.url, { origin: own, token: host.token, headers: { host: `evil.example:${new URL(host.url).port}` } })).toBe(421);
  });

  it('refuses every HTTP request without the key, naming another host, or from another origin', async () => {
    const rendererDir = tempDir();
    fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>screen</title>');
    host = await startKioskHost({ ...freshFolder(), port: 0, rendererDir });
    const port = new URL(host.url).port;
    const key = { authorization: `Bearer ${host.token}` };
    expect((await get(host.url, key)).status).toBe(200);
    for (const target of ['', 'index.html', 'healthz']) {
      const refused = await get(host.url + target, {});
      expect(refused.status).toBe(401);
      expect(refused.headers['x-station-error']).toBe('kiosk.keyMissing');
      expect(refused.body).toContain('Station needs the key of this launch');
      expect(refused.body).not.toContain('screen');
    }
    // DNS rebinding: a page at evil.example whose name now points at 127.0.0.1 sends its own name.
    for (const name of [`evil.example:${port}`, '127.0.0.1', `127.0.0.1:1`, `localhost.evil.example:${port}`]) {
      const refused = await get(host.url, { ...key, host: name });
      expect(refused.status).toBe(421);
      expect(refused.headers['x-station-error']).toBe('kiosk.foreignHost');
    }
    expect((await get(host.url, { ...key, host: `localhost:${port}` })).status).toBe(200);
    expect((await get(`${host.url}healthz`, { ...key, origin: 'http://evil.example' })).status).toBe(403);
    expect((await get(`${host.url}healthz`, { ...key, origin: `http://localhost:${port}` })).status).toBe(200);
  });

  it('trades the key in the launch address for an HttpOnly SameSite=Strict cookie, and writes it to a file only this user reads', async () => {
    const dataDir = tempDir();
    host = await startKioskHost({ ...withKey(dataDir), port: 0, rendererDir: tempDir() });
    expect(host.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(host.tokenFile).toBe(path.join(dataDir, 'kiosk.token'));
    expect(fs.readFileSync(host.tokenFile, 'utf8').trim()).toBe(host.token);
    if (process.platform !== 'win32') expect(fs.statSync(host.tokenFile).mode & 0o777).toBe(0o600);

    expect((await get(`${host.url}launch?token=wrong`, {})).status).toBe(401);
    expect((await get(`${host.url}launch`, {})).status).toBe(401);
    const launched = await get(host.launchUrl, {});
    expect(launched.status).toBe(200);
    expect(launched.headers['cache-control']).toBe('no-store');
    expect(launched.headers['referrer-policy']).toBe('no-referrer');
    expect(launched.body).toContain('content="0;url=/"');
    const cookie = launched.headers['set-cookie']?.[0] ?? '';
    expect(cookie).toMatch(new RegExp(`^station-kiosk-${new URL(host.url).port}=${host.token};`));
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    const withCookie = { cookie: cookie.split(';')[0]! };
    expect((await get(`${host.url}healthz`, withCookie)).status).toBe(200);
    const ws = await connect(host.url, { origin: host.url.slice(0, -1), headers: withCookie });
    ws.close();

    // A key from another launch (another port's cookie) opens nothing.
    expect((await get(`${host.url}healthz`, { cookie: `station-kiosk-1=${host.token}` })).status).toBe(401);
    await host.close();
    host = undefined;
    expect(fs.existsSync(path.join(dataDir, 'kiosk.token'))).toBe(false);
  });

  it('replaces a key file left by an earlier launch or planted as a link, never writing through it', async () => {
    const dataDir = tempDir();
    const target = path.join(tempDir(), 'elsewhere');
    fs.writeFileSync(target, 'untouched');
    fs.symlinkSync(target, path.join(dataDir, 'kiosk.token'));
    host = await startKioskHost({ ...withKey(dataDir), port: 0, rendererDir: tempDir() });
    expect(fs.lstatSync(host.tokenFile).isSymbolicLink()).toBe(false);
    expect(fs.readFileSync(target, 'utf8')).toBe('untouched');
  });

  it('sends the CSP and explains when the screen is not built', async () => {
    host = await startKioskHost({ ...freshFolder(), port: 0, rendererDir: tempDir() });
    const response = await fetch(host.url, { headers: { authorization: `Bearer ${host.token}` } });
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await response.text()).toContain('npm run build');
  });
});

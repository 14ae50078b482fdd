import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startKioskHost, type KioskHost } from '../../electron/kiosk/server';
import { freshFolder, tempDir } from '../helpers/core';
import { tubeCode } from '../helpers/ids';

let host: KioskHost | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
});

function connect(url: string, origin?: string): Promise<WebSocket> {
  const ws = new WebSocket(url.replace('http', 'ws') + 'api', origin ? { origin } : {});
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
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
    const ws = await connect(host.url, host.url.slice(0, -1));
    const event = next(ws, (m) => m.type === 'event');
    const result = next(ws, (m) => m.type === 'result' && m.id === 7);
    ws.send(JSON.stringify({ type: 'call', id: 7, method: 'scan.submit', args: { text: tubeCode(1), source: 'wedge' } }));
    expect(await result).toMatchObject({ result: { ok: true, value: { kind: 'tube.opened', tubeCode: tubeCode(1) } } });
    expect(await event).toMatchObject({ event: 'desk.changed', payload: { openTube: { code: tubeCode(1) } } });
    const invalid = next(ws, (m) => m.id === 8);
    ws.send(JSON.stringify({ type: 'call', id: 8, method: 'scan.submit', args: { text: 5 } }));
    expect(await invalid).toMatchObject({ result: { ok: false, error: { code: 'request.invalid' } } });
    ws.close();
  });

  it('refuses a WebSocket opened by a page from another origin', async () => {
    host = await startKioskHost({ ...freshFolder(), port: 0, rendererDir: tempDir() });
    const ws = await connect(host.url, 'http://evil.example');
    const code = await new Promise<number>((resolve) => ws.once('close', (c) => resolve(c)));
    expect(code).toBe(1008);
  });

  it('sends the CSP and explains when the screen is not built', async () => {
    host = await startKioskHost({ ...freshFolder(), port: 0, rendererDir: tempDir() });
    const response = await fetch(host.url);
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await response.text()).toContain('npm run build');
  });
});

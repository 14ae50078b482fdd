import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { LEDGER_CHUNK_BYTES } from '../api/roster';
import { StationCore, type CoreOptions } from '../core/core';
import { createLogger } from '../core/log';
import { openWireSession } from '../core/transport';
import { KIOSK_LAUNCH_PATH, KIOSK_TOKEN_FILE, KioskAccess, newKioskToken, removeKioskTokenFile, writeKioskTokenFile } from './access';

const log = createLogger('kiosk');

/** The renderer's CSP: only our own scripts; the WebSocket back to this host. */
export const KIOSK_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "media-src 'self' data: blob:",
  "connect-src 'self' ws://127.0.0.1:* ws://localhost:*",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** A ledger chunk in base64 is a third larger than LEDGER_CHUNK_BYTES; the rest of the call is small. */
export const KIOSK_MAX_MESSAGE_BYTES = Math.ceil((LEDGER_CHUNK_BYTES * 4) / 3) + 64 * 1024;

export type KioskOptions = CoreOptions & {
  port: number;
  /** Loopback only: the kiosk host is for this machine's browser, never the network. */
  host?: '127.0.0.1' | 'localhost';
  /** The built renderer (dist/renderer). */
  rendererDir?: string;
  /** An already open core (tests, CLI); otherwise one is opened on `dataDir`. */
  core?: StationCore;
  /** Where this launch's key is written for other programs of this user; `<dataDir>/kiosk.token` by default. */
  tokenFile?: string;
};

export type KioskHost = {
  /** The host's address; every request to it needs `token`. */
  url: string;
  /** The address that opens the screen in a browser: it carries the key once, then leaves it for a cookie. */
  launchUrl: string;
  /** This launch's key (256 random bits), also in `tokenFile` (readable by this user only). */
  token: string;
  tokenFile: string;
  core: StationCore;
  app: FastifyInstance;
  close(): Promise<void>;
};

export function defaultRendererDir(): string {
  // dist/electron/kiosk/server.js -> dist/renderer
  return path.resolve(__dirname, '..', '..', 'renderer');
}

/**
 * The kiosk host: the core under plain Node, the built renderer over HTTP and the typed API over
 * one WebSocket per page at /api. Browsers in kiosk mode and the end-to-end tests use it.
 */
export async function startKioskHost(options: KioskOptions): Promise<KioskHost> {
  const core = options.core ?? new StationCore(options);
  const rendererDir = options.rendererDir ?? defaultRendererDir();
  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
  const access = new KioskAccess(newKioskToken());
  const tokenFile = options.tokenFile ?? path.join(options.dataDir, KIOSK_TOKEN_FILE);

  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', KIOSK_CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
  });

  // One message carries at most one call; the largest is a chunk of a ledger upload (LEDGER_CHUNK_BYTES, base64).
  await app.register(fastifyWebsocket, { options: { maxPayload: KIOSK_MAX_MESSAGE_BYTES } });
  // Host, origin and key are checked before every route, the API's WebSocket upgrade included
  // (after the WebSocket plugin's own hook, which closes a refused upgrade's socket).
  await app.register(fastifyCookie);
  app.addHook('onRequest', access.check);
  app.get(KIOSK_LAUNCH_PATH, access.launch);
  app.register(async (scope) => {
    scope.get('/api', { websocket: true }, (socket) => {
      const session = openWireSession(core, (message) => {
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
      });
      socket.on('message', (data: Buffer) => {
        let message: unknown;
        try {
          message = JSON.parse(data.toString('utf8'));
        } catch {
          socket.close(1007, 'not JSON');
          return;
        }
        session.receive(message);
      });
      socket.on('close', () => session.close());
    });
  });

  app.get('/healthz', async () => ({ ok: true, station: core.identity.station.id }));

  if (fs.existsSync(path.join(rendererDir, 'index.html'))) {
    await app.register(fastifyStatic, { root: rendererDir, index: 'index.html', maxAge: 0 });
  } else {
    app.get('/', async (_request, reply) =>
      reply
        .type('text/plain; charset=utf-8')
        .send(`Station: the screen is not built yet (${rendererDir}). Run "npm run build".\nStation：界面尚未构建，请运行 "npm run build"。\n`),
    );
  }

  const host = options.host ?? '127.0.0.1';
  try {
    await app.listen({ port: options.port, host });
  } catch (err) {
    await app.close();
    if (!options.core) core.close();
    throw err;
  }
  const port = (app.server.address() as AddressInfo).port;
  const url = `http://${host}:${port}/`;
  access.listeningOn(port);
  try {
    writeKioskTokenFile(tokenFile, access.token);
  } catch (err) {
    await app.close();
    if (!options.core) core.close();
    throw err;
  }
  log.info({ url }, 'kiosk host listening');
  return {
    url,
    launchUrl: `${url}${KIOSK_LAUNCH_PATH.slice(1)}?token=${access.token}`,
    token: access.token,
    tokenFile,
    core,
    app,
    async close() {
      await app.close();
      removeKioskTokenFile(tokenFile, access.token);
      if (!options.core) core.close();
    },
  };
}

import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import { z } from 'zod';
import { createLogger } from '../core/log';

const log = createLogger('kiosk');

/** Where the host writes this launch's key for other programs of the same user (tests, scripts). */
export const KIOSK_TOKEN_FILE = 'kiosk.token';
/** The page the browser is sent to first: it trades the key in its address for a cookie. */
export const KIOSK_LAUNCH_PATH = '/launch';

/** Why a request was refused; said in words on the refusal page and logged by code. */
export type KioskRefusal = 'kiosk.foreignHost' | 'kiosk.foreignOrigin' | 'kiosk.keyMissing';

const REFUSAL_STATUS: Record<KioskRefusal, number> = { 'kiosk.foreignHost': 421, 'kiosk.foreignOrigin': 403, 'kiosk.keyMissing': 401 };

const REFUSAL_WORDS: Record<KioskRefusal, string> = {
  'kiosk.foreignHost': 'Station 只接受本机地址 127.0.0.1 或 localhost 的访问。\nStation only answers on this machine\'s address, 127.0.0.1 or localhost.',
  'kiosk.foreignOrigin': 'Station 拒绝了来自其他网页的请求。\nStation refused a request from another web page.',
  'kiosk.keyMissing':
    'Station 需要本次启动的钥匙：请从 Station 的快捷方式（或 npm start）重新打开；Station 重启后需要重新打开窗口。\nStation needs the key of this launch: open Station again from its shortcut (or npm start); after Station restarts, open its window again.',
};

const launchQuerySchema = z.object({ token: z.string().min(1).max(128) });

/** A fresh random key for one launch of the host: 256 bits. */
export function newKioskToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Writes the key to a file only this user can read. A file already there (a previous launch) is
 * removed first and the new one created exclusively, so a planted file or link is never followed
 * and never keeps looser permissions.
 */
export function writeKioskTokenFile(file: string, token: string): void {
  fs.rmSync(file, { force: true });
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
  try {
    fs.writeSync(fd, `${token}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Removes the key file if it still holds this launch's key (a newer launch may have replaced it). */
export function removeKioskTokenFile(file: string, token: string): void {
  try {
    if (fs.readFileSync(file, 'utf8').trim() === token) fs.rmSync(file, { force: true });
  } catch {
    // already gone
  }
}

function sameSecret(given: string, expected: string): boolean {
  // Digests first: equal lengths for timingSafeEqual, and no timing hint about the key's length.
  return timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());
}

/**
 * Who may talk to the kiosk host: a request must name this host by its loopback address (a DNS
 * rebinding page names its own), come from no other origin (a WebSocket must say its origin, and
 * it must be ours), and carry this launch's key, as the cookie the launch page set or as an
 * `Authorization: Bearer` header.
 */
export class KioskAccess {
  private hosts = new Set<string>();
  private origins = new Set<string>();
  private cookie = 'station-kiosk';

  constructor(readonly token: string) {}

  /** Known once the host listens: its port names the allowed hosts, origins and the cookie. */
  listeningOn(port: number): void {
    this.hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
    this.origins = new Set([...this.hosts].map((host) => `http://${host}`));
    // Cookies are not kept apart by port: one name per port, so two hosts on one machine never mix.
    this.cookie = `station-kiosk-${port}`;
  }

  /** The onRequest hook: refuses before any route (static files, the API's WebSocket) runs. */
  readonly check = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const refusal = this.refusal(request);
    if (!refusal) return;
    log.warn({ code: refusal, path: request.url.split('?')[0] }, 'kiosk request refused');
    await refuse(reply, refusal);
  };

  /** GET /launch?token=…: the key becomes a cookie the page never sees, then the address is left. */
  readonly launch = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const query = launchQuerySchema.safeParse(request.query);
    if (!query.success || !sameSecret(query.data.token, this.token)) {
      log.warn({ code: 'kiosk.keyMissing' }, 'launch with a wrong key refused');
      await refuse(reply, 'kiosk.keyMissing');
      return;
    }
    reply.setCookie(this.cookie, this.token, { httpOnly: true, sameSite: 'strict', path: '/' });
    // A page of our own moves on to the screen, rather than a redirect: the move then starts on
    // this origin, so the browser sends the SameSite=Strict cookie even when it was opened from a
    // file or another program, and the address with the key is replaced in the history.
    await reply
      .header('cache-control', 'no-store')
      .type('text/html; charset=utf-8')
      .send('<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=/"><title>Station</title>');
  };

  private refusal(request: FastifyRequest): KioskRefusal | null {
    if (!this.hosts.has(request.headers.host ?? '')) return 'kiosk.foreignHost';
    const origin = request.headers.origin;
    const websocket = request.headers.upgrade?.toLowerCase() === 'websocket';
    if ((origin === undefined && websocket) || (origin !== undefined && !this.origins.has(origin))) return 'kiosk.foreignOrigin';
    if (request.method === 'GET' && request.url.split('?')[0] === KIOSK_LAUNCH_PATH) return null;
    return this.hasKey(request) ? null : 'kiosk.keyMissing';
  }

  private hasKey(request: FastifyRequest): boolean {
    const cookie = request.cookies[this.cookie];
    if (cookie !== undefined && sameSecret(cookie, this.token)) return true;
    const bearer = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
    return bearer !== undefined && sameSecret(bearer, this.token);
  }
}

function refuse(reply: FastifyReply, code: KioskRefusal): FastifyReply {
  // The connection is closed after the refusal: a refused WebSocket upgrade never becomes anything else.
  return reply.code(REFUSAL_STATUS[code]).header('connection', 'close').header('cache-control', 'no-store').header('x-station-error', code).type('text/plain; charset=utf-8').send(`${code}\n${REFUSAL_WORDS[code]}\n`);
}

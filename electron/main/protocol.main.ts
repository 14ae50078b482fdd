/**
 * The app's own origin, `app://station/`: the built renderer is served from it instead of
 * `file://`, so the page has a real origin, a CSP on every response, and can reach no file
 * outside the renderer folder.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { protocol } from 'electron';

export const APP_SCHEME = 'app';
export const APP_HOST = 'station';
export const APP_ENTRY_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** The renderer needs its own scripts, inline styles (React style props), and data/blob images and sounds. */
export const APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "media-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Must run before the app is ready: a standard, secure scheme gets an origin, fetch and media streaming. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } },
  ]);
}

/** True when `url` is a page of the app itself (parsed, never compared as a string). */
export function isAppUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST && parsed.username === '' && parsed.password === '';
}

export type AppFile = { ok: true; file: string } | { ok: false; status: 400 | 403 };

/**
 * Maps a request path to a file inside `root`, or refuses it. Checked on the raw path first
 * (encoded separators, NUL, dot segments, drive letters, empty segments as in `//etc`), then
 * again after resolving, so nothing a URL parser or a platform's path rules do can step outside.
 */
export function resolveAppPath(root: string, rawPath: string): AppFile {
  const base = path.resolve(root);
  if (!rawPath.startsWith('/') || rawPath.includes('\\') || /%(?:2f|5c|00)/i.test(rawPath)) return { ok: false, status: 400 };
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return { ok: false, status: 400 };
  }
  if (decoded.includes('\0')) return { ok: false, status: 400 };
  const segments = decoded === '/' ? ['index.html'] : decoded.slice(1).split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..' || s.includes(':'))) return { ok: false, status: 400 };
  const file = path.resolve(base, ...segments);
  const relative = path.relative(base, file);
  if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return { ok: false, status: 403 };
  return { ok: true, file };
}

/**
 * The content types the renderer build emits. A handful of known extensions, so a table
 * here rather than a MIME database in the packaged app; anything else is served as bytes
 * with `nosniff`, which the browser will not run as script.
 */
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wav': 'audio/wav',
  '.mp3': 'audio/mpeg',
  '.ogg': 'audio/ogg',
  '.txt': 'text/plain; charset=utf-8',
};

function headers(contentType: string): Headers {
  return new Headers({
    'content-type': contentType,
    'content-security-policy': APP_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  });
}

function refusal(status: number): Response {
  return new Response(null, { status, headers: headers('text/plain; charset=utf-8') });
}

/** The `protocol.handle` handler serving files from `root` (the built renderer). */
export function createAppProtocolHandler(root: string): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return refusal(405);
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return refusal(400);
    }
    if (!isAppUrl(url.href)) return refusal(403);
    const resolved = resolveAppPath(root, url.pathname);
    if (!resolved.ok) return refusal(resolved.status);
    let body: Buffer;
    try {
      body = await fs.readFile(resolved.file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return refusal(code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR' ? 404 : 500);
    }
    const type = CONTENT_TYPES[path.extname(resolved.file).toLowerCase()] ?? 'application/octet-stream';
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), { status: 200, headers: headers(type) });
  };
}

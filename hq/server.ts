import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import zlib from 'node:zlib';
import { z } from 'zod';
import { createLogger } from '../electron/core/log';
import { parseSiteConfig } from '../electron/core/site/config';
import { BatchOrder } from './batch-order';
import { renderDashboard, renderLogin, DASHBOARD_CSS, type DashboardLang } from './dashboard';
import { newEnrollmentCode, normalizeEnrollmentCode, siteDay } from './ingest';
import {
  adminCodeRequestSchema,
  adminKeyPersonsRequestSchema,
  adminResultRequestSchema,
  adminSiteConfigRequestSchema,
  adminRoundCloseSchema,
  adminRoundStartSchema,
  adminStationRequestSchema,
  adminTubeConflictResolveSchema,
  answerBinding,
  batchSchema,
  canonicalRequest,
  ENROLLMENT_CODE_SYMBOLS,
  enrollRequestSchema,
  feedQuerySchema,
  formatEnrollmentCode,
  HEADER_HQ_HELD,
  HEADER_HQ_KEY,
  HEADER_HQ_KEY_ROTATION,
  HEADER_HQ_SIGNATURE,
  HEADER_HQ_TIME,
  heldHeader,
  HEADER_SIGNATURE,
  HEADER_STATION_HQ_KEY,
  HEADER_STATION_ID,
  HEADER_TIMESTAMP,
  HQ_PATHS,
  MAX_BODY_BYTES,
  MAX_DECOMPRESSED_BYTES,
  parseEd25519PublicKey,
  REPLAY_WINDOW_MS,
  signAnswer,
  tubeResultSchema,
  verifySignature,
  type Ack,
  type EnrollResponse,
  type FeedResponse,
  type Held,
  type HqErrorCode,
  type TubeResult,
} from './protocol';
import { importExportFile, type ImportOutcome } from './import';
import { HqKeyError, HqKeyring, retireHqKey, rotateHqKey, type HqKeyRotation } from './key';
import { openStore } from './store';
import type { HqStore, IngestInput, ResultOutcome, StationRow, StationUpdateOutcome } from './store/types';
import { resolveTubeConflict as resolveTubeConflictIn, type ResolveOutcome } from './domains/conflicts';
import { closeRound as closeRoundIn, startRound as startRoundIn, type RoundOutcome } from './domains/rounds';
import { noteStationHqKey, revokeStation as revokeStationIn, stationsNotOnKey, updateStation as updateStationIn, type StationOnOldKey } from './domains/stations';
import { giveNewSiteTubeCodes, setSiteConfig, type TubeGenerator } from './domains/site-codes';
import { registerCoverageRoutes } from './routes/coverage';
import { registerGateRoutes } from './routes/gate';
import { registerIsolationRoutes } from './routes/isolation';
import { registerReportRoutes } from './routes/reports';
import { registerLabRoutes } from './routes/lab';
import { registerOperatorRoutes } from './routes/operators';
import { registerResultRoutes } from './routes/results';
import { registerRosterRoutes } from './routes/roster';

const log = createLogger('hq');

export type HqServerOptions = {
  dataDir: string;
  databaseUrl?: string | undefined;
  /** Bearer token for the admin endpoints and the dashboard; without one they are closed. */
  adminToken?: string | undefined;
  /** HQ's clock (tests move it); defaults to the system clock. */
  now?: () => number;
  /**
   * Batches HQ takes at once (default `HQ_MAX_INGEST_IN_FLIGHT` or 8); one more is answered 503
   * `hq.busy` with `Retry-After` rather than queued behind the others. A place is taken only once
   * the batch's signature holds: a client that is not a station never holds one.
   */
  maxIngestInFlight?: number;
  /** The `Retry-After` (seconds) of a busy answer; stations wait at least that long (default 2). */
  busyRetryAfterSeconds?: number;
  /** How long a batch that came ahead of its station's previous one waits for it (ms, default 10 s). */
  orderWaitMs?: number;
  /**
   * A one-shot instance (`station hq code`, `hq round`, `hq roster import` …) opens HQ's data for
   * one command beside a serving HQ: it never gives up imports or deletes uploads, which belong to
   * whichever process is reading them.
   */
  oneShot?: boolean;
  /** The largest ledger upload, dashboard and admin API alike (default 512 MiB; tests make it small). */
  maxLedgerBytes?: number;
  /** The most rows of one not-yet-sampled list download (default 500,000; tests make it small). */
  maxExportRows?: number;
  /** How long a client may take over a request's headers, and over the whole request (see HQ_TIMEOUTS). */
  timeouts?: Partial<HqTimeouts>;
  /** Requests per minute HQ answers before 429 `rate.limited` (see HQ_RATE_LIMITS); 0 turns a limit off. */
  rateLimits?: Partial<HqRateLimits>;
  /** A dashboard session ends after this long without a request (default 30 min)… */
  sessionIdleMs?: number;
  /** …and this long after signing in, whatever happens (default 12 h). */
  sessionMaxMs?: number;
};

/**
 * A client that sends its request slowly (or never finishes it) holds a socket and, for a batch,
 * an ingest place: every stage is bounded. `headersMs`: the request line and headers (Node's
 * headersTimeout); `requestMs`: the whole request with its body (largest batch or ledger chunk
 * over a slow link); `idleMs`: a socket with nothing under way; `keepAliveMs`: between requests
 * on one connection.
 */
export type HqTimeouts = { headersMs: number; requestMs: number; idleMs: number; keepAliveMs: number };
/**
 * `perAddress`: every request from one address (a site behind one NAT has all its desks there);
 * `perStation`: the requests naming one station from one address (a station's header alone is not
 * proof, so another address naming it never uses up its share). Loose enough for a busy site and
 * the load benches; set with HQ_RATE_PER_ADDRESS / HQ_RATE_PER_STATION.
 */
export type HqRateLimits = { perAddress: number; perStation: number; windowMs: number };
export const HQ_RATE_LIMITS: HqRateLimits = { perAddress: 60_000, perStation: 6_000, windowMs: 60_000 };
const rateLimitSchema = z.coerce.number().int().min(0).max(100_000_000);

export const HQ_TIMEOUTS: HqTimeouts = { headersMs: 10_000, requestMs: 120_000, idleMs: 60_000, keepAliveMs: 5_000 };

export type HqServer = {
  app: FastifyInstance;
  store: HqStore;
  /** HQ's key fingerprint, as enrollment codes carry it. */
  fingerprint: string;
  /** Imports a station's export file (decrypted with HQ's export key), as `station hq import` does. */
  importExport(fileBytes: Buffer): Promise<ImportOutcome>;
  listen(port: number, host?: string): Promise<string>;
  close(): Promise<void>;
  /** Batch requests being received or ingested right now. */
  ingestInFlight(): number;
  /** Batches waiting for their station's previous batch to be stored. */
  batchesWaiting(): number;
  /** With the site's generated tube codes when the site was created just now and given a prefix of its own. */
  createEnrollmentCode(siteId: string, siteName?: string, ttlHours?: number): Promise<{ code: string; expiresAt: string; tubeCodes?: TubeGenerator }>;
  /** A one-time code that links a station HQ knows again (revoked, or its desk missed a key rotation), keeping its id and journal. */
  createRelinkCode(stationId: string, ttlHours?: number): Promise<RelinkCodeOutcome>;
  /** HQ's key now, a rotation under way, and the stations that have not said they trust the current key. */
  keyStatus(): Promise<HqKeyStatus>;
  /** Replaces HQ's signing and export keys (`station hq key rotate`); see key.ts. */
  rotateKey(): Promise<RotateOutcome>;
  /** Ends a rotation's grace; refused while stations still trust only the previous key, unless forced. */
  retireKey(opts?: { force?: boolean }): Promise<RetireOutcome>;
  postResult(tubeCode: string, result: TubeResult): Promise<PostedResult>;
  /** Renumbers or renames a station; it hears of it through the feed. */
  updateStation(input: { stationId: string; number?: number; name?: string }): Promise<StationUpdateOutcome>;
  /** Revokes a station (lost, stolen, retired): its batches and feed requests are refused from now on. */
  revokeStation(stationId: string): Promise<{ ok: true; revokedAt: string } | { ok: false; error: 'station.unknown' }>;
  /** Says which station's tube a code opened at several stations means. */
  resolveTubeConflict(input: { code: string; stationId: string; note: string }): Promise<ResolveOutcome>;
  startRound(input: { siteId: string; name: string; startsOn?: string; endsOn?: string }): Promise<RoundOutcome>;
  closeRound(roundId: string): Promise<RoundOutcome>;
  /** Looks for roster imports and uploads no one will finish now (a serving HQ also does every minute). */
  maintain(): Promise<void>;
};

export type RelinkCodeOutcome = { ok: true; code: string; expiresAt: string; stationId: string; siteId: string } | { ok: false; error: 'station.unknown' };
export type HqKeyStatus = { fingerprint: string; rotation: HqKeyRotation | null; stationsBehind: StationOnOldKey[] };
export type RotateOutcome = { ok: true; previousFingerprint: string; fingerprint: string } | { ok: false; error: HqKeyError['code'] };
export type RetireOutcome =
  | { ok: true; previousFingerprint: string; stationsBehind: StationOnOldKey[] }
  | { ok: false; error: 'hq.noRotation' | HqKeyError['code'] }
  | { ok: false; error: 'hq.stationsBehind'; stations: StationOnOldKey[] };

/** A result posted, or why not (the tube is unknown, or its code was opened at several stations). */
export type PostedResult = { ok: true } | Exclude<ResultOutcome, { ok: true }>;

const DEFAULT_CODE_TTL_HOURS = 24;
/** A key fingerprint as stations report it (`x-station-hq-key`). */
const FINGERPRINT_PATTERN = /^[0-9A-HJKMNP-TV-Z]{20}$/;
const DEFAULT_MAX_INGEST_IN_FLIGHT = 8;
const DEFAULT_BUSY_RETRY_AFTER_SECONDS = 2;
const inFlightLimitSchema = z.coerce.number().int().min(0).max(10_000);
/**
 * A feed page stops growing once its payloads reach this many bytes, and one item is at most
 * FEED_ITEM_MAX_BYTES, so a page stays well under what a station reads of an answer (16 MiB): a
 * large key-person list comes on a page of its own and never holds back the results behind it.
 */
const FEED_PAGE_BYTES = 4 * 1024 * 1024;
const FEED_ITEM_MAX_BYTES = 8 * 1024 * 1024;
const SESSION_COOKIE = 'hq_session';
const DEFAULT_SESSION_IDLE_MS = 30 * 60_000;
const DEFAULT_SESSION_MAX_MS = 12 * 3600_000;
/** A dashboard session: when it was signed in and when it was last used (ms), signed by HQ. */
const sessionSchema = z.tuple([z.coerce.number().int().nonnegative(), z.coerce.number().int().nonnegative()]);
/** How often a serving HQ looks for roster imports and uploads no one will finish. */
const MAINTENANCE_INTERVAL_MS = 60_000;

/** Answers of admin endpoints only (stations never see them). */
type AdminErrorCode = 'site.tubeCodesTaken';

class HttpFailure extends Error {
  constructor(readonly status: number, readonly code: HqErrorCode | AdminErrorCode, readonly detail?: string) {
    super(detail ? `${code}: ${detail}` : code);
  }
}

/** Of the one-time part: the fingerprint after it (which the station checks) is not part of what is stored. */
function codeDigest(code: string): string {
  return createHash('sha256').update(normalizeEnrollmentCode(code).slice(0, ENROLLMENT_CODE_SYMBOLS)).digest('hex');
}

function sameSecret(a: string, b: string): boolean {
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}

function parseJson<T>(schema: z.ZodType<T>, bytes: Buffer): T {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new HttpFailure(400, 'body.invalid', 'not JSON');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new HttpFailure(400, 'body.invalid', issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid');
  }
  return parsed.data;
}

/**
 * Request bytes after `content-encoding`; gunzip is bounded so a small zip bomb cannot exhaust memory.
 * Synchronous on purpose: a batch inflates in a few ms, while the thread-pool round trip of the async
 * form cost 5-30 ms per batch under load (measured), all of it on the batch's critical path. It runs only
 * after the signature checks, so only an enrolled station can make HQ inflate anything.
 */
async function decodedBody(req: FastifyRequest, raw: Buffer): Promise<Buffer> {
  const encoding = String(req.headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding === 'identity') return raw;
  if (encoding !== 'gzip') throw new HttpFailure(400, 'body.invalid', `unsupported content-encoding ${encoding}`);
  try {
    return zlib.gunzipSync(raw, { maxOutputLength: MAX_DECOMPRESSED_BYTES });
  } catch (err) {
    if (err instanceof RangeError || (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new HttpFailure(413, 'body.tooLarge');
    throw new HttpFailure(400, 'body.invalid', 'body is not valid gzip');
  }
}

export async function createHqServer(options: HqServerOptions): Promise<HqServer> {
  const now = options.now ?? Date.now;
  const store = await openStore({ dataDir: options.dataDir, databaseUrl: options.databaseUrl });
  const adminToken = options.adminToken && options.adminToken.length > 0 ? options.adminToken : null;
  // The session cookie's signing key follows the admin token: a new token ends every session.
  const sessionKey = adminToken ? createHmac('sha256', adminToken).update('hq dashboard session').digest('hex') : null;
  const sessionIdleMs = options.sessionIdleMs ?? DEFAULT_SESSION_IDLE_MS;
  const sessionMaxMs = options.sessionMaxMs ?? DEFAULT_SESSION_MAX_MS;
  const timeouts: HqTimeouts = { ...HQ_TIMEOUTS, ...options.timeouts };
  const app = Fastify({
    logger: false,
    bodyLimit: MAX_BODY_BYTES,
    trustProxy: false,
    connectionTimeout: timeouts.idleMs,
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    // Node looks for requests past these limits every connectionsCheckingInterval (30 s by default).
    http: { headersTimeout: timeouts.headersMs, connectionsCheckingInterval: Math.min(1_000, timeouts.headersMs) },
  });

  await app.register(fastifyCookie, sessionKey ? { secret: sessionKey } : {});

  const fromEnv = (name: string): number | undefined => {
    const parsed = rateLimitSchema.safeParse(process.env[name]);
    return process.env[name] !== undefined && parsed.success ? parsed.data : undefined;
  };
  const limits: HqRateLimits = {
    ...HQ_RATE_LIMITS,
    ...Object.fromEntries(Object.entries({ perAddress: fromEnv('HQ_RATE_PER_ADDRESS'), perStation: fromEnv('HQ_RATE_PER_STATION') }).filter(([, v]) => v !== undefined)),
    ...options.rateLimits,
  };
  const limited = (_req: unknown, context: { ttl: number }) => new HttpFailure(429, 'rate.limited', `retry in ${Math.ceil(context.ttl / 1000)} s`);
  await app.register(fastifyRateLimit, { global: limits.perAddress > 0, max: limits.perAddress || 1, timeWindow: limits.windowMs, keyGenerator: (req) => req.ip, errorResponseBuilder: limited });
  // Per station, counted once its signature holds (a header alone could spend another station's
  // share). By hand because @fastify/rate-limit applies one limit per request: a fixed window per station.
  const stationWindows = new Map<string, { startedAt: number; count: number }>();
  function countStationRequest(stationId: string, reply: FastifyReply): void {
    if (limits.perStation <= 0) return;
    const t = Date.now();
    let window = stationWindows.get(stationId);
    if (!window || t - window.startedAt >= limits.windowMs) {
      if (stationWindows.size > 100_000) stationWindows.clear();
      window = { startedAt: t, count: 0 };
      stationWindows.set(stationId, window);
    }
    if (++window.count <= limits.perStation) return;
    const ttl = window.startedAt + limits.windowMs - t;
    reply.header('retry-after', String(Math.max(1, Math.ceil(ttl / 1000))));
    throw limited(undefined, { ttl });
  }

  // Every body stays raw bytes: a signature covers the bytes as sent, so nothing may parse them first.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: MAX_BODY_BYTES }, (_req, body, done) => done(null, body));

  // Read again within a second when `station hq key rotate|retire` changes the key files.
  const keyring = new HqKeyring(options.dataDir);
  /** Requests whose station signature held, by station id: their answers say what HQ holds of it. */
  const authenticated = new WeakMap<FastifyRequest, string>();
  /** What HQ holds of the station once a batch is stored, known without reading it again. */
  const heldAfter = new WeakMap<FastifyRequest, Held>();

  const envLimit = inFlightLimitSchema.safeParse(process.env.HQ_MAX_INGEST_IN_FLIGHT);
  const maxIngestInFlight = options.maxIngestInFlight ?? (envLimit.success ? envLimit.data : DEFAULT_MAX_INGEST_IN_FLIGHT);
  const busyRetryAfter = String(options.busyRetryAfterSeconds ?? DEFAULT_BUSY_RETRY_AFTER_SECONDS);
  let ingestInFlight = 0;
  const order = new BatchOrder(options.orderWaitMs);

  // A batch of the station is on its way from its head on, for the order of its batches (see BatchOrder).
  app.addHook('onRequest', async (req, reply) => {
    if (req.method !== 'POST' || req.routeOptions.url !== HQ_PATHS.batches) return;
    const stationId = req.headers[HEADER_STATION_ID];
    if (typeof stationId === 'string' && stationId.length <= 200) reply.raw.once('close', order.begin(stationId));
  });

  // Every answer of the station API is signed with HQ's key, here and nowhere else: bound to the
  // request it answers, with what HQ holds of the asking station (protocol.ts, `canonicalAnswer`).
  app.addHook('onSend', async (req, reply, payload) => {
    const hqTime = String(now());
    reply.header(HEADER_HQ_TIME, hqTime);
    reply.header('cache-control', 'no-store');
    if (!req.url.startsWith('/api/v1/') || (payload !== undefined && payload !== null && typeof payload !== 'string' && !Buffer.isBuffer(payload))) return payload;
    const body = payload === undefined || payload === null ? Buffer.alloc(0) : Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
    const stationId = authenticated.get(req);
    const known = heldAfter.get(req);
    const station = known || stationId === undefined ? null : await store.station(stationId);
    const held = known ? heldHeader(known) : station ? heldHeader({ through: station.ackedThrough, head: station.chainHead }) : '';
    if (held) reply.header(HEADER_HQ_HELD, held);
    const signature = req.headers[HEADER_SIGNATURE];
    const request = answerBinding(typeof signature === 'string' ? signature : undefined, rawBody(req));
    const key = keyring.current();
    reply.header(HEADER_HQ_KEY, key.header);
    // During a rotation's grace the previous key vouches for this one, for stations that trust only it.
    if (key.rotation) reply.header(HEADER_HQ_KEY_ROTATION, key.rotation.header);
    reply.header(HEADER_HQ_SIGNATURE, signAnswer(key.privateKey, { status: reply.statusCode, hqTime, held, request, body }));
    return payload;
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    if (err instanceof HttpFailure) return fail(reply, err);
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return fail(reply, new HttpFailure(413, 'body.tooLarge'));
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return fail(reply, new HttpFailure(err.statusCode, 'body.invalid', err.code));
    log.error({ err: err.message, code: err.code }, 'request failed');
    return fail(reply, new HttpFailure(500, 'internal'));
  });
  app.setNotFoundHandler((_req, reply) => fail(reply, new HttpFailure(404, 'not.found')));

  function fail(reply: FastifyReply, f: HttpFailure): FastifyReply {
    const body: { error: HqErrorCode | AdminErrorCode; hqTime: number; detail?: string } = { error: f.code, hqTime: now() };
    if (f.detail) body.detail = f.detail;
    return reply.code(f.status).type('application/json').send(body);
  }

  function rawBody(req: FastifyRequest): Buffer {
    return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  }

  /** The checks of a signed request, in the protocol's order; nothing is stored unless all pass. */
  async function authenticate(req: FastifyRequest, reply?: FastifyReply): Promise<StationRow> {
    const stationId = req.headers[HEADER_STATION_ID];
    const station = typeof stationId === 'string' ? await store.station(stationId) : null;
    if (!station) throw new HttpFailure(401, 'station.unknown');
    const timestamp = req.headers[HEADER_TIMESTAMP];
    const signature = req.headers[HEADER_SIGNATURE];
    if (typeof timestamp !== 'string' || !/^\d{1,16}$/.test(timestamp) || typeof signature !== 'string') throw new HttpFailure(401, 'signature.invalid');
    const canonical = canonicalRequest(req.method, req.url, timestamp, rawBody(req));
    if (!verifySignature(station.publicKey, canonical, signature)) throw new HttpFailure(401, 'signature.invalid');
    const t = now();
    const signedAt = Number(timestamp);
    if (Math.abs(t - signedAt) > REPLAY_WINDOW_MS) throw new HttpFailure(401, 'timestamp.stale');
    // Past the window a replay is already refused as stale, so signatures need only be kept that long.
    if (!(await store.rememberSignature(signature, signedAt + REPLAY_WINDOW_MS + 1000, t))) throw new HttpFailure(401, 'request.replayed');
    authenticated.set(req, station.id);
    // Said only to the station itself (its signature holds), so it can tell staff.
    if (station.revokedAt !== null) throw new HttpFailure(403, 'station.revoked');
    if (reply) countStationRequest(station.id, reply);
    const trusts = req.headers[HEADER_STATION_HQ_KEY];
    // Written only when it changes (after a rotation, once per station): staff see who has moved on.
    if (typeof trusts === 'string' && FINGERPRINT_PATTERN.test(trusts) && trusts !== station.hqKey) {
      await store.sql.transaction((tx) => noteStationHqKey(tx, { stationId: station.id, fingerprint: trusts }));
    }
    return station;
  }

  function isAdmin(req: FastifyRequest): boolean {
    if (!adminToken) return false;
    const auth = req.headers.authorization;
    if (typeof auth === 'string' && auth.startsWith('Bearer ') && sameSecret(auth.slice(7), adminToken)) return true;
    return sessionOf(req) !== null;
  }

  /** The dashboard session the request's cookie carries, if its signature holds and neither limit has passed. */
  function sessionOf(req: FastifyRequest): { signedInAt: number } | null {
    const cookie = req.cookies[SESSION_COOKIE];
    if (!sessionKey || cookie === undefined) return null;
    const unsigned = req.unsignCookie(cookie);
    const parsed = unsigned.valid && unsigned.value !== null ? sessionSchema.safeParse(unsigned.value.split('.')) : null;
    if (!parsed?.success) return null;
    const [signedInAt, seenAt] = parsed.data;
    const t = now();
    if (t - seenAt > sessionIdleMs || t - signedInAt > sessionMaxMs || seenAt > t + 60_000) return null;
    return { signedInAt };
  }

  function setSession(reply: FastifyReply, signedInAt: number): void {
    const t = now();
    const maxAge = Math.max(0, Math.min(sessionIdleMs, signedInAt + sessionMaxMs - t));
    reply.setCookie(SESSION_COOKIE, `${signedInAt}.${t}`, { signed: true, httpOnly: true, sameSite: 'strict', path: '/', maxAge: Math.ceil(maxAge / 1000) });
  }

  // Every request of a live session moves its idle limit on (never its absolute one).
  app.addHook('onRequest', async (req, reply) => {
    const session = sessionOf(req);
    if (session) setSession(reply, session.signedInAt);
  });

  function requireAdmin(req: FastifyRequest): void {
    if (!isAdmin(req)) throw new HttpFailure(401, 'admin.unauthorized');
  }

  async function createEnrollmentCode(siteId: string, siteName?: string, ttlHours = DEFAULT_CODE_TTL_HOURS): Promise<{ code: string; expiresAt: string; tubeCodes?: TubeGenerator }> {
    const at = new Date(now()).toISOString();
    let tubeCodes: TubeGenerator | null = null;
    if (siteName) {
      const isNew = !(await store.siteExists(siteId));
      await store.upsertSite({ id: siteId, name: siteName, config: null, at });
      // A new site's desks must not generate the codes another site's desks do.
      if (isNew) tubeCodes = await store.sql.transaction((tx) => giveNewSiteTubeCodes(tx, siteId, at));
    } else if (!(await store.siteExists(siteId))) throw new HttpFailure(404, 'site.unknown', 'give the site a name the first time');
    const code = newEnrollmentCode();
    const expiresAt = new Date(now() + ttlHours * 3600_000).toISOString();
    await store.createEnrollmentCode({ codeHash: codeDigest(code), siteId, createdAt: at, expiresAt });
    // The code carries HQ's key fingerprint: a station enrolling with it refuses any other HQ.
    return { code: formatEnrollmentCode(code, keyring.current().fingerprint), expiresAt, ...(tubeCodes ? { tubeCodes } : {}) };
  }

  async function createRelinkCode(stationId: string, ttlHours = DEFAULT_CODE_TTL_HOURS): Promise<RelinkCodeOutcome> {
    const station = await store.station(stationId);
    if (!station) return { ok: false, error: 'station.unknown' };
    const code = newEnrollmentCode();
    const expiresAt = new Date(now() + ttlHours * 3600_000).toISOString();
    await store.createEnrollmentCode({ codeHash: codeDigest(code), siteId: station.siteId, createdAt: new Date(now()).toISOString(), expiresAt, relinkStationId: station.id });
    log.info({ stationId }, 're-link code made');
    return { ok: true, code: formatEnrollmentCode(code, keyring.current().fingerprint), expiresAt, stationId: station.id, siteId: station.siteId };
  }

  async function keyStatus(): Promise<HqKeyStatus> {
    const key = keyring.reload();
    const stationsBehind = key.rotation ? await store.sql.read((tx) => stationsNotOnKey(tx, key.fingerprint)) : [];
    return { fingerprint: key.fingerprint, rotation: key.rotation, stationsBehind };
  }

  async function rotateKey(): Promise<RotateOutcome> {
    try {
      const rotated = rotateHqKey(options.dataDir, now());
      keyring.reload();
      log.warn({ previous: rotated.previousFingerprint, current: rotated.fingerprint }, 'HQ key rotated');
      return { ok: true, ...rotated };
    } catch (err) {
      if (err instanceof HqKeyError) return { ok: false, error: err.code };
      throw err;
    }
  }

  async function retireKey(opts: { force?: boolean } = {}): Promise<RetireOutcome> {
    const status = await keyStatus();
    if (!status.rotation) return { ok: false, error: 'hq.noRotation' };
    if (status.stationsBehind.length > 0 && !opts.force) return { ok: false, error: 'hq.stationsBehind', stations: status.stationsBehind };
    try {
      const retired = retireHqKey(options.dataDir);
      keyring.reload();
      log.warn({ previous: retired?.previousFingerprint, stationsBehind: status.stationsBehind.length }, 'previous HQ key retired');
      return { ok: true, previousFingerprint: status.rotation.previousFingerprint, stationsBehind: status.stationsBehind };
    } catch (err) {
      if (err instanceof HqKeyError) return { ok: false, error: err.code };
      throw err;
    }
  }

  async function postResult(tubeCode: string, result: TubeResult): Promise<PostedResult> {
    const at = new Date(now()).toISOString();
    const outcome = await store.postResult({ tubeCode, result, at });
    if (!outcome.ok) {
      log.warn({ error: outcome.error }, 'tube result refused');
      return outcome;
    }
    log.info({ result }, 'tube result posted');
    return { ok: true };
  }

  async function updateStation(input: { stationId: string; number?: number; name?: string }): Promise<StationUpdateOutcome> {
    const at = new Date(now()).toISOString();
    return store.sql.transaction((tx) => updateStationIn(tx, { ...input, at }));
  }

  async function revokeStation(stationId: string): Promise<{ ok: true; revokedAt: string } | { ok: false; error: 'station.unknown' }> {
    const outcome = await store.sql.transaction((tx) => revokeStationIn(tx, { stationId, at: new Date(now()).toISOString() }));
    if (outcome.ok) log.warn({ stationId }, 'station revoked');
    return outcome;
  }

  async function startRound(input: { siteId: string; name: string; startsOn?: string; endsOn?: string }): Promise<RoundOutcome> {
    const at = new Date(now()).toISOString();
    return store.sql.transaction((tx) => startRoundIn(tx, { siteId: input.siteId, name: input.name, startsOn: input.startsOn ?? null, endsOn: input.endsOn ?? null, at }));
  }

  async function closeRound(roundId: string): Promise<RoundOutcome> {
    const at = new Date(now()).toISOString();
    return store.sql.transaction((tx) => closeRoundIn(tx, { roundId, at, by: 'HQ' }));
  }

  async function resolveTubeConflict(input: { code: string; stationId: string; note: string }): Promise<ResolveOutcome> {
    const at = new Date(now()).toISOString();
    return store.sql.transaction((tx) => resolveTubeConflictIn(tx, { ...input, at }));
  }

  app.post(HQ_PATHS.enroll, async (req, reply) => {
    const body = parseJson(enrollRequestSchema, rawBody(req));
    if (!parseEd25519PublicKey(body.publicKey)) throw new HttpFailure(400, 'body.invalid', 'publicKey must be an Ed25519 SPKI PEM');
    const outcome = await store.enroll({
      codeHash: codeDigest(body.code),
      now: new Date(now()).toISOString(),
      stationId: randomUUID(),
      localStationId: body.localStationId,
      publicKey: body.publicKey,
      previousStationId: body.previousStationId,
    });
    if (!outcome.ok) throw new HttpFailure(403, outcome.error);
    const relinked = body.previousStationId === outcome.station.id;
    log.info({ stationId: outcome.station.id, siteId: outcome.station.siteId, relinked }, relinked ? 'station linked again' : 'station enrolled');
    const answer: EnrollResponse = {
      type: 'station.enrolled',
      stationId: outcome.station.id,
      siteId: outcome.station.siteId,
      siteName: outcome.station.siteName,
      stationNumber: outcome.station.number,
      stationName: outcome.station.name,
      exportKey: keyring.current().exportKey,
    };
    return reply.send(answer);
  });

  /**
   * An ingest place, taken once the batch's signature holds (its body is bounded by size and by
   * the request timeout before that); its socket closing, answered or abandoned, gives it back.
   */
  function takeIngestPlace(reply: FastifyReply): void {
    if (ingestInFlight >= maxIngestInFlight) {
      reply.header('retry-after', busyRetryAfter);
      throw new HttpFailure(503, 'hq.busy');
    }
    ingestInFlight++;
    reply.raw.once('close', () => ingestInFlight--);
  }

  app.post(HQ_PATHS.batches, async (req, reply) => {
    const station = await authenticate(req, reply);
    takeIngestPlace(reply);
    const batch = parseJson(batchSchema, await decodedBody(req, rawBody(req)));
    if (batch.stationId !== station.id) throw new HttpFailure(400, 'body.invalid', 'batch is for another station');
    const input: IngestInput = {
      stationId: station.id,
      batchId: batch.batchId,
      fromSeq: batch.fromSeq,
      toSeq: batch.toSeq,
      headSeq: batch.headSeq,
      records: batch.records,
      prevHash: batch.prevHash,
      chainHead: batch.chainHead,
      receivedAt: new Date(now()).toISOString(),
      siteId: station.siteId,
    };
    // A station keeps two batches in flight: the second may get here first and waits for the first.
    // Each try passes the same input, so a store can keep the work it did on it.
    const outcome = await order.ingest(station.id, () => store.ingest(input));
    if (outcome.kind === 'gap') return reply.code(409).send({ type: 'hq.gap', expectedSeq: outcome.expectedSeq });
    if (outcome.kind === 'chainBroken') {
      log.warn({ stationId: station.id, seq: outcome.seq }, 'batch refused: its journal chain does not hold');
      throw new HttpFailure(409, 'chain.broken', `seq ${outcome.seq}: ${outcome.detail}`);
    }
    if (outcome.rejections.length > 0) log.warn({ stationId: station.id, rejections: outcome.rejections.length }, 'records rejected');
    heldAfter.set(req, { through: outcome.ackedThrough, head: outcome.chainHead });
    const ack: Ack = {
      type: 'hq.ack',
      batchId: batch.batchId,
      stationId: station.id,
      ackedThrough: outcome.ackedThrough,
      expectedSeq: outcome.expectedSeq,
      rejections: outcome.rejections,
    };
    return reply.send(ack);
  });

  app.get(HQ_PATHS.feed, async (req, reply) => {
    const station = await authenticate(req, reply);
    const parsed = feedQuerySchema.safeParse(req.query);
    if (!parsed.success) throw new HttpFailure(400, 'body.invalid', 'bad feed query');
    const { after, limit, head } = parsed.data;
    await store.touch(station.id, new Date(now()).toISOString(), head);
    const rows = await store.feed(station, after, limit, FEED_PAGE_BYTES);
    const answer: FeedResponse = {
      type: 'hq.feed',
      items: rows.map((r) => ({ cursor: r.cursor, kind: r.kind, payload: JSON.parse(r.payload) }) as FeedResponse['items'][number]),
      nextCursor: rows.length > 0 ? rows[rows.length - 1]!.cursor : after,
      exportKey: keyring.current().exportKey,
    };
    return reply.send(answer);
  });

  app.post(HQ_PATHS.adminCodes, async (req, reply) => {
    requireAdmin(req);
    const body = parseJson(adminCodeRequestSchema, rawBody(req));
    if ('stationId' in body) {
      const relink = await createRelinkCode(body.stationId, body.ttlHours);
      if (!relink.ok) throw new HttpFailure(404, relink.error);
      return reply.send(relink);
    }
    return reply.send({ siteId: body.siteId, ...(await createEnrollmentCode(body.siteId, body.siteName, body.ttlHours)) });
  });

  app.post(HQ_PATHS.adminResults, async (req, reply) => {
    requireAdmin(req);
    const body = parseJson(adminResultRequestSchema, rawBody(req));
    const outcome = await postResult(body.tubeCode, body.result);
    if (!outcome.ok && outcome.error === 'tube.ambiguous') throw new HttpFailure(409, outcome.error, `opened at: ${outcome.stations.join(', ')}`);
    if (!outcome.ok) throw new HttpFailure(404, outcome.error);
    return reply.send({ ok: true });
  });

  app.post(HQ_PATHS.adminStations, async (req, reply) => {
    requireAdmin(req);
    const body = parseJson(adminStationRequestSchema, rawBody(req));
    const outcome = await updateStation(body);
    if (!outcome.ok) throw new HttpFailure(outcome.error === 'station.unknown' ? 404 : 409, outcome.error);
    return reply.send({ ok: true, station: { id: outcome.station.id, number: outcome.station.number, name: outcome.station.name } });
  });

  app.post(`${HQ_PATHS.adminStations}/revoke`, async (req, reply) => {
    requireAdmin(req);
    const body = parseJson(z.object({ stationId: z.string().min(1).max(200) }).strict(), rawBody(req));
    const outcome = await revokeStation(body.stationId);
    if (!outcome.ok) throw new HttpFailure(404, outcome.error);
    return reply.send({ ok: true, revokedAt: outcome.revokedAt });
  });

  const roundFailure = (error: Exclude<RoundOutcome, { ok: true }>['error']): HttpFailure =>
    new HttpFailure(error === 'site.unknown' || error === 'round.unknown' ? 404 : error === 'round.closed' ? 409 : 400, error);

  app.post(HQ_PATHS.adminRounds, async (req, reply) => {
    requireAdmin(req);
    const outcome = await startRound(parseJson(adminRoundStartSchema, rawBody(req)));
    if (!outcome.ok) throw roundFailure(outcome.error);
    return reply.send({ ok: true, round: outcome.round });
  });

  app.post(`${HQ_PATHS.adminRounds}/close`, async (req, reply) => {
    requireAdmin(req);
    const outcome = await closeRound(parseJson(adminRoundCloseSchema, rawBody(req)).roundId);
    if (!outcome.ok) throw roundFailure(outcome.error);
    return reply.send({ ok: true, round: outcome.round });
  });

  app.post(`${HQ_PATHS.adminTubeConflicts}/resolve`, async (req, reply) => {
    requireAdmin(req);
    const body = parseJson(adminTubeConflictResolveSchema, rawBody(req));
    const outcome = await resolveTubeConflict(body);
    if (!outcome.ok) throw new HttpFailure(404, outcome.error);
    return reply.send({ ok: true });
  });

  app.post(HQ_PATHS.adminKeyPersons, async (req, reply) => {
    requireAdmin(req);
    const body = parseJson(adminKeyPersonsRequestSchema, rawBody(req));
    if (body.siteId && !(await store.siteExists(body.siteId))) throw new HttpFailure(404, 'site.unknown');
    const payload = JSON.stringify({ listId: body.listId, persons: body.persons });
    if (Buffer.byteLength(payload) > FEED_ITEM_MAX_BYTES) throw new HttpFailure(413, 'body.tooLarge', `a list is at most ${FEED_ITEM_MAX_BYTES} bytes: send it as several lists`);
    const cursor = await store.addFeedItem({
      siteId: body.siteId ?? null,
      stationId: null,
      kind: 'keyperson.list',
      payload,
      at: new Date(now()).toISOString(),
    });
    return reply.send({ ok: true, cursor });
  });

  app.post(HQ_PATHS.adminSiteConfig, async (req, reply) => {
    requireAdmin(req);
    const body = parseJson(adminSiteConfigRequestSchema, rawBody(req));
    if (!(await store.siteExists(body.siteId))) throw new HttpFailure(404, 'site.unknown');
    let config;
    try {
      config = parseSiteConfig(body.config);
    } catch (err) {
      throw new HttpFailure(400, 'body.invalid', err instanceof Error ? err.message.slice(0, 300) : 'invalid site config');
    }
    const at = new Date(now()).toISOString();
    const outcome = await store.sql.transaction((tx) => setSiteConfig(tx, { siteId: body.siteId, name: body.name, config, at }));
    if (!outcome.ok && outcome.error === 'site.unknown') throw new HttpFailure(404, 'site.unknown');
    if (!outcome.ok) throw new HttpFailure(409, outcome.error, outcome.detail);
    return reply.send({ ok: true });
  });

  // Dashboard: server-rendered, no scripts, one same-origin stylesheet, a strict CSP.
  const csp = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
  function page(reply: FastifyReply, status: number, html: string): FastifyReply {
    return reply
      .code(status)
      .header('content-security-policy', csp)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .type('text/html; charset=utf-8')
      .send(html);
  }
  function langOf(req: FastifyRequest): DashboardLang {
    return (req.query as Record<string, unknown>).lang === 'en' ? 'en' : 'zh-CN';
  }

  const routeContext = {
    app,
    store,
    dataDir: options.dataDir,
    now,
    authenticate,
    requireAdmin,
    isAdmin,
    page,
    langOf,
    rawBody,
    failure: (status: number, code: string, detail?: string) => new HttpFailure(status, code as HqErrorCode, detail),
    ...(options.maxLedgerBytes !== undefined ? { maxLedgerBytes: options.maxLedgerBytes } : {}),
    ...(options.maxExportRows !== undefined ? { maxExportRows: options.maxExportRows } : {}),
  };
  const rosterRoutes = await registerRosterRoutes(routeContext);
  registerCoverageRoutes(routeContext);
  registerOperatorRoutes(routeContext);
  registerGateRoutes(routeContext);
  registerReportRoutes(routeContext);
  registerLabRoutes(routeContext);
  registerIsolationRoutes(routeContext);
  const resultRoutes = registerResultRoutes(routeContext);
  // An import an HQ process was reading when it stopped never becomes a roster: a serving HQ gives
  // up those with no heartbeat for a while (a live reader, in this process or another, keeps its
  // import), at start and then every minute, and deletes uploaded ledgers no import uses.
  let maintenance: NodeJS.Timeout | null = null;
  let maintaining: Promise<void> = Promise.resolve();
  const maintain = () => {
    maintaining = maintaining
      .then(() => rosterRoutes.maintain())
      .catch((err: unknown) => log.error({ err }, 'roster maintenance failed'))
      .then(() => resultRoutes.maintain())
      .catch((err: unknown) => log.error({ err }, 'result import maintenance failed'));
    return maintaining;
  };
  if (!options.oneShot) {
    await maintain();
    maintenance = setInterval(() => void maintain(), MAINTENANCE_INTERVAL_MS);
    maintenance.unref();
  }

  app.get('/', async (_req, reply) => reply.redirect('/dashboard', 303));
  app.get('/favicon.ico', async (_req, reply) => reply.code(204).send());
  app.get('/dashboard.css', async (_req, reply) => reply.type('text/css; charset=utf-8').send(DASHBOARD_CSS));
  app.get('/login', async (req, reply) => page(reply, 200, renderLogin(langOf(req), false)));
  app.post('/login', async (req, reply) => {
    const form = new URLSearchParams(rawBody(req).toString('utf8'));
    const token = form.get('token') ?? '';
    if (!adminToken || !sameSecret(token, adminToken)) return page(reply, 401, renderLogin(langOf(req), true));
    setSession(reply, now());
    return reply.redirect('/dashboard', 303);
  });
  app.get('/dashboard', async (req, reply) => {
    if (!isAdmin(req)) return reply.redirect('/login', 303);
    const data = await store.dashboard(siteDay(now()));
    const posted = (req.query as Record<string, unknown>).posted;
    return page(reply, 200, renderDashboard(data, { lang: langOf(req), now: now(), posted: typeof posted === 'string' ? posted : undefined, fingerprint: keyring.current().fingerprint, rotation: keyring.current().rotation }));
  });
  app.post('/dashboard/results', async (req, reply) => {
    if (!isAdmin(req)) return reply.redirect('/login', 303);
    const form = new URLSearchParams(rawBody(req).toString('utf8'));
    const tubeCode = (form.get('tubeCode') ?? '').trim();
    const result = tubeResultSchema.safeParse(form.get('result'));
    const lang = langOf(req);
    if (!tubeCode || tubeCode.length > 128 || !result.success) return reply.redirect(`/dashboard?lang=${lang}&posted=invalid`, 303);
    const outcome = await postResult(tubeCode, result.data);
    return reply.redirect(`/dashboard?lang=${lang}&posted=${outcome.ok ? 'ok' : outcome.error}`, 303);
  });
  app.post('/dashboard/stations', async (req, reply) => {
    if (!isAdmin(req)) return reply.redirect('/login', 303);
    const form = new URLSearchParams(rawBody(req).toString('utf8'));
    const lang = langOf(req);
    const number = (form.get('number') ?? '').trim();
    const name = (form.get('name') ?? '').trim();
    const parsed = adminStationRequestSchema.safeParse({
      stationId: form.get('stationId') ?? '',
      ...(number ? { number: Number(number) } : {}),
      ...(name ? { name } : {}),
    });
    if (!parsed.success) return reply.redirect(`/dashboard?lang=${lang}&posted=station.invalid`, 303);
    const outcome = await updateStation(parsed.data);
    return reply.redirect(`/dashboard?lang=${lang}&posted=station.${outcome.ok ? 'ok' : outcome.error.replace('station.', '')}`, 303);
  });
  app.post('/dashboard/stations/revoke', async (req, reply) => {
    if (!isAdmin(req)) return reply.redirect('/login', 303);
    const form = new URLSearchParams(rawBody(req).toString('utf8'));
    const lang = langOf(req);
    // The form asks staff to type REVOKE: a station is not cut off by a slip of the mouse.
    if ((form.get('confirm') ?? '').trim().toUpperCase() !== 'REVOKE') return reply.redirect(`/dashboard?lang=${lang}&posted=station.revokeUnconfirmed`, 303);
    const outcome = await revokeStation(form.get('stationId') ?? '');
    return reply.redirect(`/dashboard?lang=${lang}&posted=station.${outcome.ok ? 'revoked' : 'unknown'}`, 303);
  });
  app.post('/dashboard/rounds', async (req, reply) => {
    if (!isAdmin(req)) return reply.redirect('/login', 303);
    const form = new URLSearchParams(rawBody(req).toString('utf8'));
    const lang = langOf(req);
    const startsOn = form.get('startsOn') || undefined;
    const endsOn = form.get('endsOn') || undefined;
    const parsed = adminRoundStartSchema.safeParse({ siteId: form.get('siteId') ?? '', name: form.get('name') ?? '', ...(startsOn ? { startsOn } : {}), ...(endsOn ? { endsOn } : {}) });
    if (!parsed.success) return reply.redirect(`/dashboard?lang=${lang}&posted=round.invalid`, 303);
    const outcome = await startRound(parsed.data);
    return reply.redirect(`/dashboard?lang=${lang}&posted=${outcome.ok ? 'round.started' : outcome.error}`, 303);
  });
  app.post('/dashboard/rounds/close', async (req, reply) => {
    if (!isAdmin(req)) return reply.redirect('/login', 303);
    const form = new URLSearchParams(rawBody(req).toString('utf8'));
    const lang = langOf(req);
    const outcome = await closeRound(form.get('roundId') ?? '');
    return reply.redirect(`/dashboard?lang=${lang}&posted=${outcome.ok ? 'round.closedOk' : outcome.error}`, 303);
  });
  app.post('/dashboard/conflicts', async (req, reply) => {
    if (!isAdmin(req)) return reply.redirect('/login', 303);
    const form = new URLSearchParams(rawBody(req).toString('utf8'));
    const lang = langOf(req);
    const parsed = adminTubeConflictResolveSchema.safeParse({ code: form.get('code') ?? '', stationId: form.get('stationId') ?? '', note: form.get('note') ?? '' });
    if (!parsed.success) return reply.redirect(`/dashboard?lang=${lang}&posted=conflict.invalid`, 303);
    const outcome = await resolveTubeConflict(parsed.data);
    return reply.redirect(`/dashboard?lang=${lang}&posted=conflict.${outcome.ok ? 'ok' : 'unknown'}`, 303);
  });

  return {
    app,
    store,
    get fingerprint() {
      return keyring.current().fingerprint;
    },
    importExport: (fileBytes) => importExportFile(store, fileBytes, keyring.current().exportPrivateKeys, () => new Date(now())),
    ingestInFlight: () => ingestInFlight,
    batchesWaiting: () => order.waiting(),
    async listen(port, host = '127.0.0.1') {
      return app.listen({ port, host });
    },
    async close() {
      if (maintenance) clearInterval(maintenance);
      await maintaining;
      await app.close();
      await store.close();
    },
    createEnrollmentCode,
    createRelinkCode,
    keyStatus,
    rotateKey,
    retireKey,
    postResult,
    updateStation,
    revokeStation,
    resolveTubeConflict,
    startRound,
    closeRound,
    maintain,
  };
}

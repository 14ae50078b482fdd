/**
 * HQ's roster routes: a station fetching its site's roster version page by page (signed), staff
 * importing a ledger on the dashboard (upload, check, map headers, apply or discard), and the same
 * over the admin API.
 */
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fs from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { headerMappingSchema, type HeaderMapping } from '../../electron/core/roster/fields';
import { createLogger } from '../../electron/core/log';
import { renderRosterImport, type RosterPageView } from '../dashboard-roster';
import type { DashboardLang } from '../dashboard';
import {
  applyRosterImport,
  discardRosterImport,
  forgetUploadFile,
  importUploadFile,
  rosterChanges,
  rosterImport,
  rosterPage,
  rosterProblems,
  sweepStaleImports,
  uploadFilesInUse,
  type HqRosterImport,
} from '../domains/roster';
import { HQ_PATHS, rosterPageQuerySchema, type RosterPageAnswer } from '../protocol';
import { importLedgerAtHq, READER_STALE_MS } from '../roster-import';
import type { HqStore, StationRow } from '../store/types';

const log = createLogger('hq-roster');

/** The largest ledger HQ takes, on the dashboard and over the admin API: a district of a million people is about 60 MB of CSV. */
export const MAX_LEDGER_UPLOAD_BYTES = 512 * 1024 * 1024;

/** An import waiting this long for its headers to be mapped is discarded, and its uploaded file deleted. */
const MAPPING_KEEP_MS = 24 * 3600_000;
/**
 * A file in the upload folder that no import uses is deleted once it has not been written to for
 * this long (an upload still arriving, or one whose import is about to be made, is younger).
 */
const STRAY_UPLOAD_MS = 10 * 60_000;

export type RouteContext = {
  app: FastifyInstance;
  store: HqStore;
  dataDir: string;
  now: () => number;
  authenticate(req: FastifyRequest): Promise<StationRow>;
  requireAdmin(req: FastifyRequest): void;
  isAdmin(req: FastifyRequest): boolean;
  page(reply: FastifyReply, status: number, html: string): FastifyReply;
  langOf(req: FastifyRequest): DashboardLang;
  rawBody(req: FastifyRequest): Buffer;
  failure(status: number, code: string, detail?: string): Error;
  /** The largest ledger upload (default `MAX_LEDGER_UPLOAD_BYTES`; tests make it small). */
  maxLedgerBytes?: number;
};

export type RosterRoutes = {
  /** Reads a ledger for a site (its file already in HQ's upload folder), in the background; the import's id at once. */
  start(input: { siteId: string; file: string; fileName: string; mapping?: HeaderMapping; encoding?: 'utf-8' | 'gb18030'; keepForMapping: boolean }): Promise<{
    importId: string;
    done: Promise<HqRosterImport>;
  }>;
  /**
   * What no one will finish any more: imports left `reading` by an HQ process that stopped, imports
   * waiting a day for their headers, and uploaded files no import uses. A serving HQ runs it at
   * start and then every minute; a one-shot CLI instance never does.
   */
  maintain(): Promise<void>;
};

/** Counts a body on its way to a file; past the limit it writes nothing more and says so (the rest is read and dropped, so the 413 still reaches the client). */
class ByteLimit extends Transform {
  bytes = 0;
  over = false;
  constructor(private readonly limit: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null, data?: Buffer) => void): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) this.over = true;
    done(null, this.over ? undefined : chunk);
  }
}

export async function registerRosterRoutes(ctx: RouteContext): Promise<RosterRoutes> {
  const { app, store } = ctx;
  const maxLedgerBytes = ctx.maxLedgerBytes ?? MAX_LEDGER_UPLOAD_BYTES;
  const uploads = path.join(ctx.dataDir, 'uploads');
  fs.mkdirSync(uploads, { recursive: true });
  const iso = (ms: number) => new Date(ms).toISOString();
  const newUploadPath = () => path.join(uploads, `${Date.now()}-${process.pid}-${Math.random().toString(36).slice(2)}`);

  /** Deletes an uploaded ledger (full ID numbers and phones): only ever a file of HQ's own upload folder. */
  function removeUpload(file: string): void {
    if (path.dirname(path.resolve(file)) !== path.resolve(uploads)) return;
    fs.rmSync(file, { force: true });
  }

  async function start(input: Parameters<RosterRoutes['start']>[0]): Promise<{ importId: string; done: Promise<HqRosterImport> }> {
    let resolveId!: (id: string) => void;
    const idKnown = new Promise<string>((r) => (resolveId = r));
    const at = iso(ctx.now());
    const { keepForMapping, ...ledger } = input;
    const done = importLedgerAtHq(store, { ...ledger, at, uploadFile: true, now: ctx.now, onStarted: (id) => resolveId(id) }).then(
      async (result) => {
        // Only a dashboard import waiting for its headers keeps its file (the map action reads it again).
        if (!(keepForMapping && result.state === 'needsMapping')) {
          removeUpload(input.file);
          await store.sql.transaction((tx) => forgetUploadFile(tx, result.id));
        }
        log.info({ importId: result.id, state: result.state, residents: result.residents }, 'ledger read');
        return result;
      },
      (err: unknown) => {
        removeUpload(input.file);
        log.error({ err }, 'ledger import failed');
        throw err;
      },
    );
    done.catch(() => undefined);
    const importId = await Promise.race([idKnown, done.then((r) => r.id)]);
    return { importId, done };
  }

  async function maintain(): Promise<void> {
    const nowMs = ctx.now();
    const swept = await store.sql.transaction((tx) => sweepStaleImports(tx, { staleBefore: iso(nowMs - READER_STALE_MS), mappingBefore: iso(nowMs - MAPPING_KEEP_MS) }));
    for (const file of swept.files) removeUpload(file);
    if (swept.abandoned.length > 0) log.warn({ imports: swept.abandoned }, 'roster imports left reading by an HQ process that stopped: marked failed');
    if (swept.expired.length > 0) log.info({ imports: swept.expired }, 'roster imports never mapped: discarded');
    const inUse = await store.sql.read((tx) => uploadFilesInUse(tx));
    // File times are the system clock's, whatever HQ's clock says.
    const realNow = Date.now();
    for (const name of fs.readdirSync(uploads)) {
      const file = path.join(uploads, name);
      if (inUse.has(file)) continue;
      let stat: fs.Stats;
      try {
        stat = fs.statSync(file);
      } catch {
        continue;
      }
      if (stat.isFile() && realNow - stat.mtimeMs >= STRAY_UPLOAD_MS) {
        fs.rmSync(file, { force: true });
        log.info({ file: name }, 'stray uploaded ledger deleted');
      }
    }
  }

  await app.register(multipart, { limits: { fileSize: maxLedgerBytes, files: 1, fields: 10 } });

  // ---- stations fetch their site's roster -----------------------------------------------------

  app.get(`${HQ_PATHS.roster}/:importId`, async (req, reply) => {
    const station = await ctx.authenticate(req);
    const { importId } = req.params as { importId: string };
    const query = rosterPageQuerySchema.safeParse(req.query);
    if (!query.success) throw ctx.failure(400, 'body.invalid', 'bad roster query');
    const imp = await store.sql.read((tx) => rosterImport(tx, importId));
    // Only the site's own versions, and only those in use or just replaced (a station may be part way through one).
    if (!imp || imp.siteId !== station.siteId || (imp.state !== 'current' && imp.state !== 'superseded')) throw ctx.failure(404, 'not.found');
    const pageRows = await store.sql.read((tx) => rosterPage(tx, importId, query.data.after, query.data.limit));
    const answer: RosterPageAnswer = { type: 'hq.roster', importId, total: pageRows.total, rows: pageRows.rows };
    return reply.send(answer);
  });

  // ---- the admin API: a ledger as the request body ----------------------------------------------

  // Its own scope: the body is streamed to a file up to the dashboard's limit, not buffered
  // through HQ's 16 MiB parser for signed requests (a district's ledger is about 60 MB).
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    scope.post(HQ_PATHS.adminRoster, async (req, reply) => {
      ctx.requireAdmin(req);
      const q = req.query as Record<string, unknown>;
      const siteId = typeof q.siteId === 'string' ? q.siteId : '';
      const fileName = typeof q.fileName === 'string' && q.fileName ? q.fileName : 'ledger';
      if (!(await store.siteExists(siteId))) throw ctx.failure(404, 'site.unknown');
      let mapping: HeaderMapping | undefined;
      if (typeof q.mapping === 'string') {
        let raw: unknown;
        try {
          raw = JSON.parse(q.mapping);
        } catch {
          throw ctx.failure(400, 'body.invalid', 'mapping is not JSON: give it as {"HEADER":"field",…}');
        }
        const parsed = headerMappingSchema.safeParse(raw);
        if (!parsed.success) throw ctx.failure(400, 'body.invalid', `mapping: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
        mapping = parsed.data;
      }
      const declared = Number(req.headers['content-length']);
      if (declared > maxLedgerBytes) {
        reply.header('connection', 'close');
        throw ctx.failure(413, 'body.tooLarge', `a ledger may be at most ${maxLedgerBytes} bytes`);
      }
      const file = newUploadPath();
      const counter = new ByteLimit(maxLedgerBytes);
      const body = req.body as NodeJS.ReadableStream | undefined;
      try {
        if (body && typeof body.pipe === 'function') await pipeline(body, counter, fs.createWriteStream(file, { mode: 0o600 }));
        else fs.writeFileSync(file, '', { mode: 0o600 });
      } catch (err) {
        removeUpload(file);
        throw err;
      }
      if (counter.over) {
        removeUpload(file);
        throw ctx.failure(413, 'body.tooLarge', `a ledger may be at most ${maxLedgerBytes} bytes`);
      }
      const { done } = await start({ siteId, file, fileName, ...(mapping ? { mapping } : {}), keepForMapping: false });
      const result = await done;
      if (result.state === 'needsMapping') {
        // Nothing to map it with later here: the caller sends the ledger again with `mapping`.
        await store.sql.transaction((tx) => discardRosterImport(tx, result.id, ['needsMapping']));
      }
      if (q.apply === '1' && result.state === 'ready') {
        const applied = await store.sql.transaction((tx) => applyRosterImport(tx, result.id, iso(ctx.now())));
        return reply.send(applied.ok ? { ok: true, roster: applied.roster } : { ok: false, error: applied.error, roster: result });
      }
      return reply.send({ ok: result.state === 'ready', roster: result });
    });
  });

  app.post(`${HQ_PATHS.adminRoster}/:importId/apply`, async (req, reply) => {
    ctx.requireAdmin(req);
    const { importId } = req.params as { importId: string };
    const applied = await store.sql.transaction((tx) => applyRosterImport(tx, importId, iso(ctx.now())));
    if (!applied.ok) throw ctx.failure(applied.error === 'roster.unknown' ? 404 : 409, applied.error);
    return reply.send({ ok: true, roster: applied.roster });
  });

  // ---- the dashboard ---------------------------------------------------------------------------

  app.post('/dashboard/roster', async (req, reply) => {
    if (!ctx.isAdmin(req)) return reply.redirect('/login', 303);
    const lang = ctx.langOf(req);
    const fields: Record<string, string> = {};
    let saved: { file: string; fileName: string } | null = null;
    try {
      for await (const part of req.parts()) {
        if (part.type === 'file') {
          const file = newUploadPath();
          try {
            await pipeline(part.file, fs.createWriteStream(file, { mode: 0o600 }));
          } catch (err) {
            // An upload cut off part way: nothing of it stays.
            removeUpload(file);
            throw err;
          }
          if (part.file.truncated) {
            removeUpload(file);
            return reply.redirect(`/dashboard?lang=${lang}&posted=roster.tooLarge`, 303);
          }
          saved = { file, fileName: path.basename(part.filename || 'ledger') };
        } else {
          fields[part.fieldname] = String(part.value);
        }
      }
    } catch (err) {
      if (saved) removeUpload(saved.file);
      // A system error (a full disk) is HQ's own failure; anything else is a malformed or cut-off form.
      if (err instanceof Error && 'syscall' in err) throw err;
      return reply.redirect(`/dashboard?lang=${lang}&posted=roster.invalid`, 303);
    }
    const siteId = fields.siteId ?? '';
    if (!saved || !(await store.siteExists(siteId))) {
      if (saved) removeUpload(saved.file);
      return reply.redirect(`/dashboard?lang=${lang}&posted=roster.invalid`, 303);
    }
    const encoding = fields.encoding === 'utf-8' || fields.encoding === 'gb18030' ? fields.encoding : undefined;
    const { importId } = await start({ siteId, ...saved, ...(encoding ? { encoding } : {}), keepForMapping: true });
    return reply.redirect(`/dashboard/roster/${importId}?lang=${lang}`, 303);
  });

  async function view(importId: string, offset: number): Promise<RosterPageView | null> {
    return store.sql.read(async (tx) => {
      const imp = await rosterImport(tx, importId);
      if (!imp) return null;
      const ready = imp.state === 'ready' || imp.state === 'current' || imp.state === 'superseded';
      const siteName = (await tx.one<{ name: string }>('SELECT name FROM site WHERE id = @siteId', { siteId: imp.siteId }))?.name ?? imp.siteId;
      return {
        roster: imp,
        siteName,
        problems: ready ? await rosterProblems(tx, importId, offset, 500) : { total: 0, rows: [] },
        offset,
        changes: ready ? await rosterChanges(tx, importId, 300) : [],
      };
    });
  }

  app.get('/dashboard/roster/:importId', async (req, reply) => {
    if (!ctx.isAdmin(req)) return reply.redirect('/login', 303);
    const { importId } = req.params as { importId: string };
    const offset = Math.max(0, Math.floor(Number((req.query as Record<string, unknown>).offset ?? 0)) || 0);
    const data = await view(importId, offset);
    if (!data) throw ctx.failure(404, 'not.found');
    return ctx.page(reply, 200, renderRosterImport(data, { lang: ctx.langOf(req), now: ctx.now() }));
  });

  app.post('/dashboard/roster/:importId/:action', async (req, reply) => {
    if (!ctx.isAdmin(req)) return reply.redirect('/login', 303);
    const { importId, action } = req.params as { importId: string; action: string };
    const lang = ctx.langOf(req);
    const at = new Date(ctx.now()).toISOString();
    if (action === 'apply') {
      const outcome = await store.sql.transaction((tx) => applyRosterImport(tx, importId, at));
      return reply.redirect(`/dashboard?lang=${lang}&posted=${outcome.ok ? 'roster.applied' : outcome.error}`, 303);
    }
    if (action === 'discard') {
      const before = await store.sql.read(async (tx) => ({ imp: await rosterImport(tx, importId), file: await importUploadFile(tx, importId) }));
      const outcome = await store.sql.transaction((tx) => discardRosterImport(tx, importId));
      // One being read: its reader stops at its next write and deletes the file then.
      if (outcome.ok && before.file && before.imp?.state !== 'reading') removeUpload(before.file);
      return reply.redirect(`/dashboard?lang=${lang}&posted=${outcome.ok ? 'roster.discarded' : outcome.error}`, 303);
    }
    if (action === 'map') {
      const waiting = await store.sql.read(async (tx) => ({ imp: await rosterImport(tx, importId), file: await importUploadFile(tx, importId) }));
      const { imp, file } = waiting;
      if (!imp || imp.state !== 'needsMapping' || !file || !fs.existsSync(file)) return reply.redirect(`/dashboard?lang=${lang}&posted=roster.unknown`, 303);
      const form = new URLSearchParams(ctx.rawBody(req).toString('utf8'));
      const mapping: HeaderMapping = {};
      for (const [key, value] of form) {
        if (!key.startsWith('h:')) continue;
        const field = headerMappingSchema.safeParse({ [key.slice(2)]: value });
        if (field.success) Object.assign(mapping, field.data);
      }
      // Between this discard and the new import the file belongs to no import: fresh, no sweep takes it.
      const touched = new Date();
      fs.utimesSync(file, touched, touched);
      const discarded = await store.sql.transaction((tx) => discardRosterImport(tx, importId, ['needsMapping']));
      if (!discarded.ok) return reply.redirect(`/dashboard?lang=${lang}&posted=${discarded.error}`, 303);
      const next = await start({ siteId: imp.siteId, file, fileName: imp.fileName ?? 'ledger', mapping, keepForMapping: true });
      return reply.redirect(`/dashboard/roster/${next.importId}?lang=${lang}`, 303);
    }
    throw ctx.failure(404, 'not.found');
  });

  return { start, maintain };
}

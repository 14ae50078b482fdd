/**
 * HQ's roster routes: a station fetching its site's roster version page by page (signed), staff
 * importing a ledger on the dashboard (upload, check, map headers, apply or discard), and the same
 * over the admin API.
 */
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { headerMappingSchema, type HeaderMapping } from '../../electron/core/roster/fields';
import { createLogger } from '../../electron/core/log';
import { renderRosterImport, type RosterPageView } from '../dashboard-roster';
import type { DashboardLang } from '../dashboard';
import { applyRosterImport, discardRosterImport, rosterChanges, rosterImport, rosterPage, rosterProblems, type HqRosterImport } from '../domains/roster';
import { HQ_PATHS, rosterPageQuerySchema, type RosterPageAnswer } from '../protocol';
import { importLedgerAtHq } from '../roster-import';
import type { HqStore, StationRow } from '../store/types';

const log = createLogger('hq-roster');

/** The largest ledger HQ takes: a district of a million people is about 60 MB of CSV. */
export const MAX_LEDGER_UPLOAD_BYTES = 512 * 1024 * 1024;

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
};

export type RosterRoutes = {
  /** Reads a ledger for a site (its file already in HQ's upload folder), in the background; the import's id at once. */
  start(input: { siteId: string; file: string; fileName: string; mapping?: HeaderMapping; encoding?: 'utf-8' | 'gb18030' }): Promise<{ importId: string; done: Promise<HqRosterImport> }>;
};

export async function registerRosterRoutes(ctx: RouteContext): Promise<RosterRoutes> {
  const { app, store } = ctx;
  const uploads = path.join(ctx.dataDir, 'uploads');
  fs.mkdirSync(uploads, { recursive: true });
  /** Files of imports being read or waiting for their headers to be mapped, by import id. */
  const files = new Map<string, { file: string; fileName: string; siteId: string }>();
  const running = new Map<string, Promise<HqRosterImport>>();

  async function start(input: Parameters<RosterRoutes['start']>[0]): Promise<{ importId: string; done: Promise<HqRosterImport> }> {
    let resolveId!: (id: string) => void;
    const idKnown = new Promise<string>((r) => (resolveId = r));
    const at = new Date(ctx.now()).toISOString();
    const done = importLedgerAtHq(store, { ...input, at, onStarted: (id) => resolveId(id) }).then(
      (result) => {
        running.delete(result.id);
        if (result.state === 'needsMapping') files.set(result.id, { file: input.file, fileName: input.fileName, siteId: input.siteId });
        else fs.rmSync(input.file, { force: true });
        log.info({ importId: result.id, state: result.state, residents: result.residents }, 'ledger read');
        return result;
      },
      (err: unknown) => {
        fs.rmSync(input.file, { force: true });
        log.error({ err }, 'ledger import failed');
        throw err;
      },
    );
    done.catch(() => undefined);
    const importId = await Promise.race([idKnown, done.then((r) => r.id)]);
    running.set(importId, done);
    return { importId, done };
  }

  await app.register(multipart, { limits: { fileSize: MAX_LEDGER_UPLOAD_BYTES, files: 1, fields: 10 } });

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

  app.post(HQ_PATHS.adminRoster, async (req, reply) => {
    ctx.requireAdmin(req);
    const q = req.query as Record<string, unknown>;
    const siteId = typeof q.siteId === 'string' ? q.siteId : '';
    const fileName = typeof q.fileName === 'string' && q.fileName ? q.fileName : 'ledger';
    if (!(await store.siteExists(siteId))) throw ctx.failure(404, 'site.unknown');
    const mapping = typeof q.mapping === 'string' ? headerMappingSchema.safeParse(JSON.parse(q.mapping)) : null;
    if (mapping && !mapping.success) throw ctx.failure(400, 'body.invalid', 'mapping');
    const file = path.join(uploads, `${Date.now()}-${process.pid}-${Math.random().toString(36).slice(2)}`);
    fs.writeFileSync(file, ctx.rawBody(req), { mode: 0o600 });
    const { done } = await start({ siteId, file, fileName, ...(mapping?.success ? { mapping: mapping.data } : {}) });
    const result = await done;
    if (q.apply === '1' && result.state === 'ready') {
      const applied = await store.sql.transaction((tx) => applyRosterImport(tx, result.id, new Date(ctx.now()).toISOString()));
      return reply.send(applied.ok ? { ok: true, roster: applied.roster } : { ok: false, error: applied.error, roster: result });
    }
    return reply.send({ ok: result.state === 'ready', roster: result });
  });

  app.post(`${HQ_PATHS.adminRoster}/:importId/apply`, async (req, reply) => {
    ctx.requireAdmin(req);
    const { importId } = req.params as { importId: string };
    const applied = await store.sql.transaction((tx) => applyRosterImport(tx, importId, new Date(ctx.now()).toISOString()));
    if (!applied.ok) throw ctx.failure(applied.error === 'roster.unknown' ? 404 : 409, applied.error);
    return reply.send({ ok: true, roster: applied.roster });
  });

  // ---- the dashboard ---------------------------------------------------------------------------

  app.post('/dashboard/roster', async (req, reply) => {
    if (!ctx.isAdmin(req)) return reply.redirect('/login', 303);
    const lang = ctx.langOf(req);
    const fields: Record<string, string> = {};
    let saved: { file: string; fileName: string } | null = null;
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        const file = path.join(uploads, `${Date.now()}-${process.pid}-${Math.random().toString(36).slice(2)}`);
        await pipeline(part.file, fs.createWriteStream(file, { mode: 0o600 }));
        if (part.file.truncated) {
          fs.rmSync(file, { force: true });
          return reply.redirect(`/dashboard?lang=${lang}&posted=roster.tooLarge`, 303);
        }
        saved = { file, fileName: path.basename(part.filename || 'ledger') };
      } else {
        fields[part.fieldname] = String(part.value);
      }
    }
    const siteId = fields.siteId ?? '';
    if (!saved || !(await store.siteExists(siteId))) {
      if (saved) fs.rmSync(saved.file, { force: true });
      return reply.redirect(`/dashboard?lang=${lang}&posted=roster.invalid`, 303);
    }
    const encoding = fields.encoding === 'utf-8' || fields.encoding === 'gb18030' ? fields.encoding : undefined;
    const { importId } = await start({ siteId, ...saved, ...(encoding ? { encoding } : {}) });
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
      const outcome = await store.sql.transaction((tx) => discardRosterImport(tx, importId));
      files.delete(importId);
      return reply.redirect(`/dashboard?lang=${lang}&posted=${outcome.ok ? 'roster.discarded' : outcome.error}`, 303);
    }
    if (action === 'map') {
      const waiting = files.get(importId);
      if (!waiting) return reply.redirect(`/dashboard?lang=${lang}&posted=roster.unknown`, 303);
      const form = new URLSearchParams(ctx.rawBody(req).toString('utf8'));
      const mapping: HeaderMapping = {};
      for (const [key, value] of form) {
        if (!key.startsWith('h:')) continue;
        const field = headerMappingSchema.safeParse({ [key.slice(2)]: value });
        if (field.success) Object.assign(mapping, field.data);
      }
      files.delete(importId);
      await store.sql.transaction((tx) => discardRosterImport(tx, importId));
      const next = await start({ ...waiting, mapping });
      return reply.redirect(`/dashboard/roster/${next.importId}?lang=${lang}`, 303);
    }
    throw ctx.failure(404, 'not.found');
  });

  return { start };
}

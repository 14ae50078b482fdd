/**
 * HQ's home isolation routes: a site's isolations (dashboard page and JSON), HQ putting a
 * household or person in isolation and ending one (JSON for scripts, forms on the page), each
 * relayed to the site's stations through the feed. Any signed-in dashboard session (or the admin
 * token) may, as for every other dashboard action; each is logged without who is isolated.
 */
import type { FastifyRequest } from 'fastify';
import { createLogger } from '../../electron/core/log';
import { renderIsolation } from '../dashboard-isolation';
import { endIsolationAtHq, isolationsOfSite, startIsolationAtHq, type HqStart } from '../domains/isolation';
import { adminIsolationEndSchema, adminIsolationStartSchema, HQ_PATHS } from '../protocol';
import type { RouteContext } from './roster';

const log = createLogger('hq-isolation');

export function registerIsolationRoutes(ctx: RouteContext): void {
  const { app, store } = ctx;
  const at = () => new Date(ctx.now()).toISOString();

  async function start(s: HqStart) {
    const outcome = await store.sql.transaction((tx) => startIsolationAtHq(tx, s, at()));
    if (outcome.ok) log.info({ siteId: s.siteId, isolationId: outcome.isolationId, persons: s.persons.length }, 'isolation started at HQ');
    return outcome;
  }
  async function end(e: { isolationId: string; reason: string }) {
    const outcome = await store.sql.transaction((tx) => endIsolationAtHq(tx, e, at()));
    if (outcome.ok) log.info({ isolationId: e.isolationId }, 'isolation ended at HQ');
    return outcome;
  }
  function json(req: FastifyRequest): unknown {
    try {
      return JSON.parse(ctx.rawBody(req).toString('utf8') || '{}');
    } catch {
      throw ctx.failure(400, 'body.invalid', 'not JSON');
    }
  }

  app.get(HQ_PATHS.adminIsolation, async (req, reply) => {
    ctx.requireAdmin(req);
    const siteId = (req.query as Record<string, unknown>).siteId;
    if (typeof siteId !== 'string' || siteId.length === 0 || siteId.length > 128) throw ctx.failure(400, 'body.invalid', 'siteId');
    const known = await store.sql.read((tx) => tx.one('SELECT 1 AS x FROM site WHERE id = @id', { id: siteId }));
    if (!known) throw ctx.failure(404, 'site.unknown');
    return reply.send({ isolations: await store.sql.read((tx) => isolationsOfSite(tx, siteId, at())) });
  });

  app.post(HQ_PATHS.adminIsolation, async (req, reply) => {
    ctx.requireAdmin(req);
    const body = adminIsolationStartSchema.safeParse(json(req));
    if (!body.success) throw ctx.failure(400, 'body.invalid', body.error.issues[0]?.message);
    const outcome = await start(body.data);
    if (!outcome.ok) throw ctx.failure(outcome.error === 'site.unknown' ? 404 : 409, outcome.error);
    return reply.send(outcome);
  });

  app.post(`${HQ_PATHS.adminIsolation}/end`, async (req, reply) => {
    ctx.requireAdmin(req);
    const body = adminIsolationEndSchema.safeParse(json(req));
    if (!body.success) throw ctx.failure(400, 'body.invalid', body.error.issues[0]?.message);
    const outcome = await end(body.data);
    if (!outcome.ok) throw ctx.failure(outcome.error === 'isolation.notFound' ? 404 : 409, outcome.error);
    return reply.send(outcome);
  });

  app.get('/dashboard/isolation', async (req, reply) => {
    if (!ctx.isAdmin(req)) return reply.redirect('/login', 303);
    const q = req.query as Record<string, unknown>;
    const sites = await store.sql.read((tx) => tx.all<{ id: string; name: string }>('SELECT id, name FROM site ORDER BY name, id'));
    const siteId = typeof q.site === 'string' && q.site ? q.site : (sites[0]?.id ?? null);
    if (siteId !== null && !sites.some((s) => s.id === siteId)) throw ctx.failure(404, 'not.found');
    const isolations = siteId ? await store.sql.read((tx) => isolationsOfSite(tx, siteId, at())) : [];
    return ctx.page(reply, 200, renderIsolation({ sites, siteId, isolations }, { lang: ctx.langOf(req), posted: typeof q.posted === 'string' ? q.posted : undefined }));
  });

  /** The dashboard's forms: what they post, then back to the page with what came of it. */
  app.post('/dashboard/isolation/:action', async (req, reply) => {
    if (!ctx.isAdmin(req)) return reply.redirect('/login', 303);
    const form = new URLSearchParams(ctx.rawBody(req).toString('utf8'));
    const lang = ctx.langOf(req);
    const site = form.get('site') ?? '';
    const back = (posted: string) => `/dashboard/isolation?site=${encodeURIComponent(site)}&lang=${lang}&posted=${encodeURIComponent(posted)}`;
    const action = (req.params as { action: string }).action;
    if (action === 'start') {
      const persons = (form.get('persons') ?? '')
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter((line) => line !== '')
        .map((line) => {
          const [idNumber = '', ...name] = line.split(/[\s,，]+/u);
          return { idNumber, name: name.join(' ') };
        });
      const optional = (k: string) => (form.get(k) ? { [k]: form.get(k) } : {});
      const parsed = adminIsolationStartSchema.safeParse({ siteId: site, household: form.get('household') ?? '', persons, reason: form.get('reason') ?? '', ...optional('startDay'), ...optional('untilDay') });
      if (!parsed.success) return reply.redirect(back('start.invalid'), 303);
      const outcome = await start(parsed.data);
      return reply.redirect(back(outcome.ok ? 'start.ok' : outcome.error), 303);
    }
    if (action === 'end') {
      const parsed = adminIsolationEndSchema.safeParse({ isolationId: form.get('isolationId') ?? '', reason: form.get('reason') ?? '' });
      if (!parsed.success) return reply.redirect(back('end.invalid'), 303);
      const outcome = await end(parsed.data);
      return reply.redirect(back(outcome.ok ? 'end.ok' : outcome.error), 303);
    }
    throw ctx.failure(404, 'not.found');
  });
}

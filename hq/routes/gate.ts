/**
 * HQ's gate routes: a site's gates on one day (dashboard page with a chart per hour, and JSON for
 * scripts) and HQ's follow-up of key-person hits. Any signed-in dashboard session (or the admin
 * token) may follow a hit up, as it may every other dashboard action; each follow-up is kept with
 * its time and author (`HQ`) and logged, the note never.
 */
import type { FastifyRequest } from 'fastify';
import { createLogger } from '../../electron/core/log';
import { gateChartSvg } from '../charts';
import { renderGate } from '../dashboard-gate';
import { followUpHit, gateDay, keyPersonHits, type FollowUpOutcome } from '../domains/gate';
import { siteDay } from '../ingest';
import { adminGateFollowUpSchema, HQ_PATHS, isoDate } from '../protocol';
import type { RouteContext } from './roster';

const log = createLogger('hq-gate');

/** Open hits of earlier days listed under the day's. */
const OPEN_HITS = 100;

export function registerGateRoutes(ctx: RouteContext): void {
  const { app, store } = ctx;

  /** The day asked for (YYYY-MM-DD), else today at the site; null when it is not a date. */
  function dayOf(value: unknown): string | null {
    if (value === undefined || value === '') return siteDay(ctx.now());
    const parsed = isoDate.safeParse(value);
    return parsed.success ? parsed.data : null;
  }

  async function followUp(f: { stationId: string; passageId: string; note: string }): Promise<FollowUpOutcome> {
    const outcome = await store.sql.transaction((tx) => followUpHit(tx, { ...f, by: 'HQ', at: new Date(ctx.now()).toISOString() }));
    if (outcome.ok) log.info({ stationId: f.stationId, passageId: f.passageId, siteId: outcome.siteId }, 'key-person hit followed up');
    return outcome;
  }

  app.get(HQ_PATHS.adminGate, async (req, reply) => {
    ctx.requireAdmin(req);
    const q = req.query as Record<string, unknown>;
    const day = dayOf(q.day);
    if (typeof q.siteId !== 'string' || q.siteId.length === 0 || q.siteId.length > 128 || day === null) throw ctx.failure(400, 'body.invalid', 'siteId, day');
    const siteId = q.siteId;
    const view = await store.sql.read((tx) => gateDay(tx, siteId, day));
    if (!view) throw ctx.failure(404, 'site.unknown');
    const hits = await store.sql.read((tx) => keyPersonHits(tx, siteId, { day }));
    return reply.send({ ...view, hits });
  });

  app.post(`${HQ_PATHS.adminGate}/follow-up`, async (req, reply) => {
    ctx.requireAdmin(req);
    let raw: unknown;
    try {
      raw = JSON.parse(ctx.rawBody(req).toString('utf8') || '{}');
    } catch {
      throw ctx.failure(400, 'body.invalid', 'not JSON');
    }
    const body = adminGateFollowUpSchema.safeParse(raw);
    if (!body.success) throw ctx.failure(400, 'body.invalid', body.error.issues[0]?.message);
    const outcome = await followUp(body.data);
    if (!outcome.ok) throw ctx.failure(404, outcome.error);
    return reply.send({ ok: true });
  });

  /** The site and day a dashboard request names (the first site, today, when it names none). */
  async function chosen(req: FastifyRequest): Promise<{ sites: { id: string; name: string }[]; siteId: string | null; day: string }> {
    const q = req.query as Record<string, unknown>;
    const day = dayOf(q.day);
    if (day === null) throw ctx.failure(400, 'body.invalid', 'day');
    const sites = await store.sql.read((tx) => tx.all<{ id: string; name: string }>('SELECT id, name FROM site ORDER BY name, id'));
    const siteId = typeof q.site === 'string' && q.site ? q.site : (sites[0]?.id ?? null);
    if (siteId !== null && !sites.some((s) => s.id === siteId)) throw ctx.failure(404, 'not.found');
    return { sites, siteId, day };
  }

  app.get('/dashboard/gate', async (req, reply) => {
    if (!ctx.isAdmin(req)) return reply.redirect('/login', 303);
    const { sites, siteId, day } = await chosen(req);
    const data = await store.sql.read(async (tx) => ({
      sites,
      day,
      view: siteId ? await gateDay(tx, siteId, day) : null,
      hits: siteId ? await keyPersonHits(tx, siteId, { day }) : [],
      open: siteId ? await keyPersonHits(tx, siteId, { open: true, notDay: day }, OPEN_HITS) : [],
    }));
    const posted = (req.query as Record<string, unknown>).posted;
    return ctx.page(reply, 200, renderGate(data, { lang: ctx.langOf(req), posted: typeof posted === 'string' ? posted : undefined }));
  });

  app.get('/dashboard/gate/chart.svg', async (req, reply) => {
    if (!ctx.isAdmin(req)) throw ctx.failure(401, 'admin.unauthorized');
    const { siteId, day } = await chosen(req);
    const view = siteId ? await store.sql.read((tx) => gateDay(tx, siteId, day)) : null;
    if (!view) throw ctx.failure(404, 'not.found');
    return reply.type('image/svg+xml; charset=utf-8').send(gateChartSvg(view, ctx.langOf(req)));
  });

  app.post('/dashboard/gate/follow-up', async (req, reply) => {
    if (!ctx.isAdmin(req)) return reply.redirect('/login', 303);
    const form = new URLSearchParams(ctx.rawBody(req).toString('utf8'));
    const lang = ctx.langOf(req);
    const site = form.get('site') ?? '';
    const day = dayOf(form.get('day') ?? '') ?? siteDay(ctx.now());
    const back = (posted: string) => `/dashboard/gate?site=${encodeURIComponent(site)}&day=${encodeURIComponent(day)}&lang=${lang}&posted=${encodeURIComponent(posted)}`;
    const parsed = adminGateFollowUpSchema.safeParse({ stationId: form.get('stationId') ?? '', passageId: form.get('passageId') ?? '', note: form.get('note') ?? '' });
    if (!parsed.success) return reply.redirect(back('followUp.invalid'), 303);
    const outcome = await followUp(parsed.data);
    return reply.redirect(back(outcome.ok ? 'followUp.ok' : outcome.error), 303);
  });
}

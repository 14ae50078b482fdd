/**
 * HQ's coverage routes: a round's coverage by building and unit (dashboard page with a chart per
 * building, and JSON for scripts), exemptions, and the not-yet-sampled list as CSV or XLSX.
 */
import { UNTESTED_LIST_MIME, untestedListFileName, untestedListRow, writeUntestedList } from '../../electron/core/coverage/untested-list';
import { coverageChartSvg } from '../charts';
import { renderCoverage, renderExportTooLarge } from '../dashboard-coverage';
import { applyExemption, coverageIsFresh, coverageView, recountCoverage, untestedResidents } from '../domains/coverage';
import { adminExemptionSchema, HQ_PATHS } from '../protocol';
import type { Tx } from '../store/sql';
import type { RouteContext } from './roster';

/**
 * The most rows one export holds (one XLSX file is built in memory). A longer list is refused with
 * a page saying to download it building by building, never cut short without a word.
 */
export const MAX_EXPORT_ROWS = 500_000;

export function registerCoverageRoutes(ctx: RouteContext & { maxExportRows?: number }): void {
  const { app, store } = ctx;
  const maxExportRows = ctx.maxExportRows ?? MAX_EXPORT_ROWS;

  /** The round's cells, counted again first when the site's roster changed since. */
  async function freshView(roundId: string) {
    const stale = await store.sql.read((tx) => coverageIsFresh(tx, roundId).then((f) => !f));
    if (stale) await store.sql.transaction((tx) => recountCoverage(tx, roundId, new Date(ctx.now()).toISOString()));
    return store.sql.read((tx) => coverageView(tx, roundId));
  }

  app.get(`${HQ_PATHS.adminCoverage}/:roundId`, async (req, reply) => {
    ctx.requireAdmin(req);
    const view = await freshView((req.params as { roundId: string }).roundId);
    if (!view) throw ctx.failure(404, 'round.unknown');
    return reply.send(view);
  });

  app.post(`${HQ_PATHS.adminCoverage}/:roundId/exempt`, async (req, reply) => {
    ctx.requireAdmin(req);
    const { roundId } = req.params as { roundId: string };
    let raw: unknown;
    try {
      raw = JSON.parse(ctx.rawBody(req).toString('utf8') || '{}');
    } catch {
      throw ctx.failure(400, 'body.invalid', 'not JSON');
    }
    const body = adminExemptionSchema.safeParse(raw);
    if (!body.success) throw ctx.failure(400, 'body.invalid', body.error.issues[0]?.message);
    const at = new Date(ctx.now()).toISOString();
    const changed = await store.sql.transaction((tx: Tx) =>
      applyExemption(tx, { roundId, idNumber: body.data.idNumber, set: body.data.reason ? { reason: body.data.reason, note: body.data.note } : null, at, by: 'HQ' }),
    );
    return reply.send({ ok: true, changed });
  });

  app.get('/dashboard/coverage/:roundId', async (req, reply) => {
    if (!ctx.isAdmin(req)) return reply.redirect('/login', 303);
    const view = await freshView((req.params as { roundId: string }).roundId);
    if (!view) throw ctx.failure(404, 'not.found');
    const posted = (req.query as Record<string, unknown>).posted;
    return ctx.page(reply, 200, renderCoverage(view, { lang: ctx.langOf(req), now: ctx.now(), posted: typeof posted === 'string' ? posted : undefined, exportLimit: maxExportRows }));
  });

  app.get('/dashboard/coverage/:roundId/chart.svg', async (req, reply) => {
    if (!ctx.isAdmin(req)) throw ctx.failure(401, 'admin.unauthorized');
    const view = await freshView((req.params as { roundId: string }).roundId);
    if (!view) throw ctx.failure(404, 'not.found');
    return reply.type('image/svg+xml; charset=utf-8').send(coverageChartSvg(view, ctx.langOf(req)));
  });

  app.post('/dashboard/coverage/:roundId/exempt', async (req, reply) => {
    if (!ctx.isAdmin(req)) return reply.redirect('/login', 303);
    const { roundId } = req.params as { roundId: string };
    const lang = ctx.langOf(req);
    const form = new URLSearchParams(ctx.rawBody(req).toString('utf8'));
    const reason = form.get('reason') ?? '';
    const parsed = adminExemptionSchema.safeParse({ idNumber: (form.get('idNumber') ?? '').trim().toUpperCase(), reason: reason === 'lift' ? null : reason, note: form.get('note') ?? '' });
    if (!parsed.success) return reply.redirect(`/dashboard/coverage/${encodeURIComponent(roundId)}?lang=${lang}&posted=exempt.invalid`, 303);
    const at = new Date(ctx.now()).toISOString();
    const changed = await store.sql.transaction((tx: Tx) =>
      applyExemption(tx, { roundId, idNumber: parsed.data.idNumber, set: parsed.data.reason ? { reason: parsed.data.reason, note: parsed.data.note } : null, at, by: 'HQ' }),
    );
    return reply.redirect(`/dashboard/coverage/${encodeURIComponent(roundId)}?lang=${lang}&posted=exempt.${changed ? 'ok' : 'unchanged'}`, 303);
  });

  app.get('/dashboard/coverage/:roundId/export', async (req, reply) => {
    if (!ctx.isAdmin(req)) return reply.redirect('/login', 303);
    const { roundId } = req.params as { roundId: string };
    const q = req.query as Record<string, unknown>;
    const building = typeof q.building === 'string' && q.building ? q.building : null;
    const unit = typeof q.unit === 'string' && q.unit ? q.unit : null;
    const format = q.format === 'xlsx' ? 'xlsx' : 'csv';
    const view = await store.sql.read((tx) => coverageView(tx, roundId));
    if (!view?.round) throw ctx.failure(404, 'not.found');
    // One row past the limit says the list is longer than a file may hold.
    const residents = await store.sql.read((tx) => untestedResidents(tx, roundId, building, unit, maxExportRows + 1));
    if (residents.length > maxExportRows) {
      const b = building === null ? undefined : view.buildings.find((x) => x.building === building);
      const u = unit === null ? undefined : b?.units.find((x) => x.unit === unit);
      const untested = Math.max(u?.untested ?? b?.untested ?? view.totals.untested, residents.length);
      return ctx.page(reply, 422, renderExportTooLarge(view, { lang: ctx.langOf(req), untested, limit: maxExportRows }));
    }
    const bytes = await writeUntestedList(residents.map(untestedListRow), format);
    const fileName = untestedListFileName(view.round.name, building, unit, format);
    return reply
      .header('content-disposition', `attachment; filename="export.${format}"; filename*=UTF-8''${encodeURIComponent(fileName)}`)
      .type(UNTESTED_LIST_MIME[format])
      .send(bytes);
  });
}

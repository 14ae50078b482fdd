/**
 * The station report's "this site": a station of the site asks, signed as for the feed, for the
 * site's counts per hour of a day (its upload agent does so after each feed pull). Counts only.
 */
import { siteDayCounts } from '../domains/reports';
import { HQ_PATHS, siteDayQuerySchema } from '../protocol';
import type { RouteContext } from './roster';

export function registerReportRoutes(ctx: RouteContext): void {
  const { app, store } = ctx;
  app.get(HQ_PATHS.siteDay, async (req, reply) => {
    const station = await ctx.authenticate(req);
    const query = siteDayQuerySchema.safeParse(req.query);
    if (!query.success) throw ctx.failure(400, 'body.invalid', 'bad site-day query');
    return reply.send(await store.sql.read((tx) => siteDayCounts(tx, station.siteId, query.data.day)));
  });
}

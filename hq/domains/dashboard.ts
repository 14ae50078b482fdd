/** What the dashboard shows, read the same way from either backend. */
import { DASHBOARD_SQL } from '../store/dashboard-sql';
import type { DashboardData } from '../store/types';
import { num, type Tx } from '../store/sql';
import { listTubeConflicts } from './conflicts';
import { coverageIsFresh } from './coverage';
import { currentRosterImport, recentRosterImports } from './roster';
import { roundsOfSite } from './rounds';

function numeric<T>(rows: Record<string, unknown>[], fields: string[]): T[] {
  return rows.map((r) => {
    const out: Record<string, unknown> = { ...r };
    for (const f of fields) out[f] = num(r[f]);
    return out as T;
  });
}

export async function dashboardData(tx: Tx, day: string): Promise<DashboardData> {
  const stations = numeric<DashboardData['stations'][number]>(
    await tx.all(
      `SELECT s.id, s.name, s.number, site.name AS "siteName", s.last_contact_at AS "lastContactAt", s.acked_through AS "ackedThrough",
         s.head_seq AS "headSeq", s.conflicts, s.rejected, s.chain_error AS "chainError", s.revoked_at AS "revokedAt", s.hq_key AS "hqKey",
         (SELECT max(r.relinked_at) FROM station_relink r WHERE r.station_id = s.id) AS "relinkedAt"
       FROM station s JOIN site ON site.id = s.site_id ORDER BY site.name, s.number, s.name`,
    ),
    ['number', 'ackedThrough', 'headSeq', 'conflicts', 'rejected'],
  );
  const sites = numeric<DashboardData['sites'][number]>(await tx.all(DASHBOARD_SQL.sites, { day }), ['people', 'tubes', 'boxes']);
  const positives = numeric<DashboardData['positives'][number]>(await tx.all(DASHBOARD_SQL.positives), ['members', 'retested']);
  const tubeConflicts = await listTubeConflicts(tx, 100);
  const siteRounds: DashboardData['siteRounds'] = [];
  for (const r of await roundsOfSite(tx, null)) {
    const roster = await currentRosterImport(tx, r.siteId);
    const counted = roster && (await coverageIsFresh(tx, r.roundId));
    const sums = counted
      ? await tx.one<{ tested: number | string | null; exempt: number | string | null }>('SELECT sum(tested) AS tested, sum(exempt) AS exempt FROM coverage_cell WHERE round_id = @roundId', { roundId: r.roundId })
      : undefined;
    siteRounds.push({ ...r, coverage: roster && sums ? { residents: roster.residents, tested: num(sums.tested), exempt: num(sums.exempt) } : null });
  }
  const rosters = [];
  for (const site of sites) rosters.push({ siteId: site.siteId, siteName: site.siteName, current: await currentRosterImport(tx, site.siteId) });
  const rosterImports = await recentRosterImports(tx, 10);
  return { day, stations, sites, positives, tubeConflicts, siteRounds, rosters, rosterImports };
}

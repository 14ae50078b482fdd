/** Dashboard queries written in the SQL both engines accept (named parameters are rewritten for PostgreSQL). */
export const DASHBOARD_SQL = {
  sites: `SELECT site.id AS "siteId", site.name AS "siteName",
      (SELECT count(DISTINCT p.person_key) FROM binding b
         JOIN person p ON p.station_id = b.station_id AND p.person_id = b.person_id
         JOIN tube t ON t.station_id = b.station_id AND t.tube_id = b.tube_id
       WHERE b.site_id = site.id AND b.day = @day AND b.undone = 0 AND t.state <> 'voided') AS people,
      (SELECT count(*) FROM tube t WHERE t.site_id = site.id AND t.day = @day AND t.state <> 'voided') AS tubes,
      (SELECT count(*) FROM box x WHERE x.site_id = site.id AND x.day = @day AND x.state <> 'open') AS boxes
    FROM site ORDER BY site.name`,
  positives: `SELECT r.tube_code AS "tubeCode", r.at,
      coalesce((SELECT min(site.name) FROM tube t JOIN site ON site.id = t.site_id WHERE t.code = r.tube_code), '') AS "siteName",
      (SELECT count(*) FROM retest_task k WHERE k.tube_code = r.tube_code) AS members,
      (SELECT count(*) FROM retest_task k WHERE k.tube_code = r.tube_code AND k.closed_at IS NOT NULL) AS retested
    FROM result r WHERE r.id IN (SELECT max(id) FROM result GROUP BY tube_code) AND r.result = 'positive'
    ORDER BY r.at DESC LIMIT 500`,
} as const;

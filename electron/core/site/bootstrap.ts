import { newId } from '../ids';
import { NO_OPERATOR } from '../operators/operators';
import type { StationDatabase } from '../db/database';
import type { Journal } from '../journal';
import { DEMO_SITE_CONFIG, parseSiteConfig, type SiteConfig } from './config';

export type StationIdentity = {
  site: { id: string; name: string; config: SiteConfig };
  station: { id: string; name: string; number: number };
};

/**
 * First start: the embedded demo site, this station and a first round, so Station works with no
 * configuration; the first-run screen then creates the first site admin (no operator exists
 * before, so the records of the first start are the station's own). Later starts read what is there.
 */
export function ensureStation(db: StationDatabase, journal: Journal, now: () => Date): StationIdentity {
  const existing = db
    .prepare(
      `SELECT s.id AS stationId, s.name AS stationName, s.number, site.id AS siteId, site.name AS siteName, site.config
       FROM station s JOIN site ON site.id = s.site_id WHERE s.is_local = 1`,
    )
    .get() as
    | { stationId: string; stationName: string; number: number; siteId: string; siteName: string; config: string }
    | undefined;
  if (existing) {
    return {
      site: { id: existing.siteId, name: existing.siteName, config: parseSiteConfig(JSON.parse(existing.config)) },
      station: { id: existing.stationId, name: existing.stationName, number: existing.number },
    };
  }
  const at = now().toISOString();
  const siteId = 'demo-site';
  const stationId = newId();
  const roundId = newId();
  const station = { id: stationId, name: '演示采样台 1', number: 1 };
  const site = { id: siteId, name: '演示社区采样点', config: DEMO_SITE_CONFIG };
  db.transaction(() => {
    db.prepare('INSERT INTO site (id, name, config, at) VALUES (?, ?, ?, ?)').run(site.id, site.name, JSON.stringify(site.config), at);
    db.prepare('INSERT INTO station (id, site_id, name, number, is_local, at) VALUES (?, ?, ?, ?, 1, ?)').run(
      station.id,
      site.id,
      station.name,
      station.number,
      at,
    );
    const base = { stationId, operatorId: NO_OPERATOR, at };
    journal.append({ ...base, kind: 'site.configured', entityId: site.id, payload: { name: site.name, config: site.config } });
    journal.append({ ...base, kind: 'station.created', entityId: stationId, payload: { siteId, name: station.name, number: station.number } });
    const roundName = `第1轮 ${at.slice(0, 10)}`;
    // The demo site's own round: a station enrolled at HQ closes it and binds into its site's rounds.
    const roundSeq = journal.append({ ...base, kind: 'round.started', entityId: roundId, payload: { siteId, name: roundName, startsOn: null, endsOn: null } });
    db.prepare(
      `INSERT INTO round (id, site_id, name, started_at, origin, started_by, seq) VALUES (?, ?, ?, ?, 'here', ?, ?)`,
    ).run(roundId, siteId, roundName, at, station.name, roundSeq);
  }).immediate();
  return { site, station };
}

import type { StationDatabase } from '../db/database';
import type { FeedHandlers } from '../feed/feed';
import type { Journal } from '../journal';
import type { Rounds } from '../rounds/rounds';
import type { StationIdentity } from './bootstrap';

/** What HQ says this station is: its site, and its number and name within it. */
export type HqIdentity = { siteId: string; siteName: string; number: number; name: string };

const MARK_KEY = 'site.markKey';
/**
 * Set with a new mark key, in its transaction: this desk's own marks are still to be made under
 * it (`Coverage.remarkIfPending`), also after a restart. Migration 8 sets it too.
 */
export const OWN_MARKS_PENDING = 'site.ownMarksPending';

/**
 * The station's place in its site, as HQ gives it (at enrollment and whenever HQ changes it):
 * its site, number and name. Generated tube codes carry the number, so two stations of one site
 * never make the same code. Runs inside the writer; the core switches to the answer once committed.
 */
export class SiteIdentity {
  constructor(
    private readonly db: StationDatabase,
    private readonly journal: Journal,
    private readonly identity: StationIdentity,
    private readonly operatorId: () => string,
    private readonly rounds: Rounds,
  ) {}

  /** Stores what HQ gave and journals it as `station.identified`; null when nothing changed. */
  adopt(given: HqIdentity, at: string): StationIdentity | null {
    const { site, station } = this.identity;
    // Compared with what is stored, not with the identity in memory: an item applied again after
    // a failed commit must write again.
    const stored = this.db
      .prepare('SELECT s.site_id, s.number, s.name, site.name AS site_name FROM station s JOIN site ON site.id = s.site_id WHERE s.id = ?')
      .get(station.id) as { site_id: string; number: number; name: string; site_name: string };
    if (stored.site_id === given.siteId && stored.site_name === given.siteName && stored.number === given.number && stored.name === given.name) return null;
    // The station keeps the configuration it has until HQ sends the site's own.
    this.db
      .prepare('INSERT INTO site (id, name, config, at) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, at = excluded.at')
      .run(given.siteId, given.siteName, JSON.stringify(site.config), at);
    const config = site.id === given.siteId ? site.config : this.siteConfig(given.siteId) ?? site.config;
    this.db.prepare('UPDATE station SET site_id = ?, number = ?, name = ? WHERE id = ?').run(given.siteId, given.number, given.name, station.id);
    // Rounds belong to a site: the ones this station ran before it joined this site are over.
    if (stored.site_id !== given.siteId) this.rounds.closeRoundsOfOtherSites(given.siteId, at);
    this.journal.append({
      stationId: station.id,
      operatorId: this.operatorId(),
      at,
      kind: 'station.identified',
      entityId: station.id,
      payload: { siteId: given.siteId, number: given.number, name: given.name },
    });
    return { site: { id: given.siteId, name: given.siteName, config }, station: { id: station.id, number: given.number, name: given.name } };
  }

  private siteConfig(siteId: string): StationIdentity['site']['config'] | null {
    const row = this.db.prepare('SELECT config FROM site WHERE id = ?').get(siteId) as { config: string } | undefined;
    return row ? (JSON.parse(row.config) as StationIdentity['site']['config']) : null;
  }

  /** The key "sampled in this round" marks are hashed with: the site's from HQ, else this station's own. */
  markKey(): string {
    const row = this.db.prepare('SELECT value FROM setting WHERE key = ?').get(MARK_KEY) as { value: string } | undefined;
    if (!row) throw new Error('no mark key');
    return row.value;
  }

  feedHandlers(): FeedHandlers {
    return {
      'station.identity': (item, effects, at) => {
        const next = this.adopt(item.payload, at);
        if (next) {
          effects.identity = next;
          // Later items of this page (a site configuration) apply to the site now in use.
          this.identity.site = next.site;
          this.identity.station = next.station;
        }
      },
      'site.keys': (item, effects) => {
        if (item.payload.siteId !== this.identity.site.id || item.payload.markKey === this.markKey()) return;
        this.db
          .prepare('INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value')
          .run(MARK_KEY, item.payload.markKey);
        this.db.prepare(`INSERT INTO setting (key, value) VALUES (?, '1') ON CONFLICT(key) DO NOTHING`).run(OWN_MARKS_PENDING);
        effects.keys = true;
      },
    };
  }
}

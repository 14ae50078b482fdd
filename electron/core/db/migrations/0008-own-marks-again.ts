import type { Migration } from './index';

/**
 * Schema 8: no table changes. Migration 6 began keeping coverage (`coverage_tested`) from then
 * on, so a desk upgraded in the middle of a round showed everyone it had sampled before the
 * upgrade as not sampled. Coverage is filled from the desk's bindings at the next start: the same
 * flag a change of mark key sets (`site.ownMarksPending`, see `SiteIdentity` and
 * `Coverage.remarkIfPending`), set here when there are bindings. Making the marks needs the mark
 * key and SHA-256, which belong to the core, not to SQL; a flag also makes it resumable.
 */
export const migration0008: Migration = {
  version: 8,
  name: 'own-marks-again',
  up(db) {
    db.exec(`
      INSERT INTO setting (key, value) SELECT 'site.ownMarksPending', '1' WHERE EXISTS (SELECT 1 FROM binding)
        ON CONFLICT(key) DO NOTHING;
    `);
  },
};

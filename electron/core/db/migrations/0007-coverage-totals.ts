import type { Migration } from './index';

/**
 * Schema 7: `coverage_total`, how many people count as sampled in each round, on the roster or
 * not, kept with every change to `coverage_tested`. Coverage shows "sampled, not on the roster"
 * from it; counting `coverage_tested` instead took most of a coverage read at a district's size
 * (800,000 marks). Filled from `coverage_tested` as it stands.
 */
export const migration0007: Migration = {
  version: 7,
  name: 'coverage-totals',
  up(db) {
    db.exec(`
      CREATE TABLE coverage_total (round_id TEXT PRIMARY KEY, tested INTEGER NOT NULL CHECK (tested >= 0)) STRICT;
      INSERT INTO coverage_total (round_id, tested) SELECT round_id, count(*) FROM coverage_tested GROUP BY round_id;
    `);
  },
};

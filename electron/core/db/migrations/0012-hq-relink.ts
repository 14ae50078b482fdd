import type { Migration } from './index';

/**
 * Schema 12: a desk that must be linked to HQ again, and says so.
 *
 * `hq_link.relink_reason`, `hq_link.relink_since`: HQ, in an answer it signed, refused this link
 * for good (`station.revoked`, `station.unknown`, `signature.invalid`), or HQ's answers come
 * signed by a key this desk cannot trust (`upload.hqKeyUnknown`: HQ changed its key and retired
 * the one the desk knew while it was away, or someone answers in HQ's name). Then, and only then,
 * a site admin may link the desk again with a new code (the screen, `station enroll`); the desk
 * keeps its journal and sends what HQ does not hold. Cleared by HQ's next good answer. NULL on
 * every link before: none was known to need it.
 */
export const migration0012: Migration = {
  version: 12,
  name: 'hq-relink',
  up(db) {
    db.exec(`
      ALTER TABLE hq_link ADD COLUMN relink_reason TEXT;
      ALTER TABLE hq_link ADD COLUMN relink_since TEXT;
    `);
  },
};

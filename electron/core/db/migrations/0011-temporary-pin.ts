import type { Migration } from './index';

/**
 * Schema 11: a PIN a site admin set for another operator is theirs to replace.
 *
 * `operator.temporary_pin_hash`: the PIN hash a site admin set (a forgotten PIN, a lock-out);
 * while the operator's PIN is still that very hash, they choose their own at their next sign-in
 * before anything else. Any other change of the PIN (their own, one from HQ) ends it by itself.
 * Existing operators have none: nobody is asked to change a PIN they already use.
 */
export const migration0011: Migration = {
  version: 11,
  name: 'temporary-pin',
  up(db) {
    db.exec('ALTER TABLE operator ADD COLUMN temporary_pin_hash TEXT');
  },
};

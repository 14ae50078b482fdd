import { GENESIS_HASH } from '../../../../hq/chain';
import { chainColumns } from '../../journal';
import type { Migration } from './index';

/** Entries chained per statement while upgrading: a journal of millions is never read whole. */
const PAGE = 5000;

/**
 * Schema 9: the journal becomes a hash chain (see `hq/chain.ts`), and the station learns HQ's
 * key and what HQ says it holds.
 *
 * - `journal`: `prev_hash` and `hash` (each entry carries its predecessor's hash), `salt` and
 *   `personal_digest` (the personal fields' salted digest, which the chain covers in their
 *   place). Every existing entry is chained here, in seq order, so an upgraded station keeps
 *   every entry and HQ anchors its chain on the first chained batch. The journal stays
 *   append-only, with one exception: a purge, which removes an entry's personal fields and its
 *   salt and changes nothing else.
 * - `hq_link.hq_public_key`: HQ's Ed25519 key (SPKI PEM), which signs every answer. NULL for a
 *   station enrolled before: it takes the key of HQ's first answer (see hq/README.md, "Trust").
 *   `hq_link.hq_export_key`: HQ's X25519 key that export files are encrypted to (from the signed
 *   enrollment answer, or a signed feed page for a station enrolled before).
 * - `upload_state`: `held_through` and `held_head` (what HQ last said, in a signed answer, it
 *   holds of this journal), `confirmed_through` (the part of it whose chain matches this one:
 *   what retention may purge).
 * - Frozen batches are dropped: rebuilt, they carry the chain.
 */
export const migration0009: Migration = {
  version: 9,
  name: 'journal-chain',
  up(db) {
    db.exec(`
      DROP TRIGGER journal_no_update;
      ALTER TABLE journal ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
      ALTER TABLE journal ADD COLUMN hash TEXT NOT NULL DEFAULT '';
      ALTER TABLE journal ADD COLUMN salt TEXT;
      ALTER TABLE journal ADD COLUMN personal_digest TEXT;
      ALTER TABLE hq_link ADD COLUMN hq_public_key TEXT;
      ALTER TABLE hq_link ADD COLUMN hq_export_key TEXT;
      ALTER TABLE upload_state ADD COLUMN held_through INTEGER;
      ALTER TABLE upload_state ADD COLUMN held_head TEXT;
      ALTER TABLE upload_state ADD COLUMN confirmed_through INTEGER NOT NULL DEFAULT 0;
      DELETE FROM upload_batch;
    `);
    const page = db.prepare<[number, number], { seq: number; kind: string; entity_id: string; operator_id: string; at: string; payload: string }>(
      'SELECT seq, kind, entity_id, operator_id, at, payload FROM journal WHERE seq > ? ORDER BY seq LIMIT ?',
    );
    const update = db.prepare<[string, string, string | null, string | null, number]>(
      'UPDATE journal SET prev_hash = ?, hash = ?, salt = ?, personal_digest = ? WHERE seq = ?',
    );
    let prev = GENESIS_HASH;
    let after = 0;
    for (;;) {
      const rows = page.all(after, PAGE);
      for (const r of rows) {
        const chain = chainColumns(prev, { seq: r.seq, kind: r.kind, entityId: r.entity_id, operatorId: r.operator_id, at: r.at, payload: JSON.parse(r.payload) as unknown });
        update.run(prev, chain.hash, chain.salt, chain.personalDigest, r.seq);
        prev = chain.hash;
        after = r.seq;
      }
      if (rows.length < PAGE) break;
    }
    db.exec(`
      CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
        WHEN NOT (OLD.salt IS NOT NULL AND NEW.salt IS NULL
          AND NEW.seq = OLD.seq AND NEW.station_id = OLD.station_id AND NEW.kind = OLD.kind AND NEW.entity_id = OLD.entity_id
          AND NEW.operator_id = OLD.operator_id AND NEW.at = OLD.at AND NEW.prev_hash = OLD.prev_hash AND NEW.hash = OLD.hash
          AND NEW.personal_digest IS OLD.personal_digest)
        BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END;
    `);
  },
};

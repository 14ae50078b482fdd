import { randomBytes } from 'node:crypto';
import type { Migration } from './index';

/**
 * Schema 3: one desk among many at a site.
 *
 * - Person keys: a person known by a phone number or a registration code alone is keyed with
 *   their name too (`tel:<phone>#<name>`), so a family sharing a phone are separate people. The
 *   existing rows are re-keyed; their journalled `person.registered` entries keep the key they had.
 * - `tube_conflict`: a pre-printed tube code HQ found opened at another station of the site too.
 * - `hq_result.station_id` / `tube_id`: which tube a result is for, when HQ says so; a tube of
 *   this station under the same code but another id is not that tube.
 * - The site's mark key (`site.markKey`): the keyed hash under which "sampled in this round"
 *   marks travel between desks. A station makes its own until HQ sends the site's.
 */
/** The key rule of this version, written out here so later changes to `person/key.ts` cannot change what this migration did. */
function keyOf(r: { id_number: string | null; reg_code: string | null; phone: string | null; name: string | null }): string | null {
  if (r.id_number) return `id:${r.id_number}`;
  const name = (r.name ?? '').normalize('NFKC').trim().replace(/\s+/gu, ' ');
  if (r.reg_code) return `reg:${r.reg_code}#${name}`;
  if (r.phone) return `tel:${r.phone}#${name}`;
  return null;
}

export const migration0003: Migration = {
  version: 3,
  name: 'site-desks',
  up(db) {
    const rows = db
      .prepare(`SELECT id, person_key, id_number, reg_code, name, phone FROM person WHERE person_key NOT LIKE 'id:%'`)
      .all() as { id: string; person_key: string; id_number: string | null; reg_code: string | null; name: string | null; phone: string | null }[];
    const rekey = db.prepare('UPDATE person SET person_key = ? WHERE id = ?');
    for (const r of rows) {
      const key = keyOf(r);
      if (key && key !== r.person_key) rekey.run(key, r.id);
    }
    db.exec(`
      CREATE TABLE tube_conflict (
        code TEXT PRIMARY KEY,
        tube_id TEXT NOT NULL,
        opened_at TEXT NOT NULL,
        later INTEGER NOT NULL CHECK (later IN (0, 1)),
        others TEXT NOT NULL,
        resolved TEXT,
        feed_cursor INTEGER NOT NULL,
        received_at TEXT NOT NULL
      ) STRICT;

      ALTER TABLE hq_result ADD COLUMN station_id TEXT;
      ALTER TABLE hq_result ADD COLUMN tube_id TEXT;
    `);
    db.prepare(`INSERT OR IGNORE INTO setting (key, value) VALUES ('site.markKey', ?)`).run(randomBytes(32).toString('base64url'));
  },
};

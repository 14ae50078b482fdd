import Database from 'better-sqlite3-multiple-ciphers';
import { migrate } from '../../electron/core/db/migrations';

type Db = InstanceType<typeof Database>;

/**
 * Takes a station database's tables, indexes and triggers back to what schema `version` had:
 * drops every one a fresh database migrated to `version` does not have (columns later migrations
 * added to older tables are the caller's to drop). Tests that rebuild an older station use it,
 * so a new migration's tables need no list kept in each of them.
 */
export function dropObjectsNewerThan(db: Db, version: number): void {
  const fresh = new Database(':memory:');
  try {
    migrate(fresh, version);
    const names = (d: Db, type: string) =>
      new Set((d.prepare(`SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE 'sqlite_%'`).all(type) as { name: string }[]).map((r) => r.name));
    const foreignKeys = db.pragma('foreign_keys', { simple: true }) as number;
    db.pragma('foreign_keys = OFF');
    for (const [type, drop] of [
      ['trigger', 'DROP TRIGGER'],
      ['index', 'DROP INDEX IF EXISTS'],
      ['table', 'DROP TABLE'],
    ] as const) {
      const keep = names(fresh, type);
      for (const name of names(db, type)) if (!keep.has(name)) db.exec(`${drop} "${name}"`);
    }
    db.pragma(`foreign_keys = ${foreignKeys}`);
  } finally {
    fresh.close();
  }
}

import type { Database } from 'better-sqlite3-multiple-ciphers';
import { migration0001 } from './0001-initial';
import { migration0002 } from './0002-upload';
import { migration0003 } from './0003-site-desks';
import { migration0004 } from './0004-site-rounds';
import { migration0005 } from './0005-roster';
import { migration0006 } from './0006-coverage';
import { migration0007 } from './0007-coverage-totals';
import { migration0008 } from './0008-own-marks-again';
import { migration0009 } from './0009-journal-chain';
import { migration0010 } from './0010-operators';
import { migration0011 } from './0011-temporary-pin';
import { migration0012 } from './0012-hq-relink';
import { migration0013 } from './0013-gate';
import { migration0014 } from './0014-person-station-writes';
import { migration0015 } from './0015-gate-visitors-vehicles';
import { migration0016 } from './0016-resident-passes';
import { migration0017 } from './0017-boxes';
import { migration0018 } from './0018-box-receipts';
import { migration0019 } from './0019-doors';
import { migration0020 } from './0020-isolation';

export type Migration = {
  version: number;
  name: string;
  /**
   * Rebuilds a table other tables reference (SQLite cannot alter a column in place): foreign keys
   * are switched off around the transaction, as SQLite's own procedure for it says, and every
   * reference is checked before the transaction commits.
   */
  rebuildsReferencedTable?: boolean;
  up(db: Database): void;
};

/** Every migration, in order. A new schema version is a new module appended here. */
export const MIGRATIONS: readonly Migration[] = [
  migration0001,
  migration0002,
  migration0003,
  migration0004,
  migration0005,
  migration0006,
  migration0007,
  migration0008,
  migration0009,
  migration0010,
  migration0011,
  migration0012,
  migration0013,
  migration0014,
  migration0015,
  migration0016,
  migration0017,
  migration0018,
  migration0019,
  migration0020,
];

export const LATEST_VERSION = MIGRATIONS.length;

export class DatabaseFromTheFutureError extends Error {
  constructor(readonly found: number, readonly supported: number) {
    super(`database schema version ${found} is newer than this Station supports (${supported})`);
  }
}

/**
 * Brings the database to `target` (default: latest) in one transaction: either every pending
 * migration applies or none does. A database written by a newer Station is refused, never
 * downgraded or guessed at.
 */
export function migrate(db: Database, target: number = LATEST_VERSION, migrations = MIGRATIONS): number {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration list out of order at ${m.name}`);
  });
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > migrations.length) throw new DatabaseFromTheFutureError(current, migrations.length);
  if (current >= target) return current;
  const pending = migrations.slice(current, target);
  const foreignKeys = db.pragma('foreign_keys', { simple: true }) === 1;
  const rebuild = foreignKeys && pending.some((m) => m.rebuildsReferencedTable);
  if (rebuild) db.pragma('foreign_keys = OFF');
  try {
    db.transaction(() => {
      for (const m of pending) m.up(db);
      if (rebuild) {
        const broken = db.pragma('foreign_key_check') as unknown[];
        if (broken.length > 0) throw new Error(`migration left ${broken.length} broken references`);
      }
      db.pragma(`user_version = ${target}`);
    }).immediate();
  } finally {
    if (rebuild) db.pragma('foreign_keys = ON');
  }
  return target;
}

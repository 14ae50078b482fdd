import { openPostgresStore } from './postgres';
import { openSqliteStore } from './sqlite';
import type { HqStore } from './types';

export type { HqStore } from './types';

/** PostgreSQL when a database URL is given (`HQ_DATABASE_URL`), else embedded SQLite in `dataDir`. */
export async function openStore(opts: { dataDir: string; databaseUrl?: string | undefined }): Promise<HqStore> {
  return opts.databaseUrl ? openPostgresStore(opts.databaseUrl) : openSqliteStore(opts.dataDir);
}

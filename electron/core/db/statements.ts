import type { Statement } from 'better-sqlite3-multiple-ciphers';
import type { StationDatabase } from './database';

/**
 * Statements prepared once and reused by their SQL text: preparing is a large part of a small
 * statement's cost, and a domain's queries are the same few run many times.
 */
export class PreparedStatements {
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly db: StationDatabase) {}

  get(source: string): Statement {
    let statement = this.statements.get(source);
    if (!statement) {
      statement = this.db.prepare(source);
      this.statements.set(source, statement);
    }
    return statement;
  }
}

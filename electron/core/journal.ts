import type { StationDatabase } from './db/database';

/** Every kind of journal entry the station writes; HQ receives them in `seq` order. */
export type JournalKind =
  | 'site.configured'
  | 'station.created'
  | 'station.identified'
  | 'operator.created'
  | 'operator.changed'
  | 'operator.signedIn'
  | 'operator.signInFailed'
  | 'operator.signedOut'
  | 'round.started'
  | 'round.closed'
  | 'person.registered'
  | 'person.updated'
  | 'tube.opened'
  | 'tube.sealed'
  | 'tube.reopened'
  | 'tube.voided'
  | 'binding.created'
  | 'binding.undone'
  | 'retest.sampled'
  | 'roster.committed'
  | 'roster.rows'
  | 'exemption.set'
  | 'exemption.lifted'
  | 'device.calibrated';

export type JournalEntry = {
  seq: number;
  stationId: string;
  kind: JournalKind;
  entityId: string;
  operatorId: string;
  at: string;
  payload: Record<string, unknown>;
};

export type JournalRow = {
  seq: number;
  station_id: string;
  kind: string;
  entity_id: string;
  operator_id: string;
  at: string;
  payload: string;
};

/**
 * Appends to the journal inside the caller's transaction. The sequence number is computed in
 * that same transaction by the one writer, so it is contiguous: a rolled-back change leaves no
 * gap, and HQ can insist on no gaps.
 */
/** Told of every entry as it is appended, inside the same transaction (for views kept up to date, like coverage). */
export type JournalObserver = (entry: Omit<JournalEntry, 'seq'>) => void;

export class Journal {
  private readonly insert;
  private readonly range;
  private readonly observers: JournalObserver[] = [];

  constructor(private readonly db: StationDatabase) {
    this.insert = db.prepare<[string, string, string, string, string, string], { seq: number }>(
      `INSERT INTO journal (seq, station_id, kind, entity_id, operator_id, at, payload)
       VALUES ((SELECT IFNULL(MAX(seq), 0) + 1 FROM journal), ?, ?, ?, ?, ?, ?) RETURNING seq`,
    );
    this.range = db.prepare<[number, number], JournalRow>('SELECT * FROM journal WHERE seq > ? ORDER BY seq LIMIT ?');
  }

  append(entry: Omit<JournalEntry, 'seq'>): number {
    if (!this.db.inTransaction) throw new Error('journal entries are written inside the change’s transaction');
    const row = this.insert.get(entry.stationId, entry.kind, entry.entityId, entry.operatorId, entry.at, JSON.stringify(entry.payload));
    for (const observe of this.observers) observe(entry);
    return row!.seq;
  }

  observe(observer: JournalObserver): void {
    this.observers.push(observer);
  }

  /** Entries after `afterSeq`, in order, at most `limit`. */
  readAfter(afterSeq: number, limit: number): JournalEntry[] {
    return this.range.all(afterSeq, limit).map((r) => ({
      seq: r.seq,
      stationId: r.station_id,
      kind: r.kind as JournalKind,
      entityId: r.entity_id,
      operatorId: r.operator_id,
      at: r.at,
      payload: JSON.parse(r.payload) as Record<string, unknown>,
    }));
  }

  lastSeq(): number {
    return (this.db.prepare('SELECT IFNULL(MAX(seq), 0) AS seq FROM journal').get() as { seq: number }).seq;
  }
}

import { openEncrypted, type DataKey } from './db/cipher';
import { setImmediate } from 'node:timers/promises';
import { entryDigests, entryHash, GENESIS_HASH, hasPersonalFields, newSalt } from '../../hq/chain';
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
  | 'device.calibrated'
  | 'station.workplaceSet'
  | 'gate.passage'
  | 'gate.reading'
  | 'gate.referral'
  | 'gate.keyPersonAction'
  | 'gate.visitor'
  | 'gate.visitorLeft'
  | 'gate.vehicle'
  | 'pass.issued'
  | 'pass.revoked'
  | 'isolation.started'
  | 'isolation.ended'
  | 'isolation.reading'
  | 'box.opened'
  | 'box.tubeAdded'
  | 'box.tubeRemoved'
  | 'box.sealed'
  | 'box.handedOver'
  | 'door.groupAssigned'
  | 'door.visit';

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
  prev_hash: string;
  hash: string;
  salt: string | null;
  personal_digest: string | null;
};

/** The chain columns of a new entry after `prev`. */
export function chainColumns(
  prev: string,
  entry: { seq: number; kind: string; entityId: string; operatorId: string; at: string; payload: unknown },
): { hash: string; salt: string | null; personalDigest: string | null } {
  const salt = hasPersonalFields(entry.kind) ? newSalt() : null;
  const { publicPart, personalPart } = entryDigests(entry, salt, null);
  return { hash: entryHash(prev, entry.seq, publicPart, personalPart), salt, personalDigest: personalPart };
}

/**
 * Appends to the journal inside the caller's transaction. The sequence number is computed in
 * that same transaction by the one writer, so it is contiguous: a rolled-back change leaves no
 * gap, and HQ can insist on no gaps.
 */
/** Told of every entry as it is appended, inside the same transaction (for views kept up to date, like coverage). */
export type JournalObserver = (entry: Omit<JournalEntry, 'seq'>) => void;

export class Journal {
  private readonly insert;
  private readonly last;
  private readonly range;
  private readonly observers: JournalObserver[] = [];

  constructor(private readonly db: StationDatabase) {
    this.last = db.prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1');
    this.insert = db.prepare<[number, string, string, string, string, string, string, string, string, string | null, string | null]>(
      `INSERT INTO journal (seq, station_id, kind, entity_id, operator_id, at, payload, prev_hash, hash, salt, personal_digest)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.range = db.prepare<[number, number], JournalRow>('SELECT * FROM journal WHERE seq > ? ORDER BY seq LIMIT ?');
  }

  append(entry: Omit<JournalEntry, 'seq'>): number {
    if (!this.db.inTransaction) throw new Error('journal entries are written inside the change’s transaction');
    const last = this.last.get();
    const seq = (last?.seq ?? 0) + 1;
    const prev = last?.hash ?? GENESIS_HASH;
    const payload = JSON.stringify(entry.payload);
    // Hashed as it is stored and travels (parsed back from its JSON text), as HQ will hash it.
    const chain = chainColumns(prev, { ...entry, seq, payload: JSON.parse(payload) as unknown });
    this.insert.run(seq, entry.stationId, entry.kind, entry.entityId, entry.operatorId, entry.at, payload, prev, chain.hash, chain.salt, chain.personalDigest);
    for (const observe of this.observers) observe(entry);
    return seq;
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

/** Why the chain does not hold at an entry: one missing before it, its link to its predecessor, or its own content. */
export type ChainProblem = 'missing' | 'order' | 'changed';

export type JournalCheck = { ok: boolean; checked: number; headSeq: number; problem: { seq: number; kind: ChainProblem } | null; at: string };

/** Rows per query while checking: a few ms of work, then the event loop is free again. */
const CHECK_SLICE = 2000;

/**
 * Checks the whole journal's chain on its own read-only connection, a slice at a time with the
 * event loop free in between: a removed entry (a gap in seq), an entry moved (its predecessor's
 * hash is not the one it carries) or changed (its content no longer gives its hash, or its
 * personal fields no longer give their digest). Stops at the first problem.
 */
export async function checkJournalFile(file: string, dataKey: DataKey, now: () => Date = () => new Date()): Promise<JournalCheck> {
  const db = openEncrypted(file, dataKey, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    const page = db.prepare<[number, number], JournalRow>('SELECT * FROM journal WHERE seq > ? ORDER BY seq LIMIT ?');
    let prevSeq = 0;
    let prevHash = GENESIS_HASH;
    let checked = 0;
    for (;;) {
      const rows = page.all(prevSeq, CHECK_SLICE);
      for (const r of rows) {
        const problem = rowProblem(r, prevSeq, prevHash);
        if (problem) return { ok: false, checked, headSeq: prevSeq, problem: { seq: r.seq, kind: problem }, at: now().toISOString() };
        prevSeq = r.seq;
        prevHash = r.hash;
        checked++;
      }
      if (rows.length < CHECK_SLICE) return { ok: true, checked, headSeq: prevSeq, problem: null, at: now().toISOString() };
      await setImmediate();
    }
  } finally {
    db.close();
  }
}

function rowProblem(r: JournalRow, prevSeq: number, prevHash: string): ChainProblem | null {
  if (r.seq !== prevSeq + 1) return 'missing';
  if (r.prev_hash !== prevHash) return 'order';
  let payload: unknown;
  try {
    payload = JSON.parse(r.payload) as unknown;
  } catch {
    return 'changed';
  }
  const entry = { seq: r.seq, kind: r.kind, entityId: r.entity_id, operatorId: r.operator_id, at: r.at, payload };
  const { publicPart, personalPart } = entryDigests(entry, r.salt, r.personal_digest);
  if (personalPart !== r.personal_digest) return 'changed';
  return entryHash(prevHash, r.seq, publicPart, personalPart) === r.hash ? null : 'changed';
}

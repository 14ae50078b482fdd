import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

const gzip = promisify(zlib.gzip);

/** A batch frozen before its first send: every retry, before or after a restart, sends `body` as is. */
export type FrozenBatch = {
  batchId: string;
  fromSeq: number;
  toSeq: number;
  recordCount: number;
  /** The exact gzip bytes sent. */
  body: Buffer;
};

export type BatchLimits = {
  /** Records per batch (HQ accepts at most MAX_BATCH_RECORDS). */
  maxRecords: number;
  /** Uncompressed JSON bytes per batch; a batch always holds at least one record. */
  maxBytes: number;
};

type JournalRow = { seq: number; kind: string; entity_id: string; operator_id: string; at: string; payload: string };

/**
 * Reads the journal for upload on its own read-only connection: WAL readers never block the
 * writer, and a batch read is one indexed range scan.
 */
export class JournalReader {
  private readonly db: Database.Database;
  private readonly range: Database.Statement<[number], JournalRow>;
  private readonly head: Database.Statement<[], { seq: number }>;

  constructor(file: string) {
    this.db = new Database(file, { readonly: true, fileMustExist: true });
    this.db.pragma('busy_timeout = 5000');
    this.range = this.db.prepare('SELECT seq, kind, entity_id, operator_id, at, payload FROM journal WHERE seq > ? ORDER BY seq');
    this.head = this.db.prepare('SELECT IFNULL(MAX(seq), 0) AS seq FROM journal');
  }

  headSeq(): number {
    return this.head.get()!.seq;
  }

  /**
   * The records after `afterSeq` within the limits, as the JSON text of the batch's `records`
   * array. Payloads are stored as JSON text already and are spliced in as they are.
   */
  read(afterSeq: number, limits: BatchLimits): { fromSeq: number; toSeq: number; count: number; recordsJson: string } | null {
    const parts: string[] = [];
    let bytes = 2;
    let fromSeq = 0;
    let toSeq = 0;
    for (const row of this.range.iterate(afterSeq)) {
      if (parts.length > 0 && row.seq !== toSeq + 1) break;
      if (parts.length === 0 && row.seq !== afterSeq + 1) break;
      const record = `{"seq":${row.seq},"kind":${JSON.stringify(row.kind)},"entityId":${JSON.stringify(row.entity_id)},"operatorId":${JSON.stringify(
        row.operator_id,
      )},"at":${JSON.stringify(row.at)},"payload":${row.payload}}`;
      const size = Buffer.byteLength(record) + 1;
      if (parts.length > 0 && bytes + size > limits.maxBytes) break;
      parts.push(record);
      bytes += size;
      if (parts.length === 1) fromSeq = row.seq;
      toSeq = row.seq;
      if (parts.length >= limits.maxRecords) break;
    }
    if (parts.length === 0) return null;
    return { fromSeq, toSeq, count: parts.length, recordsJson: `[${parts.join(',')}]` };
  }

  close(): void {
    this.db.close();
  }
}

/** Builds the batch body (protocol `station.batch`) and compresses it off the event loop. */
export async function buildBatch(
  stationId: string,
  headSeq: number,
  read: { fromSeq: number; toSeq: number; count: number; recordsJson: string },
): Promise<FrozenBatch> {
  const batchId = randomUUID();
  const json = `{"type":"station.batch","stationId":${JSON.stringify(stationId)},"batchId":"${batchId}","fromSeq":${read.fromSeq},"toSeq":${
    read.toSeq
  },"headSeq":${headSeq},"records":${read.recordsJson}}`;
  // Level 1: the station's CPU is the scarce part on a 2-core desk; JSON still shrinks several-fold.
  const body = await gzip(json, { level: 1 });
  return { batchId, fromSeq: read.fromSeq, toSeq: read.toSeq, recordCount: read.count, body };
}

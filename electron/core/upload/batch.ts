import type Database from 'better-sqlite3-multiple-ciphers';
import { randomUUID } from 'node:crypto';
import { setImmediate } from 'node:timers/promises';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { openEncrypted, type DataKey } from '../db/cipher';

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

/**
 * One journal row as a batch record's JSON, built by SQLite as UTF-8 bytes. The journal's text
 * stays bytes from the database to gzip: read as strings, every batch was decoded to UTF-16 field
 * by field, spliced, and encoded back for gzip (measured: about half the time of reading a batch).
 * Every column but `salt` and `personal_digest` is NOT NULL (STRICT table) and `payload` is JSON
 * text as journalled.
 */
const RECORD_JSON = [
  `CAST('{"seq":' || seq`,
  `',"kind":' || json_quote(kind)`,
  `',"entityId":' || json_quote(entity_id)`,
  `',"operatorId":' || json_quote(operator_id)`,
  `',"at":' || json_quote(at)`,
  `',"payload":' || payload`,
  `',"hash":' || json_quote(hash)`,
  // The salt while the personal fields are there; once purged, the digest kept in their place.
  `CASE WHEN salt IS NOT NULL THEN ',"salt":' || json_quote(salt) WHEN personal_digest IS NOT NULL THEN ',"personalDigest":' || json_quote(personal_digest) ELSE '' END`,
  `'}' AS BLOB)`,
].join(' || ');

type JournalRow = { seq: number; prev: string; hash: string; record: Buffer };

/**
 * The JSON of a batch's `records` array (UTF-8), contiguous from `fromSeq` to `toSeq`; `prevHash`
 * is the hash of the entry before the first, `headHash` that of the last.
 */
export type JournalRead = { fromSeq: number; toSeq: number; count: number; records: Buffer; prevHash: string; headHash: string };

/** Rows per query of `readSliced`: a few ms of work, then the event loop is free again. */
const SLICE_ROWS = 500;

const OPEN = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE = Buffer.from(']');

/** The records of one batch as they are read: contiguous from `afterSeq + 1`, within the limits. */
class BatchRecords {
  private readonly parts: Buffer[] = [OPEN];
  private count = 0;
  private bytes = 2;
  private fromSeq = 0;
  private prevHash = '';
  private headHash = '';
  lastSeq: number;

  constructor(private readonly limits: BatchLimits, afterSeq: number) {
    this.lastSeq = afterSeq;
  }

  /** Adds `row` when it belongs to the batch; false once the batch is complete. */
  add(row: JournalRow): boolean {
    if (row.seq !== this.lastSeq + 1) return false;
    const size = row.record.length + 1;
    if (this.count > 0 && this.bytes + size > this.limits.maxBytes) return false;
    if (this.count > 0) this.parts.push(COMMA);
    this.parts.push(row.record);
    this.bytes += size;
    if (++this.count === 1) {
      this.fromSeq = row.seq;
      this.prevHash = row.prev;
    }
    this.lastSeq = row.seq;
    this.headHash = row.hash;
    return this.count < this.limits.maxRecords;
  }

  result(): JournalRead | null {
    if (this.count === 0) return null;
    return {
      fromSeq: this.fromSeq,
      toSeq: this.lastSeq,
      count: this.count,
      records: Buffer.concat([...this.parts, CLOSE]),
      prevHash: this.prevHash,
      headHash: this.headHash,
    };
  }
}

/**
 * Reads the journal for upload on its own read-only connection: WAL readers never block the
 * writer, and a batch read is one indexed range scan.
 */
export class JournalReader {
  private readonly db: Database.Database;
  private readonly range: Database.Statement<[number], JournalRow>;
  private readonly slice: Database.Statement<[number, number], JournalRow>;
  private readonly head: Database.Statement<[], { seq: number }>;

  constructor(file: string, key: DataKey) {
    this.db = openEncrypted(file, key, { readonly: true, fileMustExist: true });
    this.db.pragma('busy_timeout = 5000');
    this.range = this.db.prepare(`SELECT seq, prev_hash AS prev, hash, ${RECORD_JSON} AS record FROM journal WHERE seq > ? ORDER BY seq`);
    this.slice = this.db.prepare(`SELECT seq, prev_hash AS prev, hash, ${RECORD_JSON} AS record FROM journal WHERE seq > ? ORDER BY seq LIMIT ?`);
    this.head = this.db.prepare('SELECT IFNULL(MAX(seq), 0) AS seq FROM journal');
  }

  headSeq(): number {
    return this.head.get()!.seq;
  }

  /** The records after `afterSeq` within the limits, as the JSON of the batch's `records` array. */
  read(afterSeq: number, limits: BatchLimits): JournalRead | null {
    const batch = new BatchRecords(limits, afterSeq);
    for (const row of this.range.iterate(afterSeq)) if (!batch.add(row)) break;
    return batch.result();
  }

  /**
   * The same as `read`, a slice of rows at a time with the event loop free in between: a batch of
   * thousands of records never holds the desk, nor the request the agent has just started sending.
   */
  async readSliced(afterSeq: number, limits: BatchLimits): Promise<JournalRead | null> {
    const batch = new BatchRecords(limits, afterSeq);
    for (;;) {
      const rows = this.slice.all(batch.lastSeq, SLICE_ROWS);
      for (const row of rows) if (!batch.add(row)) return batch.result();
      if (rows.length < SLICE_ROWS) return batch.result();
      await setImmediate();
    }
  }

  close(): void {
    this.db.close();
  }
}

/** Builds the batch body (protocol `station.batch`) and compresses it off the event loop. */
export async function buildBatch(
  stationId: string,
  headSeq: number,
  read: JournalRead,
): Promise<FrozenBatch> {
  const batchId = randomUUID();
  const head = `{"type":"station.batch","stationId":${JSON.stringify(stationId)},"batchId":"${batchId}","fromSeq":${read.fromSeq},"toSeq":${
    read.toSeq
  },"headSeq":${headSeq},"prevHash":${JSON.stringify(read.prevHash)},"chainHead":${JSON.stringify(read.headHash)},"records":`;
  const json = Buffer.concat([Buffer.from(head), read.records, Buffer.from('}')]);
  // Level 1: the station's CPU is the scarce part on a 2-core desk; JSON still shrinks several-fold.
  const body = await gzip(json, { level: 1 });
  return { batchId, fromSeq: read.fromSeq, toSeq: read.toSeq, recordCount: read.count, body };
}

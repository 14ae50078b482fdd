import { GENESIS_HASH } from '../../../hq/chain';
import type { Held } from '../../../hq/protocol';
import type { RelinkReason } from '../../api/upload';
import type { StationDatabase } from '../db/database';
import type { FrozenBatch } from './batch';

export type HqLink = {
  hqUrl: string;
  stationId: string;
  siteId: string;
  siteName: string;
  publicKey: string;
  enrolledAt: string;
  /** HQ's Ed25519 key (SPKI DER, base64), pinned at enrollment; null until a station enrolled before has taken it. */
  hqPublicKey: string | null;
  /** HQ's X25519 key (SPKI DER, base64) that export files are encrypted to; null until HQ has sent it. */
  hqExportKey: string | null;
  /** Why this link must be made again (migration 0012); null while it holds. */
  relinkReason: RelinkReason | null;
  relinkSince: string | null;
};

/** What a new enrollment of a linked desk changes of its link. */
export type NewLink = Omit<HqLink, 'relinkReason' | 'relinkSince'>;

export type UploadStateRow = {
  ackedThrough: number;
  clockOffsetMs: number;
  feedCursor: number;
  lastSuccessAt: string | null;
  lastFailureAt: string | null;
  lastFailure: string | null;
  /** When HQ's feed was last read in full. */
  feedPulledAt: string | null;
  /** What HQ last said, in a signed answer, it holds of this journal; null before it said. */
  heldThrough: number | null;
  /** The part of the journal HQ holds with this very chain: what retention may purge. */
  confirmedThrough: number;
};

export type StoredRejection = { seq: number; code: string; detail: string; batchId: string; at: string };

/**
 * The upload tables. Reads are small single-row lookups on the core's connection; every change
 * is a function the caller runs through the core's writer, so the one-writer rule holds.
 */
export class UploadStore {
  constructor(private readonly db: StationDatabase) {}

  link(): HqLink | null {
    const row = this.db
      .prepare(
        `SELECT hq_url AS hqUrl, station_id AS stationId, site_id AS siteId, site_name AS siteName, public_key AS publicKey,
                enrolled_at AS enrolledAt, hq_public_key AS hqPublicKey,
                hq_export_key AS hqExportKey, relink_reason AS relinkReason, relink_since AS relinkSince FROM hq_link WHERE id = 1`,
      )
      .get() as HqLink | undefined;
    return row ?? null;
  }

  state(): UploadStateRow {
    return this.db
      .prepare(
        `SELECT acked_through AS ackedThrough, clock_offset_ms AS clockOffsetMs, feed_cursor AS feedCursor,
                last_success_at AS lastSuccessAt, last_failure_at AS lastFailureAt, last_failure AS lastFailure, feed_pulled_at AS feedPulledAt,
                held_through AS heldThrough, confirmed_through AS confirmedThrough
         FROM upload_state WHERE id = 1`,
      )
      .get() as UploadStateRow;
  }

  /** The frozen batches, in order: a contiguous run starting right after the acknowledged point. */
  frozen(): FrozenBatch[] {
    return this.db
      .prepare('SELECT batch_id AS batchId, from_seq AS fromSeq, to_seq AS toSeq, record_count AS recordCount, body FROM upload_batch ORDER BY from_seq')
      .all() as FrozenBatch[];
  }

  /** The hash of entry `seq` (the chain's start for 0); null past the journal's end. */
  hashAt(seq: number): string | null {
    if (seq === 0) return GENESIS_HASH;
    return (this.db.prepare('SELECT hash FROM journal WHERE seq = ?').get(seq) as { hash: string } | undefined)?.hash ?? null;
  }

  headSeq(): number {
    return (this.db.prepare('SELECT IFNULL(MAX(seq), 0) AS seq FROM journal').get() as { seq: number }).seq;
  }

  rejections(limit: number): (StoredRejection & { kind: string | null })[] {
    return this.db
      .prepare(
        `SELECT r.seq, r.code, r.detail, r.batch_id AS batchId, r.at, j.kind FROM upload_rejection r
         LEFT JOIN journal j ON j.seq = r.seq ORDER BY r.seq DESC LIMIT ?`,
      )
      .all(limit) as (StoredRejection & { kind: string | null })[];
  }

  rejectionCount(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM upload_rejection').get() as { n: number }).n;
  }

  // ---- changes (run inside the writer) -------------------------------------------------------

  saveLink(link: NewLink): void {
    this.db
      .prepare(
        `INSERT INTO hq_link (id, hq_url, station_id, site_id, site_name, public_key, enrolled_at, hq_public_key, hq_export_key)
         VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(link.hqUrl, link.stationId, link.siteId, link.siteName, link.publicKey, link.enrolledAt, link.hqPublicKey, link.hqExportKey);
  }

  /** HQ's key, taken from its first signed answer by a station enrolled before HQ signed its answers; never replaced. */
  saveHqKey(keyHeader: string): void {
    this.db.prepare('UPDATE hq_link SET hq_public_key = coalesce(hq_public_key, ?) WHERE id = 1').run(keyHeader);
  }

  /**
   * HQ's key after a rotation this station verified with the key it trusted (`trusted`): only that
   * one is replaced, so a link made again meanwhile (another process) is never overwritten.
   */
  saveRotatedHqKey(keyHeader: string, trusted: string): void {
    this.db.prepare('UPDATE hq_link SET hq_public_key = ? WHERE id = 1 AND hq_public_key = ?').run(keyHeader, trusted);
  }

  /**
   * HQ's export key from a signed feed page: a station enrolled before HQ sent it takes it, and
   * after HQ changed its keys the new one replaces the old (new export files are written to it).
   */
  saveExportKey(key: string): void {
    this.db.prepare('UPDATE hq_link SET hq_export_key = ? WHERE id = 1 AND hq_export_key IS NOT ?').run(key, key);
  }

  /**
   * This link must be made again (`reason`); `publicKey`: the station key of the link the agent
   * runs with, so an agent still running on a link replaced since says nothing about the new one.
   */
  markRelink(reason: RelinkReason, at: string, publicKey: string): void {
    this.db
      .prepare('UPDATE hq_link SET relink_reason = ?, relink_since = CASE WHEN relink_reason IS ? THEN relink_since ELSE ? END WHERE id = 1 AND public_key = ?')
      .run(reason, reason, at, publicKey);
  }

  /** HQ answered this link well again: it holds. */
  clearRelink(publicKey: string): void {
    this.db.prepare('UPDATE hq_link SET relink_reason = NULL, relink_since = NULL WHERE id = 1 AND relink_reason IS NOT NULL AND public_key = ?').run(publicKey);
  }

  /**
   * The desk was linked again: its new key and HQ's word replace the link's. As the same station
   * (`sameStation`), everything of the upload stays: HQ holds what it acknowledged, and what it
   * did not is sent, the frozen batches first. As a new station (HQ never had the one before) HQ
   * holds nothing of this journal: it is sent again from its first record.
   */
  relink(link: NewLink, sameStation: boolean): void {
    this.db
      .prepare(
        `UPDATE hq_link SET hq_url = ?, station_id = ?, site_id = ?, site_name = ?, public_key = ?, enrolled_at = ?, hq_public_key = ?,
           hq_export_key = coalesce(?, hq_export_key), relink_reason = NULL, relink_since = NULL WHERE id = 1`,
      )
      .run(link.hqUrl, link.stationId, link.siteId, link.siteName, link.publicKey, link.enrolledAt, link.hqPublicKey, link.hqExportKey);
    if (sameStation) return;
    this.db.prepare('DELETE FROM upload_batch').run();
    this.db.prepare('UPDATE upload_state SET acked_through = 0, held_through = NULL, held_head = NULL, confirmed_through = 0 WHERE id = 1').run();
  }

  /**
   * What HQ holds, as it said. Confirmed is how far HQ holds this journal's own chain: up to
   * `held.through` when HQ's head there is this journal's hash there, else no further than before
   * (and never past what HQ holds).
   */
  saveHeld(held: Held): void {
    const same = held.head !== null && held.head === this.hashAt(held.through);
    this.db
      .prepare('UPDATE upload_state SET held_through = ?, held_head = ?, confirmed_through = CASE WHEN ? THEN ? ELSE MIN(confirmed_through, ?) END WHERE id = 1')
      .run(held.through, held.head, same ? 1 : 0, held.through, held.through);
  }

  /** Freezes `batch` after the frozen ones, unless it does not start right after the last of them (or after the acknowledged point). */
  freeze(batch: FrozenBatch, at: string): boolean {
    const last = this.db.prepare('SELECT MAX(to_seq) AS toSeq FROM upload_batch').get() as { toSeq: number | null };
    if (batch.fromSeq !== (last.toSeq ?? this.state().ackedThrough) + 1) return false;
    this.db
      .prepare('INSERT INTO upload_batch (batch_id, from_seq, to_seq, record_count, body, frozen_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(batch.batchId, batch.fromSeq, batch.toSeq, batch.recordCount, batch.body, at);
    return true;
  }

  /**
   * HQ acknowledged `batch` through `ackedThrough`: the batch is done and its rejections are kept for
   * staff. Acknowledged short of its end (HQ holds less than it was sent), the frozen batches after it
   * no longer follow on and are dropped, to be read again from there.
   */
  acknowledge(
    batch: Pick<FrozenBatch, 'batchId' | 'toSeq'>,
    ackedThrough: number,
    rejections: readonly { seq: number; code: string; detail: string }[],
    at: string,
  ): void {
    if (ackedThrough < batch.toSeq) this.db.prepare('DELETE FROM upload_batch').run();
    else this.db.prepare('DELETE FROM upload_batch WHERE batch_id = ? OR to_seq <= ?').run(batch.batchId, ackedThrough);
    this.db
      .prepare('UPDATE upload_state SET acked_through = MAX(acked_through, ?), last_success_at = ?, last_failure = NULL WHERE id = 1')
      .run(ackedThrough, at);
    const insert = this.db.prepare(
      `INSERT INTO upload_rejection (seq, code, detail, batch_id, at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(seq) DO UPDATE SET code = excluded.code, detail = excluded.detail, batch_id = excluded.batch_id, at = excluded.at`,
    );
    for (const r of rejections) insert.run(r.seq, r.code, r.detail.slice(0, 500), batch.batchId, at);
  }

  /** HQ expects `expectedSeq` next (a gap answer): drop the frozen batches and send again from there. */
  rewind(expectedSeq: number): void {
    this.db.prepare('DELETE FROM upload_batch').run();
    this.db.prepare('UPDATE upload_state SET acked_through = ? WHERE id = 1').run(Math.max(0, expectedSeq - 1));
  }

  /** Drops the frozen batches from `fromSeq` on without acknowledging them (HQ refused a size: they are rebuilt smaller). */
  discardFrom(fromSeq: number): void {
    this.db.prepare('DELETE FROM upload_batch WHERE from_seq >= ?').run(fromSeq);
  }

  recordFailure(code: string, at: string): void {
    this.db.prepare('UPDATE upload_state SET last_failure = ?, last_failure_at = ? WHERE id = 1').run(code, at);
  }

  saveClockOffset(offsetMs: number): void {
    this.db.prepare('UPDATE upload_state SET clock_offset_ms = ? WHERE id = 1').run(offsetMs);
  }

  saveFeedCursor(cursor: number, at?: string): void {
    this.db.prepare('UPDATE upload_state SET feed_cursor = MAX(feed_cursor, ?), feed_pulled_at = coalesce(?, feed_pulled_at) WHERE id = 1').run(cursor, at ?? null);
  }
}

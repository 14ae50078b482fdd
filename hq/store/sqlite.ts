import Database from 'better-sqlite3-multiple-ciphers';
import fs from 'node:fs';
import path from 'node:path';
import { migrate } from '../../electron/core/db/migrations';
import { afterBatch } from '../domains';
import type { RowsWriter } from '../domains/roster';
import { dashboardData } from '../domains/dashboard';
import { postResult } from '../domains/results';
import { enrollStation, upsertSite } from '../domains/stations';
import { planIngest, type HeldRecord, type IngestPlan, type StoredRecord } from '../ingest';
import type { FeedRow, HqStore, IngestInput, IngestOutcome, NewFeedItem } from './types';
import { SqliteLock, sqliteDb } from './sql';
import { HQ_SQLITE_MIGRATIONS } from './sqlite-migrations';
import { STATION_SELECT, toStation, type StationDbRow } from './station-row';

/**
 * Embedded SQLite: one file in the data directory, WAL with `synchronous = FULL` (an ack is only
 * sent for records on stable storage). better-sqlite3 is synchronous, so each call runs in one
 * transaction without interleaving; the async signatures match the PostgreSQL store.
 *
 * Not encrypted (the stations' files are, `electron/core/db/cipher.ts`): HQ runs on a server in
 * the operator's machine room, where the disk is protected as a whole (full-disk encryption, the
 * room's access control) and an unattended restart must not wait for a passphrase; the same
 * library opens it, with no key given. See hq/README.md.
 */
export function openSqliteStore(dataDir: string): HqStore {
  fs.mkdirSync(dataDir, { recursive: true });
  const db = new Database(path.join(dataDir, 'hq.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  migrate(db, HQ_SQLITE_MIGRATIONS.length, HQ_SQLITE_MIGRATIONS);

  const s = {
    station: db.prepare<[string], StationDbRow>(`${STATION_SELECT} WHERE s.id = ?`),
    rememberSignature: db.prepare<[string, number]>('INSERT OR IGNORE INTO seen_signature (signature, expires_at) VALUES (?, ?)'),
    forgetSignatures: db.prepare<[number]>('DELETE FROM seen_signature WHERE expires_at < ?'),
    touch: db.prepare<[string, number | null, string]>('UPDATE station SET last_contact_at = ?, head_seq = max(head_seq, coalesce(?, 0)) WHERE id = ?'),
    held: db.prepare<[string, number, number], HeldRecord>('SELECT seq, digest, rejection, detail FROM record WHERE station_id = ? AND seq BETWEEN ? AND ?'),
    // Positional parameters: this runs once per record, and binding by name costs an object per row.
    insertRecord: db.prepare<[string, number, string, string, string, string, string, string, string | null, string | null, string | null]>(
      `INSERT INTO record (station_id, seq, kind, entity_id, operator_id, at, payload, digest, rejection, detail, chain_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertConflict: db.prepare(
      `INSERT INTO conflict (station_id, seq, batch_id, stored_digest, received_digest, received, at)
       VALUES (@stationId, @seq, @batchId, @storedDigest, @receivedDigest, @received, @at)`,
    ),
    advance: db.prepare<[number, number | null, number, number, string, string | null, string]>(
      `UPDATE station SET acked_through = max(acked_through, ?), head_seq = max(head_seq, coalesce(?, 0)),
         rejected = rejected + ?, conflicts = conflicts + ?, last_contact_at = ?, chain_head = ?, chain_error = NULL WHERE id = ?`,
    ),
    chainError: db.prepare<[string, string, string]>('UPDATE station SET chain_error = ?, last_contact_at = ? WHERE id = ?'),
    insertPerson: db.prepare('INSERT OR IGNORE INTO person (station_id, person_id, site_id, person_key) VALUES (?, ?, ?, ?)'),
    insertRound: db.prepare('INSERT OR IGNORE INTO round (station_id, round_id, site_id, name, started_at) VALUES (?, ?, ?, ?, ?)'),
    insertTube: db.prepare(
      `INSERT OR IGNORE INTO tube (station_id, tube_id, site_id, code, capacity, round_id, day, opened_at, state)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open')`,
    ),
    tubeState: db.prepare('UPDATE tube SET state = ?, count = coalesce(?, count) WHERE station_id = ? AND tube_id = ?'),
    insertBinding: db.prepare(
      `INSERT OR IGNORE INTO binding (station_id, binding_id, site_id, tube_id, tube_code, person_id, round_id, day, at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    undoBinding: db.prepare('UPDATE binding SET undone = 1 WHERE station_id = ? AND binding_id = ?'),
    anyOpenTask: db.prepare('SELECT 1 FROM retest_task WHERE closed_at IS NULL LIMIT 1'),
    closeByRetest: db.prepare(
      `UPDATE retest_task SET closed_at = ?, closed_station_id = ?, closed_seq = ?, closed_binding_id = ?
       WHERE closed_at IS NULL AND tube_code = ? AND person_key = (SELECT person_key FROM person WHERE station_id = ? AND person_id = ?)`,
    ),
    closeBySingleTube: db.prepare(
      `UPDATE retest_task SET closed_at = ?, closed_station_id = ?, closed_seq = ?, closed_binding_id = ?
       WHERE closed_at IS NULL AND created_at <= ?
         AND person_key = (SELECT person_key FROM person WHERE station_id = ? AND person_id = ?)
         AND EXISTS (SELECT 1 FROM tube WHERE station_id = ? AND tube_id = ? AND capacity = 1)`,
    ),
    reopenByUndo: db.prepare<[string, string]>(
      `UPDATE retest_task SET closed_at = NULL, closed_station_id = NULL, closed_seq = NULL, closed_binding_id = NULL
       WHERE closed_at IS NOT NULL AND closed_station_id = ? AND closed_binding_id = ?`,
    ),
    positiveAmong: db.prepare<[string], { tube_code: string; station_id: string | null; tube_id: string | null; at: string }>(
      `SELECT tube_code, station_id, tube_id, min(at) AS at FROM result WHERE result = 'positive' AND tube_code IN (SELECT value FROM json_each(?))
       GROUP BY tube_code, station_id, tube_id`,
    ),
    // A result names its tube (station_id, tube_id); one from before HQ did (NULLs) is for every tube under the code.
    createTasks: db.prepare<{ at: string; tubeCode: string; stationId: string | null; tubeId: string | null }>(
      `INSERT OR IGNORE INTO retest_task (tube_code, person_key, site_id, created_at)
       SELECT b.tube_code, p.person_key, b.site_id, @at FROM binding b
       JOIN person p ON p.station_id = b.station_id AND p.person_id = b.person_id
       WHERE b.tube_code = @tubeCode AND b.undone = 0 AND (@stationId IS NULL OR (b.station_id = @stationId AND b.tube_id = @tubeId))`,
    ),
    insertRosterResident: db.prepare(
      'INSERT INTO roster_resident (import_id, row_no, id_number, name, phone, building, unit, room, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    insertRosterProblem: db.prepare('INSERT INTO roster_problem (import_id, row_no, problems, refused) VALUES (?, ?, ?, ?)'),
    addFeed: db.prepare<[string | null, string | null, string, string, string], { cursor: number }>(
      'INSERT INTO feed_item (site_id, station_id, kind, payload, at) VALUES (?, ?, ?, ?, ?) RETURNING cursor',
    ),
    feed: db.prepare<[number, string, string, number], FeedRow>(
      `SELECT cursor, kind, payload FROM feed_item
       WHERE cursor > ? AND (station_id = ? OR (station_id IS NULL AND (site_id IS NULL OR site_id = ?)))
       ORDER BY cursor LIMIT ?`,
    ),
  };

  function applyPlan(input: IngestInput, siteId: string, plan: IngestPlan): void {
    const st = input.stationId;
    for (const r of plan.newRecords) s.insertRecord.run(st, r.seq, r.kind, r.entityId, r.operatorId, r.at, r.payload, r.digest, r.rejection, r.detail, r.chainHash);
    for (const c of plan.conflicts) s.insertConflict.run({ stationId: st, batchId: input.batchId, at: input.receivedAt, ...c });
    const p = plan.projection;
    for (const x of p.persons) s.insertPerson.run(st, x.personId, siteId, x.personKey);
    for (const x of p.rounds) s.insertRound.run(st, x.roundId, siteId, x.name, x.at);
    for (const x of p.tubesOpened) s.insertTube.run(st, x.tubeId, siteId, x.code, x.capacity, x.roundId, x.day, x.at);
    for (const x of p.tubeStates) s.tubeState.run(x.state, x.count, st, x.tubeId);
    for (const x of p.bindings) s.insertBinding.run(st, x.bindingId, siteId, x.tubeId, x.tubeCode, x.personId, x.roundId, x.day, x.at);
    for (const id of p.bindingsUndone) s.undoBinding.run(st, id);
    if (p.bindings.length > 0) {
      // Bindings that arrive after their tube came back positive still become re-test tasks.
      const codes = [...new Set(p.bindings.map((b) => b.tubeCode))];
      for (const pos of s.positiveAmong.all(JSON.stringify(codes))) s.createTasks.run({ at: pos.at, tubeCode: pos.tube_code, stationId: pos.station_id, tubeId: pos.tube_id });
    }
    // An undone binding no longer samples anyone: tasks it closed open again, and one made and
    // undone within this batch closes nothing.
    const undone = new Set(p.bindingsUndone);
    for (const id of p.bindingsUndone) s.reopenByUndo.run(st, id);
    if (s.anyOpenTask.get()) {
      for (const x of p.retests) if (!undone.has(x.bindingId)) s.closeByRetest.run(x.at, st, x.seq, x.bindingId, x.originalTubeCode, st, x.personId);
      const seqByBinding = new Map(plan.newRecords.map((r) => [r.entityId, r.seq]));
      for (const b of p.bindings) {
        if (!undone.has(b.bindingId)) s.closeBySingleTube.run(b.at, st, seqByBinding.get(b.bindingId) ?? 0, b.bindingId, b.at, st, b.personId, st, b.tubeId);
      }
    }
  }

  /** Roster rows, inside whatever transaction is open. */
  const writeRosterRows: RowsWriter = async (importId, rows) => {
    for (const r of rows) s.insertRosterResident.run(importId, r.rowNo, ...r.t);
  };

  /** The batch's own rows and projections, synchronously, inside the transaction `ingest` opened. */
  function ingestRows(input: IngestInput): { outcome: IngestOutcome; siteId: string; plan: IngestPlan | null } {
    const station = s.station.get(input.stationId);
    if (!station) throw new Error('ingest for a station that is not enrolled');
    const acked = Number(station.acked_through);
    if (input.fromSeq > acked + 1) return { outcome: { kind: 'gap', expectedSeq: acked + 1 }, siteId: station.site_id, plan: null };
    const held = input.fromSeq <= acked ? s.held.all(input.stationId, input.fromSeq, Math.min(acked, input.toSeq)) : [];
    const plan = planIngest(input.records, acked, held, undefined, { head: station.chain_head, prevHash: input.prevHash, chainHead: input.chainHead });
    if (!plan.chain.ok) {
      s.chainError.run(`seq ${plan.chain.seq}: ${plan.chain.detail}`, input.receivedAt, input.stationId);
      return { outcome: { kind: 'chainBroken', seq: plan.chain.seq, detail: plan.chain.detail }, siteId: station.site_id, plan: null };
    }
    applyPlan(input, station.site_id, plan);
    const rejected = plan.newRecords.filter((r) => r.rejection !== null).length;
    s.advance.run(input.toSeq, input.headSeq ?? null, rejected, plan.conflicts.length, input.receivedAt, plan.chain.head, input.stationId);
    const ackedThrough = Math.max(acked, input.toSeq);
    return {
      outcome: { kind: 'ack', ackedThrough, expectedSeq: ackedThrough + 1, rejections: plan.rejections, chainHead: plan.chain.ok ? plan.chain.head : null },
      siteId: station.site_id,
      plan,
    };
  }

  let signaturesSinceSweep = 0;

  const lock = new SqliteLock();
  const sql = sqliteDb(db, lock);
  const locked = <T>(fn: () => T): Promise<T> => lock.run(fn);

  const store: HqStore = {
    backend: 'sqlite',
    sql,
    async upsertSite(site) {
      await sql.transaction((tx) => upsertSite(tx, site));
    },
    async siteExists(siteId) {
      return locked(() => db.prepare('SELECT 1 FROM site WHERE id = ?').get(siteId) !== undefined);
    },
    async createEnrollmentCode(c) {
      await locked(() =>
        db
          .prepare('INSERT INTO enrollment_code (code_hash, site_id, created_at, expires_at, relink_station_id) VALUES (?, ?, ?, ?, ?)')
          .run(c.codeHash, c.siteId, c.createdAt, c.expiresAt, c.relinkStationId ?? null),
      );
    },
    async enroll(input) {
      return sql.transaction((tx) => enrollStation(tx, input));
    },
    async station(id) {
      return locked(() => {
        const row = s.station.get(id);
        return row ? toStation(row) : null;
      });
    },
    async rememberSignature(signature, expiresAtMs, nowMs) {
      return locked(() => {
        if (++signaturesSinceSweep >= 1000) {
          signaturesSinceSweep = 0;
          s.forgetSignatures.run(nowMs);
        }
        return s.rememberSignature.run(signature, expiresAtMs).changes === 1;
      });
    },
    async touch(stationId, at, headSeq) {
      await locked(() => s.touch.run(at, headSeq ?? null, stationId));
    },
    async ingest(input) {
      return sql.transaction(async (tx) => {
        const { outcome, siteId, plan } = ingestRows(input);
        if (plan) await afterBatch(tx, { stationId: input.stationId, siteId, plan, at: input.receivedAt, writeRosterRows });
        return outcome;
      });
    },
    async postResult(r) {
      return sql.transaction((tx) => postResult(tx, r));
    },
    async addFeedItem(item: NewFeedItem) {
      return locked(() => s.addFeed.get(item.siteId, item.stationId, item.kind, item.payload, item.at)!.cursor);
    },
    async feed(station, after, limit, maxBytes) {
      return locked(() => {
        const page: FeedRow[] = [];
        let bytes = 0;
        for (const row of s.feed.iterate(after, station.id, station.siteId, limit)) {
          if (page.length > 0 && bytes >= maxBytes) break;
          page.push(row);
          bytes += Buffer.byteLength(row.payload);
        }
        return page;
      });
    },
    async dashboard(day) {
      return sql.read((tx) => dashboardData(tx, day));
    },
    async holdings(stationId) {
      return locked(() => {
        const r = db.prepare('SELECT count(*) AS n, coalesce(max(seq), 0) AS maxSeq FROM record WHERE station_id = ?').get(stationId) as { n: number; maxSeq: number };
        const c = db.prepare('SELECT count(*) AS n FROM conflict WHERE station_id = ?').get(stationId) as { n: number };
        return { records: r.n, conflicts: c.n, maxSeq: r.maxSeq };
      });
    },
    async record(stationId, seq) {
      return locked(() => {
        const row = db
          .prepare(
            'SELECT seq, kind, entity_id AS entityId, operator_id AS operatorId, at, payload, digest, chain_hash AS chainHash, rejection, detail FROM record WHERE station_id = ? AND seq = ?',
          )
          .get(stationId, seq) as StoredRecord | undefined;
        return row ?? null;
      });
    },
    async retestTasks(tubeCode) {
      return locked(() =>
        (db.prepare('SELECT person_key, closed_at FROM retest_task WHERE tube_code = ? ORDER BY person_key').all(tubeCode) as { person_key: string; closed_at: string | null }[]).map(
          (r) => ({ personKey: r.person_key, closed: r.closed_at !== null }),
        ),
      );
    },
    async addRosterRows(importId, rows) {
      await sql.transaction(() => writeRosterRows(importId, rows));
    },
    async addRosterProblems(importId, problems) {
      await sql.transaction(async () => {
        for (const p of problems) s.insertRosterProblem.run(importId, p.rowNo, p.problems, p.refused ? 1 : 0);
      });
    },
    async close() {
      await locked(() => db.close());
    },
  };
  return store;
}

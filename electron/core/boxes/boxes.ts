import type { Statement } from 'better-sqlite3-multiple-ciphers';
import {
  DEFAULT_BOX_CAPACITY,
  type BoxPending,
  type BoxReceiptView,
  type BoxSettings,
  type BoxState,
  type BoxSummary,
  type BoxTransporterView,
  type BoxTubeView,
  type BoxView,
} from '../../api/boxes';
import type { BoxReceiptFeedPayload } from '../../../hq/protocol';
import type { CoreContext } from '../context';
import type { FeedHandlers } from '../feed/feed';
import { createLogger } from '../log';
import { PreparedStatements } from '../db/statements';
import { DomainError } from '../errors';
import { newId } from '../ids';
import type { BoxContents } from '../labels/service';
import { maskPhone } from '../person/mask';
import type { ManifestInput } from './manifest';

/** Setting key: the OS print queue manifests go to at this station (absent: the system's default). */
export const MANIFEST_QUEUE_SETTING = 'boxes.manifestQueue';

type BoxRow = {
  id: string;
  code: string;
  state: BoxState;
  capacity: number;
  opened_at: string;
  sealed_at: string | null;
  handed_over_at: string | null;
  transporter_operator_id: string | null;
  transporter_name: string | null;
  transporter_phone: string | null;
  transporter_operator_name: string | null;
  confirmed_count: number | null;
  cold_chain_note: string | null;
  tube_count: number;
  person_count: number;
  received_at: string | null;
  discrepancy_count: number | null;
};

const log = createLogger('boxes');

/** Tubes in a box now, and the people bound in them (bindings not undone). */
const BOX_COLUMNS = `x.id, x.code, x.state, x.capacity, x.opened_at, x.sealed_at, x.handed_over_at,
  x.transporter_operator_id, x.transporter_name, x.transporter_phone, x.confirmed_count, x.cold_chain_note,
  (SELECT o.name FROM operator o WHERE o.id = x.transporter_operator_id) AS transporter_operator_name,
  (SELECT COUNT(*) FROM box_tube bt WHERE bt.box_id = x.id AND bt.removed_at IS NULL) AS tube_count,
  (SELECT COUNT(*) FROM box_tube bt JOIN binding b ON b.tube_id = bt.tube_id
     WHERE bt.box_id = x.id AND bt.removed_at IS NULL AND b.undo_correction_id IS NULL) AS person_count,
  (SELECT r.received_at FROM box_receipt r WHERE r.box_id = x.id ORDER BY r.revision DESC LIMIT 1) AS received_at,
  (SELECT r.missing + r.extra + r.broken FROM box_receipt r WHERE r.box_id = x.id ORDER BY r.revision DESC LIMIT 1) AS discrepancy_count`;

type ReceiptRow = {
  receipt_id: string;
  revision: number;
  received_at: string;
  received_by: string;
  received: number;
  missing: number;
  extra: number;
  broken: number;
};

const TUBE_PERSONS = `(SELECT COUNT(*) FROM binding b WHERE b.tube_id = t.id AND b.undo_correction_id IS NULL)`;

type TubeRow = { id: string; code: string; state: 'open' | 'sealed' | 'voided'; station_id: string; void_reason: string | null; person_count: number };

/** What a hand-over says: the transporter by badge, or by name and phone. */
export type HandOver = {
  code: string;
  confirmCode: string;
  transporter: { badge: string } | { name: string; phone: string };
  tubeCount: number;
  coldChainNote: string;
};

/**
 * Boxes of this station's sealed tubes (装箱) and their hand-over to a transporter (样本转运). A
 * box's state only moves forward (open → sealed → handedOver); a tube taken out of an open box
 * keeps its row with the reason; every step is journalled in the same transaction. Every change
 * runs inside the writer's transaction and either completes or changes nothing: each check comes
 * before the first write.
 */
export class Boxes {
  private prepared: PreparedStatements | null = null;

  constructor(private readonly ctx: CoreContext) {}

  private sql(source: string): Statement {
    return (this.prepared ??= new PreparedStatements(this.ctx.db)).get(source);
  }

  private get config() {
    return this.ctx.identity.site.config;
  }

  /** How many tubes a new box takes: the site's `box.capacity`, else the default. */
  capacity(): number {
    return this.config.box.capacity ?? DEFAULT_BOX_CAPACITY;
  }

  private stamp() {
    return { stationId: this.ctx.identity.station.id, operatorId: this.ctx.operatorId(), at: this.ctx.now().toISOString() };
  }

  // ---- reads -------------------------------------------------------------------------------

  private row(code: string): BoxRow | undefined {
    return this.sql(`SELECT ${BOX_COLUMNS} FROM box x WHERE x.code = ?`).get(code) as BoxRow | undefined;
  }

  private existing(code: string): BoxRow {
    const row = this.row(code);
    if (!row) throw new DomainError('box.notFound', { code });
    return row;
  }

  private summary(r: BoxRow): BoxSummary {
    return {
      id: r.id,
      code: r.code,
      state: r.state,
      capacity: r.capacity,
      tubeCount: r.tube_count,
      personCount: r.person_count,
      openedAt: r.opened_at,
      sealedAt: r.sealed_at,
      handedOverAt: r.handed_over_at,
      // The lab's receipt, as HQ last sent it (`box_receipt`).
      receivedAt: r.received_at,
      discrepancyCount: r.discrepancy_count ?? 0,
    };
  }

  private view(r: BoxRow): BoxView {
    const tubes = this.sql(
      `SELECT t.code, t.sealed_at, bt.at, ${TUBE_PERSONS} AS person_count FROM box_tube bt JOIN tube t ON t.id = bt.tube_id
       WHERE bt.box_id = ? AND bt.removed_at IS NULL ORDER BY bt.seq`,
    ).all(r.id) as { code: string; sealed_at: string | null; at: string; person_count: number }[];
    let transporter: BoxTransporterView | null = null;
    if (r.transporter_operator_id) transporter = { kind: 'operator', name: r.transporter_operator_name ?? '?' };
    else if (r.transporter_name !== null) transporter = { kind: 'named', name: r.transporter_name, maskedPhone: maskPhone(r.transporter_phone ?? '') };
    return {
      ...this.summary(r),
      tubes: tubes.map((t) => ({ code: t.code, personCount: t.person_count, sealedAt: t.sealed_at, addedAt: t.at })),
      handOver:
        r.handed_over_at && transporter
          ? { at: r.handed_over_at, transporter, tubeCount: r.confirmed_count ?? r.tube_count, coldChainNote: r.cold_chain_note ?? '' }
          : null,
      receipt: this.receipt(r.id),
    };
  }

  /** The lab's receipt of a box: the latest revision HQ sent, with every tube that was not as handed over. */
  private receipt(boxId: string): BoxReceiptView | null {
    const r = this.sql(
      `SELECT receipt_id, revision, received_at, received_by, received, missing, extra, broken FROM box_receipt WHERE box_id = ? ORDER BY revision DESC LIMIT 1`,
    ).get(boxId) as ReceiptRow | undefined;
    if (!r) return null;
    const tubes = this.sql('SELECT tube_code, status, reason FROM box_receipt_tube WHERE receipt_id = ? AND revision = ? ORDER BY status, tube_code').all(r.receipt_id, r.revision) as {
      tube_code: string;
      status: 'missing' | 'extra' | 'broken';
      reason: string;
    }[];
    return {
      receivedAt: r.received_at,
      receivedBy: r.received_by,
      received: r.received,
      missing: r.missing,
      extra: r.extra,
      broken: r.broken,
      discrepancies: tubes.map((t) => ({ tubeCode: t.tube_code, status: t.status, reason: t.reason })),
    };
  }

  state(code: string): BoxView {
    return this.view(this.existing(code));
  }

  list(state: BoxState | undefined, limit: number): BoxSummary[] {
    const rows = (
      state
        ? this.sql(`SELECT ${BOX_COLUMNS} FROM box x WHERE x.station_id = ? AND x.state = ? ORDER BY x.seq DESC LIMIT ?`).all(this.ctx.identity.station.id, state, limit)
        : this.sql(`SELECT ${BOX_COLUMNS} FROM box x WHERE x.station_id = ? ORDER BY x.seq DESC LIMIT ?`).all(this.ctx.identity.station.id, limit)
    ) as BoxRow[];
    return rows.map((r) => this.summary(r));
  }

  /** The end of the day: this station's sealed tubes in no box, and its boxes not handed over. */
  pending(): BoxPending {
    const station = this.ctx.identity.station.id;
    const loose = this.sql(
      `SELECT t.code, t.sealed_at, ${TUBE_PERSONS} AS person_count FROM tube t
       WHERE t.station_id = ? AND t.state = 'sealed'
         AND NOT EXISTS (SELECT 1 FROM box_tube bt WHERE bt.tube_id = t.id AND bt.removed_at IS NULL)
       ORDER BY t.seq`,
    ).all(station) as { code: string; sealed_at: string | null; person_count: number }[];
    const boxes = this.sql(`SELECT ${BOX_COLUMNS} FROM box x WHERE x.station_id = ? AND x.state != 'handedOver' ORDER BY x.seq`).all(station) as BoxRow[];
    return {
      looseTubes: loose.map((t): BoxTubeView => ({ code: t.code, personCount: t.person_count, sealedAt: t.sealed_at, addedAt: '' })),
      boxes: boxes.map((b) => this.summary(b)),
    };
  }

  // ---- changes -----------------------------------------------------------------------------

  /** Opens a box by its code; the code of a box open here already resumes it. */
  open(code: string): BoxView {
    if (!new RegExp(this.config.box.pattern, 'u').test(code)) throw new DomainError('box.codeInvalid', { code });
    const found = this.row(code);
    if (found) {
      if (found.state !== 'open') throw new DomainError('box.closed', { code, state: found.state });
      return this.view(found);
    }
    const s = this.stamp();
    const id = newId();
    const capacity = this.capacity();
    const seq = this.ctx.journal.append({ ...s, kind: 'box.opened', entityId: id, payload: { code, capacity } });
    this.sql(
      `INSERT INTO box (id, code, state, capacity, station_id, operator_id, opened_at, seq) VALUES (?, ?, 'open', ?, ?, ?, ?, ?)`,
    ).run(id, code, capacity, s.stationId, s.operatorId, s.at, seq);
    return this.state(code);
  }

  private openBox(code: string): BoxRow {
    const box = this.existing(code);
    if (box.state !== 'open') throw new DomainError('box.notOpen', { code, state: box.state });
    return box;
  }

  private tube(tubeCode: string): TubeRow {
    if (!new RegExp(this.config.tube.pattern, 'u').test(tubeCode)) throw new DomainError('box.tubeNotThisSite', { tubeCode });
    const tube = this.sql(
      `SELECT t.id, t.code, t.state, t.station_id, ${TUBE_PERSONS} AS person_count,
         (SELECT c.reason FROM correction c WHERE c.id = t.void_correction_id) AS void_reason
       FROM tube t WHERE t.code = ?`,
    ).get(tubeCode) as TubeRow | undefined;
    // Only this station's tubes are known here: a tube of another desk is boxed at its own desk.
    if (!tube || tube.station_id !== this.ctx.identity.station.id) throw new DomainError('box.tubeUnknown', { tubeCode });
    return tube;
  }

  private boxOfTube(tubeId: string): { id: string; code: string } | undefined {
    return this.sql(`SELECT x.id, x.code FROM box_tube bt JOIN box x ON x.id = bt.box_id WHERE bt.tube_id = ? AND bt.removed_at IS NULL`).get(tubeId) as
      | { id: string; code: string }
      | undefined;
  }

  addTube(boxCode: string, tubeCode: string): BoxView {
    const box = this.openBox(boxCode);
    const tube = this.tube(tubeCode);
    if (tube.state === 'open') throw new DomainError('box.tubeOpen', { tubeCode });
    if (tube.state === 'voided') throw new DomainError('box.tubeVoided', { tubeCode, reason: tube.void_reason ?? '' });
    const inBox = this.boxOfTube(tube.id);
    if (inBox) throw new DomainError('box.tubeInBox', { tubeCode, boxCode: inBox.code });
    if (box.tube_count >= box.capacity) throw new DomainError('box.full', { code: boxCode, capacity: box.capacity });
    const s = this.stamp();
    const id = newId();
    const seq = this.ctx.journal.append({ ...s, kind: 'box.tubeAdded', entityId: box.id, payload: { boxCode, tubeCode, tubeId: tube.id, entryId: id } });
    this.sql('INSERT INTO box_tube (id, box_id, tube_id, operator_id, at, seq) VALUES (?, ?, ?, ?, ?, ?)').run(id, box.id, tube.id, s.operatorId, s.at, seq);
    return this.state(boxCode);
  }

  removeTube(boxCode: string, tubeCode: string, reason: string): BoxView {
    const box = this.openBox(boxCode);
    const entry = this.sql(
      `SELECT bt.id FROM box_tube bt JOIN tube t ON t.id = bt.tube_id WHERE bt.box_id = ? AND t.code = ? AND bt.removed_at IS NULL`,
    ).get(box.id, tubeCode) as { id: string } | undefined;
    if (!entry) throw new DomainError('box.tubeNotInBox', { tubeCode, boxCode });
    const s = this.stamp();
    const seq = this.ctx.journal.append({ ...s, kind: 'box.tubeRemoved', entityId: box.id, payload: { boxCode, tubeCode, reason, entryId: entry.id } });
    this.sql('UPDATE box_tube SET removed_at = ?, removed_by = ?, removed_reason = ?, removed_seq = ? WHERE id = ?').run(s.at, s.operatorId, reason, seq, entry.id);
    return this.state(boxCode);
  }

  seal(code: string): BoxView {
    const box = this.openBox(code);
    if (box.tube_count === 0) throw new DomainError('box.empty', { code });
    const tubeCodes = this.view(box).tubes.map((t) => t.code);
    const s = this.stamp();
    const seq = this.ctx.journal.append({
      ...s,
      kind: 'box.sealed',
      entityId: box.id,
      payload: { code, count: box.tube_count, personCount: box.person_count, tubeCodes },
    });
    this.sql(`UPDATE box SET state = 'sealed', sealed_at = ?, sealed_by = ?, sealed_seq = ?, tube_count = ?, person_count = ? WHERE id = ?`).run(
      s.at,
      s.operatorId,
      seq,
      box.tube_count,
      box.person_count,
      box.id,
    );
    return this.state(code);
  }

  /** The transporter an operator of the site named by badge: active, and a transporter (or the site admin). */
  private transporterByBadge(badge: string): { id: string } {
    const op = this.sql(`SELECT id, role, disabled FROM operator WHERE badge = ?`).get(badge) as { id: string; role: string; disabled: number } | undefined;
    if (!op || op.disabled === 1 || (op.role !== 'transporter' && op.role !== 'admin')) throw new DomainError('box.transporterUnknown', { badge });
    return op;
  }

  handOver(h: HandOver): BoxView {
    const box = this.existing(h.code);
    if (box.state !== 'sealed') throw new DomainError('box.notSealed', { code: h.code, state: box.state });
    if (h.confirmCode !== h.code) throw new DomainError('box.confirmMismatch', { code: h.code, confirmCode: h.confirmCode });
    if (h.tubeCount !== box.tube_count) throw new DomainError('box.countMismatch', { code: h.code, tubeCount: h.tubeCount });
    const s = this.stamp();
    const self = this.sql('SELECT role FROM operator WHERE id = ?').get(s.operatorId) as { role: string } | undefined;
    let operatorId: string | null = null;
    let name: string | null = null;
    let phone: string | null = null;
    if ('badge' in h.transporter) operatorId = this.transporterByBadge(h.transporter.badge).id;
    else ({ name, phone } = h.transporter);
    // A transporter signed in here takes boxes in their own name, never in another's.
    if (self?.role === 'transporter' && operatorId !== s.operatorId) throw new DomainError('box.transporterNotSelf');
    const seq = this.ctx.journal.append({
      ...s,
      kind: 'box.handedOver',
      entityId: box.id,
      payload: {
        code: h.code,
        tubeCount: box.tube_count,
        personCount: box.person_count,
        transporterOperatorId: operatorId,
        transporterName: name,
        transporterPhone: phone,
        coldChainNote: h.coldChainNote,
      },
    });
    this.sql(
      `UPDATE box SET state = 'handedOver', handed_over_at = ?, handed_over_by = ?, handed_over_seq = ?, transporter_operator_id = ?,
         transporter_name = ?, transporter_phone = ?, confirmed_count = ?, cold_chain_note = ? WHERE id = ?`,
    ).run(s.at, s.operatorId, seq, operatorId, name, phone, h.tubeCount, h.coldChainNote, box.id);
    return this.state(h.code);
  }

  // ---- the lab's receipt, from HQ -------------------------------------------------------------------

  /** Keeps a receipt (one revision of it) of a box of this station; false for a box not of this station, or a revision kept already. */
  private adoptReceipt(p: BoxReceiptFeedPayload, cursor: number, at: string): string | null {
    const box = this.sql('SELECT code FROM box WHERE id = ?').get(p.boxId) as { code: string } | undefined;
    if (!box) {
      log.warn({ receiptId: p.receiptId, boxId: p.boxId }, 'lab receipt of a box this station does not have: skipped');
      return null;
    }
    const kept = this.sql(
      `INSERT INTO box_receipt (receipt_id, revision, box_id, box_code, received_at, received_by, finished_at, box_state, expected, received, missing, extra, broken, feed_cursor, at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    ).run(
      p.receiptId,
      p.revision,
      p.boxId,
      box.code,
      new Date(p.receivedAt).toISOString(),
      p.receivedBy,
      new Date(p.finishedAt).toISOString(),
      p.boxState,
      p.expected,
      p.received,
      p.missing,
      p.extra,
      p.broken,
      cursor,
      at,
    ).changes;
    if (kept === 0) return null;
    const tube = this.sql('INSERT INTO box_receipt_tube (receipt_id, revision, tube_code, status, reason) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING');
    for (const d of p.discrepancies) tube.run(p.receiptId, p.revision, d.tubeCode, d.status, d.reason);
    return box.code;
  }

  feedHandlers(): FeedHandlers {
    return {
      'box.receipt': (item, effects, at) => {
        const code = this.adoptReceipt(item.payload, item.cursor, at);
        if (code === null) return;
        effects.receipts++;
        if (!effects.receiptBoxes.includes(code)) effects.receiptBoxes.push(code);
      },
    };
  }

  // ---- label, manifest and where it prints ---------------------------------------------

  /** What the box label shows of a box (null: no box has this code): its tubes with their people, and when it was sealed. */
  labelContents(code: string): BoxContents | null {
    const row = this.row(code);
    if (!row) return null;
    return { tubes: this.view(row).tubes.map((t) => ({ code: t.code, count: t.personCount })), sealedAt: row.sealed_at };
  }

  /**
   * What a sealed (or handed-over) box's manifest shows: the site, this station, the box, who
   * sealed it and when, and every tube in it with its pool size and the people bound in it.
   */
  manifestInput(code: string): ManifestInput {
    const box = this.existing(code);
    if (box.state === 'open' || !box.sealed_at) throw new DomainError('box.stillOpen', { code });
    const sealer = this.sql('SELECT o.name, o.code FROM box x JOIN operator o ON o.id = x.sealed_by WHERE x.id = ?').get(box.id) as
      | { name: string; code: string }
      | undefined;
    const tubes = this.sql(
      `SELECT t.code, t.capacity, ${TUBE_PERSONS} AS person_count FROM box_tube bt JOIN tube t ON t.id = bt.tube_id
       WHERE bt.box_id = ? AND bt.removed_at IS NULL ORDER BY bt.seq`,
    ).all(box.id) as { code: string; capacity: number; person_count: number }[];
    const { site, station } = this.ctx.identity;
    return {
      site: site.name,
      station: `${station.name}（${station.number}号）`,
      boxCode: box.code,
      sealedAt: box.sealed_at,
      sealedBy: { name: sealer?.name ?? '?', code: sealer?.code ?? '?' },
      tubes: tubes.map((t) => ({ code: t.code, poolSize: t.capacity, people: t.person_count })),
      language: 'zh-CN',
    };
  }

  manifestQueue(): string | null {
    const row = this.sql('SELECT value FROM setting WHERE key = ?').get(MANIFEST_QUEUE_SETTING) as { value: string } | undefined;
    return row?.value ? row.value : null;
  }

  settings(): BoxSettings {
    return { boxPattern: this.config.box.pattern, capacity: this.capacity(), manifestQueue: this.manifestQueue() };
  }

  /** Where this station's manifests print (a station setting, like its label printer); null: the default queue. */
  setManifestQueue(queue: string | null): BoxSettings {
    // An empty value stands for the default queue.
    this.sql('INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(MANIFEST_QUEUE_SETTING, queue ?? '');
    return this.settings();
  }
}

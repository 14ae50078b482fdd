import Database from 'better-sqlite3-multiple-ciphers';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StationCore } from '../../../electron/core/core';
import { LATEST_VERSION, MIGRATIONS, migrate } from '../../../electron/core/db/migrations';
import { DEMO_SITE_CONFIG } from '../../../electron/core/site/config';
import { parseFeedItem } from '../../../hq/protocol';
import { dataKeyOf, ok, tempDir } from '../../helpers/core';
import { idNumber, tubeCode } from '../../helpers/ids';

const AT = '2026-12-01T02:00:00.000Z';
/** The schema before box receipts. */
const BEFORE = MIGRATIONS.findIndex((m) => m.name === 'box-receipts');
const TABLES = ['tube', 'binding', 'person', 'operator', 'box', 'box_tube'];
const BOX = 'BX00000001';

/** A desk as Station left it before box receipts: a box of one tube with two people, sealed and handed over to someone by name. */
function deskBeforeReceipts(file: string): void {
  const db = new Database(file);
  migrate(db, BEFORE);
  db.prepare('INSERT INTO site (id, name, config, at) VALUES (?, ?, ?, ?)').run('demo-site', '演示社区采样点', JSON.stringify(DEMO_SITE_CONFIG), AT);
  db.exec(`
    INSERT INTO station (id, site_id, name, number, is_local, at) VALUES ('st-1', 'demo-site', '演示采样台 1', 1, 1, '${AT}');
    INSERT INTO operator (id, station_id, code, name, role, updated_at, at, seq) VALUES ('op-1', 'st-1', 'C001', '李采集', 'collector', '${AT}', '${AT}', 2);
    INSERT INTO round (id, site_id, name, started_at, origin, started_by, operator_id, seq) VALUES ('r-1', 'demo-site', '第1轮', '${AT}', 'here', '演示采样台 1', 'op-1', 3);
    INSERT INTO tube (id, code, capacity, state, round_id, station_id, operator_id, opened_at, sealed_at, seal_cause, seq)
      VALUES ('t-1', '${tubeCode(1)}', 10, 'sealed', 'r-1', 'st-1', 'op-1', '${AT}', '${AT}', 'manual', 4);
    INSERT INTO person (id, person_key, id_number, name, source_format, station_id, operator_id, at, seq) VALUES ('p-1', 'k-1', '${idNumber(1)}', '张三', 'id18', 'st-1', 'op-1', '${AT}', 5);
    INSERT INTO person (id, person_key, id_number, name, source_format, station_id, operator_id, at, seq) VALUES ('p-2', 'k-2', '${idNumber(2)}', '李四', 'id18', 'st-1', 'op-1', '${AT}', 6);
    INSERT INTO binding (id, tube_id, person_id, round_id, station_id, operator_id, at, seq) VALUES ('b-1', 't-1', 'p-1', 'r-1', 'st-1', 'op-1', '${AT}', 7);
    INSERT INTO binding (id, tube_id, person_id, round_id, station_id, operator_id, at, seq) VALUES ('b-2', 't-1', 'p-2', 'r-1', 'st-1', 'op-1', '${AT}', 8);
    INSERT INTO box (id, code, state, capacity, station_id, operator_id, opened_at, seq, sealed_at, sealed_by, sealed_seq, tube_count, person_count,
        handed_over_at, handed_over_by, handed_over_seq, transporter_name, transporter_phone, confirmed_count, cold_chain_note)
      VALUES ('x-1', '${BOX}', 'handedOver', 50, 'st-1', 'op-1', '${AT}', 9, '${AT}', 'op-1', 11, 1, 2, '${AT}', 'op-1', 12, '王师傅', '13700137000', 1, '');
    INSERT INTO box_tube (id, box_id, tube_id, operator_id, at, seq) VALUES ('e-1', 'x-1', 't-1', 'op-1', '${AT}', 10);
  `);
  db.close();
}

const item = (revision: number, missing: number) => {
  const checked = parseFeedItem({
    cursor: revision,
    kind: 'box.receipt',
    payload: {
      receiptId: 'hq-r-1',
      boxId: 'x-1',
      boxCode: BOX,
      revision,
      receivedAt: AT,
      receivedBy: '检验科王五',
      finishedAt: AT,
      boxState: 'handedOver',
      expected: 1,
      received: 1 - missing,
      missing,
      extra: 0,
      broken: 0,
      discrepancies: missing ? [{ tubeCode: tubeCode(1), status: 'missing', reason: '' }] : [],
    },
  });
  if (!checked.ok) throw new Error(checked.detail);
  return checked.item;
};

describe('migration 18 (box receipts)', () => {
  it('adds the receipt tables empty, keeps every box, tube, binding and person, and keeps revisions apart', () => {
    expect(BEFORE).toBeGreaterThan(0);
    const file = path.join(tempDir(), 'station.db');
    deskBeforeReceipts(file);
    const db = new Database(file);
    db.pragma('foreign_keys = ON');
    const before = TABLES.map((t) => db.prepare(`SELECT * FROM ${t} ORDER BY id`).all());
    expect(migrate(db)).toBe(LATEST_VERSION);
    expect(TABLES.map((t) => db.prepare(`SELECT * FROM ${t} ORDER BY id`).all())).toEqual(before);
    for (const t of ['box_receipt', 'box_receipt_tube']) expect(db.prepare(`SELECT count(*) AS n FROM ${t}`).get()).toEqual({ n: 0 });

    const insert = (revision: number, boxId = 'x-1') =>
      db.exec(`INSERT INTO box_receipt (receipt_id, revision, box_id, box_code, received_at, received_by, finished_at, box_state, expected, received, missing, extra, broken, feed_cursor, at)
        VALUES ('hq-r-1', ${revision}, '${boxId}', '${BOX}', '${AT}', '检验科', '${AT}', 'handedOver', 1, 0, 1, 0, 0, ${revision}, '${AT}')`);
    insert(1);
    insert(2);
    expect(() => insert(2)).toThrow(/UNIQUE|PRIMARY/);
    expect(() => insert(0)).toThrow(/CHECK/);
    expect(() => insert(3, 'no-such-box')).toThrow(/FOREIGN KEY/);
    db.exec(`INSERT INTO box_receipt_tube (receipt_id, revision, tube_code, status, reason) VALUES ('hq-r-1', 1, '${tubeCode(1)}', 'missing', '')`);
    expect(() => db.exec(`INSERT INTO box_receipt_tube (receipt_id, revision, tube_code, status, reason) VALUES ('hq-r-1', 1, '${tubeCode(2)}', 'received', '')`)).toThrow(/CHECK/);
    expect(() => db.exec(`INSERT INTO box_receipt_tube (receipt_id, revision, tube_code, status, reason) VALUES ('hq-r-1', 7, '${tubeCode(2)}', 'missing', '')`)).toThrow(/FOREIGN KEY/);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
  });

  it('opens an upgraded desk whose box handed over before takes the lab’s receipt and its correction', async () => {
    const dataDir = tempDir();
    deskBeforeReceipts(path.join(dataDir, 'station.db'));
    const core = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), devices: 'off', now: () => new Date(AT) });
    try {
      await ok(core, 'operator.setup', { name: '站点管理员', code: 'A001', pin: '730519' });
      expect(await ok(core, 'box.state', { code: BOX })).toMatchObject({ state: 'handedOver', tubeCount: 1, personCount: 2, receipt: null, receivedAt: null });
      const first = await core.writer.run(() => core.feed.apply([item(1, 1)], AT));
      expect(first).toMatchObject({ receipts: 1, receiptBoxes: [BOX] });
      expect(await ok(core, 'box.state', { code: BOX })).toMatchObject({
        receivedAt: AT,
        discrepancyCount: 1,
        receipt: { receivedBy: '检验科王五', missing: 1, discrepancies: [{ tubeCode: tubeCode(1), status: 'missing', reason: '' }] },
        handOver: { transporter: { kind: 'named', name: '王师傅' } },
      });
      await core.writer.run(() => core.feed.apply([item(2, 0)], AT));
      expect(await ok(core, 'box.list', { limit: 10 })).toMatchObject([{ code: BOX, receivedAt: AT, discrepancyCount: 0 }]);
    } finally {
      core.close();
    }
  });
});

import Database from 'better-sqlite3-multiple-ciphers';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StationCore } from '../../../electron/core/core';
import { LATEST_VERSION, MIGRATIONS, migrate } from '../../../electron/core/db/migrations';
import { DEMO_SITE_CONFIG } from '../../../electron/core/site/config';
import { dataKeyOf, ok, refused, tempDir } from '../../helpers/core';
import { idNumber, tubeCode } from '../../helpers/ids';

const AT = '2026-11-20T02:00:00.000Z';
/** The schema before boxes. */
const BEFORE = MIGRATIONS.findIndex((m) => m.name === 'boxes');
const TABLES = ['tube', 'binding', 'person', 'operator', 'round'];

/** A desk as Station left it before boxes: a sealed tube with two people, and an open tube. */
function deskBeforeBoxes(file: string): void {
  const db = new Database(file);
  migrate(db, BEFORE);
  db.prepare('INSERT INTO site (id, name, config, at) VALUES (?, ?, ?, ?)').run('demo-site', '演示社区采样点', JSON.stringify(DEMO_SITE_CONFIG), AT);
  db.exec(`
    INSERT INTO station (id, site_id, name, number, is_local, at) VALUES ('st-1', 'demo-site', '演示采样台 1', 1, 1, '${AT}');
    INSERT INTO operator (id, station_id, code, name, role, updated_at, at, seq) VALUES ('op-1', 'st-1', 'C001', '李采集', 'collector', '${AT}', '${AT}', 2);
    INSERT INTO round (id, site_id, name, started_at, origin, started_by, operator_id, seq) VALUES ('r-1', 'demo-site', '第1轮', '${AT}', 'here', '演示采样台 1', 'op-1', 3);
    INSERT INTO tube (id, code, capacity, state, round_id, station_id, operator_id, opened_at, sealed_at, seal_cause, seq)
      VALUES ('t-1', '${tubeCode(1)}', 10, 'sealed', 'r-1', 'st-1', 'op-1', '${AT}', '${AT}', 'manual', 4);
    INSERT INTO tube (id, code, capacity, state, round_id, station_id, operator_id, opened_at, seq) VALUES ('t-2', '${tubeCode(2)}', 10, 'open', 'r-1', 'st-1', 'op-1', '${AT}', 9);
    INSERT INTO person (id, person_key, id_number, name, source_format, station_id, operator_id, at, seq) VALUES ('p-1', 'k-1', '${idNumber(1)}', '张三', 'id18', 'st-1', 'op-1', '${AT}', 5);
    INSERT INTO person (id, person_key, id_number, name, source_format, station_id, operator_id, at, seq) VALUES ('p-2', 'k-2', '${idNumber(2)}', '李四', 'id18', 'st-1', 'op-1', '${AT}', 6);
    INSERT INTO binding (id, tube_id, person_id, round_id, station_id, operator_id, at, seq) VALUES ('b-1', 't-1', 'p-1', 'r-1', 'st-1', 'op-1', '${AT}', 7);
    INSERT INTO binding (id, tube_id, person_id, round_id, station_id, operator_id, at, seq) VALUES ('b-2', 't-1', 'p-2', 'r-1', 'st-1', 'op-1', '${AT}', 8);
  `);
  db.close();
}

describe('migration 17 (boxes)', () => {
  it('adds the box tables empty, keeps every tube, binding and person, and keeps a tube in one box at a time', () => {
    expect(BEFORE).toBeGreaterThan(0);
    const file = path.join(tempDir(), 'station.db');
    deskBeforeBoxes(file);
    const db = new Database(file);
    db.pragma('foreign_keys = ON');
    const before = TABLES.map((t) => db.prepare(`SELECT * FROM ${t} ORDER BY id`).all());
    expect(migrate(db)).toBe(LATEST_VERSION);
    expect(TABLES.map((t) => db.prepare(`SELECT * FROM ${t} ORDER BY id`).all())).toEqual(before);
    for (const t of ['box', 'box_tube']) expect(db.prepare(`SELECT count(*) AS n FROM ${t}`).get()).toEqual({ n: 0 });

    db.exec(`INSERT INTO box (id, code, state, capacity, station_id, operator_id, opened_at, seq) VALUES ('x-1', 'BX00000001', 'open', 50, 'st-1', 'op-1', '${AT}', 10)`);
    db.exec(`INSERT INTO box (id, code, state, capacity, station_id, operator_id, opened_at, seq) VALUES ('x-2', 'BX00000002', 'open', 50, 'st-1', 'op-1', '${AT}', 11)`);
    db.exec(`INSERT INTO box_tube (id, box_id, tube_id, operator_id, at, seq) VALUES ('e-1', 'x-1', 't-1', 'op-1', '${AT}', 12)`);
    // In a box already: not in a second one, until taken out with a reason.
    expect(() => db.exec(`INSERT INTO box_tube (id, box_id, tube_id, operator_id, at, seq) VALUES ('e-2', 'x-2', 't-1', 'op-1', '${AT}', 13)`)).toThrow(/UNIQUE/);
    expect(() => db.exec(`UPDATE box_tube SET removed_at = '${AT}' WHERE id = 'e-1'`)).toThrow(/CHECK/);
    db.exec(`UPDATE box_tube SET removed_at = '${AT}', removed_reason = '放错箱', removed_by = 'op-1', removed_seq = 13 WHERE id = 'e-1'`);
    db.exec(`INSERT INTO box_tube (id, box_id, tube_id, operator_id, at, seq) VALUES ('e-2', 'x-2', 't-1', 'op-1', '${AT}', 14)`);
    // A box is not sealed without the time it was.
    expect(() => db.exec(`UPDATE box SET state = 'sealed' WHERE id = 'x-2'`)).toThrow(/CHECK/);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
  });

  it('opens an upgraded desk that boxes its sealed tube from before, refuses its open one, seals and hands over the box', async () => {
    const dataDir = tempDir();
    deskBeforeBoxes(path.join(dataDir, 'station.db'));
    const core = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), devices: 'off', now: () => new Date(AT) });
    try {
      await ok(core, 'operator.setup', { name: '站点管理员', code: 'A001', pin: '730519' });
      expect((await ok(core, 'box.pending', {})).looseTubes).toMatchObject([{ code: tubeCode(1), personCount: 2 }]);
      await ok(core, 'box.open', { code: 'BX00000001' });
      expect(await refused(core, 'box.addTube', { boxCode: 'BX00000001', tubeCode: tubeCode(2) })).toBe('box.tubeOpen');
      await ok(core, 'box.addTube', { boxCode: 'BX00000001', tubeCode: tubeCode(1) });
      expect(await ok(core, 'box.seal', { code: 'BX00000001' })).toMatchObject({ tubeCount: 1, personCount: 2 });
      const handed = await ok(core, 'box.handOver', {
        code: 'BX00000001',
        confirmCode: 'BX00000001',
        transporter: { name: '王师傅', phone: '13700137000' },
        tubeCount: 1,
        coldChainNote: '',
      });
      expect(handed.state).toBe('handedOver');
      expect(await ok(core, 'box.pending', {})).toEqual({ looseTubes: [], boxes: [] });
    } finally {
      core.close();
    }
  });
});

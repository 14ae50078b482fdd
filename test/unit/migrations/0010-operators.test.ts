import Database from 'better-sqlite3-multiple-ciphers';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StationCore } from '../../../electron/core/core';
import { LATEST_VERSION, migrate } from '../../../electron/core/db/migrations';
import { DEMO_SITE_CONFIG } from '../../../electron/core/site/config';
import { dataKeyOf, ok, refused, tempDir } from '../../helpers/core';
import { idNumber, tubeCode } from '../../helpers/ids';

/**
 * A desk as Station at schema 9 left it: the "默认采集员" every station made at its first start,
 * signed in without a PIN, with the bindings it made.
 */
function schema9Desk(file: string): { operatorId: string } {
  const db = new Database(file);
  migrate(db, 9);
  const at = '2026-11-01T08:00:00.000Z';
  db.prepare('INSERT INTO site (id, name, config, at) VALUES (?, ?, ?, ?)').run('demo-site', '演示社区采样点', JSON.stringify(DEMO_SITE_CONFIG), at);
  db.exec(`
    INSERT INTO station (id, site_id, name, number, is_local, at) VALUES ('st-1', 'demo-site', '演示采样台 1', 1, 1, '${at}');
    INSERT INTO operator (id, station_id, code, name, role, badge, at, seq) VALUES ('op-default', 'st-1', 'DEFAULT', '默认采集员', 'collector', 'OP0001', '${at}', 3);
    INSERT INTO setting (key, value) VALUES ('operator.current', 'op-default');
    INSERT INTO round (id, site_id, name, started_at, origin, started_by, operator_id, seq) VALUES ('r-1', 'demo-site', '第1轮', '${at}', 'here', '演示采样台 1', 'op-default', 4);
    INSERT INTO tube (id, code, capacity, state, round_id, station_id, operator_id, opened_at, seq) VALUES ('t-1', '${tubeCode(1)}', 10, 'open', 'r-1', 'st-1', 'op-default', '${at}', 5);
    INSERT INTO person (id, person_key, id_number, name, source_format, station_id, operator_id, at, seq) VALUES ('p-1', 'k-1', '${idNumber(1)}', '张三', 'id18', 'st-1', 'op-default', '${at}', 6);
    INSERT INTO binding (id, tube_id, person_id, round_id, station_id, operator_id, at, seq) VALUES ('b-1', 't-1', 'p-1', 'r-1', 'st-1', 'op-default', '${at}', 7);
  `);
  db.close();
  return { operatorId: 'op-default' };
}

describe('migration 10 (operators)', () => {
  it('keeps every operator and every record’s operator; nobody holds a PIN, nobody is signed in', () => {
    const file = path.join(tempDir(), 'station.db');
    schema9Desk(file);
    const db = new Database(file);
    db.pragma('foreign_keys = ON');
    expect(migrate(db)).toBe(LATEST_VERSION);
    expect(db.prepare('SELECT id, code, name, role, badge, station_id, pin_hash, disabled, locked_out, wrong_pins, origin, seq FROM operator').all()).toEqual([
      { id: 'op-default', code: 'DEFAULT', name: '默认采集员', role: 'collector', badge: 'OP0001', station_id: 'st-1', pin_hash: null, disabled: 0, locked_out: 0, wrong_pins: 0, origin: 'here', seq: 3 },
    ]);
    expect(db.prepare('SELECT operator_id FROM binding').all()).toEqual([{ operator_id: 'op-default' }]);
    expect(db.prepare('SELECT operator_id FROM tube').all()).toEqual([{ operator_id: 'op-default' }]);
    expect(db.prepare(`SELECT 1 FROM setting WHERE key = 'operator.current'`).get()).toBeUndefined();
    expect(db.pragma('foreign_key_check')).toEqual([]);
    // Every reference still points at the rebuilt table.
    const refs = db.prepare(`SELECT m.name, f."table" AS target FROM sqlite_master m, pragma_foreign_key_list(m.name) f WHERE m.type = 'table' AND f."from" LIKE '%operator_id'`).all() as { name: string; target: string }[];
    expect(refs.length).toBeGreaterThan(4);
    for (const r of refs) expect(r.target).toBe('operator');
    db.close();
  });

  it('opens an upgraded station on the first-run screen, loses nothing, and the new admin carries on', async () => {
    const dataDir = tempDir();
    schema9Desk(path.join(dataDir, 'station.db'));
    const core = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), devices: 'off' });
    try {
      expect((await ok(core, 'operator.session', {})).state).toBe('setup');
      expect(await refused(core, 'desk.state', {})).toBe('session.locked');
      // The former default operator cannot sign in: it has no PIN.
      expect(await refused(core, 'operator.signIn', { code: 'DEFAULT', pin: '730519' })).toBe('operator.noPin');
      await ok(core, 'operator.setup', { name: '站点管理员', code: 'A001', pin: '730519' });
      const desk = await ok(core, 'desk.state', {});
      expect(desk.openTube).toMatchObject({ code: tubeCode(1), count: 1 });
      expect((await ok(core, 'operator.list', {})).map((o) => [o.code, o.hasPin])).toEqual([
        ['A001', true],
        ['DEFAULT', false],
      ]);
      await ok(core, 'scan.submit', { text: idNumber(2), source: 'manual' });
      const admin = (await ok(core, 'operator.session', {})).operator!.id;
      expect(core.db.prepare(`SELECT id, operator_id FROM binding ORDER BY id = 'b-1' DESC`).all()).toEqual([
        { id: 'b-1', operator_id: 'op-default' },
        { id: expect.any(String), operator_id: admin },
      ]);
    } finally {
      core.close();
    }
  });
});

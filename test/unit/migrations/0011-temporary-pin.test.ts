import Database from 'better-sqlite3-multiple-ciphers';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LATEST_VERSION, migrate } from '../../../electron/core/db/migrations';
import { hashPin } from '../../../electron/core/operators/pin';
import { DEMO_SITE_CONFIG } from '../../../electron/core/site/config';
import { ok, refused, stationCore, tempDir } from '../../helpers/core';
import { idNumber, tubeCode } from '../../helpers/ids';

/** A desk as Station at schema 10 left it: a site admin, a collector with two wrong PINs, a binding. */
async function schema10Desk(file: string): Promise<void> {
  const db = new Database(file);
  migrate(db, 10);
  const at = '2026-11-01T08:00:00.000Z';
  const adminHash = await hashPin('730519');
  const collectorHash = await hashPin('580317');
  db.prepare('INSERT INTO site (id, name, config, at) VALUES (?, ?, ?, ?)').run('demo-site', '演示社区采样点', JSON.stringify(DEMO_SITE_CONFIG), at);
  db.exec(`INSERT INTO station (id, site_id, name, number, is_local, at) VALUES ('st-1', 'demo-site', '演示采样台 1', 1, 1, '${at}')`);
  const operator = db.prepare(
    `INSERT INTO operator (id, station_id, code, name, role, badge, pin_hash, wrong_pins, last_wrong_at, origin, updated_at, at, seq) VALUES (?, 'st-1', ?, ?, ?, ?, ?, ?, ?, 'here', ?, ?, ?)`,
  );
  operator.run('op-admin', 'A001', '站点管理员', 'admin', null, adminHash, 0, null, at, at, 2);
  // The site admin set this PIN before PINs set by an admin were temporary: it stays the collector's own.
  operator.run('op-c', 'C001', '李采集', 'collector', 'OP0002', collectorHash, 2, at, at, at, 3);
  db.exec(`
    INSERT INTO round (id, site_id, name, started_at, origin, started_by, operator_id, seq) VALUES ('r-1', 'demo-site', '第1轮', '${at}', 'here', '演示采样台 1', 'op-admin', 4);
    INSERT INTO tube (id, code, capacity, state, round_id, station_id, operator_id, opened_at, seq) VALUES ('t-1', '${tubeCode(1)}', 10, 'open', 'r-1', 'st-1', 'op-c', '${at}', 5);
    INSERT INTO person (id, person_key, id_number, name, source_format, station_id, operator_id, at, seq) VALUES ('p-1', 'k-1', '${idNumber(1)}', '张三', 'id18', 'st-1', 'op-c', '${at}', 6);
    INSERT INTO binding (id, tube_id, person_id, round_id, station_id, operator_id, at, seq) VALUES ('b-1', 't-1', 'p-1', 'r-1', 'st-1', 'op-c', '${at}', 7);
  `);
  db.close();
}

describe('migration 11 (temporary PINs)', () => {
  it('keeps every operator with their PIN and wrong tries, and asks nobody to change a PIN they use', async () => {
    const dataDir = tempDir();
    const file = path.join(dataDir, 'station.db');
    await schema10Desk(file);
    const before = new Database(file);
    const rows = before.prepare('SELECT * FROM operator ORDER BY id').all();
    before.close();

    const db = new Database(file);
    expect(migrate(db)).toBe(LATEST_VERSION);
    const after = db.prepare('SELECT * FROM operator ORDER BY id').all() as Record<string, unknown>[];
    for (const row of after) expect(row.temporary_pin_hash).toBeNull();
    expect(after.map((row) => Object.fromEntries(Object.entries(row).filter(([column]) => column !== 'temporary_pin_hash')))).toEqual(rows);
    expect(db.prepare('SELECT operator_id FROM binding').all()).toEqual([{ operator_id: 'op-c' }]);
    db.close();

    const core = stationCore({ dataDir, devices: 'off' });
    try {
      expect(await refused(core, 'operator.list', {})).toBe('session.locked');
      const view = await ok(core, 'operator.signIn', { code: 'C001', pin: '580317' });
      expect(view).toMatchObject({ state: 'active', operator: { id: 'op-c' } });
      expect((await ok(core, 'desk.state', {})).openTube).toMatchObject({ code: tubeCode(1), count: 1 });
      // An admin's reset after the upgrade is temporary.
      await ok(core, 'operator.signIn', { code: 'A001', pin: '730519' });
      expect(await ok(core, 'operator.resetPin', { id: 'op-c', pin: '602948' })).toMatchObject({ mustChangePin: true });
      expect((await ok(core, 'operator.signIn', { code: 'C001', pin: '602948' })).state).toBe('pinChange');
    } finally {
      core.close();
    }
  });
});

import Database from 'better-sqlite3-multiple-ciphers';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StationCore } from '../../../electron/core/core';
import { LATEST_VERSION, migrate } from '../../../electron/core/db/migrations';
import { DEMO_SITE_CONFIG } from '../../../electron/core/site/config';
import { dataKeyOf, ok, tempDir } from '../../helpers/core';
import { idNumber, tubeCode } from '../../helpers/ids';

const SAMPLED_AT = '2026-11-01T08:00:00.000Z';

/** A desk as Station at schema 12 left it: a person sampled here, another desk's mark, a key-person list. */
function schema12Desk(file: string): void {
  const db = new Database(file);
  migrate(db, 12);
  db.prepare('INSERT INTO site (id, name, config, at) VALUES (?, ?, ?, ?)').run('demo-site', '演示社区采样点', JSON.stringify(DEMO_SITE_CONFIG), SAMPLED_AT);
  db.exec(`
    INSERT INTO station (id, site_id, name, number, is_local, at) VALUES ('st-1', 'demo-site', '演示采样台 1', 1, 1, '${SAMPLED_AT}');
    INSERT INTO operator (id, station_id, code, name, role, updated_at, at, seq) VALUES ('op-1', 'st-1', 'C001', '李采集', 'collector', '${SAMPLED_AT}', '${SAMPLED_AT}', 3);
    INSERT INTO round (id, site_id, name, started_at, origin, started_by, operator_id, seq) VALUES ('r-1', 'demo-site', '第1轮', '${SAMPLED_AT}', 'here', '演示采样台 1', 'op-1', 4);
    INSERT INTO tube (id, code, capacity, state, round_id, station_id, operator_id, opened_at, seq) VALUES ('t-1', '${tubeCode(1)}', 10, 'open', 'r-1', 'st-1', 'op-1', '${SAMPLED_AT}', 5);
    INSERT INTO person (id, person_key, id_number, name, source_format, station_id, operator_id, at, seq) VALUES ('p-1', 'id:${idNumber(1)}', '${idNumber(1)}', '张三', 'id18', 'st-1', 'op-1', '${SAMPLED_AT}', 6);
    INSERT INTO binding (id, tube_id, person_id, round_id, station_id, operator_id, at, seq) VALUES ('b-1', 't-1', 'p-1', 'r-1', 'st-1', 'op-1', '${SAMPLED_AT}', 7);
    INSERT INTO round_mark (binding_id, round_id, mark, station_number, station_name, at) VALUES ('b-9', 'r-1', 'mark-of-someone', 2, '2号采样台', '${SAMPLED_AT}');
    INSERT INTO key_person_list (list_id, feed_cursor, received_at) VALUES ('kp-1', 1, '${SAMPLED_AT}');
    INSERT INTO key_person (list_id, id_number, name, reason) VALUES ('kp-1', '${idNumber(2)}', '李四', '密接');
  `);
  db.close();
}

const COUNTED = ['person', 'binding', 'tube', 'round_mark', 'key_person', 'operator'];

describe('migration 13 (gate)', () => {
  it('adds the gate’s tables empty, keeps every record, and finds a person’s latest mark by index', () => {
    const file = path.join(tempDir(), 'station.db');
    schema12Desk(file);
    const db = new Database(file);
    db.pragma('foreign_keys = ON');
    const before = COUNTED.map((t) => db.prepare(`SELECT * FROM ${t}`).all());
    expect(migrate(db)).toBe(LATEST_VERSION);
    expect(COUNTED.map((t) => db.prepare(`SELECT * FROM ${t}`).all())).toEqual(before);
    for (const t of ['gate_passage', 'gate_reading', 'gate_referral', 'gate_key_person_action']) expect(db.prepare(`SELECT count(*) AS n FROM ${t}`).get()).toEqual({ n: 0 });
    const plan = db.prepare('EXPLAIN QUERY PLAN SELECT MAX(at) AS at FROM round_mark WHERE mark = ?').all('m') as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toContain('round_mark_recent');
    const counts = db.prepare('EXPLAIN QUERY PLAN SELECT hour, direction, COUNT(*) FROM gate_passage WHERE day = ? GROUP BY hour, direction').all('2026-11-20') as { detail: string }[];
    expect(counts.map((p) => p.detail).join(' ')).toContain('gate_passage_day');
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
  });

  it('opens an upgraded desk that becomes a gate: the person sampled before is the same person, sampled within the rule', async () => {
    const dataDir = tempDir();
    schema12Desk(path.join(dataDir, 'station.db'));
    const now = Date.parse(SAMPLED_AT) + 24 * 3600_000;
    const core = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), devices: 'off', now: () => new Date(now) });
    try {
      await ok(core, 'operator.setup', { name: '站点管理员', code: 'A001', pin: '730519' });
      expect(await ok(core, 'station.workplace', {})).toEqual({ workplace: 'desk', direction: 'in' });
      await ok(core, 'station.setWorkplace', { workplace: 'gate' });
      const known = await ok(core, 'gate.scan', { text: idNumber(1), source: 'manual' });
      expect(known).toMatchObject({ kind: 'gate.passage', passage: { person: { id: 'p-1', name: '张三' }, rule: { met: true, where: 'here', lastSampledAt: SAMPLED_AT } } });
      const listed = await ok(core, 'gate.scan', { text: idNumber(2), source: 'manual' });
      expect(listed).toMatchObject({ passage: { keyPerson: { lists: [{ listId: 'kp-1', reason: '密接' }] } } });
      expect(core.db.prepare('SELECT count(*) AS n FROM person').get()).toEqual({ n: 2 });
    } finally {
      core.close();
    }
  });
});

import Database from 'better-sqlite3-multiple-ciphers';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StationCore } from '../../../electron/core/core';
import { migrate } from '../../../electron/core/db/migrations';
import { DEMO_SITE_CONFIG } from '../../../electron/core/site/config';
import { dataKeyOf, ok, refused, tempDir } from '../../helpers/core';
import { idNumber } from '../../helpers/ids';

const AT = '2026-11-20T02:00:00.000Z';

/** A gate as Station at schema 14 left it: a person who passed in, with their reading. */
function schema14Gate(file: string): void {
  const db = new Database(file);
  migrate(db, 14);
  db.prepare('INSERT INTO site (id, name, config, at) VALUES (?, ?, ?, ?)').run('demo-site', '演示社区采样点', JSON.stringify(DEMO_SITE_CONFIG), AT);
  db.exec(`
    INSERT INTO station (id, site_id, name, number, is_local, at) VALUES ('st-1', 'demo-site', '演示卡点', 1, 1, '${AT}');
    INSERT INTO setting (key, value) VALUES ('station.workplace', 'gate');
    INSERT INTO operator (id, station_id, code, name, role, updated_at, at, seq) VALUES ('op-1', 'st-1', 'G001', '王值守', 'gatekeeper', '${AT}', '${AT}', 3);
    INSERT INTO person (id, person_key, id_number, name, source_format, station_id, operator_id, at, seq) VALUES ('p-1', 'id:${idNumber(1)}', '${idNumber(1)}', '张三', 'id18', 'st-1', 'op-1', '${AT}', 4);
    INSERT INTO gate_passage (id, subject, person_id, format, direction, residency, household, resident_tags, key_person, rule, results, temperature, temperature_required, threshold_c, level, station_id, operator_id, at, day, hour, seq)
      VALUES ('g-1', 'person', 'p-1', 'id18', 'in', 'outsider', NULL, 0, NULL, '{"kind":"none"}', '{"latest":null,"openRetest":false}', 'normal', 1, 37.3, 'check', 'st-1', 'op-1', '${AT}', '2026-11-20', 10, 5);
    INSERT INTO gate_reading (id, passage_id, celsius, measured_at, source, device_id, threshold_c, high, match, station_id, operator_id, at, seq)
      VALUES ('r-1', 'g-1', 36.5, '${AT}', 'thermometer', 'thermo-1', 37.3, 0, 'auto', 'st-1', 'op-1', '${AT}', 6);
  `);
  db.close();
}

const COUNTED = ['person', 'gate_passage', 'gate_reading', 'operator', 'setting'];

describe('migration 15 (gate visitors and vehicles)', () => {
  it('adds the visit and vehicle tables empty, keeps every record, and finds open visits and a plate’s entries by index', () => {
    const file = path.join(tempDir(), 'station.db');
    schema14Gate(file);
    const db = new Database(file);
    db.pragma('foreign_keys = ON');
    const before = COUNTED.map((t) => db.prepare(`SELECT * FROM ${t}`).all());
    // To this schema: later ones add columns of their own (their tests check them).
    expect(migrate(db, 15)).toBe(15);
    expect(COUNTED.map((t) => db.prepare(`SELECT * FROM ${t}`).all())).toEqual(before);
    for (const t of ['gate_visit', 'gate_vehicle_passage']) expect(db.prepare(`SELECT count(*) AS n FROM ${t}`).get()).toEqual({ n: 0 });
    const plan = (sql: string, ...params: unknown[]) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((p) => p.detail).join(' ');
    expect(plan('SELECT id FROM gate_visit WHERE person_id = ? AND left_at IS NULL', 'p-1')).toContain('gate_visit_open');
    expect(plan(`SELECT id FROM gate_vehicle_passage WHERE plate = ? AND direction = 'in' ORDER BY seq DESC LIMIT 1`, '京A12345')).toContain('gate_vehicle_plate');
    expect(plan('SELECT hour, direction, count(*) FROM gate_vehicle_passage WHERE day = ? GROUP BY hour, direction', '2026-11-20')).toContain('gate_vehicle_day');
    // One exit per entry, and only a vehicle leaving names one.
    db.exec(`INSERT INTO gate_vehicle_passage (id, plate, plate_kind, direction, driver, passengers, purpose, station_id, at, day, hour, seq) VALUES ('v-1', '京A12345', 'standard', 'in', '李司机', 0, '送货', 'st-1', '${AT}', '2026-11-20', 10, 7)`);
    db.exec(`INSERT INTO gate_vehicle_passage (id, plate, plate_kind, direction, driver, passengers, purpose, entry_id, station_id, at, day, hour, seq) VALUES ('v-2', '京A12345', 'standard', 'out', '李司机', 0, '送货', 'v-1', 'st-1', '${AT}', '2026-11-20', 11, 8)`);
    expect(() => db.exec(`INSERT INTO gate_vehicle_passage (id, plate, plate_kind, direction, driver, passengers, purpose, entry_id, station_id, at, day, hour, seq) VALUES ('v-3', '京A12345', 'standard', 'out', '李司机', 0, '送货', 'v-1', 'st-1', '${AT}', '2026-11-20', 11, 9)`)).toThrow(/UNIQUE/);
    expect(() => db.exec(`INSERT INTO gate_vehicle_passage (id, plate, plate_kind, direction, driver, passengers, purpose, entry_id, station_id, at, day, hour, seq) VALUES ('v-4', '京A12345', 'standard', 'in', '李司机', 0, '送货', 'v-1', 'st-1', '${AT}', '2026-11-20', 11, 9)`)).toThrow(/CHECK/);
    // A visit ended has its exit passage, time and journal entry together.
    expect(() =>
      db.exec(`INSERT INTO gate_visit (id, person_id, entry_passage_id, phone, reason, household, expected_until, station_id, at, day, hour, seq, left_at) VALUES ('w-1', 'p-1', 'g-1', NULL, '探亲', NULL, '${AT}', 'st-1', '${AT}', '2026-11-20', 10, 9, '${AT}')`),
    ).toThrow(/CHECK/);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
  });

  it('opens an upgraded gate: the passage before still counts, visitors and vehicles start at nothing, and the vehicle lane records', async () => {
    const dataDir = tempDir();
    schema14Gate(path.join(dataDir, 'station.db'));
    const now = Date.parse(AT) + 3600_000;
    const core = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), devices: 'off', now: () => new Date(now) });
    try {
      await ok(core, 'operator.setup', { name: '站点管理员', code: 'A001', pin: '730519' });
      expect(await ok(core, 'station.workplace', {})).toEqual({ workplace: 'gate', direction: 'in' });
      // No roster in this gate: a household cannot be picked.
      expect(await refused(core, 'gate.households', { query: '1-1' })).toBe('gate.noRoster');
      const counts = await ok(core, 'gate.counts', { day: '2026-11-20' });
      expect(counts).toMatchObject({ in: 1, visitors: { in: 0, onSiteNow: 0, overstaying: 0 }, vehicles: { in: 0, out: 0, onSiteNow: 0 } });
      const car = await ok(core, 'gate.vehicle', { plate: '粤B·D12345', driver: '李司机', passengers: 2, purpose: '送货' });
      expect(car).toMatchObject({ plate: '粤BD12345', plateKind: 'newEnergy', direction: 'in', entryId: null });
      expect((await ok(core, 'gate.counts', { day: '2026-11-20' })).vehicles).toMatchObject({ in: 1, onSiteNow: 1 });
    } finally {
      core.close();
    }
  });
});

import Database from 'better-sqlite3-multiple-ciphers';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../../electron/core/db/migrations';
import { DEMO_SITE_CONFIG } from '../../../electron/core/site/config';
import { tempDir } from '../../helpers/core';
import { idNumber, tubeCode } from '../../helpers/ids';

const AT = '2026-11-01T08:00:00.000Z';

/** A gate as Station at schema 13 left it: a person sampled at its desk, then through the gate. */
function schema13Gate(file: string): void {
  const db = new Database(file);
  migrate(db, 13);
  db.prepare('INSERT INTO site (id, name, config, at) VALUES (?, ?, ?, ?)').run('demo-site', '演示社区采样点', JSON.stringify(DEMO_SITE_CONFIG), AT);
  db.exec(`
    INSERT INTO station (id, site_id, name, number, is_local, at) VALUES ('st-1', 'demo-site', '演示卡点 1', 1, 1, '${AT}');
    INSERT INTO operator (id, station_id, code, name, role, updated_at, at, seq) VALUES ('op-1', 'st-1', 'C001', '李采集', 'collector', '${AT}', '${AT}', 3);
    INSERT INTO round (id, site_id, name, started_at, origin, started_by, operator_id, seq) VALUES ('r-1', 'demo-site', '第1轮', '${AT}', 'here', '演示卡点 1', 'op-1', 4);
    INSERT INTO tube (id, code, capacity, state, round_id, station_id, operator_id, opened_at, seq) VALUES ('t-1', '${tubeCode(1)}', 10, 'open', 'r-1', 'st-1', 'op-1', '${AT}', 5);
    INSERT INTO person (id, person_key, id_number, name, phone, source_format, station_id, operator_id, at, seq) VALUES ('p-1', 'id:${idNumber(1)}', '${idNumber(1)}', '张三', '13800138000', 'id18', 'st-1', 'op-1', '${AT}', 6);
    INSERT INTO binding (id, tube_id, person_id, round_id, station_id, operator_id, at, seq) VALUES ('b-1', 't-1', 'p-1', 'r-1', 'st-1', 'op-1', '${AT}', 7);
    INSERT INTO gate_passage (id, subject, person_id, format, direction, residency, rule, results, temperature, temperature_required, threshold_c, level, station_id, operator_id, at, day, hour, seq)
      VALUES ('g-1', 'person', 'p-1', 'id18', 'in', 'outsider', '{}', '{}', 'awaiting', 1, 37.3, 'check', 'st-1', NULL, '${AT}', '2026-11-01', 16, 8);
  `);
  db.close();
}

describe('migration 14 (person-station-writes)', () => {
  it('keeps every person and what refers to them, and lets the station register a person with nobody signed in', () => {
    const file = path.join(tempDir(), 'station.db');
    schema13Gate(file);
    const db = new Database(file);
    db.pragma('foreign_keys = ON');
    const before = ['person', 'binding', 'gate_passage'].map((t) => db.prepare(`SELECT * FROM ${t}`).all());
    expect(() =>
      db.prepare(`INSERT INTO person (id, person_key, source_format, station_id, operator_id, at, seq) VALUES ('p-2', 'id:${idNumber(2)}', 'id18', 'st-1', NULL, '${AT}', 9)`).run(),
    ).toThrow(/NOT NULL/);
    // To this schema: later ones add columns of their own (their tests check them).
    expect(migrate(db, 14)).toBe(14);
    expect(['person', 'binding', 'gate_passage'].map((t) => db.prepare(`SELECT * FROM ${t}`).all())).toEqual(before);
    db.prepare(`INSERT INTO person (id, person_key, source_format, station_id, operator_id, at, seq) VALUES ('p-2', 'id:${idNumber(2)}', 'id18', 'st-1', NULL, '${AT}', 9)`).run();
    // Still one row per person, and an operator named must exist.
    expect(() => db.prepare(`INSERT INTO person (id, person_key, source_format, station_id, operator_id, at, seq) VALUES ('p-3', 'id:${idNumber(1)}', 'id18', 'st-1', NULL, '${AT}', 10)`).run()).toThrow(/UNIQUE/);
    expect(() => db.prepare(`INSERT INTO person (id, person_key, source_format, station_id, operator_id, at, seq) VALUES ('p-4', 'id:${idNumber(4)}', 'id18', 'st-1', 'op-9', '${AT}', 11)`).run()).toThrow(/FOREIGN KEY/);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
  });
});

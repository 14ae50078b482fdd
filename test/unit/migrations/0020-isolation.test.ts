import Database from 'better-sqlite3-multiple-ciphers';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate } from '../../../electron/core/db/migrations';
import { DEMO_SITE_CONFIG } from '../../../electron/core/site/config';
import { tempDir } from '../../helpers/core';
import { idNumber, tubeCode } from '../../helpers/ids';

const AT = '2026-12-01T02:00:00.000Z';
/** The schema before isolation, and isolation's own (migrated to it only: later ones may be merged in after). */
const BEFORE = MIGRATIONS.findIndex((m) => m.name === 'isolation');
const MINE = BEFORE + 1;
const TABLES = ['tube', 'binding', 'person', 'operator', 'resident_pass', 'journal'];

describe('migration 20 (home isolation)', () => {
  it('adds the isolation tables empty and keeps every tube, binding, person and pass', () => {
    expect(BEFORE).toBeGreaterThan(0);
    const file = path.join(tempDir(), 'station.db');
    const db = new Database(file);
    db.pragma('foreign_keys = ON');
    migrate(db, BEFORE);
    db.prepare('INSERT INTO site (id, name, config, at) VALUES (?, ?, ?, ?)').run('demo-site', '演示社区采样点', JSON.stringify(DEMO_SITE_CONFIG), AT);
    db.exec(`
      INSERT INTO station (id, site_id, name, number, is_local, at) VALUES ('st-1', 'demo-site', '演示采样台 1', 1, 1, '${AT}');
      INSERT INTO operator (id, station_id, code, name, role, updated_at, at, seq) VALUES ('op-1', 'st-1', 'C001', '李采集', 'collector', '${AT}', '${AT}', 2);
      INSERT INTO round (id, site_id, name, started_at, origin, started_by, operator_id, seq) VALUES ('r-1', 'demo-site', '第1轮', '${AT}', 'here', '演示采样台 1', 'op-1', 3);
      INSERT INTO tube (id, code, capacity, state, round_id, station_id, operator_id, opened_at, seq) VALUES ('t-1', '${tubeCode(1)}', 10, 'open', 'r-1', 'st-1', 'op-1', '${AT}', 4);
      INSERT INTO person (id, person_key, id_number, name, source_format, station_id, operator_id, at, seq) VALUES ('p-1', 'k-1', '${idNumber(1)}', '张三', 'id18', 'st-1', 'op-1', '${AT}', 5);
      INSERT INTO binding (id, tube_id, person_id, round_id, station_id, operator_id, at, seq) VALUES ('b-1', 't-1', 'p-1', 'r-1', 'st-1', 'op-1', '${AT}', 6);
      INSERT INTO resident_pass (id, code, site_id, household, id_number, name, valid_from, valid_until, origin, station_id, station_name, issued_at, seq)
        VALUES ('pass-1', 'CRZ-1', 'demo-site', '1-1-101', '${idNumber(1)}', '张三', '${AT}', '2026-12-31T00:00:00.000Z', 'here', 'st-1', '演示采样台 1', '${AT}', 7);
    `);
    const before = TABLES.map((t) => db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all());
    expect(migrate(db, MINE)).toBe(MINE);
    expect(TABLES.map((t) => db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all())).toEqual(before);
    for (const t of ['isolation', 'isolation_person', 'isolation_end', 'isolation_reading']) expect(db.prepare(`SELECT count(*) AS n FROM ${t}`).get()).toEqual({ n: 0 });

    // The checks hold: a last day before the first, a reading at noon.
    const isolation = (id: string, until: string) =>
      db.prepare(`INSERT INTO isolation (id, site_id, subject, household, reason, start_day, until_day, sampling_days, origin, station_id, station_name, operator_id, started_at, seq)
        VALUES (?, 'demo-site', 'household', '1-1-101', '密接', '2026-12-01', ?, '[1,4,7,10,14]', 'here', 'st-1', '演示采样台 1', 'op-1', ?, 8)`).run(id, until, AT);
    expect(() => isolation('iso-0', '2026-11-30')).toThrow(/CHECK/);
    isolation('iso-1', '2026-12-14');
    db.prepare(`INSERT INTO isolation_person (id, isolation_id, id_number, name) VALUES ('ip-1', 'iso-1', ?, '张三')`).run(idNumber(1));
    expect(() =>
      db.prepare(`INSERT INTO isolation_reading (id, isolation_id, person_id, day, slot, celsius, source, origin, station_name, at) VALUES ('rd-1', 'iso-1', 'ip-1', '2026-12-01', 'noon', 36.5, 'typed', 'here', 's', ?)`).run(AT),
    ).toThrow(/CHECK/);
    db.close();
  });
});

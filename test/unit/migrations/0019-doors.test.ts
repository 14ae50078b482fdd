import Database from 'better-sqlite3-multiple-ciphers';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StationCore } from '../../../electron/core/core';
import { MIGRATIONS, migrate } from '../../../electron/core/db/migrations';
import { DEMO_SITE_CONFIG } from '../../../electron/core/site/config';
import { dataKeyOf, ok, refused, tempDir } from '../../helpers/core';
import { idNumber, tubeCode } from '../../helpers/ids';

const AT = '2026-11-20T02:00:00.000Z';
/** This schema's version, and the one before it (whatever schema 18 holds once merged). */
const DOORS = MIGRATIONS.findIndex((m) => m.name === 'doors') + 1;
const BEFORE = DOORS - 1;
const TABLES = ['tube', 'binding', 'person', 'operator', 'round', 'journal'];

/** A desk as Station left it before door to door: a sealed tube with two people in it, and an open tube. */
function deskBeforeDoors(file: string): void {
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
    INSERT INTO person (id, person_key, id_number, name, source_format, station_id, operator_id, at, seq) VALUES ('p-1', 'id:${idNumber(1)}', '${idNumber(1)}', '张三', 'id18', 'st-1', 'op-1', '${AT}', 5);
    INSERT INTO person (id, person_key, id_number, name, source_format, station_id, operator_id, at, seq) VALUES ('p-2', 'id:${idNumber(2)}', '${idNumber(2)}', '李四', 'id18', 'st-1', 'op-1', '${AT}', 6);
    INSERT INTO binding (id, tube_id, person_id, round_id, station_id, operator_id, at, seq) VALUES ('b-1', 't-1', 'p-1', 'r-1', 'st-1', 'op-1', '${AT}', 7);
    INSERT INTO binding (id, tube_id, person_id, round_id, station_id, operator_id, at, seq) VALUES ('b-2', 't-1', 'p-2', 'r-1', 'st-1', 'op-1', '${AT}', 8);
    -- Its coverage marks are made again at the next start (as after a change of the site's key).
    INSERT INTO setting (key, value) VALUES ('site.ownMarksPending', '1');
  `);
  db.close();
}

describe('migration 19 (door to door)', () => {
  it('adds the door tables empty and keeps every tube, binding, person and journal entry; a visit holds to its rules', () => {
    expect(DOORS).toBe(19);
    const file = path.join(tempDir(), 'station.db');
    deskBeforeDoors(file);
    const db = new Database(file);
    db.pragma('foreign_keys = ON');
    const before = TABLES.map((t) => db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all());
    // Only up to this schema: a later one merged after it has its own test.
    expect(migrate(db, DOORS)).toBe(DOORS);
    expect(TABLES.map((t) => db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all())).toEqual(before);
    for (const t of ['door_group', 'door_assignment', 'door_visit', 'door_visit_remote']) expect(db.prepare(`SELECT count(*) AS n FROM ${t}`).get()).toEqual({ n: 0 });

    db.exec(`INSERT INTO door_group (id, round_id, station_id, operator_id, created_at, seq) VALUES ('g-1', 'r-1', 'st-1', 'op-1', '${AT}', 10)`);
    db.exec(`INSERT INTO door_assignment (id, group_id, name, collector_id, helper_ids, areas, tags, operator_id, at, seq)
      VALUES ('a-1', 'g-1', '第1组', 'op-1', '[]', '[{"building":"1","unit":null}]', 3, 'op-1', '${AT}', 10)`);
    const visit = (id: string, cols: string, values: string) =>
      db.exec(`INSERT INTO door_visit (id, group_id, round_id, building, unit, room, station_id, operator_id, at, seq, ${cols})
        VALUES ('${id}', 'g-1', 'r-1', '1', '1', '101', 'st-1', 'op-1', '${AT}', 11, ${values})`);
    visit('v-1', 'person_id, outcome, binding_id, tube_code, temperature_c', `'p-1', 'sampled', 'b-1', '${tubeCode(1)}', 36.6`);
    visit('v-2', 'outcome, revisit_at', `'notHome', '${AT}'`);
    visit('v-3', 'person_id, outcome, reason', `'p-2', 'refused', '拒绝'`);
    // Sampled only with the binding it made (and whom); refused only with a reason; a temperature a body has.
    expect(() => visit('v-4', 'person_id, outcome', `'p-1', 'sampled'`)).toThrow(/CHECK/);
    expect(() => visit('v-5', 'outcome, binding_id', `'sampled', 'b-1'`)).toThrow(/CHECK/);
    expect(() => visit('v-6', 'person_id, outcome', `'p-2', 'refused'`)).toThrow(/CHECK/);
    expect(() => visit('v-7', 'outcome, temperature_c', `'notHome', 48`)).toThrow(/CHECK/);
    expect(() => visit('v-8', 'outcome', `'gone'`)).toThrow(/CHECK/);
    expect(() => db.exec(`INSERT INTO door_assignment (id, group_id, name, collector_id, helper_ids, areas, tags, operator_id, at, seq)
      VALUES ('a-2', 'g-1', '第1组', 'op-1', 'not json', '[]', 0, 'op-1', '${AT}', 12)`)).toThrow(/CHECK/);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
  });

  it('opens an upgraded desk as a door-to-door station: its open tube takes the first person at a door, its earlier sampling counts', async () => {
    const dataDir = tempDir();
    deskBeforeDoors(path.join(dataDir, 'station.db'));
    const core = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), devices: 'off', now: () => new Date(AT) });
    try {
      await ok(core, 'operator.setup', { name: '站点管理员', code: 'A001', pin: '730519' });
      const lines = ['姓名,身份证号,楼栋,单元,房号', `张三,${idNumber(1)},1,1,101`, `王五,${idNumber(3)},1,1,101`];
      const csv = Buffer.from(lines.join('\n'));
      const { uploadId } = await ok(core, 'roster.upload', { fileName: 'r.csv', size: csv.length });
      await ok(core, 'roster.uploadChunk', { uploadId, offset: 0, data: csv.toString('base64') });
      const read = await ok(core, 'roster.read', { uploadId });
      await core.roster.idle();
      await ok(core, 'roster.apply', { importId: read.id });
      await ok(core, 'station.setWorkplace', { workplace: 'doors' });
      const operatorId = core.session.operatorId();
      const group = await ok(core, 'door.assign', { name: '第1组', collectorId: operatorId, areas: [{ building: '1', unit: null }] });
      const household = { building: '1', unit: '1', room: '101' };
      const door = await ok(core, 'door.household', { groupId: group.id, household });
      // Sampled before the upgrade, at the desk: counted.
      expect(door.residents.map((r) => [r.name, r.state])).toEqual([['王五', 'due'], ['张三', 'sampled']]);
      const wang = door.residents.find((r) => r.name === '王五')?.ref as string;
      expect(await ok(core, 'door.sample', { groupId: group.id, household, ref: wang })).toMatchObject({ kind: 'sampled', tubeCode: tubeCode(2), count: 1 });
      expect(await refused(core, 'door.notHome', { groupId: group.id, household })).toBe('door.nobodyToVisit');
    } finally {
      core.close();
    }
  });
});

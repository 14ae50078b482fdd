import Database from 'better-sqlite3-multiple-ciphers';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StationCore } from '../../../electron/core/core';
import { LATEST_VERSION, MIGRATIONS, migrate } from '../../../electron/core/db/migrations';
import { DEMO_SITE_CONFIG } from '../../../electron/core/site/config';
import { dataKeyOf, ok, tempDir } from '../../helpers/core';
import { idNumber } from '../../helpers/ids';

const AT = '2026-11-20T02:00:00.000Z';
/** The schema before resident passes. */
const BEFORE = MIGRATIONS.findIndex((m) => m.name === 'resident-passes');

/** A gate as Station left it before resident passes: a person and their passage through the gate. */
function gateBeforePasses(file: string): void {
  const db = new Database(file);
  migrate(db, BEFORE);
  db.prepare('INSERT INTO site (id, name, config, at) VALUES (?, ?, ?, ?)').run('demo-site', '演示社区采样点', JSON.stringify(DEMO_SITE_CONFIG), AT);
  db.exec(`
    INSERT INTO station (id, site_id, name, number, is_local, at) VALUES ('st-1', 'demo-site', '东门卡点', 1, 1, '${AT}');
    INSERT INTO operator (id, station_id, code, name, role, updated_at, at, seq) VALUES ('op-1', 'st-1', 'G001', '王值守', 'gatekeeper', '${AT}', '${AT}', 3);
    INSERT INTO person (id, person_key, id_number, name, source_format, station_id, operator_id, at, seq) VALUES ('p-1', 'id:${idNumber(1)}', '${idNumber(1)}', '居民1', 'id18', 'st-1', 'op-1', '${AT}', 4);
    INSERT INTO gate_passage (id, subject, person_id, format, direction, residency, household, resident_tags, key_person, rule, results, temperature,
      temperature_required, threshold_c, level, station_id, operator_id, at, day, hour, seq)
      VALUES ('g-1', 'person', 'p-1', 'id18', 'in', 'resident', '1-1-101', 0, NULL, '{"kind":"none"}', '{"latest":null,"openRetest":false}', 'normal',
      1, 37.3, 'pass', 'st-1', 'op-1', '${AT}', '2026-11-20', 10, 5);
    INSERT INTO setting (key, value) VALUES ('station.workplace', 'gate');
  `);
  db.close();
}

describe('migration 15 (resident passes)', () => {
  it('adds the pass tables empty, keeps every passage (made by no pass), and finds a pass by its code and a holder’s passes by index', () => {
    expect(BEFORE).toBeGreaterThan(0);
    const file = path.join(tempDir(), 'station.db');
    gateBeforePasses(file);
    const db = new Database(file);
    db.pragma('foreign_keys = ON');
    const before = ['person', 'gate_passage', 'operator'].map((t) => db.prepare(`SELECT * FROM ${t}`).all());
    expect(migrate(db)).toBe(LATEST_VERSION);
    const after = ['person', 'gate_passage', 'operator'].map((t) => db.prepare(`SELECT * FROM ${t}`).all());
    expect(after[0]).toEqual(before[0]);
    expect(after[2]).toEqual(before[2]);
    expect(after[1]).toEqual((before[1] as Record<string, unknown>[]).map((r) => ({ ...r, pass_id: null })));
    for (const t of ['resident_pass', 'resident_pass_revocation']) expect(db.prepare(`SELECT count(*) AS n FROM ${t}`).get()).toEqual({ n: 0 });
    const plan = (sql: string, ...params: unknown[]) => (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((p) => p.detail).join(' ');
    expect(plan('SELECT * FROM resident_pass WHERE code = ?', 'x')).toContain('sqlite_autoindex_resident_pass');
    expect(plan('SELECT * FROM resident_pass WHERE id_number = ? AND valid_until > ?', 'x', 'y')).toContain('resident_pass_holder');
    // A pass that ends before it starts is refused by the schema itself.
    expect(() =>
      db
        .prepare(
          `INSERT INTO resident_pass (id, code, site_id, household, id_number, name, valid_from, valid_until, origin, station_id, station_name, issued_at)
           VALUES ('x', 'c', 's', 'h', NULL, 'n', '2026-11-21', '2026-11-20', 'here', 'st-1', '东门卡点', '${AT}')`,
        )
        .run(),
    ).toThrow(/CHECK/);
    expect(db.pragma('foreign_key_check')).toEqual([]);
    db.close();
  });

  it('opens an upgraded gate that issues a pass and lets it through; the passage from before reads as it did', async () => {
    const dataDir = tempDir();
    gateBeforePasses(path.join(dataDir, 'station.db'));
    const core = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), devices: 'off', now: () => new Date(AT) });
    try {
      await ok(core, 'operator.setup', { name: '站点管理员', code: 'A001', pin: '730519' });
      const csv = Buffer.from(`姓名,身份证号,手机号,楼栋,单元,房号\n居民1,${idNumber(1)},,1,1,101\n`);
      const { uploadId } = await ok(core, 'roster.upload', { fileName: 'r.csv', size: csv.length });
      await ok(core, 'roster.uploadChunk', { uploadId, offset: 0, data: csv.toString('base64') });
      const started = await ok(core, 'roster.read', { uploadId });
      await core.roster.idle();
      await ok(core, 'roster.apply', { importId: started.id });
      expect(await ok(core, 'gate.passage', { id: 'g-1' })).toMatchObject({ subject: 'person', pass: null, person: { id: 'p-1', name: '居民1' } });
      const [pass] = await ok(core, 'pass.issue', { household: { building: '1', unit: '1', room: '101' }, validFrom: '2026-11-20', validUntil: '2026-11-30' });
      const code = (core.db.prepare('SELECT code FROM resident_pass WHERE id = ?').get(pass!.id) as { code: string }).code;
      const through = await ok(core, 'gate.scan', { text: code, source: 'manual' });
      expect(through).toMatchObject({ kind: 'gate.passage', passage: { subject: 'pass', pass: { id: pass!.id }, person: { id: 'p-1' } } });
    } finally {
      core.close();
    }
  });
});

import Database from 'better-sqlite3-multiple-ciphers';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../../electron/core/db/migrations';
import { HQ_SQLITE_MIGRATIONS } from '../../../hq/store/sqlite-migrations';
import { openSqliteStore } from '../../../hq/store/sqlite';
import { tempDir } from '../../helpers/core';
import { HQ_GATE_TABLES } from './gate-fixtures';

describe('HQ SQLite migrations 3-6 (desks, rounds, roster, coverage)', () => {
  it('upgrade an HQ of version 2 in place: stations numbered per site, keys made, duplicated codes flagged, nothing lost', async () => {
    const dir = tempDir('hq-migrate-');
    const db = new Database(path.join(dir, 'hq.sqlite'));
    migrate(db, 2, HQ_SQLITE_MIGRATIONS);
    db.exec(`INSERT INTO site VALUES ('a', '东区', NULL, 'now'), ('b', '西区', NULL, 'now');
      INSERT INTO station (id, site_id, name, local_station_id, public_key, enrolled_at) VALUES
        ('s1', 'a', '东门台', 'l1', 'k', '2026-11-01'), ('s2', 'a', '西门台', 'l2', 'k', '2026-11-02'), ('s3', 'b', '一号台', 'l3', 'k', '2026-11-03');
      INSERT INTO record VALUES ('s1', 1, 'tube.opened', 't1', 'o', 'now', '{}', 'd', NULL, NULL);
      INSERT INTO tube VALUES ('s1', 't1', 'a', 'SY1', 10, 'r', '2026-11-01', '2026-11-01T01:00:00Z', 'sealed', 10),
                              ('s2', 't2', 'a', 'SY1', 10, 'r', '2026-11-01', '2026-11-01T02:00:00Z', 'sealed', 10),
                              ('s2', 't3', 'a', 'SY2', 10, 'r', '2026-11-01', '2026-11-01T03:00:00Z', 'open', 0);`);
    db.close();
    const store = openSqliteStore(dir);
    try {
      const rows = await store.sql.read((tx) => tx.all<{ id: string; number: number; name: string }>('SELECT id, number, name FROM station ORDER BY id'));
      expect(rows).toEqual([
        { id: 's1', number: 1, name: '东门台' },
        { id: 's2', number: 2, name: '西门台' },
        { id: 's3', number: 1, name: '一号台' },
      ]);
      const feed = await store.sql.read((tx) => tx.all<{ kind: string; station_id: string | null }>('SELECT kind, station_id FROM feed_item ORDER BY cursor'));
      expect(feed.filter((f) => f.kind === 'site.keys')).toHaveLength(2);
      expect(feed.filter((f) => f.kind === 'station.identity').map((f) => f.station_id)).toEqual(['s1', 's2', 's3']);
      const conflicts = await store.sql.read((tx) => tx.all<{ code: string }>('SELECT code FROM tube_conflict'));
      expect(conflicts).toEqual([{ code: 'SY1' }]);
      const holder = await store.sql.read((tx) => tx.one<{ station_id: string }>(`SELECT station_id FROM code_holder WHERE code = 'SY1'`));
      expect(holder?.station_id).toBe('s1');
      expect(await store.holdings('s1')).toEqual({ records: 1, conflicts: 0, maxSeq: 1 });
      const version = await store.sql.read((tx) => tx.one<{ user_version: number }>('PRAGMA user_version'));
      expect(version?.user_version).toBe(HQ_SQLITE_MIGRATIONS.length);
    } finally {
      await store.close();
    }
  });
});

describe('HQ SQLite migration 7 (coverage totals)', () => {
  it('counts who is sampled per round from what HQ holds', async () => {
    const dir = tempDir('hq-migrate-');
    const db = new Database(path.join(dir, 'hq.sqlite'));
    migrate(db, 6, HQ_SQLITE_MIGRATIONS);
    db.exec(`INSERT INTO coverage_tested VALUES ('r1', 'id:1', 1), ('r1', 'id:2', 3), ('r2', 'tel:3#王', 1);`);
    db.close();
    const store = openSqliteStore(dir);
    try {
      const totals = await store.sql.read((tx) => tx.all<{ round_id: string; tested: number }>('SELECT round_id, tested FROM coverage_total ORDER BY round_id'));
      expect(totals).toEqual([
        { round_id: 'r1', tested: 2 },
        { round_id: 'r2', tested: 1 },
      ]);
    } finally {
      await store.close();
    }
  });
});

describe('HQ SQLite migration 8 (roster readers)', () => {
  it('keeps one version in use per site, gives an import left reading no heartbeat, and refuses a second version in use', async () => {
    const dir = tempDir('hq-migrate-');
    const db = new Database(path.join(dir, 'hq.sqlite'));
    migrate(db, 7, HQ_SQLITE_MIGRATIONS);
    db.exec(`INSERT INTO site (id, name, config, at) VALUES ('a', '东区', NULL, 'now');
      INSERT INTO roster_import (id, site_id, source, state, created_at, applied_at) VALUES
        ('r1', 'a', 'hq', 'current', '2026-11-01T00:00:00Z', '2026-11-01T01:00:00Z'),
        ('r2', 'a', 'station', 'current', '2026-11-01T00:30:00Z', '2026-11-01T02:00:00Z'),
        ('r3', 'a', 'hq', 'reading', '2026-11-02T00:00:00Z', NULL);`);
    db.close();
    const store = openSqliteStore(dir);
    try {
      const rows = await store.sql.read((tx) => tx.all<{ id: string; state: string; touched_at: string | null }>('SELECT id, state, touched_at FROM roster_import ORDER BY id'));
      expect(rows).toEqual([
        { id: 'r1', state: 'superseded', touched_at: null },
        { id: 'r2', state: 'current', touched_at: null },
        { id: 'r3', state: 'reading', touched_at: null },
      ]);
      await expect(store.sql.transaction((tx) => tx.run(`UPDATE roster_import SET state = 'current' WHERE id = 'r1'`))).rejects.toThrow(/UNIQUE/);
    } finally {
      await store.close();
    }
  });
});

describe('HQ SQLite migration 9 (bindings by tube)', () => {
  it('finds a voided tube’s bindings through an index, keeping every binding', async () => {
    const dir = tempDir('hq-migrate-');
    const db = new Database(path.join(dir, 'hq.sqlite'));
    migrate(db, 8, HQ_SQLITE_MIGRATIONS);
    const columns = (db.prepare('PRAGMA table_info(binding)').all() as { name: string }[]).map((c) => c.name);
    const row = Object.fromEntries(columns.map((c) => [c, c === 'undone' ? 0 : `${c}-1`]));
    db.prepare(`INSERT INTO binding (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`).run(row);
    db.close();
    const store = openSqliteStore(dir);
    try {
      const plan = await store.sql.read((tx) => tx.all<{ detail: string }>(`EXPLAIN QUERY PLAN SELECT binding_id FROM binding WHERE station_id = 's' AND undone = 0 AND tube_id IN ('t')`));
      expect(plan.map((p) => p.detail).join(' ')).toMatch(/binding_tube/);
      expect(await store.sql.read((tx) => tx.all('SELECT binding_id FROM binding'))).toEqual([{ binding_id: 'binding_id-1' }]);
    } finally {
      await store.close();
    }
  });
});

describe('HQ SQLite migration 11 (journal chain)', () => {
  it('keeps every record and station, with no chain until the station’s first chained batch', async () => {
    const dir = tempDir('hq-migrate-');
    const db = new Database(path.join(dir, 'hq.sqlite'));
    migrate(db, 10, HQ_SQLITE_MIGRATIONS);
    db.exec(`INSERT INTO site (id, name, config, at) VALUES ('a', '东区', NULL, 'now');
      INSERT INTO station (id, site_id, name, local_station_id, public_key, enrolled_at, acked_through, number) VALUES ('s1', 'a', '东门台', 'l1', 'k', '2026-11-01', 2, 1);
      INSERT INTO record (station_id, seq, kind, entity_id, operator_id, at, payload, digest) VALUES
        ('s1', 1, 'tube.opened', 't1', 'o', 'now', '{}', 'd1'), ('s1', 2, 'tube.sealed', 't1', 'o', 'now', '{}', 'd2');`);
    db.close();
    const store = openSqliteStore(dir);
    try {
      expect(await store.holdings('s1')).toEqual({ records: 2, conflicts: 0, maxSeq: 2 });
      expect(await store.station('s1')).toMatchObject({ ackedThrough: 2, chainHead: null, chainError: null });
      expect(await store.record('s1', 2)).toMatchObject({ digest: 'd2', chainHash: null });
    } finally {
      await store.close();
    }
  });
});

describe('HQ SQLite migration 14 (gate)', () => {
  it('upgrades an HQ of version 13 in place: what it held stays; a day’s counts per hour read from the gate’s own index', async () => {
    const dir = tempDir('hq-migrate-');
    const db = new Database(path.join(dir, 'hq.sqlite'));
    migrate(db, 13, HQ_SQLITE_MIGRATIONS);
    db.exec(`INSERT INTO site (id, name, config, at) VALUES ('a', '东区', NULL, 'now');
      INSERT INTO station (id, site_id, name, local_station_id, public_key, enrolled_at, acked_through, number) VALUES ('s1', 'a', '东门台', 'l1', 'k', '2026-11-01', 1, 1);
      INSERT INTO record (station_id, seq, kind, entity_id, operator_id, at, payload, digest) VALUES ('s1', 1, 'gate.passage', 'p1', 'o', 'now', '{}', 'd1');`);
    db.close();
    const store = openSqliteStore(dir);
    try {
      expect(await store.holdings('s1')).toEqual({ records: 1, conflicts: 0, maxSeq: 1 });
      expect(await store.sql.read((tx) => tx.one<{ user_version: number }>('PRAGMA user_version'))).toEqual({ user_version: HQ_SQLITE_MIGRATIONS.length });
      for (const table of HQ_GATE_TABLES) {
        expect(await store.sql.read((tx) => tx.one(`SELECT count(*) AS n FROM ${table}`))).toEqual({ n: 0 });
      }
      const plan = await store.sql.read((tx) =>
        tx.all<{ detail: string }>(`EXPLAIN QUERY PLAN SELECT station_id, hour, direction, count(*), sum(CASE WHEN temperature = 'fever' THEN 1 ELSE 0 END) FROM gate_passage WHERE site_id = 'a' AND day = '2026-11-20' GROUP BY station_id, hour, direction`),
      );
      expect(plan.map((p) => p.detail).join(' ')).toMatch(/COVERING INDEX gate_passage_site_hour/);
      // An hour is one of the site day's 24.
      await expect(store.sql.transaction((tx) => tx.run(`INSERT INTO gate_passage (station_id, passage_id, site_id, seq, at, day, hour, operator_id, person_id, subject, direction, residency, level, key_person, key_person_lists, threshold_c)
        VALUES ('s1', 'p1', 'a', 1, 'now', '2026-11-20', 24, 'o', 'x', 'person', 'in', 'resident', 'pass', 0, '[]', 37.3)`))).rejects.toThrow(/CHECK/);
    } finally {
      await store.close();
    }
  });
});

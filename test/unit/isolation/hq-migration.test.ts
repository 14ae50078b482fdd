import Database from 'better-sqlite3-multiple-ciphers';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../../electron/core/db/migrations';
import { endIsolationAtHq, isolationsOfSite, projectStationIsolations, startIsolationAtHq } from '../../../hq/domains/isolation';
import { HQ_PG_MIGRATIONS } from '../../../hq/store/postgres-migrations';
import { HQ_SQLITE_MIGRATIONS } from '../../../hq/store/sqlite-migrations';
import { openSqliteStore } from '../../../hq/store/sqlite';
import { tempDir } from '../../helpers/core';
import { idNumber } from '../../helpers/ids';

/** 10:00 at the site, day 1. */
const AT = '2026-12-01T02:00:00.000Z';
const BEFORE = HQ_SQLITE_MIGRATIONS.findIndex((m) => m.name === 'hq-isolation');
/** Migrated to isolation's own version only: migrations merged in before it may come later. */
const MINE = BEFORE + 1;

describe('HQ migration 17 (home isolation)', () => {
  it('is the same version in both stores', () => {
    expect(BEFORE).toBeGreaterThan(0);
    expect(HQ_PG_MIGRATIONS.findIndex((m) => m.name === 'hq-isolation')).toBe(BEFORE);
  });

  it('upgrades an HQ in place: its stations kept; isolations projected, started and ended at HQ, relayed to the site once each', async () => {
    const dir = tempDir('hq-migrate-');
    const db = new Database(path.join(dir, 'hq.sqlite'));
    migrate(db, BEFORE, HQ_SQLITE_MIGRATIONS);
    db.exec(`INSERT INTO site (id, name, config, at) VALUES ('a', '东区', NULL, '${AT}'), ('b', '西区', NULL, '${AT}');
      INSERT INTO station (id, site_id, name, number, local_station_id, public_key, enrolled_at) VALUES ('s1', 'a', '1号采样台', 1, 'l1', 'k', '${AT}');`);
    const stations = db.prepare('SELECT * FROM station ORDER BY id').all();
    expect(migrate(db, MINE, HQ_SQLITE_MIGRATIONS)).toBe(MINE);
    expect(db.prepare('SELECT * FROM station ORDER BY id').all()).toEqual(stations);
    db.close();
    const store = openSqliteStore(dir);
    try {
      const s1 = { id: 's1', siteId: 'a', number: 1, name: '1号采样台' };
      const started = {
        kind: 'started' as const,
        isolationId: 'iso-1',
        siteId: 'a',
        subject: 'person' as const,
        household: '1-1-101',
        persons: [{ personId: 'ip-1', idNumber: idNumber(1), name: '居民1' }],
        reason: '密接',
        startDay: '2026-12-01',
        untilDay: '2026-12-14',
        samplingDays: [1, 4, 7, 10, 14],
        at: AT,
      };
      const reading = { kind: 'reading' as const, readingId: 'rd-1', siteId: 'a', isolationId: 'iso-1', personId: 'ip-1', day: '2026-12-01', slot: 'morning' as const, celsius: 36.5, source: 'typed' as const, at: AT };
      await store.sql.transaction((tx) => projectStationIsolations(tx, s1, [started, started, { ...started, isolationId: 'iso-b', siteId: 'b' }, reading, reading]));
      // HQ's own: refused changes nothing; a good one relayed.
      const refused = await store.sql.transaction((tx) => startIsolationAtHq(tx, { siteId: 'a', household: '', persons: [{ idNumber: idNumber(1), name: '居民1' }], reason: '密接' }, AT));
      expect(refused).toEqual({ ok: false, error: 'isolation.alreadyIsolated' });
      const hq = await store.sql.transaction((tx) => startIsolationAtHq(tx, { siteId: 'a', household: '2-1-201', persons: [{ idNumber: idNumber(2), name: '居民2' }], reason: '境外返回' }, AT));
      expect(hq.ok).toBe(true);
      expect(await store.sql.transaction((tx) => endIsolationAtHq(tx, { isolationId: 'iso-1', reason: '期满' }, '2026-12-01T03:00:00.000Z'))).toEqual({ ok: true });
      expect(await store.sql.transaction((tx) => endIsolationAtHq(tx, { isolationId: 'iso-1', reason: '再次' }, '2026-12-01T03:00:00.000Z'))).toEqual({ ok: false, error: 'isolation.alreadyEnded' });
      await store.sql.transaction((tx) => projectStationIsolations(tx, s1, [{ kind: 'ended', isolationId: 'iso-1', siteId: 'a', reason: '站点结束', at: AT }]));

      const feed = await store.sql.read((tx) => tx.all<{ site_id: string; station_id: string | null; kind: string; payload: string }>("SELECT site_id, station_id, kind, payload FROM feed_item WHERE kind LIKE 'isolation.%' ORDER BY cursor"));
      expect(feed.map((f) => [f.site_id, f.station_id, f.kind, (JSON.parse(f.payload) as { isolationId: string }).isolationId])).toEqual([
        ['a', null, 'isolation.started', 'iso-1'],
        ['a', null, 'isolation.reading', 'iso-1'],
        ['a', null, 'isolation.started', (hq as { isolationId: string }).isolationId],
        ['a', null, 'isolation.ended', 'iso-1'],
      ]);
      const view = await store.sql.read((tx) => isolationsOfSite(tx, 'a', '2026-12-01T05:00:00.000Z'));
      expect(view.map((i) => [i.household, i.state, i.startedBy, i.dayNumber])).toEqual([
        ['2-1-201', 'active', '总部', 1],
        ['1-1-101', 'ended', '1号采样台', null],
      ]);
      expect(view[0]!.today.map((t) => `${t.name} ${t.kind} ${t.status}`)).toEqual(['居民2 sampling pending', '居民2 temperatureMorning overdue', '居民2 temperatureEvening pending']);
      expect(view[1]!.ended).toMatchObject({ reason: '期满', by: 'HQ' });
    } finally {
      await store.close();
    }
  });
});

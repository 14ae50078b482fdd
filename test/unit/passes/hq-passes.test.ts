import Database from 'better-sqlite3-multiple-ciphers';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate } from '../../../electron/core/db/migrations';
import { HQ_PG_MIGRATIONS } from '../../../hq/store/postgres-migrations';
import { HQ_SQLITE_MIGRATIONS } from '../../../hq/store/sqlite-migrations';
import { openSqliteStore } from '../../../hq/store/sqlite';
import { passesOfSite, projectStationPasses } from '../../../hq/domains/passes';
import { tempDir } from '../../helpers/core';
import { idNumber } from '../../helpers/ids';

const AT = '2026-11-20T02:00:00.000Z';
const BEFORE = HQ_SQLITE_MIGRATIONS.findIndex((m) => m.name === 'hq-resident-passes');

describe('HQ migration 15 (resident passes)', () => {
  it('is the same version in both stores', () => {
    expect(BEFORE).toBeGreaterThan(0);
    expect(HQ_PG_MIGRATIONS.findIndex((m) => m.name === 'hq-resident-passes')).toBe(BEFORE);
  });

  it('upgrades an HQ in place: its stations and records kept, passes projected and relayed to the site once each', async () => {
    const dir = tempDir('hq-migrate-');
    const db = new Database(path.join(dir, 'hq.sqlite'));
    migrate(db, BEFORE, HQ_SQLITE_MIGRATIONS);
    db.exec(`INSERT INTO site (id, name, config, at) VALUES ('a', '东区', NULL, '${AT}'), ('b', '西区', NULL, '${AT}');
      INSERT INTO station (id, site_id, name, number, local_station_id, public_key, enrolled_at) VALUES
        ('s1', 'a', '1号卡点', 1, 'l1', 'k', '${AT}'), ('s2', 'a', '2号卡点', 2, 'l2', 'k', '${AT}');`);
    db.close();
    const store = openSqliteStore(dir);
    try {
      expect(await store.sql.read((tx) => tx.all('SELECT id, number FROM station ORDER BY id'))).toEqual([
        { id: 's1', number: 1 },
        { id: 's2', number: 2 },
      ]);
      const s1 = { id: 's1', siteId: 'a', number: 1, name: '1号卡点' };
      const s2 = { id: 's2', siteId: 'a', number: 2, name: '2号卡点' };
      const issued = {
        kind: 'issued' as const,
        passId: 'p-1',
        siteId: 'a',
        code: 'CRZ-001-X',
        household: '1-1-101',
        idNumber: idNumber(1),
        name: '居民1',
        validFrom: '2026-11-19T16:00:00.000Z',
        validUntil: '2026-11-30T15:59:59.999+00:00',
        at: AT,
      };
      await store.sql.transaction((tx) =>
        projectStationPasses(tx, s1, [issued, issued, { ...issued, passId: 'p-other', siteId: 'b' }, { ...issued, passId: 'p-bad', code: 'CRZ-001-Y', validUntil: issued.validFrom }]),
      );
      await store.sql.transaction((tx) =>
        projectStationPasses(tx, s2, [
          { kind: 'revoked', passId: 'p-1', siteId: 'a', code: 'CRZ-001-X', reason: '已搬离', at: '2026-11-20T03:00:00.000Z' },
          { kind: 'revoked', passId: 'p-1', siteId: 'a', code: 'CRZ-001-X', reason: '又一次', at: '2026-11-20T04:00:00.000Z' },
          { kind: 'revoked', passId: 'p-unknown', siteId: 'a', code: 'CRZ-001-Z', reason: '遗失', at: '2026-11-20T04:00:00.000Z' },
        ]),
      );
      expect(await store.sql.read((tx) => passesOfSite(tx, 'a'))).toEqual([
        {
          passId: 'p-1',
          code: 'CRZ-001-X',
          household: '1-1-101',
          name: '居民1',
          validFrom: '2026-11-19T16:00:00.000Z',
          validUntil: '2026-11-30T15:59:59.999Z',
          stationId: 's1',
          issuedAt: AT,
          revoked: { reason: '已搬离', at: '2026-11-20T03:00:00.000Z', stationId: 's2' },
        },
      ]);
      const feed = await store.sql.read((tx) => tx.all<{ site_id: string; station_id: string | null; kind: string; payload: string }>("SELECT site_id, station_id, kind, payload FROM feed_item WHERE kind LIKE 'pass.%' ORDER BY cursor"));
      expect(feed.map((f) => [f.site_id, f.station_id, f.kind, (JSON.parse(f.payload) as { passId: string }).passId])).toEqual([
        ['a', null, 'pass.issued', 'p-1'],
        ['a', null, 'pass.revoked', 'p-1'],
        ['a', null, 'pass.revoked', 'p-unknown'],
      ]);
      expect(JSON.parse(feed[0]!.payload)).toEqual({ ...issued, kind: undefined, at: undefined, validUntil: '2026-11-30T15:59:59.999Z', stationId: 's1', stationNumber: 1, stationName: '1号卡点', issuedAt: AT });
    } finally {
      await store.close();
    }
  });
});

import Database from 'better-sqlite3-multiple-ciphers';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LATEST_VERSION, migrate } from '../../../electron/core/db/migrations';
import { UploadStore } from '../../../electron/core/upload/store';
import { tempDir } from '../../helpers/core';

let db: Database.Database | undefined;
afterEach(() => db?.close());

const AT = '2026-11-01T08:00:00.000Z';

/** A linked desk as Station at schema 11 left it: its link, HQ's keys, five records acknowledged and a batch on its way. */
function schema11Desk(): Database.Database {
  const d = new Database(path.join(tempDir(), 'station.db'));
  migrate(d, 11);
  d.prepare(
    `INSERT INTO hq_link (id, hq_url, station_id, site_id, site_name, public_key, enrolled_at, hq_public_key, hq_export_key)
     VALUES (1, 'http://127.0.0.1:8443', 'hq-st-1', 'site-1', '幸福社区', 'STATION-PEM', ?, 'HQ-KEY', 'HQ-EXPORT-KEY')`,
  ).run(AT);
  d.prepare('UPDATE upload_state SET acked_through = 5, held_through = 5, confirmed_through = 5 WHERE id = 1').run();
  d.prepare(`INSERT INTO upload_batch (batch_id, from_seq, to_seq, record_count, body, frozen_at) VALUES ('b-1', 6, 8, 3, x'00', ?)`).run(AT);
  return d;
}

describe('migration 0012 (hq-relink)', () => {
  it('keeps the link, HQ’s keys and the upload as they were; no link is taken to need making again', () => {
    db = schema11Desk();
    expect(migrate(db)).toBe(LATEST_VERSION);
    const store = new UploadStore(db);
    expect(store.link()).toEqual({
      hqUrl: 'http://127.0.0.1:8443',
      stationId: 'hq-st-1',
      siteId: 'site-1',
      siteName: '幸福社区',
      publicKey: 'STATION-PEM',
      enrolledAt: AT,
      hqPublicKey: 'HQ-KEY',
      hqExportKey: 'HQ-EXPORT-KEY',
      relinkReason: null,
      relinkSince: null,
    });
    expect(store.state()).toMatchObject({ ackedThrough: 5, heldThrough: 5, confirmedThrough: 5 });
    expect(store.frozen().map((b) => b.batchId)).toEqual(['b-1']);
  });

  it('marks a link to make again only for the link the agent runs with, keeps when it was first marked, and clears it', () => {
    db = schema11Desk();
    migrate(db);
    const store = new UploadStore(db);
    store.markRelink('station.revoked', AT, 'ANOTHER-PEM');
    expect(store.link()).toMatchObject({ relinkReason: null });
    store.markRelink('station.revoked', AT, 'STATION-PEM');
    store.markRelink('station.revoked', '2026-11-02T08:00:00.000Z', 'STATION-PEM');
    expect(store.link()).toMatchObject({ relinkReason: 'station.revoked', relinkSince: AT });
    store.clearRelink('ANOTHER-PEM');
    expect(store.link()).toMatchObject({ relinkReason: 'station.revoked' });
    store.clearRelink('STATION-PEM');
    expect(store.link()).toMatchObject({ relinkReason: null, relinkSince: null });
  });

  it('linked again as the same station, the upload goes on where it was; as a new one, it starts over', () => {
    db = schema11Desk();
    migrate(db);
    const store = new UploadStore(db);
    store.markRelink('station.revoked', AT, 'STATION-PEM');
    const again = { hqUrl: 'http://127.0.0.1:9443', stationId: 'hq-st-1', siteId: 'site-1', siteName: '幸福社区', publicKey: 'NEW-PEM', enrolledAt: AT, hqPublicKey: 'HQ-KEY-2', hqExportKey: null };
    store.relink(again, true);
    expect(store.link()).toMatchObject({ ...again, hqExportKey: 'HQ-EXPORT-KEY', relinkReason: null });
    expect(store.state()).toMatchObject({ ackedThrough: 5, confirmedThrough: 5 });
    expect(store.frozen()).toHaveLength(1);
    store.relink({ ...again, stationId: 'hq-st-2', publicKey: 'NEWER-PEM' }, false);
    expect(store.state()).toMatchObject({ ackedThrough: 0, heldThrough: null, confirmedThrough: 0 });
    expect(store.frozen()).toEqual([]);
  });
});
import Database from 'better-sqlite3-multiple-ciphers';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StationCore } from '../../../electron/core/core';
import { openEncrypted } from '../../../electron/core/db/cipher';
import { LATEST_VERSION, migrate } from '../../../electron/core/db/migrations';
import { checkCharacter } from '../../../electron/core/person/gb11643';
import { dataKeyOf, ok, openStationFile, signInAdmin, tempDir } from '../../helpers/core';
import { tubeCode } from '../../helpers/ids';

function id(n: number): string {
  const first17 = `32010219750101${String(n).padStart(3, '0')}`;
  return first17 + checkCharacter(first17);
}

describe('migration 8 (own marks again)', () => {
  it('flags a station holding bindings, and only such a station', () => {
    const empty = new Database(':memory:');
    migrate(empty, 7);
    migrate(empty);
    expect(empty.prepare(`SELECT value FROM setting WHERE key = 'site.ownMarksPending'`).get()).toBeUndefined();
    empty.close();
  });

  it('counts as sampled, after an upgrade from version 5, everyone the desk sampled before it', async () => {
    const dataDir = tempDir();
    let core = await signInAdmin(new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), devices: 'off' }));
    await ok(core, 'desk.setCapacity', { capacity: 10 });
    await ok(core, 'scan.submit', { text: tubeCode(1), source: 'manual' });
    for (const n of [1, 2, 3]) await ok(core, 'scan.submit', { text: id(n), source: 'manual' });
    const roundId = core.rounds.current()!.id;
    core.close();

    // The same desk as Station at schema 5 left it: bindings, and no coverage kept at all.
    const db = openStationFile(path.join(dataDir, 'station.db'));
    db.exec(`
      DROP TABLE coverage_tested; DROP TABLE coverage_exempt; DROP TABLE coverage_cell; DROP TABLE coverage_state; DROP TABLE coverage_total;
      ALTER TABLE upload_state DROP COLUMN feed_pulled_at;
      DELETE FROM setting WHERE key = 'site.ownMarksPending';
      DROP TRIGGER journal_no_update;
      ALTER TABLE journal DROP COLUMN prev_hash; ALTER TABLE journal DROP COLUMN hash; ALTER TABLE journal DROP COLUMN salt;
      ALTER TABLE journal DROP COLUMN personal_digest; ALTER TABLE hq_link DROP COLUMN hq_public_key; ALTER TABLE hq_link DROP COLUMN hq_export_key;
      ALTER TABLE upload_state DROP COLUMN held_through; ALTER TABLE upload_state DROP COLUMN held_head; ALTER TABLE upload_state DROP COLUMN confirmed_through;
      ALTER TABLE hq_link DROP COLUMN relink_reason; ALTER TABLE hq_link DROP COLUMN relink_since;
      CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END;
      DROP TABLE gate_visit; DROP TABLE gate_vehicle_passage;
      DROP TABLE gate_key_person_action; DROP TABLE gate_referral; DROP TABLE gate_reading; DROP TABLE gate_passage; DROP INDEX round_mark_recent;
      DROP TABLE resident_pass_revocation; DROP TABLE resident_pass;
      DROP TABLE isolation_reading; DROP TABLE isolation_end; DROP TABLE isolation_person; DROP TABLE isolation;
      DROP TABLE box_receipt_tube; DROP TABLE box_receipt; DROP TABLE box_tube; DROP TABLE box;
    `);
    db.pragma('user_version = 5');
    db.close();

    // The migration alone, on a copy: coverage tables empty, the desk's marks still to make.
    const copy = path.join(tempDir(), 'station.db');
    fs.copyFileSync(path.join(dataDir, 'station.db'), copy);
    const migrated = openEncrypted(copy, dataKeyOf(dataDir));
    expect(migrate(migrated)).toBe(LATEST_VERSION);
    expect(migrated.prepare(`SELECT value FROM setting WHERE key = 'site.ownMarksPending'`).get()).toEqual({ value: '1' });
    expect(migrated.prepare('SELECT count(*) AS n FROM coverage_tested').get()).toEqual({ n: 0 });
    migrated.close();

    // Station upgrading it as it opens: the three residents sampled before the upgrade count.
    core = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), devices: 'off' });
    try {
      // Faked back to schema 5, the operators lost their PINs with migration 9 run again: an upgraded station's first run.
      await ok(core, 'operator.setup', { name: '站点管理员', code: 'T002', pin: '730519' });
      expect(core.db.prepare('SELECT round_id, count(*) AS n FROM coverage_tested GROUP BY round_id').all()).toEqual([{ round_id: roundId, n: 3 }]);
      expect(core.db.prepare(`SELECT 1 FROM setting WHERE key = 'site.ownMarksPending'`).get()).toBeUndefined();
      expect((await ok(core, 'coverage.view', {})).sampledNotOnRoster).toBe(3);
    } finally {
      core.close();
    }
  });
});

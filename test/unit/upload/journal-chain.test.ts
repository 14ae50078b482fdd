import type Database from 'better-sqlite3-multiple-ciphers';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StationCore } from '../../../electron/core/core';
import { LATEST_VERSION, migrate } from '../../../electron/core/db/migrations';
import { GENESIS_HASH } from '../../../hq/chain';
import { dataKeyOf, ok, openStationFile, signInAdmin, tempDir, TEST_ADMIN } from '../../helpers/core';
import { bindPeople, personId } from '../../e2e/upload-env';

let core: StationCore | undefined;
afterEach(() => {
  core?.close();
  core = undefined;
});

/** A desk with a few tubes of people bound: person, tube and binding entries. */
async function deskWithJournal(dataDir = tempDir()): Promise<StationCore> {
  const c = await signInAdmin(new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), devices: 'off' }));
  await bindPeople(c, 12, 5);
  return c;
}

/** Changes to the journal as someone with the file would make them: its guard dropped first. */
function tamper(c: StationCore, sql: string): void {
  c.db.exec(`DROP TRIGGER journal_no_update; DROP TRIGGER journal_no_delete; ${sql}`);
}

type Row = { seq: number; kind: string; payload: string; prev_hash: string; hash: string; salt: string | null; personal_digest: string | null };
const rows = (db: Database.Database | StationCore['db']) => db.prepare('SELECT seq, kind, payload, prev_hash, hash, salt, personal_digest FROM journal ORDER BY seq').all() as Row[];

describe('the journal’s hash chain at the station', () => {
  it('links every entry to its predecessor, salts personal fields apart, and holds', async () => {
    core = await deskWithJournal();
    const all = rows(core.db);
    expect(all[0]!.prev_hash).toBe(GENESIS_HASH);
    for (let i = 1; i < all.length; i++) expect(all[i]!.prev_hash).toBe(all[i - 1]!.hash);
    const person = all.find((r) => r.kind === 'person.registered')!;
    expect(person.salt).toMatch(/^[0-9a-f]{32}$/);
    expect(person.personal_digest).toMatch(/^[0-9a-f]{64}$/);
    // The digest does not name the person: salted, it cannot be matched against a guessed ID number.
    expect(person.personal_digest).not.toContain(personId(0));
    expect(all.find((r) => r.kind === 'binding.created')!.salt).toBeNull();
    const check = await ok(core, 'journal.verify', {});
    expect(check).toMatchObject({ ok: true, checked: all.length, problem: null });
    expect(core.upload.status().journal).toEqual(check);
  });

  it('still holds once personal fields are purged (the salt with them), and the guard allows nothing else', async () => {
    core = await deskWithJournal();
    const purged = core.db
      .prepare(`UPDATE journal SET payload = json_remove(payload, '$.key', '$.idNumber', '$.name', '$.phone', '$.regCode'), salt = NULL WHERE kind = 'person.registered'`)
      .run().changes;
    expect(purged).toBe(12);
    expect(rows(core.db).filter((r) => r.kind === 'person.registered').every((r) => !r.payload.includes(personId(0)) && r.salt === null)).toBe(true);
    expect(await ok(core, 'journal.verify', {})).toMatchObject({ ok: true, problem: null });
    expect(() => core!.db.prepare(`UPDATE journal SET payload = '{}' WHERE kind = 'tube.opened'`).run()).toThrow(/append-only/);
    expect(() => core!.db.prepare('UPDATE journal SET hash = prev_hash WHERE seq = 3').run()).toThrow(/append-only/);
    expect(() => core!.db.prepare('DELETE FROM journal WHERE seq = 3').run()).toThrow(/append-only/);
  });

  it('finds a changed, a removed and a moved entry', async () => {
    core = await deskWithJournal();
    const binding = rows(core.db).find((r) => r.kind === 'binding.created')!;
    tamper(core, `UPDATE journal SET payload = json_set(payload, '$.tubeCode', 'SY9999999999') WHERE seq = ${binding.seq}`);
    expect(await ok(core, 'journal.verify', {})).toMatchObject({ ok: false, problem: { seq: binding.seq, kind: 'changed' } });
    core.close();

    // A person's name changed, the salt and digest left as they were.
    core = await deskWithJournal();
    const person = rows(core.db).find((r) => r.kind === 'person.registered')!;
    tamper(core, `UPDATE journal SET payload = json_set(payload, '$.name', '李四') WHERE seq = ${person.seq}`);
    expect(await ok(core, 'journal.verify', {})).toMatchObject({ ok: false, problem: { seq: person.seq, kind: 'changed' } });
    core.close();

    core = await deskWithJournal();
    tamper(core, 'DELETE FROM journal WHERE seq = 5');
    expect(await ok(core, 'journal.verify', {})).toMatchObject({ ok: false, problem: { seq: 6, kind: 'missing' } });
    core.close();

    // Entries 5 and 6 swapped, each moved whole (content, hashes and all) to the other's number.
    core = await deskWithJournal();
    tamper(core, 'UPDATE journal SET seq = -5 WHERE seq = 5; UPDATE journal SET seq = 5 WHERE seq = 6; UPDATE journal SET seq = 6 WHERE seq = -5;');
    expect(await ok(core, 'journal.verify', {})).toMatchObject({ ok: false, problem: { seq: 5, kind: 'order' } });
    const status = core.upload.status();
    expect(status.journal).toMatchObject({ ok: false, problem: { seq: 5, kind: 'order' } });
  });
});

describe('station migration 9 (journal chain)', () => {
  it('chains every entry of a journal from before, keeping each as it was', async () => {
    const dataDir = tempDir();
    core = await deskWithJournal(dataDir);
    const before = rows(core.db).map((r) => ({ seq: r.seq, kind: r.kind, payload: r.payload }));
    core.close();
    core = undefined;

    // The same desk as Station at schema 8 left it: no chain, a frozen batch without one.
    const db = openStationFile(path.join(dataDir, 'station.db'));
    db.exec(`
      DROP TRIGGER journal_no_update;
      ALTER TABLE journal DROP COLUMN prev_hash; ALTER TABLE journal DROP COLUMN hash; ALTER TABLE journal DROP COLUMN salt;
      ALTER TABLE journal DROP COLUMN personal_digest; ALTER TABLE hq_link DROP COLUMN hq_public_key; ALTER TABLE hq_link DROP COLUMN hq_export_key;
      ALTER TABLE upload_state DROP COLUMN held_through; ALTER TABLE upload_state DROP COLUMN held_head; ALTER TABLE upload_state DROP COLUMN confirmed_through;
      -- And what came after it (12: a link to make again; 13: the gate; 15: its visitors and vehicles; 16: resident passes; 17: boxes; 18: their receipts).
      ALTER TABLE hq_link DROP COLUMN relink_reason; ALTER TABLE hq_link DROP COLUMN relink_since;
      DROP TABLE gate_visit; DROP TABLE gate_vehicle_passage;
      DROP TABLE gate_key_person_action; DROP TABLE gate_referral; DROP TABLE gate_reading; DROP TABLE gate_passage; DROP INDEX round_mark_recent;
      DROP TABLE resident_pass_revocation; DROP TABLE resident_pass;
      DROP TABLE isolation_reading; DROP TABLE isolation_end; DROP TABLE isolation_person; DROP TABLE isolation;
      DROP TABLE box_receipt_tube; DROP TABLE box_receipt; DROP TABLE box_tube; DROP TABLE box;
      CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END;
      INSERT INTO upload_batch (batch_id, from_seq, to_seq, record_count, body, frozen_at) VALUES ('b1', 1, 3, 3, x'00', 'now');
    `);
    db.pragma('user_version = 8');
    db.close();

    const copy = path.join(tempDir(), 'station.db');
    fs.copyFileSync(path.join(dataDir, 'station.db'), copy);
    const migrated = openStationFile(copy, {}, dataDir);
    expect(migrate(migrated)).toBe(LATEST_VERSION);
    const after = rows(migrated);
    expect(after.map((r) => ({ seq: r.seq, kind: r.kind, payload: r.payload }))).toEqual(before);
    expect(after.every((r) => /^[0-9a-f]{64}$/.test(r.hash))).toBe(true);
    expect(after.filter((r) => r.kind === 'person.registered').every((r) => r.salt !== null)).toBe(true);
    expect(migrated.prepare('SELECT count(*) AS n FROM upload_batch').get()).toEqual({ n: 0 });
    migrated.close();

    core = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), devices: 'off' });
    // Schema 8 had no PINs (migration 10 leaves operators without one): the first-run step makes a site admin.
    await ok(core, 'operator.setup', { ...TEST_ADMIN, code: 'T002', badge: 'OP0902' });
    expect(core.journal.lastSeq()).toBeGreaterThan(before.length);
    expect(await ok(core, 'journal.verify', {})).toMatchObject({ ok: true, checked: core.journal.lastSeq() });
    // New entries continue the chain.
    await bindPeople(core, 3, 5, 100);
    expect(await ok(core, 'journal.verify', {})).toMatchObject({ ok: true, checked: core.journal.lastSeq() });
  });
});

import Database from 'better-sqlite3-multiple-ciphers';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HQ_PATHS } from '../../hq/protocol';
import type { StationCore } from '../../electron/core/core';
import { loadPrivateKey } from '../../electron/core/upload/keys';
import { openCore, staffArgs, tempDir } from '../helpers/core';
import { startPostgres, type PgCluster } from '../helpers/postgres';
import { ROOT, STATION_BIN } from '../helpers/station-process';
import { SimStation } from '../unit/hq/fixtures';
import { HQ_UNDO_AFTER_13 } from '../unit/hq/gate-fixtures';
import { bindPeople, FAST_TUNING, hqDigests, hqStationId, startHq, stationDigests, uploadedAll, waitFor, type RunningHq } from './upload-env';

/**
 * A desk whose link HQ refused for good (revoked, or unknown to HQ) is linked again with a new
 * code, keeping every record: what HQ acknowledged stays there once, the rest follows.
 */
let cluster: PgCluster | undefined;
let hq: RunningHq | null = null;
let core: StationCore | null = null;

beforeAll(async () => {
  cluster = await startPostgres({ fsync: false });
});
afterAll(async () => {
  await cluster?.stop();
});
afterEach(async () => {
  core?.close();
  core = null;
  await hq?.server.close();
  hq = null;
});

const SITE = { id: 'site-relink', name: '重连社区' };

/** A desk enrolled at `at` (reached at `viaUrl`), its agent started when `start`. */
async function desk(at: RunningHq, dataDir = tempDir('station-relink-'), options: { start?: boolean; viaUrl?: string } = {}): Promise<StationCore> {
  const { code } = await at.server.createEnrollmentCode(SITE.id, SITE.name);
  const c = await openCore(dataDir, { upload: { start: options.start ?? false, tuning: FAST_TUNING, ...(options.viaUrl ? { hqUrl: options.viaUrl } : {}) } });
  const enrolled = await c.invoke('upload.enroll', { hqUrl: at.url, code });
  if (!enrolled.ok) throw new Error(JSON.stringify(enrolled.error));
  const round = await c.invoke('round.start', { name: '第1轮' });
  if (!round.ok) throw new Error(JSON.stringify(round.error));
  return c;
}

/** The one row of `station_relink` HQ keeps of each re-link. */
async function relinkRows(at: RunningHq, stationId: string): Promise<{ revoked_at: string | null }[]> {
  return at.server.store.sql.read((tx) => tx.all<{ revoked_at: string | null }>('SELECT revoked_at FROM station_relink WHERE station_id = @stationId', { stationId }));
}

describe.each(['sqlite', 'postgres'] as const)('linking a revoked desk again on %s', (backend) => {
  it('with its re-link code it is the same station again: the rest of its journal follows, every record at HQ once, the old key refused', async () => {
    hq = await startHq({ databaseUrl: backend === 'postgres' ? await cluster!.createDatabase() : undefined });
    const dataDir = tempDir('station-relink-');
    core = await desk(hq, dataDir);
    await bindPeople(core, 20, 10);
    core.upload.start();
    await waitFor('uploaded', () => uploadedAll(core!));
    const stationId = hqStationId(core);
    const oldKey = loadPrivateKey(dataDir);
    const held = core.journal.lastSeq();

    expect(await hq.server.revokeStation(stationId)).toMatchObject({ ok: true });
    // The desk works on while revoked; nothing it records reaches HQ.
    await bindPeople(core, 10, 10, 20);
    await waitFor('told it is revoked', () => core!.upload.status().relink?.reason === 'station.revoked');
    expect(core.upload.status().lastFailure).toMatchObject({ code: 'upload.hqRefused', hqError: 'station.revoked' });
    expect((await hq.server.store.holdings(stationId)).maxSeq).toBe(held);

    // Refused, each changing nothing: an ordinary code (it would make a second station of this journal)…
    const ordinary = await hq.server.createEnrollmentCode(SITE.id);
    const refusedOrdinary = await core.invoke('upload.enroll', { hqUrl: hq.url, code: ordinary.code });
    expect(!refusedOrdinary.ok && refusedOrdinary.error.code).toBe('enroll.relinkCodeNeeded');
    // …and another desk's re-link code.
    const other = new SimStation(hq.url, '另一台');
    expect((await other.enroll((await hq.server.createEnrollmentCode(SITE.id)).code)).status).toBe(200);
    const othersCode = await hq.server.createRelinkCode(other.stationId);
    if (!othersCode.ok) throw new Error(othersCode.error);
    const refusedOther = await core.invoke('upload.enroll', { hqUrl: hq.url, code: othersCode.code });
    expect(!refusedOther.ok && refusedOther.error.code).toBe('enroll.codeForAnotherStation');
    expect(core.upload.store.link()).toMatchObject({ stationId, relinkReason: 'station.revoked' });
    expect(loadPrivateKey(dataDir).export({ format: 'pem', type: 'pkcs8' })).toBe(oldKey.export({ format: 'pem', type: 'pkcs8' }));
    // Neither code was used up by its refusal.
    expect((await new SimStation(hq.url, '新台').enroll(ordinary.code)).status).toBe(200);

    const relink = await hq.server.createRelinkCode(stationId);
    if (!relink.ok) throw new Error(relink.error);
    // Typed as staff read it off a screen: lower case, spaces for dashes.
    const linked = await core.invoke('upload.enroll', { hqUrl: hq.url, code: relink.code.toLowerCase().replace(/-/g, ' ') });
    expect(linked.ok && linked.value).toMatchObject({ enrolled: true, hq: { stationId }, relink: null });
    expect(await hq.server.store.station(stationId)).toMatchObject({ revokedAt: null });
    expect(await relinkRows(hq, stationId)).toEqual([{ revoked_at: expect.any(String) }]);

    await waitFor('the rest uploaded', () => uploadedAll(core!));
    expect(await hqDigests(hq, stationId)).toEqual(stationDigests(core));
    expect(await hq.server.store.holdings(stationId)).toMatchObject({ records: core.journal.lastSeq(), conflicts: 0, maxSeq: core.journal.lastSeq() });
    // The key before is no longer this station's.
    const thief = new SimStation(hq.url);
    thief.stationId = stationId;
    const withOldKey = await thief.send(thief.sign('GET', `${HQ_PATHS.feed}?after=0`, Buffer.alloc(0), { key: oldKey }));
    expect(withOldKey).toMatchObject({ status: 401, json: { error: 'signature.invalid' } });
    // The code is one-time.
    const again = await core.invoke('upload.enroll', { hqUrl: hq.url, code: relink.code });
    expect(!again.ok && again.error.code).toBe('upload.alreadyEnrolled');
    const dashboard = await hq.server.store.dashboard('2026-11-22');
    expect(dashboard.stations.find((s) => s.id === stationId)).toMatchObject({ revokedAt: null, relinkedAt: expect.any(String) });
  });
});

describe('re-link codes through the admin API', () => {
  it('makes a one-time code for a station HQ knows, with HQ’s fingerprint; 404 for one it does not; a malformed body changes nothing', async () => {
    const ADMIN = 'relink-admin-token';
    hq = await startHq({ adminToken: ADMIN });
    const sim = new SimStation(hq.url);
    expect((await sim.enroll((await hq.server.createEnrollmentCode(SITE.id, SITE.name)).code)).status).toBe(200);
    const post = (body: unknown, token = ADMIN) =>
      fetch(`${hq!.url}${HQ_PATHS.adminCodes}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const made = await post({ stationId: sim.stationId, ttlHours: 2 });
    expect(made.status).toBe(200);
    const answer = (await made.json()) as { code: string; stationId: string; siteId: string; expiresAt: string };
    expect(answer).toMatchObject({ stationId: sim.stationId, siteId: SITE.id });
    expect(answer.code.replace(/-/g, '').slice(12)).toBe(hq.server.fingerprint);
    expect((await post({ stationId: 'nobody' })).status).toBe(404);
    expect((await post({ stationId: sim.stationId, siteId: SITE.id })).status).toBe(400);
    expect((await post({ stationId: sim.stationId }, 'wrong')).status).toBe(401);
    // The code is that station's only: a fresh desk (naming no station) is refused it, and it stays usable.
    const fresh = new SimStation(hq.url);
    const refused = await fresh.enroll(answer.code);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: 'enroll.codeForAnotherStation' });
    const codes = await hq.server.store.sql.read((tx) => tx.all<{ used_at: string | null }>('SELECT used_at FROM enrollment_code WHERE relink_station_id IS NOT NULL'));
    expect(codes).toEqual([{ used_at: null }]);
  });
});

describe('a desk HQ does not know', () => {
  it('an HQ restored from before the desk enrolled links it as a new station with an ordinary code, and gets its whole journal', async () => {
    // HQ's folder before the desk enrolled, as a backup holds it.
    const first = await startHq();
    const backup = tempDir('hq-backup-');
    const port = Number(new URL(first.url).port);
    await first.server.close();
    fs.cpSync(first.dataDir, backup, { recursive: true });
    hq = await startHq({ dataDir: first.dataDir }, port);

    core = await desk(hq, tempDir('station-relink-'), { start: true });
    await bindPeople(core, 15, 5);
    await waitFor('uploaded', () => uploadedAll(core!));
    const before = hqStationId(core);

    // HQ restored from the backup, at the same address and with the same key.
    await hq.server.close();
    hq = await startHq({ dataDir: backup }, port);
    await waitFor('told HQ does not know it', () => core!.upload.status().relink?.reason === 'station.unknown');
    const { code } = await hq.server.createEnrollmentCode(SITE.id, SITE.name);
    const linked = await core.invoke('upload.enroll', { hqUrl: hq.url, code });
    expect(linked.ok).toBe(true);
    const after = hqStationId(core);
    expect(after).not.toBe(before);
    await waitFor('the whole journal uploaded again', () => uploadedAll(core!));
    expect(await hqDigests(hq, after)).toEqual(stationDigests(core));
    expect((await hqDigests(hq, before)).size).toBe(0);
  });
});

/** The built `station` command; asynchronous, since HQ and the desk it talks to run in this process. */
async function station(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'electron', 'cli', 'station.js'))) throw new Error('dist/ is missing: run "npm run build" first (npm test does)');
  const child = spawn(process.execPath, [STATION_BIN, ...args], { cwd: ROOT, env: { ...process.env, STATION_LOG_LEVEL: 'warn', HQ_DATABASE_URL: '' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { status, stdout, stderr };
}

describe('the built CLI', () => {
  it('`station hq key` rotates beside a serving HQ, `hq station relink` makes the code, and `station enroll` links the revoked desk again while the app runs', async () => {
    hq = await startHq();
    const dataDir = tempDir('station-relink-');
    core = await desk(hq, dataDir, { start: true });
    await bindPeople(core, 10, 5);
    await waitFor('uploaded', () => uploadedAll(core!));
    const stationId = hqStationId(core);

    const before = hq.server.fingerprint;
    const rotated = await station(['hq', 'key', 'rotate', '--data', hq.dataDir]);
    expect(rotated.status, rotated.stderr).toBe(0);
    expect(rotated.stdout).toContain(`(was ${before})`);
    await waitFor('the serving HQ signs with the new key', () => hq!.server.fingerprint !== before);
    // One change at a time (the server runs the same code as the command).
    expect(await hq.server.rotateKey()).toEqual({ ok: false, error: 'hq.keyRotationUnderWay' });
    await bindPeople(core, 5, 5, 10);
    await waitFor('the desk moved to the new key', () => core!.upload.status().hqFingerprint === hq!.server.fingerprint && uploadedAll(core!));
    await waitFor('HQ saw it move', async () => (await hq!.server.keyStatus()).stationsBehind.length === 0);
    const status = await station(['hq', 'key', 'status', '--data', hq.dataDir]);
    expect(status.stdout).toContain(`HQ's key: ${hq.server.fingerprint}`);
    expect(status.stdout).toContain('0 station(s) not yet on the new key');
    expect(await station(['hq', 'key', 'retire', '--data', hq.dataDir])).toMatchObject({ status: 0, stdout: expect.stringContaining(`previous key ${before} retired`) });
    expect(await hq.server.retireKey()).toEqual({ ok: false, error: 'hq.noRotation' });

    expect(await hq.server.revokeStation(stationId)).toMatchObject({ ok: true });
    await bindPeople(core, 5, 5, 20);
    await waitFor('told it is revoked', () => core!.upload.status().relink?.reason === 'station.revoked');
    expect(await hq.server.createRelinkCode('nobody')).toEqual({ ok: false, error: 'station.unknown' });
    const made = await station(['hq', 'station', 'relink', '--data', hq.dataDir, '--station', stationId]);
    expect(made.status, made.stderr).toBe(0);
    const code = made.stdout.split('\n')[0]!;
    expect(code.replace(/-/g, '').slice(12)).toBe(hq.server.fingerprint);

    // The app keeps running; the site admin links it again from the command line.
    const enrolled = await station(['enroll', '--data', dataDir, '--hq', hq.url, '--code', code, ...staffArgs()]);
    expect(enrolled.status, enrolled.stderr).toBe(0);
    expect(enrolled.stdout).toContain(`linked again at ${hq.url} as ${stationId}`);
    // The running app's agent starts again on the new link and sends what HQ does not hold.
    await waitFor('the rest uploaded by the running app', () => uploadedAll(core!), 60_000);
    expect(core.upload.status()).toMatchObject({ relink: null, hq: { stationId } });
    expect(await hqDigests(hq, stationId)).toEqual(stationDigests(core));
  }, 300_000);
});

describe('HQ migration 13 (hq-keys-and-relink)', () => {
  it('upgrades SQLite and PostgreSQL HQs in place: every station and code kept, none on a key yet, no re-link', async () => {
    for (const backend of ['sqlite', 'postgres'] as const) {
      const dataDir = tempDir('hq-keys-upgrade-');
      const databaseUrl = backend === 'postgres' ? await cluster!.createDatabase() : undefined;
      const first = await startHq({ dataDir, databaseUrl });
      const station1 = new SimStation(first.url);
      expect((await station1.enroll((await first.server.createEnrollmentCode(SITE.id, SITE.name)).code)).status).toBe(200);
      const unused = await first.server.createEnrollmentCode(SITE.id);
      await first.server.close();
      // Back to the schema before the migration, as an HQ of the previous release left it.
      const down = ['ALTER TABLE station DROP COLUMN hq_key', 'ALTER TABLE enrollment_code DROP COLUMN relink_station_id', 'DROP TABLE station_relink', ...HQ_UNDO_AFTER_13];
      if (databaseUrl) {
        const client = new pg.Client({ connectionString: databaseUrl });
        await client.connect();
        for (const sql of down) await client.query(sql);
        await client.query('UPDATE hq_schema SET version = 12');
        await client.end();
      } else {
        const db = new Database(path.join(dataDir, 'hq.sqlite'));
        for (const sql of down) db.exec(sql);
        db.pragma('user_version = 12');
        db.close();
      }
      hq = await startHq({ dataDir, databaseUrl });
      expect(await hq.server.store.station(station1.stationId)).toMatchObject({ id: station1.stationId, hqKey: null, revokedAt: null });
      // A code made before is an ordinary one, still usable; a re-link code can be made for the station.
      expect((await new SimStation(hq.url, '二号').enroll(unused.code)).status).toBe(200);
      expect(await hq.server.createRelinkCode(station1.stationId)).toMatchObject({ ok: true });
      expect((await hq.server.store.dashboard('2026-11-22')).stations.map((s) => s.relinkedAt)).toEqual([null, null]);
      await hq.server.close();
      hq = null;
    }
  });
});
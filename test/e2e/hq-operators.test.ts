import Database from 'better-sqlite3-multiple-ciphers';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StationCore } from '../../electron/core/core';
import { migrate } from '../../electron/core/db/migrations';
import { HQ_PATHS } from '../../hq/protocol';
import { HQ_PG_MIGRATIONS } from '../../hq/store/postgres-migrations';
import { HQ_SQLITE_MIGRATIONS } from '../../hq/store/sqlite-migrations';
import { ok, TEST_ADMIN, tempDir } from '../helpers/core';
import { startPostgres, type PgCluster } from '../helpers/postgres';
import { ROOT, STATION_BIN } from '../helpers/station-process';
import { siteDesk, startHq, waitFor, type RunningHq } from './upload-env';

const ADMIN = 'operators-admin-token';
const SITE = { id: 'site-ops', name: '操作员测试社区' };

let cluster: PgCluster | null = null;
beforeAll(async () => {
  cluster = await startPostgres({ fsync: false });
});
afterAll(async () => {
  await cluster?.stop();
});

/** What HQ sent the site: every `operator.state` feed item's payload, as stored. */
async function operatorFeed(hq: RunningHq): Promise<string[]> {
  return hq.server.store.sql.read(async (tx) => (await tx.all<{ payload: string }>(`SELECT payload FROM feed_item WHERE kind = 'operator.state' ORDER BY cursor`)).map((r) => r.payload));
}

describe.each(['sqlite', 'postgres'] as const)('a site’s operators, HQ on %s', (backend) => {
  let hq: RunningHq;
  const desks: StationCore[] = [];
  afterEach(async () => {
    for (const d of desks.splice(0)) d.close();
    await hq?.server.close();
  });

  async function admin(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(`${hq.url}${url}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` }, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }

  const knows = (core: StationCore, code: string, check: (o: { disabled: boolean; lockedOut: boolean; role: string }) => boolean = () => true) => () => {
    const found = core.operators.find({ code });
    return found !== null && check(found);
  };

  it('made at HQ or at a desk, changed anywhere: every desk of the site signs them in; only PIN hashes travel', async () => {
    const databaseUrl = backend === 'postgres' ? await cluster!.createDatabase() : undefined;
    hq = await startHq({ databaseUrl, adminToken: ADMIN });
    const deskA = await siteDesk(hq, SITE, desks);
    const deskB = await siteDesk(hq, SITE, desks);

    // HQ's staff add an operator (refused first: a PIN anyone would guess, a staff code in use).
    expect(await admin(HQ_PATHS.adminOperators, { siteId: SITE.id, name: '王采样', code: 'H001', role: 'sampler', badge: 'OP0055', pin: '123456' })).toMatchObject({ status: 400, json: { error: 'pin.tooCommon' } });
    expect((await admin(HQ_PATHS.adminOperators, { siteId: SITE.id, name: '王采样', code: 'H001', role: 'sampler', badge: 'OP0055', pin: '602948' })).status).toBe(200);
    expect(await admin(HQ_PATHS.adminOperators, { siteId: SITE.id, name: '李', code: 'H001', role: 'collector', pin: '602948' })).toMatchObject({ status: 409, json: { error: 'operator.codeTaken' } });
    expect(await admin(HQ_PATHS.adminOperators, { siteId: 'nowhere', name: '李', code: 'H002', role: 'collector', pin: '602948' })).toMatchObject({ status: 404 });
    await waitFor('HQ’s operator at both desks', () => knows(deskA, 'H001')() && knows(deskB, 'H001')(), 20_000);
    expect((await ok(deskB, 'operator.signIn', { badge: 'OP0055', pin: '602948' })).operator).toMatchObject({ code: 'H001', role: 'sampler' });
    await ok(deskB, 'operator.signIn', { code: TEST_ADMIN.code, pin: TEST_ADMIN.pin });

    // A site admin at desk A adds one: through the journal to HQ, and from HQ to desk B.
    await ok(deskA, 'operator.create', { name: '赵采集', code: 'S001', role: 'collector', pin: '471902' });
    await waitFor('desk A’s operator at desk B', knows(deskB, 'S001'), 20_000);
    const held = await hq.server.store.sql.read((tx) => tx.one<{ station_id: string | null; pin_hash: string }>(`SELECT station_id, pin_hash FROM site_operator WHERE code = 'S001'`));
    expect(held?.station_id).toBeTruthy();
    expect(held?.pin_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);

    // Locked out by wrong PINs at desk B: desk A hears of it; HQ unlocks, both hear of that.
    // (The ten wrong PINs themselves, with their growing waits, are the unit tests'; here the last one.)
    const s001 = deskB.operators.find({ code: 'S001' })!;
    await deskB.writer.run(() => deskB.operators.wrongPin(s001, 'code', 1, new Date().toISOString()));
    expect(deskB.operators.find({ code: 'S001' })?.lockedOut).toBe(true);
    await waitFor('the lock-out at desk A', knows(deskA, 'S001', (o) => o.lockedOut), 30_000);
    expect((await admin(`${HQ_PATHS.adminOperators}/change`, { siteId: SITE.id, code: 'S001', unlock: true })).status).toBe(200);
    await waitFor('the unlock at both desks', () => knows(deskA, 'S001', (o) => !o.lockedOut)() && knows(deskB, 'S001', (o) => !o.lockedOut)(), 20_000);
    expect((await ok(deskB, 'operator.signIn', { code: 'S001', pin: '471902' })).operator?.code).toBe('S001');

    // HQ disables and changes roles; a new PIN set at HQ works at the desks, the old one no longer.
    expect((await admin(`${HQ_PATHS.adminOperators}/change`, { siteId: SITE.id, code: 'H001', disabled: true })).status).toBe(200);
    expect((await admin(`${HQ_PATHS.adminOperators}/change`, { siteId: SITE.id, code: 'S001', role: 'gatekeeper', pin: '835201' })).status).toBe(200);
    await waitFor('the changes at desk A', () => knows(deskA, 'H001', (o) => o.disabled)() && knows(deskA, 'S001', (o) => o.role === 'gatekeeper')(), 20_000);
    expect((await deskA.call('operator.signIn', { code: 'H001', pin: '602948' })).ok).toBe(false);
    expect((await ok(deskA, 'operator.signIn', { code: 'S001', pin: '835201' })).operator?.role).toBe('gatekeeper');

    const sent = await operatorFeed(hq);
    expect(sent.length).toBeGreaterThanOrEqual(5);
    for (const payload of sent) {
      expect(payload).toMatch(/"pinHash":"\$argon2id\$/);
      for (const pin of ['602948', '471902', '835201', TEST_ADMIN.pin]) expect(payload).not.toContain(pin);
    }

    // The dashboard's page lists them; a form adds one.
    const page = await fetch(`${hq.url}/dashboard/operators/${SITE.id}?lang=en`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain('data-operator="H001"');
    expect(html).toContain('data-operator="S001"');
    const form = new URLSearchParams({ name: '周', code: 'D001', role: 'transporter', badge: '', pin: '915372', pinAgain: '915372' });
    const posted = await fetch(`${hq.url}/dashboard/operators/${SITE.id}?lang=en`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString(), redirect: 'manual' });
    expect(posted.headers.get('location')).toContain('posted=operator.ok');
    const mismatch = await fetch(`${hq.url}/dashboard/operators/${SITE.id}/pin?lang=en`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ code: 'D001', pin: '915372', pinAgain: '915373' }).toString(),
      redirect: 'manual',
    });
    expect(mismatch.headers.get('location')).toContain('posted=pin.mismatch');
    await waitFor('the dashboard’s operator at desk B', knows(deskB, 'D001'), 20_000);
  }, 120_000);

  it('the command line adds and changes a site’s operators, the PIN from a file, never from the command line', async () => {
    const databaseUrl = backend === 'postgres' ? await cluster!.createDatabase() : undefined;
    hq = await startHq({ databaseUrl, adminToken: ADMIN });
    await hq.server.createEnrollmentCode(SITE.id, SITE.name);
    const pinFile = path.join(tempDir('hq-op-pin-'), 'pin');
    fs.writeFileSync(pinFile, '580317\n', { mode: 0o600 });
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [STATION_BIN, 'hq', 'operator', ...args, '--data', hq.dataDir, '--site', SITE.id], {
        cwd: ROOT,
        encoding: 'utf8',
        env: { ...process.env, ...(databaseUrl ? { HQ_DATABASE_URL: databaseUrl } : {}) },
        input: '',
      });
    const added = cli('add', '--code', 'C010', '--name', '孙', '--role', 'collector', '--pin-file', pinFile);
    expect(added.stderr).toBe('');
    expect(added.stdout).toContain('added C010');
    expect(cli('add', '--code', 'C011', '--name', '钱', '--role', 'collector', '--pin', '580317').status).not.toBe(0);
    fs.writeFileSync(pinFile, '111111\n');
    expect(cli('pin', '--code', 'C010', '--pin-file', pinFile).stderr).toContain('too easy to guess');
    expect(cli('role', '--code', 'C010', '--role', 'admin').status).toBe(0);
    expect(cli('disable', '--code', 'C010').status).toBe(0);
    expect(cli('list').stdout).toMatch(/^C010\tadmin\tdisabled\t\t孙$/m);
    expect(cli('unlock', '--code', 'C999').stderr).toContain('no operator of this site has that staff code');
    // Seven runs of the command, each a whole Node start: far from a second each on a busy machine.
  }, 180_000);
});

describe('HQ migration 12 (site operators)', () => {
  let hqSqlite: RunningHq | null = null;
  afterEach(async () => {
    await hqSqlite?.server.close();
    hqSqlite = null;
  });

  it('upgrades an SQLite HQ of version 11 in place, nothing lost', async () => {
    const dir = tempDir('hq-migrate-ops-');
    const db = new Database(path.join(dir, 'hq.sqlite'));
    migrate(db, 11, HQ_SQLITE_MIGRATIONS);
    db.exec(`INSERT INTO site (id, name, config, at) VALUES ('a', '东区', NULL, 'now');`);
    db.close();
    hqSqlite = await startHq({ dataDir: dir });
    expect(await hqSqlite.server.store.sql.read((tx) => tx.all('SELECT id, name FROM site'))).toEqual([{ id: 'a', name: '东区' }]);
    expect(await hqSqlite.server.store.sql.read((tx) => tx.all('SELECT * FROM site_operator'))).toEqual([]);
  });

  it('upgrades a PostgreSQL HQ of version 11 in place, nothing lost', async () => {
    const databaseUrl = await cluster!.createDatabase();
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      await client.query('CREATE TABLE hq_schema (version INTEGER NOT NULL)');
      for (const m of HQ_PG_MIGRATIONS.slice(0, 11)) await m.up(client as unknown as pg.PoolClient);
      await client.query('INSERT INTO hq_schema VALUES (11)');
      await client.query(`INSERT INTO site VALUES ('a', '东区', NULL, 'now')`);
    } finally {
      await client.end();
    }
    hqSqlite = await startHq({ dataDir: tempDir('hq-pg-ops-'), databaseUrl });
    expect(await hqSqlite.server.store.sql.read((tx) => tx.all('SELECT id, name FROM site'))).toEqual([{ id: 'a', name: '东区' }]);
    expect(await hqSqlite.server.store.sql.read((tx) => tx.one<{ version: number }>('SELECT max(version) AS version FROM hq_schema'))).toEqual({ version: HQ_PG_MIGRATIONS.length });
  });
});


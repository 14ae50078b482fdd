import net from 'node:net';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HEADER_STATION_ID, HQ_PATHS } from '../../hq/protocol';
import { createHqServer, type HqServer, type HqServerOptions } from '../../hq/server';
import { tempDir } from '../helpers/core';
import { SimStation, samplingJournal } from '../unit/hq/fixtures';
import { HQ_UNDO_AFTER_13 } from '../unit/hq/gate-fixtures';
import { startPostgres, type PgCluster } from '../helpers/postgres';

const ADMIN = 'hardening-admin-token';
let hq: HqServer | undefined;
let cluster: PgCluster | undefined;

beforeAll(async () => {
  cluster = await startPostgres({ fsync: false });
});
afterAll(async () => {
  await cluster?.stop();
});
afterEach(async () => {
  await hq?.close();
  hq = undefined;
});

async function serve(options: Partial<HqServerOptions> = {}): Promise<string> {
  hq = await createHqServer({ dataDir: tempDir('hq-hardening-'), adminToken: ADMIN, ...options });
  return hq.listen(0);
}

/** A raw client that sends `bytes` and then nothing: how long until HQ hangs up, and what it said. */
function stall(base: string, bytes: string): Promise<{ closedAfterMs: number; answer: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let answer = '';
    const socket = net.connect(Number(port), hostname, () => socket.write(bytes));
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (answer += d));
    socket.on('error', reject);
    socket.on('close', () => resolve({ closedAfterMs: Date.now() - started, answer }));
  });
}

describe('HQ against slow and greedy clients', () => {
  it('hangs up on a client that never finishes its headers, or its body', async () => {
    const base = await serve({ timeouts: { headersMs: 500, requestMs: 1_000 } });
    const headers = await stall(base, `POST ${HQ_PATHS.batches} HTTP/1.1\r\nHost: hq\r\ncontent-type: application/json\r\n`);
    // Node checks once a second (connectionsCheckingInterval): a bound, not a timing.
    expect(headers.closedAfterMs).toBeLessThan(5_000);
    expect(headers.answer).toMatch(/^HTTP\/1\.1 408/);
    const body = await stall(base, `POST ${HQ_PATHS.batches} HTTP/1.1\r\nHost: hq\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"type":`);
    expect(body.closedAfterMs).toBeLessThan(6_000);
    expect(body.answer).toMatch(/^HTTP\/1\.1 408/);
    expect(hq!.ingestInFlight()).toBe(0);
  });

  it('answers 429 rate.limited with Retry-After past the limits of an address and of a station', async () => {
    const base = await serve({ rateLimits: { perAddress: 8, perStation: 2 } });
    const { code } = await hq!.createEnrollmentCode('site-a', '幸福社区');
    const station = new SimStation(base);
    expect((await station.enroll(code)).status).toBe(200);
    // Counted once the signature holds: two feed pages, then the station waits.
    expect((await station.feed(0)).status).toBe(200);
    expect((await station.feed(0)).status).toBe(200);
    const limited = await station.send(station.sign('GET', `${HQ_PATHS.feed}?after=0`, Buffer.alloc(0)));
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.json).toMatchObject({ error: 'rate.limited' });
    // A request only naming the station (unsigned) never spends its share: it is refused as unsigned.
    expect((await fetch(`${base}${HQ_PATHS.feed}?after=0`, { headers: { [HEADER_STATION_ID]: station.stationId } })).status).toBe(401);
    // The address: 8 requests in the window (enroll, 3 feeds, the unsigned one, 3 more), then 429 for anything.
    for (let i = 0; i < 3; i++) expect((await fetch(`${base}/login`)).status).toBe(200);
    const addressLimited = await fetch(`${base}/login`);
    expect(addressLimited.status).toBe(429);
    expect(addressLimited.headers.get('retry-after')).not.toBeNull();
    expect(await addressLimited.json()).toMatchObject({ error: 'rate.limited' });
  });

  it('sets no limit a busy site reaches by default', async () => {
    const base = await serve();
    const answers = await Promise.all(Array.from({ length: 300 }, () => fetch(`${base}${HQ_PATHS.feed}?after=0`, { headers: { [HEADER_STATION_ID]: 'st-1' } })));
    expect(answers.filter((a) => a.status === 429)).toEqual([]);
  });
});

describe('dashboard sessions', () => {
  it('end after idle time and after their absolute limit, and a forged or replayed-late cookie opens nothing', async () => {
    let clock = Date.parse('2026-06-01T08:00:00Z');
    const base = await serve({ now: () => clock, sessionIdleMs: 30 * 60_000, sessionMaxMs: 2 * 3600_000 });
    const login = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${ADMIN}`, redirect: 'manual' });
    const setCookie = login.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Max-Age=1800/);
    let cookie = setCookie.split(';')[0]!;
    const open = async () => {
      const res = await fetch(`${base}/dashboard`, { headers: { cookie }, redirect: 'manual' });
      const renewed = res.headers.get('set-cookie');
      if (renewed) cookie = renewed.split(';')[0]!;
      return res.status;
    };
    expect(await open()).toBe(200);
    const first = cookie;
    // Used every 20 minutes: kept open until the absolute limit (2 h).
    for (let i = 0; i < 6; i++) {
      clock += 20 * 60_000;
      expect(await open()).toBe(200);
    }
    clock += 20 * 60_000;
    expect(await open()).toBe(303);
    // An old cookie past its idle limit is refused even though its signature holds.
    cookie = first;
    expect(await open()).toBe(303);

    const again = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${ADMIN}`, redirect: 'manual' });
    cookie = again.headers.get('set-cookie')!.split(';')[0]!;
    expect(await open()).toBe(200);
    clock += 31 * 60_000;
    expect(await open()).toBe(303);
    // A cookie made up from the visible parts, without HQ's signature.
    cookie = `hq_session=${clock}.${clock}`;
    expect(await open()).toBe(303);
  });
});

describe('HQ on PostgreSQL when its connections break', () => {
  it('logs a connection lost while idle, stays up, and the next request works on a new connection', async () => {
    const databaseUrl = await cluster!.createDatabase();
    const base = await serve({ databaseUrl });
    const dashboard = () => fetch(`${base}${HQ_PATHS.adminCodes}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ siteId: 'site-a', siteName: '幸福社区' }) });
    expect((await dashboard()).status).toBe(200);
    // Every connection HQ holds is ended from the server's side, as a restart or failover would.
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    const ended = await admin.query<{ n: string }>('SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
    await admin.end();
    expect(Number(ended.rows[0]!.n)).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await dashboard()).status).toBe(200);
  });
});

describe.each(['sqlite', 'postgres'] as const)('feed pages on %s', (backend) => {
  it('are bounded by bytes: a large key-person list comes alone and the items behind it on the next page', async () => {
    const base = await serve({ databaseUrl: backend === 'postgres' ? await cluster!.createDatabase() : undefined });
    const { code } = await hq!.createEnrollmentCode('site-a', '幸福社区');
    const station = new SimStation(base);
    expect((await station.enroll(code)).status).toBe(200);
    const post = (listId: string, count: number, reason = 'x'.repeat(120)) =>
      fetch(`${base}${HQ_PATHS.adminKeyPersons}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ siteId: 'site-a', listId, persons: Array.from({ length: count }, (_, i) => ({ idNumber: `P${i}`, name: '某某', reason })) }),
      });
    expect((await post('big', 36_000)).status).toBe(200); // about 6 MiB
    expect((await post('small', 2)).status).toBe(200);
    expect((await post('small-2', 2)).status).toBe(200);
    // A list a station could not read in one answer is refused whole.
    const huge = await post('huge', 50_000, 'x'.repeat(200));
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ error: 'body.tooLarge' });

    const kinds = (page: { json: Record<string, unknown> }) => (page.json.items as { kind: string; payload: { listId?: string } }[]).map((i) => i.payload.listId ?? i.kind);
    const first = await station.feed(0, 1000);
    expect(first.status).toBe(200);
    expect(kinds(first).filter((k) => k.startsWith('small') || k === 'big')).toEqual(['big']);
    const second = await station.feed(first.json.nextCursor as number, 1000);
    expect(kinds(second)).toEqual(['small', 'small-2']);
    expect((await station.feed(second.json.nextCursor as number, 1000)).json.items).toEqual([]);
  });
});

describe.each(['sqlite', 'postgres'] as const)('station revocation on %s', (backend) => {
  it('refuses a revoked station’s batches and feed with station.revoked, to that station only; dashboard and API revoke', async () => {
    const base = await serve({ databaseUrl: backend === 'postgres' ? await cluster!.createDatabase() : undefined });
    const { code } = await hq!.createEnrollmentCode('site-a', '幸福社区');
    const station = new SimStation(base);
    expect((await station.enroll(code)).status).toBe(200);
    const other = new SimStation(base, '采样台 2');
    expect((await other.enroll((await hq!.createEnrollmentCode('site-a')).code)).status).toBe(200);
    const records = samplingJournal(6);
    expect((await station.upload(records.slice(0, 3))).status).toBe(200);

    const revoke = await fetch(`${base}${HQ_PATHS.adminStations}/revoke`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ stationId: station.stationId }) });
    expect(revoke.status).toBe(200);
    const refused = await station.upload(records.slice(3));
    expect(refused.status).toBe(403);
    expect(refused.json).toMatchObject({ error: 'station.revoked' });
    expect((await station.feed(0)).json).toMatchObject({ error: 'station.revoked' });
    // What it sent before stays; other stations go on.
    expect(await hq!.store.holdings(station.stationId)).toMatchObject({ records: 3, maxSeq: 3 });
    expect((await other.upload(records.slice(0, 2))).status).toBe(200);
    // Only the station itself learns it: an unsigned request is refused as unsigned.
    expect((await fetch(`${base}${HQ_PATHS.feed}?after=0`, { headers: { [HEADER_STATION_ID]: station.stationId } })).status).toBe(401);

    // The dashboard asks for a typed confirmation, then revokes.
    const login = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${ADMIN}`, redirect: 'manual' });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const dashboard = async (lang: 'en' | 'zh-CN') => (await fetch(`${base}/dashboard?lang=${lang}`, { headers: { cookie } })).text();
    const revokeForm = (html: string) => /<form[^>]*data-form="revoke"[\s\S]*?<\/form>/.exec(html)?.[0] ?? null;
    // The revoked station is marked with the day it was revoked, and offered for revocation no more; the other still is.
    const revokedAt = (await hq!.store.station(station.stationId))!.revokedAt!;
    const shown = `${new Date(Date.parse(revokedAt) + 8 * 3600_000).toISOString().slice(0, 10)}`;
    const en = await dashboard('en');
    expect(en).toMatch(new RegExp(`data-revoked="${station.stationId}">revoked on ${shown} \\d\\d:\\d\\d:\\d\\d</span>`));
    expect(en).not.toContain(`data-revoked="${other.stationId}"`);
    expect(revokeForm(en)).toContain(`value="${other.stationId}"`);
    expect(revokeForm(en)).not.toContain(`value="${station.stationId}"`);
    expect(await dashboard('zh-CN')).toMatch(new RegExp(`data-revoked="${station.stationId}">已于 ${shown.slice(5)} \\d\\d:\\d\\d:\\d\\d 吊销</span>`));
    const form = (confirm: string) =>
      fetch(`${base}/dashboard/stations/revoke?lang=en`, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: `stationId=${other.stationId}&confirm=${confirm}`, redirect: 'manual' });
    expect((await form('yes')).headers.get('location')).toContain('posted=station.revokeUnconfirmed');
    expect((await other.upload(records.slice(2, 3))).status).toBe(200);
    expect((await form('REVOKE')).headers.get('location')).toContain('posted=station.revoked');
    expect((await other.feed(0)).json).toMatchObject({ error: 'station.revoked' });
    const page = await (await fetch(`${base}/dashboard?lang=en&posted=station.revoked`, { headers: { cookie } })).text();
    expect(page).toContain('Revoked: everything this station sends from now on is refused');
    // Both revoked: both marked, and no station left to revoke.
    expect(page).toContain(`data-revoked="${other.stationId}"`);
    expect(revokeForm(page)).toBeNull();
    expect((await fetch(`${base}${HQ_PATHS.adminStations}/revoke`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ stationId: 'nobody' }) })).status).toBe(404);
  });
});

describe('HQ migration 10 (hq-station-revoked)', () => {
  it('upgrades SQLite and PostgreSQL HQs in place: every station kept, none revoked', async () => {
    for (const backend of ['sqlite', 'postgres'] as const) {
      const dataDir = tempDir('hq-revoked-upgrade-');
      const databaseUrl = backend === 'postgres' ? await cluster!.createDatabase() : undefined;
      const before = await createHqServer({ dataDir, databaseUrl });
      const { code } = await before.createEnrollmentCode('site-a', '幸福社区');
      const base = await before.listen(0);
      const station = new SimStation(base);
      expect((await station.enroll(code)).status).toBe(200);
      expect((await station.upload(samplingJournal(3))).status).toBe(200);
      // Back to the schema before the migration, as an HQ of the previous release left it.
      await before.store.sql.transaction(async (tx) => {
        await tx.run('ALTER TABLE station DROP COLUMN revoked_at');
        // And of the changes that came after it (11: the journal chain, 12: the site's operators, 13: HQ's keys and re-links).
        for (const sql of [
          'ALTER TABLE record DROP COLUMN chain_hash',
          'ALTER TABLE station DROP COLUMN chain_head',
          'ALTER TABLE station DROP COLUMN chain_error',
          'DROP TABLE site_operator',
          'ALTER TABLE station DROP COLUMN hq_key',
          'ALTER TABLE enrollment_code DROP COLUMN relink_station_id',
          'DROP TABLE station_relink',
          ...HQ_UNDO_AFTER_13,
        ]) {
          await tx.run(sql);
        }
        await tx.run(backend === 'postgres' ? 'UPDATE hq_schema SET version = 9' : 'PRAGMA user_version = 9');
      });
      await before.close();
      hq = await createHqServer({ dataDir, databaseUrl });
      await hq.listen(Number(new URL(base).port));
      const row = await hq.store.station(station.stationId);
      expect(row).toMatchObject({ id: station.stationId, revokedAt: null, ackedThrough: 3 });
      // The connection the client kept alive died with the HQ before; a station's agent tries again, so does this.
      const upload = () => station.upload(samplingJournal(5).slice(3));
      expect((await upload().catch(upload)).status).toBe(200);
      await hq.close();
      hq = undefined;
    }
  });
});

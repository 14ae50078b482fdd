/**
 * Ledger imports at HQ beside other HQ processes and staff: an import being read is never given
 * up by a CLI command or a second HQ on the same data, one discarded while it is read stays
 * discarded, uploaded ledgers (full ID numbers and phones) do not stay on disk, the admin API takes
 * a district's ledger, two versions never both become a site's roster, and a station's roster
 * parts count once.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkCharacter } from '../../electron/core/person/gb11643';
import { applyRosterImport, finishRosterImport, rosterImport } from '../../hq/domains/roster';
import { HQ_PATHS, type BatchRecord } from '../../hq/protocol';
import { importLedgerAtHq } from '../../hq/roster-import';
import { createHqServer, type HqServer } from '../../hq/server';
import type { HqStore } from '../../hq/store/types';
import { tempDir } from '../helpers/core';
import { startPostgres, type PgCluster } from '../helpers/postgres';
import { SimStation } from '../unit/hq/fixtures';

const ADMIN = 'roster-import-admin';
let cluster: PgCluster | null = null;
beforeAll(async () => {
  cluster = await startPostgres({ fsync: false });
});
afterAll(async () => {
  await cluster?.stop();
});

/** A valid ID number for resident n (unique for n below a million). */
function idNumber(n: number): string {
  const day = new Date(Date.UTC(1950, 0, 1) + Math.floor(n / 1000) * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
  const first17 = `110105${day}${String(n % 1000).padStart(3, '0')}`;
  return first17 + checkCharacter(first17);
}

function ledger(rows: number, opts: { header?: string; from?: number; note?: string } = {}): Buffer {
  const lines = [opts.header ?? '姓名,身份证号,楼栋,单元,房号,备注'];
  const from = opts.from ?? 0;
  for (let n = from; n < from + rows; n++) lines.push(`居民${n},${idNumber(n)},${1 + (n % 20)},1,${101 + (n % 50)},${opts.note ?? ''}`);
  return Buffer.from(lines.join('\n'));
}

function ledgerFile(rows: number): string {
  const file = path.join(tempDir('hq-ledger-'), 'ledger.csv');
  fs.writeFileSync(file, ledger(rows));
  return file;
}

/** The store with its second bulk write of roster rows held until `release`: the import is then `reading`, 10,000 rows in. */
function heldStore(store: HqStore): { store: HqStore; atGate: Promise<void>; release(): void } {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let reached!: () => void;
  const atGate = new Promise<void>((r) => (reached = r));
  let calls = 0;
  return {
    store: {
      ...store,
      addRosterRows: async (importId, rows) => {
        if (++calls === 2) {
          reached();
          await gate;
        }
        return store.addRosterRows(importId, rows);
      },
    },
    atGate,
    release,
  };
}

async function residentsOf(store: HqStore, importId: string): Promise<number> {
  return store.sql.read(async (tx) => Number((await tx.one<{ n: number | string }>('SELECT count(*) AS n FROM roster_resident WHERE import_id = @importId', { importId }))!.n));
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(['sqlite', 'postgres'] as const)('ledger imports at HQ on %s', (backend) => {
  const servers: HqServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0).reverse()) await s.close();
  });

  async function hqOn(options: { dataDir?: string; databaseUrl?: string | undefined; now?: () => number; oneShot?: boolean; maxLedgerBytes?: number; maxExportRows?: number } = {}) {
    const dataDir = options.dataDir ?? tempDir('hq-roster-');
    const databaseUrl = 'databaseUrl' in options ? options.databaseUrl : backend === 'postgres' ? await cluster!.createDatabase() : undefined;
    const server = await createHqServer({ ...options, dataDir, databaseUrl, adminToken: ADMIN });
    servers.push(server);
    return { server, dataDir, databaseUrl };
  }

  async function served(options: Parameters<typeof hqOn>[0] = {}) {
    const hq = await hqOn(options);
    const url = await hq.server.listen(0);
    const login = await fetch(`${url}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${ADMIN}`, redirect: 'manual' });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    return { ...hq, url, cookie };
  }

  function adminImport(url: string, body: Buffer | ReadableStream<Uint8Array>, query = '', headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${url}${HQ_PATHS.adminRoster}?siteId=site-r&fileName=ledger.csv${query}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/octet-stream', ...headers },
      body,
      ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
    } as RequestInit);
  }

  /** Uploads a ledger on the dashboard; the import's id. */
  async function dashboardUpload(url: string, cookie: string, csv: Buffer): Promise<string> {
    const form = new FormData();
    form.set('siteId', 'site-r');
    form.set('ledger', new Blob([csv]), '台账.csv');
    const res = await fetch(`${url}/dashboard/roster?lang=en`, { method: 'POST', headers: { cookie }, body: form, redirect: 'manual' });
    expect(res.status).toBe(303);
    const m = /\/dashboard\/roster\/([^?]+)/.exec(res.headers.get('location') ?? '');
    if (!m) throw new Error(`no import: ${res.headers.get('location')}`);
    return m[1]!;
  }

  const stateOf = async (server: HqServer, id: string) => (await server.store.sql.read((tx) => rosterImport(tx, id)))?.state;
  const uploadsOf = (dataDir: string) => fs.readdirSync(path.join(dataDir, 'uploads'));

  it('a second HQ and a CLI command started on the same data leave a ledger being read alone: it ends ready with every row', async () => {
    const { server, dataDir, databaseUrl } = await hqOn();
    await server.createEnrollmentCode('site-r', '台账社区');
    const held = heldStore(server.store);
    const reading = importLedgerAtHq(held.store, { siteId: 'site-r', file: ledgerFile(30_000), fileName: 'ledger.csv', at: new Date().toISOString() });
    await held.atGate;
    const [imp] = await server.store.sql.read((tx) => tx.all<{ id: string }>(`SELECT id FROM roster_import WHERE state = 'reading'`));
    // Both start (and the serving one looks for dead imports) while the import is part way through.
    await hqOn({ dataDir, databaseUrl });
    await hqOn({ dataDir, databaseUrl, oneShot: true });
    expect(await stateOf(server, imp!.id)).toBe('reading');
    expect(await residentsOf(server.store, imp!.id)).toBe(10_000);
    held.release();
    const result = await reading;
    expect(result).toMatchObject({ id: imp!.id, state: 'ready', totalRows: 30_000, residents: 30_000 });
    expect(await residentsOf(server.store, imp!.id)).toBe(30_000);
  });

  it('gives up an import whose reader stopped long ago; a reader still going then stops and never makes it ready', async () => {
    const { server, dataDir, databaseUrl } = await hqOn();
    await server.createEnrollmentCode('site-r', '台账社区');
    const held = heldStore(server.store);
    const reading = importLedgerAtHq(held.store, { siteId: 'site-r', file: ledgerFile(30_000), fileName: 'ledger.csv', at: new Date().toISOString() });
    await held.atGate;
    const [imp] = await server.store.sql.read((tx) => tx.all<{ id: string }>(`SELECT id FROM roster_import WHERE state = 'reading'`));
    // A one-shot instance never gives anything up, however old its heartbeat looks.
    const later = () => Date.now() + 10 * 60_000;
    await hqOn({ dataDir, databaseUrl, oneShot: true, now: later });
    expect(await stateOf(server, imp!.id)).toBe('reading');
    // A serving HQ whose clock says ten minutes passed without a heartbeat gives it up.
    await hqOn({ dataDir, databaseUrl, now: later });
    expect(await server.store.sql.read((tx) => rosterImport(tx, imp!.id))).toMatchObject({ state: 'failed', failure: { code: 'internal' } });
    expect(await residentsOf(server.store, imp!.id)).toBe(0);
    held.release();
    const result = await reading;
    expect(result.state).toBe('failed');
    expect(await residentsOf(server.store, imp!.id)).toBe(0);
    // Finishing it anyway changes nothing.
    const finished = await server.store.sql.transaction((tx) =>
      finishRosterImport(tx, imp!.id, 'reading', { totalRows: 1, refused: 0, warned: 0, duplicates: new Map(), headers: [], plan: null, at: new Date().toISOString() }),
    );
    expect(finished).toBeNull();
    expect(await stateOf(server, imp!.id)).toBe('failed');
  });

  it('keeps a discard made on the dashboard while the ledger is read', async () => {
    const { server, url, cookie } = await served();
    await server.createEnrollmentCode('site-r', '台账社区');
    const held = heldStore(server.store);
    let importId = '';
    const reading = importLedgerAtHq(held.store, { siteId: 'site-r', file: ledgerFile(30_000), fileName: 'ledger.csv', at: new Date().toISOString(), onStarted: (id) => (importId = id) });
    await held.atGate;
    const page = await fetch(`${url}/dashboard/roster/${importId}?lang=en`, { headers: { cookie } });
    expect(await page.text()).toContain('Stop reading; import nothing');
    const discarded = await fetch(`${url}/dashboard/roster/${importId}/discard?lang=en`, { method: 'POST', headers: { cookie }, redirect: 'manual' });
    expect(discarded.headers.get('location')).toContain('posted=roster.discarded');
    held.release();
    expect((await reading).state).toBe('discarded');
    expect(await residentsOf(server.store, importId)).toBe(0);
  });

  it('keeps no uploaded ledger longer than its import needs it, across a restart too', async () => {
    const first = await served();
    await first.server.createEnrollmentCode('site-r', '台账社区');
    const { dataDir, databaseUrl } = first;
    // "who" is not a header HQ knows: the import waits for staff to say it is the name.
    const unnamed = ledger(20, { header: 'who,身份证号,楼栋,单元,房号,备注' });
    const waiting = await dashboardUpload(first.url, first.cookie, unnamed);
    await until('headers to map', async () => (await stateOf(first.server, waiting)) === 'needsMapping');
    expect(uploadsOf(dataDir)).toHaveLength(1);
    const kept = uploadsOf(dataDir)[0]!;

    // HQ restarts: the file of the import still waiting stays; a stray one from before goes.
    const stray = path.join(dataDir, 'uploads', 'left-by-a-crash');
    fs.writeFileSync(stray, '姓名,身份证号\n张三,110105194912310021\n');
    const hourAgo = new Date(Date.now() - 3600_000);
    fs.utimesSync(stray, hourAgo, hourAgo);
    fs.utimesSync(path.join(dataDir, 'uploads', kept), hourAgo, hourAgo);
    await first.server.close();
    servers.splice(servers.indexOf(first.server), 1);
    const second = await served({ dataDir, databaseUrl });
    expect(uploadsOf(dataDir)).toEqual([kept]);

    // Mapped after the restart: read again from that file, which goes once read.
    const mapped = await fetch(`${second.url}/dashboard/roster/${waiting}/map?lang=en`, {
      method: 'POST',
      headers: { cookie: second.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'h:who=name&h:%E5%A4%87%E6%B3%A8=ignore',
      redirect: 'manual',
    });
    const next = /\/dashboard\/roster\/([^?]+)/.exec(mapped.headers.get('location') ?? '')?.[1];
    expect(next, mapped.headers.get('location') ?? '').toBeDefined();
    await until('the mapped import read', async () => (await stateOf(second.server, next!)) === 'ready');
    expect(await second.server.store.sql.read((tx) => rosterImport(tx, next!))).toMatchObject({ residents: 20 });
    expect(await stateOf(second.server, waiting)).toBe('discarded');
    await until('the file deleted', async () => uploadsOf(dataDir).length === 0);

    // Discarded while it waits for its headers: its file goes at once.
    const other = await dashboardUpload(second.url, second.cookie, unnamed);
    await until('headers to map', async () => (await stateOf(second.server, other)) === 'needsMapping');
    expect(uploadsOf(dataDir)).toHaveLength(1);
    await fetch(`${second.url}/dashboard/roster/${other}/discard?lang=en`, { method: 'POST', headers: { cookie: second.cookie }, redirect: 'manual' });
    expect(await stateOf(second.server, other)).toBe('discarded');
    expect(uploadsOf(dataDir)).toEqual([]);

    // Over the admin API the headers to map are answered and nothing is kept: the caller sends it again with `mapping`.
    const answer = (await (await adminImport(second.url, unnamed)).json()) as { ok: boolean; roster: { id: string; state: string; unmapped: string[] } };
    expect(answer).toMatchObject({ ok: false, roster: { state: 'needsMapping', unmapped: ['who', '备注'] } });
    expect(await stateOf(second.server, answer.roster.id)).toBe('discarded');
    expect(uploadsOf(dataDir)).toEqual([]);

    // One nobody maps for a day is discarded with its file.
    const forgotten = await dashboardUpload(second.url, second.cookie, unnamed);
    await until('headers to map', async () => (await stateOf(second.server, forgotten)) === 'needsMapping');
    await hqOn({ dataDir, databaseUrl, now: () => Date.now() + 25 * 3600_000 });
    expect(await stateOf(second.server, forgotten)).toBe('discarded');
    expect(uploadsOf(dataDir)).toEqual([]);
  });

  it('takes a ledger over 16 MB on the admin API, up to the dashboard limit, and answers malformed mapping with 400', async () => {
    const { server, url, dataDir } = await served({ maxLedgerBytes: 24 * 1024 * 1024 });
    await server.createEnrollmentCode('site-r', '台账社区');
    // 1,000 residents with a long note each: about 20 MB, past the 16 MiB of a signed request.
    const big = ledger(1000, { note: '备'.repeat(7000) });
    expect(big.length).toBeGreaterThan(16 * 1024 * 1024);
    const res = await adminImport(url, big);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, roster: { state: 'ready', residents: 1000 } });
    // Past the limit: refused before it is read when its length is given, and after when it is not.
    const huge = Buffer.concat([big, big]);
    const declared = await adminImport(url, huge);
    expect(declared.status).toBe(413);
    expect(await declared.json()).toMatchObject({ error: 'body.tooLarge' });
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < huge.length; i += 1 << 20) c.enqueue(huge.subarray(i, i + (1 << 20)));
        c.close();
      },
    });
    const chunked = await adminImport(url, stream);
    expect(chunked.status).toBe(413);
    expect(await chunked.json()).toMatchObject({ error: 'body.tooLarge' });
    await until('uploads deleted', async () => uploadsOf(dataDir).length === 0);

    const bad = await adminImport(url, ledger(3), `&mapping=${encodeURIComponent('{"who":')}`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'body.invalid' });
    const unknownField = await adminImport(url, ledger(3), `&mapping=${encodeURIComponent('{"who":"surname"}')}`);
    expect(unknownField.status).toBe(400);
  });

  it('never makes two versions a site’s roster at once: staff applying several while a station’s roster completes', async () => {
    const { server, url } = await served();
    const { code } = await server.createEnrollmentCode('site-r', '台账社区');
    const station = new SimStation(url);
    expect((await station.enroll(code)).status).toBe(200);
    const readyImports = async (round: number): Promise<string[]> => {
      const ids: string[] = [];
      for (let k = 0; k < 6; k++) {
        const file = path.join(tempDir('hq-ledger-'), 'l.csv');
        fs.writeFileSync(file, ledger(3, { from: 1000 * round + 10 * k }));
        ids.push((await importLedgerAtHq(server.store, { siteId: 'site-r', file, fileName: `l${k}.csv`, at: new Date().toISOString() })).id);
      }
      return ids;
    };
    // Connections open before the race, so that the transactions really overlap.
    await Promise.all(Array.from({ length: 8 }, () => server.store.sql.transaction((tx) => tx.one('SELECT 1 AS x'))));
    let seq = 0;
    for (let round = 0; round < 4; round++) {
      const ready = await readyImports(round);
      const deskRoster = randomUUID();
      const at = new Date().toISOString();
      const records: BatchRecord[] = [
        { seq: ++seq, kind: 'roster.committed', entityId: deskRoster, operatorId: 'op-1', at, payload: { siteId: 'site-r', rows: 2, fileName: 'desk.csv', entries: 1 } },
        {
          seq: ++seq,
          kind: 'roster.rows',
          entityId: deskRoster,
          operatorId: 'op-1',
          at,
          payload: { part: 0, rows: [[idNumber(900 + round * 2), '赵六', null, '3', '1', '301', 0], [idNumber(901 + round * 2), '钱七', null, '3', '1', '302', 0]] },
        },
      ];
      const [uploaded, ...applied] = await Promise.all([
        station.upload(records),
        ...ready.map((id) => server.store.sql.transaction((tx) => applyRosterImport(tx, id, new Date().toISOString()))),
      ]);
      expect(uploaded!.status).toBe(200);
      expect(applied.every((a) => a.ok)).toBe(true);
      const current = await server.store.sql.read((tx) => tx.all<{ id: string }>(`SELECT id FROM roster_import WHERE site_id = 'site-r' AND state = 'current'`));
      expect(current).toHaveLength(1);
    }
  });

  it('counts a station’s roster part once, and ignores a part that is not the next', async () => {
    const { server, url } = await served();
    const { code } = await server.createEnrollmentCode('site-r', '台账社区');
    const station = new SimStation(url);
    expect((await station.enroll(code)).status).toBe(200);
    const version = randomUUID();
    const at = new Date().toISOString();
    const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => [idNumber(from + i), `居民${from + i}`, null, '1', '1', String(101 + i), 0]);
    let seq = 0;
    const record = (kind: string, payload: Record<string, unknown>): BatchRecord => ({ seq: ++seq, kind, entityId: version, operatorId: 'op-1', at, payload });
    const stateNow = async () => server.store.sql.read((tx) => rosterImport(tx, version));
    expect((await station.upload([record('roster.committed', { siteId: 'site-r', rows: 1500, fileName: 'desk.csv', entries: 2 }), record('roster.rows', { part: 0, rows: rows(0, 1000) })])).status).toBe(200);
    // The same part again, and a part past the next: neither counts (counted, 1,500 would make the version complete).
    expect((await station.upload([record('roster.rows', { part: 0, rows: rows(0, 1000) }), record('roster.rows', { part: 7, rows: rows(5000, 500) })])).status).toBe(200);
    expect(await stateNow()).toMatchObject({ state: 'receiving', residents: 1000 });
    // A part whose number no roster can have is refused by the protocol.
    const refused = (await station.upload([record('roster.rows', { part: 5_000_000, rows: rows(6000, 1) })])).json as { rejections: unknown[] };
    expect(refused.rejections).toHaveLength(1);
    expect((await station.upload([record('roster.rows', { part: 1, rows: rows(1000, 500) })])).status).toBe(200);
    expect(await stateNow()).toMatchObject({ state: 'current', residents: 1500 });
    expect(await residentsOf(server.store, version)).toBe(1500);
  });

  it('refuses a not-yet-sampled list longer than one file holds, with a page saying to download it building by building', async () => {
    const { server, url, cookie } = await served({ maxExportRows: 15 });
    await server.createEnrollmentCode('site-r', '台账社区');
    // 40 residents in buildings 1-20, two each.
    const res = await adminImport(url, ledger(40), '&apply=1');
    expect(await res.json()).toMatchObject({ ok: true, roster: { state: 'current', residents: 40 } });
    const started = await server.startRound({ siteId: 'site-r', name: '第1轮' });
    if (!started.ok) throw new Error('round');
    const roundId = started.round.roundId;
    const coverage = await fetch(`${url}/dashboard/coverage/${roundId}?lang=en`, { headers: { cookie } });
    expect(await coverage.text()).toContain('download the list building by building');
    const whole = await fetch(`${url}/dashboard/coverage/${roundId}/export?lang=en&format=csv`, { headers: { cookie } });
    expect(whole.status).toBe(422);
    expect(whole.headers.get('content-type')).toContain('text/html');
    expect(await whole.text()).toContain('40 people are not yet sampled, more than the 15 one file holds');
    const building = await fetch(`${url}/dashboard/coverage/${roundId}/export?lang=en&format=csv&building=1`, { headers: { cookie } });
    expect(building.status).toBe(200);
    expect((await building.text()).trim().split('\r\n')).toHaveLength(3);

    // Malformed JSON to the exemption endpoint is a 400 in the project's error shape, not a 500.
    const exempt = await fetch(`${url}${HQ_PATHS.adminCoverage}/${roundId}/exempt`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: '{"idNumber": ',
    });
    expect(exempt.status).toBe(400);
    expect(await exempt.json()).toMatchObject({ error: 'body.invalid', detail: 'not JSON' });
  });
});

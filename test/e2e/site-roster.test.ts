import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StationCore } from '../../electron/core/core';
import { checkCharacter } from '../../electron/core/person/gb11643';
import { HQ_PATHS } from '../../hq/protocol';
import { folderWithAdmin, ok, staffArgs, tempDir } from '../helpers/core';
import { startPostgres, type PgCluster } from '../helpers/postgres';
import { ROOT, STATION_BIN, startStationProcess } from '../helpers/station-process';
import { siteDesk, startHq, waitFor, type RunningHq } from './upload-env';

let cluster: PgCluster | null = null;
beforeAll(async () => {
  cluster = await startPostgres({ fsync: false });
});
afterAll(async () => {
  await cluster?.stop();
});

const ADMIN = 'roster-admin';

function id(n: number): string {
  const first17 = `44030519800101${String(n).padStart(3, '0')}`;
  return first17 + checkCharacter(first17);
}

function ledger(rows: string[]): Buffer {
  return Buffer.from(['姓名,身份证号,手机号,楼栋,单元,房号,标签', ...rows].join('\n'));
}

describe.each(['sqlite', 'postgres'] as const)('the site roster across HQ and desks, HQ on %s', (backend) => {
  let hq: RunningHq | undefined;
  const desks: StationCore[] = [];
  afterEach(async () => {
    for (const d of desks.splice(0)) d.close();
    await hq?.server.close();
  });

  const desk = () => siteDesk(hq!, { id: 'site-r', name: '台账社区' }, desks);

  async function adminImport(body: Buffer, query: string): Promise<Record<string, unknown>> {
    const res = await fetch(`${hq!.url}${HQ_PATHS.adminRoster}?siteId=site-r&fileName=ledger.csv${query}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/octet-stream' },
      body,
    });
    return (await res.json()) as Record<string, unknown>;
  }

  it('a ledger imported at HQ reaches every desk; one imported at a desk reaches HQ and the other desk', async () => {
    const databaseUrl = backend === 'postgres' ? await cluster!.createDatabase() : undefined;
    hq = await startHq({ databaseUrl, adminToken: ADMIN });
    const one = await desk();
    const two = await desk();

    // HQ checks the ledger first: a bad check character and a name missing are refused with their rows.
    const checked = await adminImport(ledger([`张三,${id(1)},13800138001,1,1,101,老人`, `李四,${id(2).slice(0, 17)}0,,1,1,102,`, `,${id(3)},,1,1,103,`, `王五,${id(4)},,2,1,201,`]), '');
    expect(checked).toMatchObject({ ok: true, roster: { state: 'ready', totalRows: 4, residents: 2, refused: 2 } });
    const importId = (checked.roster as { id: string }).id;
    const applied = await fetch(`${hq.url}${HQ_PATHS.adminRoster}/${importId}/apply`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(applied.status).toBe(200);
    for (const d of [one, two]) {
      await waitFor('the roster at the desk', async () => {
        d.upload.syncNow();
        return (await ok(d, 'roster.summary', {})).residents === 2;
      }, 30_000);
      expect((await ok(d, 'roster.search', { query: '张三' })).map((r) => r.maskedPhone)).toEqual(['138****8001']);
      expect((await ok(d, 'roster.summary', {})).current).toMatchObject({ id: importId, source: 'hq', state: 'current' });
    }

    // Desk 1's admin imports a newer ledger; it goes to HQ in the journal and on to desk 2.
    const newer = ledger([`张三,${id(1)},13800138001,1,1,101,老人`, `王五,${id(4)},,2,1,202,`, `赵六,${id(5)},,3,1,301,`]);
    const { uploadId } = await ok(one, 'roster.upload', { fileName: '台账-新.csv', size: newer.length });
    await ok(one, 'roster.uploadChunk', { uploadId, offset: 0, data: newer.toString('base64') });
    const started = await ok(one, 'roster.read', { uploadId });
    await one.roster.idle();
    const ready = await ok(one, 'roster.import', { importId: started.id });
    expect(ready).toMatchObject({ state: 'ready', residents: 3, changes: { new: 1, moved: 1, changed: 0, gone: 0 } });
    await ok(one, 'roster.apply', { importId: ready.id });
    await one.roster.idle();
    one.upload.syncNow();
    await waitFor('the desk roster at HQ', async () => {
      const current = await hq!.server.store.sql.read((tx) => tx.one<{ id: string; residents: number | string }>(`SELECT id, residents FROM roster_import WHERE site_id = 'site-r' AND state = 'current'`));
      return current?.id === ready.id && Number(current.residents) === 3;
    }, 30_000);
    await waitFor('the desk roster at the other desk', async () => {
      two.upload.syncNow();
      const s = await ok(two, 'roster.summary', {});
      return s.current?.id === ready.id && s.residents === 3;
    }, 30_000);
    expect((await ok(two, 'roster.search', { query: '3-1' })).map((r) => r.name)).toEqual(['赵六']);
    // Desk 1 already had it: it did not fetch it back.
    expect((await ok(one, 'roster.summary', {})).current).toMatchObject({ id: ready.id, source: 'station' });
  });

  it('a desk offline applies its own ledger while HQ publishes another: HQ and both desks end on the desk’s, the newer', async () => {
    const databaseUrl = backend === 'postgres' ? await cluster!.createDatabase() : undefined;
    hq = await startHq({ databaseUrl, adminToken: ADMIN });
    const one = await desk();
    const two = await desk();
    // Desk 1 has the site's mark key, then goes offline.
    await waitFor('desk 1 synced', () => {
      one.upload.syncNow();
      return one.upload.store.state().feedPulledAt !== null;
    }, 30_000);
    await one.upload.stop();
    const older = await adminImport(ledger([`张三,${id(1)},,1,1,101,`, `李四,${id(2)},,1,1,102,`]), '&apply=1');
    expect(older).toMatchObject({ ok: true, roster: { state: 'current' } });
    const olderId = (older.roster as { id: string }).id;
    await waitFor('the older version at desk 2', async () => {
      two.upload.syncNow();
      return (await ok(two, 'roster.summary', {})).current?.id === olderId;
    }, 30_000);
    // Meanwhile, offline, desk 1's admin applies a newer ledger.
    const newer = ledger([`张三,${id(1)},,1,1,101,`, `李四,${id(2)},,1,1,102,`, `王五,${id(3)},,2,1,201,`]);
    const { uploadId } = await ok(one, 'roster.upload', { fileName: '台账-新.csv', size: newer.length });
    await ok(one, 'roster.uploadChunk', { uploadId, offset: 0, data: newer.toString('base64') });
    const started = await ok(one, 'roster.read', { uploadId });
    await one.roster.idle();
    await ok(one, 'roster.apply', { importId: started.id });
    await one.roster.idle();
    // Back online: it receives HQ's older version, sends its own, and HQ publishes that after it.
    one.upload.start();
    const currentAtHq = async () =>
      (await hq!.server.store.sql.read((tx) => tx.one<{ id: string }>(`SELECT id FROM roster_import WHERE site_id = 'site-r' AND state = 'current'`)))?.id;
    await waitFor('every desk and HQ on the desk’s ledger', async () => {
      one.upload.syncNow();
      two.upload.syncNow();
      const [a, b] = [await ok(one, 'roster.summary', {}), await ok(two, 'roster.summary', {})];
      return (await currentAtHq()) === started.id && a.current?.id === started.id && b.current?.id === started.id && b.residents === 3;
    }, 30_000);
    expect((await ok(one, 'roster.search', { query: '2-1' })).map((r) => r.name)).toEqual(['王五']);
    expect((await ok(one, 'roster.summary', {})).residents).toBe(3);
  });

  it('counts coverage of a round at HQ and at both desks against a roster whose answer is known, with exemptions and the untested list', async () => {
    const databaseUrl = backend === 'postgres' ? await cluster!.createDatabase() : undefined;
    hq = await startHq({ databaseUrl, adminToken: ADMIN });
    const one = await desk();
    const two = await desk();
    // 3 buildings x 2 units x 10 households, one resident each: resident n lives in building ceil(n/20).
    const rows: string[] = [];
    for (let n = 1; n <= 60; n++) rows.push(`居民${n},${id(n)},,${Math.ceil(n / 20)},${Math.ceil(n / 10) % 2 === 1 ? 1 : 2},${100 + (((n - 1) % 10) + 1)},`);
    const imported = await adminImport(ledger(rows), '&apply=1');
    expect(imported).toMatchObject({ ok: true, roster: { state: 'current', residents: 60 } });
    const started = await hq.server.startRound({ siteId: 'site-r', name: '第5轮全员核酸' });
    if (!started.ok) throw new Error('round');
    const roundId = started.round.roundId;
    for (const d of [one, two]) {
      await waitFor('round and roster at the desk', async () => {
        d.upload.syncNow();
        return d.rounds.current()?.id === roundId && (await ok(d, 'roster.summary', {})).residents === 60;
      }, 30_000);
    }
    const scan = (d: StationCore, text: string) => ok(d, 'scan.submit', { text, source: 'simulator' });
    await ok(one, 'desk.setCapacity', { capacity: 10 });
    await ok(one, 'tube.new', {});
    for (let n = 1; n <= 10; n++) await scan(one, id(n));
    await ok(two, 'tube.new', {});
    for (const n of [31, 32, 33]) await scan(two, id(n));
    await scan(two, id(900)); // a visitor, not on the roster
    // Resident 1 again, at desk 2: asked about, sampled anyway; still one person.
    one.upload.syncNow();
    await waitFor('desk 1 marks at desk 2', async () => {
      two.upload.syncNow();
      return (two.db.prepare('SELECT count(*) AS n FROM round_mark').get() as { n: number }).n >= 10;
    }, 30_000);
    const again = await scan(two, id(1));
    expect(again.kind).toBe('person.needsConfirmation');
    if (again.kind === 'person.needsConfirmation') await ok(two, 'binding.confirm', { token: again.pending.token });
    const [hospital] = await ok(two, 'roster.search', { query: id(34).slice(-6) });
    await ok(two, 'coverage.exempt', { roundId, ref: hospital!.ref, reason: 'hospital', note: '市一院' });
    const expected = { residents: 60, tested: 13, exempt: 1, untested: 46 };
    const hqCoverage = async () => {
      const res = await fetch(`${hq!.url}${HQ_PATHS.adminCoverage}/${roundId}`, { headers: { authorization: `Bearer ${ADMIN}` } });
      return (await res.json()) as { totals: Record<string, number>; sampledNotOnRoster: number; buildings: { building: string; units: { unit: string; tested: number; exempt: number }[] }[] };
    };
    await waitFor('coverage at HQ', async () => {
      for (const d of [one, two]) d.upload.syncNow();
      return JSON.stringify((await hqCoverage()).totals) === JSON.stringify(expected);
    }, 30_000);
    const at = await hqCoverage();
    expect(at.sampledNotOnRoster).toBe(1);
    expect(at.buildings.find((b) => b.building === '2')!.units).toEqual([
      expect.objectContaining({ unit: '1', tested: 0, exempt: 0 }),
      expect.objectContaining({ unit: '2', tested: 3, exempt: 1 }),
    ]);
    // Desk 1 undoes resident 10; desk 2's duplicate of resident 1 keeps resident 1 counted.
    await ok(one, 'binding.undo', { reason: '扫错人' });
    const after = { residents: 60, tested: 12, exempt: 1, untested: 47 };
    await waitFor('the undo counted at HQ', async () => {
      one.upload.syncNow();
      return JSON.stringify((await hqCoverage()).totals) === JSON.stringify(after);
    }, 30_000);
    // Each desk, as of its last sync, agrees with HQ.
    for (const d of [one, two]) {
      await waitFor('the desk agrees with HQ', async () => {
        d.upload.syncNow();
        return JSON.stringify((await ok(d, 'coverage.view', {})).totals) === JSON.stringify(after);
      }, 30_000);
      expect((await ok(d, 'coverage.view', {})).asOf).not.toBeNull();
      expect((await ok(d, 'coverage.view', {})).sampledNotOnRoster).toBe(1);
    }
    // The not-yet-sampled list of building 2 unit 2, as HQ hands it out.
    const login = await fetch(`${hq.url}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${ADMIN}`, redirect: 'manual' });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const csv = await fetch(`${hq.url}/dashboard/coverage/${roundId}/export?format=csv&building=2&unit=2`, { headers: { cookie } });
    expect(csv.headers.get('content-disposition')).toContain(encodeURIComponent('未采样名单'));
    const text = Buffer.from(await csv.arrayBuffer());
    expect([...text.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const names = text.subarray(3).toString('utf8').trim().split('\r\n').slice(1).map((l) => l.split(',')[3]);
    expect(names).toEqual(['居民35', '居民36', '居民37', '居民38', '居民39', '居民40']);
    const page = await fetch(`${hq.url}/dashboard/coverage/${roundId}`, { headers: { cookie } });
    expect(await page.text()).toContain('data-untested>47<');
    const chart = await fetch(`${hq.url}/dashboard/coverage/${roundId}/chart.svg`, { headers: { cookie } });
    expect(chart.headers.get('content-type')).toContain('image/svg+xml');
    expect(await chart.text()).toContain('<svg');
  });
});

describe('a desk’s data folder', () => {
  it('`station roster import` refuses the folder of a running Station, and imports once it stopped', async () => {
    const dataDir = await folderWithAdmin(tempDir('station-roster-lock-'));
    const file = path.join(tempDir('ledger-'), 'ledger.csv');
    fs.writeFileSync(file, ledger([`张三,${id(1)},,1,1,101,`, `李四,${id(2)},,1,1,102,`]));
    const importCli = () =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, [STATION_BIN, 'roster', 'import', file, '--data', dataDir, '--apply', ...staffArgs()], { cwd: ROOT });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        child.once('exit', (code) => resolve({ code, out }));
      });
    const station = await startStationProcess(dataDir);
    try {
      const refused = await importCli();
      expect(refused.code).not.toBe(0);
      expect(refused.out).toMatch(new RegExp(`in use by another Station \\(process ${station.child.pid}\\)`));
    } finally {
      await station.stop();
    }
    const imported = await importCli();
    expect(imported).toMatchObject({ code: 0, out: expect.stringContaining('imported 2 residents') });
  });
});

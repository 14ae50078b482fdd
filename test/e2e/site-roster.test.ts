import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StationCore } from '../../electron/core/core';
import { checkCharacter } from '../../electron/core/person/gb11643';
import { HQ_PATHS } from '../../hq/protocol';
import { tempDir, ok } from '../helpers/core';
import { startPostgres, type PgCluster } from '../helpers/postgres';
import { FAST_TUNING, startHq, waitFor, type RunningHq } from './upload-env';

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

  async function desk(): Promise<StationCore> {
    const { code } = await hq!.server.createEnrollmentCode('site-r', '台账社区');
    const core = new StationCore({ dataDir: tempDir('station-roster-'), upload: { start: true, tuning: FAST_TUNING } });
    desks.push(core);
    await ok(core, 'upload.enroll', { hqUrl: hq!.url, code });
    return core;
  }

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
});

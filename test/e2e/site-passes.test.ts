import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { GateScanOutcome } from '../../electron/api/gate';
import { StationCore } from '../../electron/core/core';
import { passesOfSite } from '../../hq/domains/passes';
import { HQ_PATHS } from '../../hq/protocol';
import { ok } from '../helpers/core';
import { startPostgres, type PgCluster } from '../helpers/postgres';
import { personId, siteDesk, startHq, waitFor, type RunningHq } from './upload-env';

let cluster: PgCluster | null = null;
beforeAll(async () => {
  cluster = await startPostgres({ fsync: false });
});
afterAll(async () => {
  await cluster?.stop();
});

const ADMIN = 'passes-admin';
const SITE = { id: 'site-passes', name: '双门社区' };
const H = { building: '3', unit: '2', room: '502' };

const codeOf = (core: StationCore, passId: string) => (core.db.prepare('SELECT code FROM resident_pass WHERE id = ?').get(passId) as { code: string } | undefined)?.code;
const scan = (core: StationCore, text: string): Promise<{ ok: true; value: GateScanOutcome } | { ok: false; error: { code: string; params?: Record<string, string | number> } }> =>
  core.invoke('gate.scan', { text, source: 'manual' });

describe.each(['sqlite', 'postgres'] as const)('resident passes at two gates of one site, HQ on %s', (backend) => {
  let hq: RunningHq | undefined;
  const gates: StationCore[] = [];
  afterEach(async () => {
    for (const g of gates.splice(0)) g.close();
    await hq?.server.close();
  });

  it('a pass issued at gate 1 lets its holder through gate 2; revoked at gate 2, gate 1 refuses it with the reason', async () => {
    const databaseUrl = backend === 'postgres' ? await cluster!.createDatabase() : undefined;
    hq = await startHq({ databaseUrl, adminToken: ADMIN });
    const one = await siteDesk(hq, SITE, gates);
    const two = await siteDesk(hq, SITE, gates);

    // The site's roster, from HQ, at both gates.
    const ledger = Buffer.from(['姓名,身份证号,手机号,楼栋,单元,房号', `张三,${personId(1)},,3,2,502`, `李四,${personId(2)},,3,2,502`].join('\n'));
    const imported = await fetch(`${hq.url}${HQ_PATHS.adminRoster}?siteId=${SITE.id}&fileName=ledger.csv&apply=1`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/octet-stream' },
      body: ledger,
    });
    expect(imported.status).toBe(200);
    for (const g of [one, two]) {
      await waitFor('the roster at the gate', async () => {
        g.upload.syncNow();
        return (await ok(g, 'roster.summary', {})).residents === 2;
      }, 30_000);
      await ok(g, 'station.setWorkplace', { workplace: 'gate' });
    }

    // Gate 1 issues the household's passes; HQ relays them to gate 2.
    const issued = await ok(one, 'pass.issue', { household: H, validFrom: new Date().toISOString(), validUntil: new Date(Date.now() + 7 * 86_400_000).toISOString() });
    expect(issued.map((p) => p.name)).toEqual(['张三', '李四']);
    const zhang = issued[0]!;
    const code = codeOf(one, zhang.id)!;
    one.upload.syncNow();
    await waitFor('the passes at gate 2', () => {
      two.upload.syncNow();
      return (two.db.prepare('SELECT count(*) AS n FROM resident_pass').get() as { n: number }).n === 2;
    }, 30_000);
    expect(codeOf(two, zhang.id)).toBe(code);
    const listed = await ok(two, 'pass.list', { limit: 10, offset: 0 });
    expect(listed.passes.map((p) => [p.name, p.origin, p.stationName, p.state])).toEqual(
      expect.arrayContaining([
        ['张三', 'feed', one.identity.station.name, 'valid'],
        ['李四', 'feed', one.identity.station.name, 'valid'],
      ]),
    );
    const through = await scan(two, code);
    expect(through).toMatchObject({ ok: true, value: { kind: 'gate.passage', passage: { subject: 'pass', pass: { id: zhang.id }, person: { name: '张三' }, residency: { kind: 'resident', household: '3-2-502' } } } });
    // Gate 1 knows its own pass already: the relayed copy changed nothing there.
    await waitFor('gate 1 read the feed', () => {
      one.upload.syncNow();
      return one.upload.store.state().feedPulledAt !== null && (one.db.prepare("SELECT count(*) AS n FROM resident_pass WHERE origin = 'feed'").get() as { n: number }).n === 0;
    }, 10_000);

    // Gate 2 revokes Zhang's pass; gate 1 refuses it with the reason.
    const revoked = await ok(two, 'pass.revoke', { passId: zhang.id, reason: '已搬离本小区' });
    expect(revoked.state).toBe('revoked');
    two.upload.syncNow();
    await waitFor('the revocation at gate 1', () => {
      one.upload.syncNow();
      return one.db.prepare('SELECT 1 FROM resident_pass_revocation WHERE pass_id = ?').get(zhang.id) !== undefined;
    }, 30_000);
    const refused = await scan(one, code);
    expect(refused).toMatchObject({ ok: false, error: { code: 'gate.passRevoked', params: { reason: '已搬离本小区' } } });
    // Li's pass, issued with Zhang's, still lets her through at both gates.
    for (const g of [one, two]) expect(await scan(g, codeOf(one, issued[1]!.id)!)).toMatchObject({ ok: true, value: { passage: { person: { name: '李四' } } } });

    // HQ holds both passes and who revoked which.
    const atHq = await hq.server.store.sql.read((tx) => passesOfSite(tx, SITE.id));
    const hqTwo = await hq.server.store.sql.read((tx) => tx.one<{ id: string }>('SELECT id FROM station WHERE site_id = @site AND number = 2', { site: SITE.id }));
    expect(atHq.find((p) => p.passId === zhang.id)?.revoked).toMatchObject({ reason: '已搬离本小区', stationId: hqTwo!.id });
    expect(atHq.find((p) => p.passId === issued[1]!.id)?.revoked).toBeNull();
  });
});

/**
 * Generated tube codes are prefix + desk number (unique only within a site) + serial: HQ keeps
 * every site's generator apart, so two sites' desks never print the same codes.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_SITE_CONFIG } from '../../electron/core/site/config';
import { HQ_PATHS, feedResponseSchema } from '../../hq/protocol';
import { createHqServer, type HqServer } from '../../hq/server';
import { tempDir } from '../helpers/core';
import { startPostgres, type PgCluster } from '../helpers/postgres';
import { SimStation } from '../unit/hq/fixtures';

const ADMIN = 'site-codes-admin';
let cluster: PgCluster | null = null;
beforeAll(async () => {
  cluster = await startPostgres({ fsync: false });
});
afterAll(async () => {
  await cluster?.stop();
});

describe.each(['sqlite', 'postgres'] as const)('tube code generators of sites, HQ on %s', (backend) => {
  let hq: HqServer;
  let base: string;
  afterEach(async () => {
    await hq.close();
  });

  async function admin(path: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` }, body: JSON.stringify(body) });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }

  const withGenerator = (prefix: string, digits: number) => ({ ...DEMO_SITE_CONFIG, tube: { pattern: `^${prefix}\\d{${digits}}$`, generate: { prefix, digits } } });

  it('gives a new site its own prefix when the default is taken, and refuses a configuration whose codes another site makes', async () => {
    const databaseUrl = backend === 'postgres' ? await cluster!.createDatabase() : undefined;
    hq = await createHqServer({ dataDir: tempDir('hq-codes-'), databaseUrl, adminToken: ADMIN });
    base = await hq.listen(0);

    // The first site keeps the stations' default (SY); each one after gets a prefix of its own.
    const first = await admin(HQ_PATHS.adminCodes, { siteId: 'site-a', siteName: '东区' });
    expect(first.json.tubeCodes).toBeUndefined();
    const second = await admin(HQ_PATHS.adminCodes, { siteId: 'site-b', siteName: '西区' });
    expect(second.json.tubeCodes).toEqual({ prefix: 'SA', digits: 10 });
    expect((await hq.createEnrollmentCode('site-c', '南区')).tubeCodes).toEqual({ prefix: 'SB', digits: 10 });
    // A code made again for a site that exists changes nothing.
    expect((await hq.createEnrollmentCode('site-b', '西区')).tubeCodes).toBeUndefined();

    // Site B's desks hear of it with the site's other configuration, its pattern matching its codes.
    const desk = new SimStation(base);
    expect((await desk.enroll(String(second.json.code))).status).toBe(200);
    const feed = feedResponseSchema.parse((await desk.feed(0)).json);
    const config = feed.items.find((i) => i.kind === 'site.config');
    expect(config?.payload).toMatchObject({ siteId: 'site-b', name: '西区', config: withGenerator('SA', 10) });

    // A configuration that would make site B's codes, or site A's through a longer prefix, is refused and says whose.
    const clash = await admin(HQ_PATHS.adminSiteConfig, { siteId: 'site-c', name: '南区', config: withGenerator('SA', 10) });
    expect(clash.status).toBe(409);
    expect(clash.json).toMatchObject({ error: 'site.tubeCodesTaken' });
    expect(String(clash.json.detail)).toContain('site site-b (西区');
    const longer = await admin(HQ_PATHS.adminSiteConfig, { siteId: 'site-c', name: '南区', config: withGenerator('SY1', 9) });
    expect(longer).toMatchObject({ status: 409, json: { error: 'site.tubeCodesTaken' } });
    expect(String(longer.json.detail)).toContain('site site-a');
    // Its own, or one no other site makes, is taken and sent to the site's desks.
    expect((await admin(HQ_PATHS.adminSiteConfig, { siteId: 'site-c', name: '南区', config: withGenerator('SB', 10) })).status).toBe(200);
    expect((await admin(HQ_PATHS.adminSiteConfig, { siteId: 'site-c', name: '南区', config: withGenerator('NQ', 8) })).status).toBe(200);
    // Site C's old prefix is free again for the next site.
    expect((await hq.createEnrollmentCode('site-d', '北区')).tubeCodes).toEqual({ prefix: 'SB', digits: 10 });
    expect((await admin(HQ_PATHS.adminSiteConfig, { siteId: 'nope', name: 'x', config: withGenerator('ZZ', 10) })).status).toBe(404);
  });
});

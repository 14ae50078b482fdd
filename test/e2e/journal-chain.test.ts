import Database from 'better-sqlite3-multiple-ciphers';
import path from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StationCore } from '../../electron/core/core';
import { renderDashboard } from '../../hq/dashboard';
import { startPostgres, type PgCluster } from '../helpers/postgres';
import { bindPeople, enrolledStation, FAST_TUNING, hqStationId, startHq, uploadedAll, waitFor, type RunningHq } from './upload-env';

let cluster: PgCluster | null = null;
beforeAll(async () => {
  cluster = await startPostgres({ fsync: false });
});
afterAll(async () => {
  await cluster?.stop();
});

/** SQL on HQ's own database, as someone restoring a backup or looking into it would run it. */
async function hqSql<T>(hq: RunningHq, sql: string, params: (string | number | null)[] = []): Promise<T[]> {
  if (hq.databaseUrl) {
    const client = new pg.Client({ connectionString: hq.databaseUrl });
    await client.connect();
    try {
      let i = 0;
      return (await client.query(sql.replace(/\?/g, () => `$${++i}`), params)).rows as T[];
    } finally {
      await client.end();
    }
  }
  const db = new Database(path.join(hq.dataDir, 'hq.sqlite'));
  try {
    const statement = db.prepare(sql);
    return (statement.reader ? statement.all(...params) : (statement.run(...params), [])) as T[];
  } finally {
    db.close();
  }
}

/** Changes to the station's journal as someone with the file would make them: its guard dropped first. */
function tamper(core: StationCore, sql: string): void {
  core.db.exec(`DROP TRIGGER IF EXISTS journal_no_update; DROP TRIGGER IF EXISTS journal_no_delete; ${sql}`);
}

const hashAt = (core: StationCore, seq: number) => (core.db.prepare('SELECT hash FROM journal WHERE seq = ?').get(seq) as { hash: string }).hash;

describe.each(['sqlite', 'postgres'] as const)('the journal chain between a station and HQ on %s', (backend) => {
  let hq: RunningHq;
  let core: StationCore | null = null;

  async function start(): Promise<void> {
    hq = await startHq({ databaseUrl: backend === 'postgres' ? await cluster!.createDatabase() : undefined });
  }
  afterEach(async () => {
    core?.close();
    core = null;
    await hq?.server.close();
  });

  /** A station whose first `people` bindings HQ holds, with `more` bound after that and not yet sent. */
  async function stationWithUnsent(people: number, more: number): Promise<{ core: StationCore; sentThrough: number }> {
    const c = await enrolledStation(hq, hq.url, { upload: { start: true, tuning: FAST_TUNING } });
    await bindPeople(c, people, 5);
    await waitFor('the first bindings uploaded', () => uploadedAll(c));
    const sentThrough = c.journal.lastSeq();
    await c.upload.stop();
    await bindPeople(c, more, 5, people);
    return { core: c, sentThrough };
  }

  it('HQ keeps each record’s hash and the station’s chain head', async () => {
    await start();
    core = await enrolledStation(hq, hq.url, { upload: { start: true, tuning: FAST_TUNING } });
    await bindPeople(core, 20, 10);
    await waitFor('uploaded', () => uploadedAll(core!));
    const station = await hq.server.store.station(hqStationId(core));
    expect(station).toMatchObject({ ackedThrough: core.journal.lastSeq(), chainHead: hashAt(core, core.journal.lastSeq()), chainError: null });
    expect((await hq.server.store.record(hqStationId(core), 3))?.chainHash).toBe(hashAt(core, 3));
    // HQ said in a signed answer that it holds this very chain: that part is confirmed.
    await waitFor('confirmed', () => core!.upload.status().confirmedThrough === core!.journal.lastSeq());
  });

  for (const change of ['changed', 'removed', 'reordered'] as const) {
    it(`refuses a batch with a ${change} entry: nothing of it stored, HQ's dashboard and the station's screen say so`, async () => {
      await start();
      const sent = await stationWithUnsent(10, 10);
      core = sent.core;
      const target = (core.db.prepare(`SELECT min(seq) AS seq FROM journal WHERE seq > ? AND kind = 'binding.created'`).get(sent.sentThrough) as { seq: number }).seq;
      if (change === 'changed') tamper(core, `UPDATE journal SET payload = json_set(payload, '$.roundId', 'another-round') WHERE seq = ${target}`);
      if (change === 'removed') {
        // Removed and the entries after it renumbered, so the sequence has no gap.
        tamper(core, `DELETE FROM journal WHERE seq = ${target}; UPDATE journal SET seq = -seq WHERE seq > ${target}; UPDATE journal SET seq = -seq - 1 WHERE seq < 0;`);
      }
      if (change === 'reordered') tamper(core, `UPDATE journal SET seq = -1 WHERE seq = ${target}; UPDATE journal SET seq = ${target} WHERE seq = ${target + 1}; UPDATE journal SET seq = ${target + 1} WHERE seq = -1;`);

      // The station sees it itself.
      const check = await core.invoke('journal.verify', {});
      expect(check.ok && check.value.ok).toBe(false);

      core.upload.start();
      await waitFor('HQ’s refusal shown', () => core!.upload.status().lastFailure?.hqError === 'chain.broken');
      expect(core.upload.status().lastFailure).toMatchObject({ code: 'upload.hqRefused', hqError: 'chain.broken' });
      const station = (await hq.server.store.station(hqStationId(core)))!;
      expect(station.ackedThrough).toBeLessThan(target);
      expect(station.chainError).toMatch(/^seq \d+: /);
      expect((await hq.server.store.holdings(hqStationId(core))).maxSeq).toBeLessThan(target);
      const dashboard = await hq.server.store.dashboard('2026-01-01');
      expect(dashboard.stations.find((s) => s.id === hqStationId(core!))?.chainError).toMatch(/^seq /);
      const html = renderDashboard(dashboard, { lang: 'en', now: Date.now(), fingerprint: hq.server.fingerprint });
      expect(html).toContain(`data-chain-error="${hqStationId(core)}"`);
      expect(html).toContain('record chain does not match what HQ holds');
      expect(html).toContain(hq.server.fingerprint.slice(0, 5));
    });
  }

  it('anchors the chain of a station that uploaded before HQ kept chains on its first chained batch', async () => {
    await start();
    const sent = await stationWithUnsent(10, 5);
    core = sent.core;
    // HQ as it was before its migration 11: the station's records and position, no chain.
    await hqSql(hq, 'UPDATE station SET chain_head = NULL WHERE id = ?', [hqStationId(core)]);
    await hqSql(hq, 'UPDATE record SET chain_hash = NULL WHERE station_id = ?', [hqStationId(core)]);
    core.upload.start();
    await waitFor('uploaded', () => uploadedAll(core!));
    const station = (await hq.server.store.station(hqStationId(core)))!;
    expect(station.chainHead).toBe(hashAt(core, core.journal.lastSeq()));
  });

  it('sends again what a restored HQ backup lost, with nothing new to send', async () => {
    await start();
    core = await enrolledStation(hq, hq.url, { upload: { start: true, tuning: FAST_TUNING } });
    await bindPeople(core, 30, 10);
    await waitFor('uploaded', () => uploadedAll(core!));
    const head = core.journal.lastSeq();
    const id = hqStationId(core);
    // Nothing new to send: only HQ's own answers can make the station send again. (Read before
    // the restore: a feed pull right after it already rewinds the station.)
    expect(core.upload.status().waiting).toBe(0);
    // HQ's backup from when it held the first 10 records: its rows after that are gone.
    await hqSql(hq, 'DELETE FROM record WHERE station_id = ? AND seq > 10', [id]);
    await hqSql(hq, 'UPDATE station SET acked_through = 10, chain_head = (SELECT chain_hash FROM record WHERE station_id = ? AND seq = 10) WHERE id = ?', [id, id]);
    await waitFor('HQ holds everything again', async () => (await hq.server.store.holdings(id)).maxSeq === head);
    expect(await hq.server.store.holdings(id)).toMatchObject({ records: head, conflicts: 0 });
    await waitFor('acknowledged again', () => uploadedAll(core!));
    expect(core.upload.status().confirmedThrough).toBe(head);
  });
});

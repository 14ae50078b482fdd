import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StationCore } from '../../electron/core/core';
import { dataKeyOf, openStationFile, signInAdmin, staffArgs, tempDir } from '../helpers/core';
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy';
import { ROOT, STATION_BIN, startStationProcess, type StationProcess } from '../helpers/station-process';
import { bindPeople, hqDigests, stationDigests, waitFor } from './upload-env';

const ADMIN = 'crash-test-admin';
const children: ChildProcess[] = [];
let proxy: FaultProxy | undefined;
let station: StationProcess | undefined;

afterEach(async () => {
  await station?.stop();
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await proxy?.close();
  station = undefined;
  proxy = undefined;
});

/** `station hq` as a real process; resolves with its URL once it listens. */
async function startHqProcess(dataDir: string, port: number): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [STATION_BIN, 'hq', '--data', dataDir, '--port', String(port)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HQ_ADMIN_TOKEN: ADMIN, HQ_DATABASE_URL: '', STATION_LOG_LEVEL: 'warn' },
  });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`hq exited with ${code}: ${stderr}`)));
  });
  return { child, url };
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** The station's upload progress, read from its database while another process owns it. */
function uploadProgress(dataDir: string): { ackedThrough: number; head: number; frozen: string | null } {
  const db = openStationFile(path.join(dataDir, 'station.db'), { readonly: true });
  try {
    const { acked_through: ackedThrough } = db.prepare('SELECT acked_through FROM upload_state').get() as { acked_through: number };
    const { head } = db.prepare('SELECT MAX(seq) AS head FROM journal').get() as { head: number };
    const frozen = db.prepare('SELECT batch_id FROM upload_batch').get() as { batch_id: string } | undefined;
    return { ackedThrough, head, frozen: frozen?.batch_id ?? null };
  } finally {
    db.close();
  }
}

describe('upload survives crashes (real processes)', () => {
  it('station killed with SIGKILL mid-upload and HQ killed mid-batch: HQ ends with exactly the journal', async () => {
    const hqDir = tempDir('hq-crash-');
    const hq = await startHqProcess(hqDir, 0);
    const hqPort = Number(new URL(hq.url).port);
    proxy = await startFaultProxy({ target: hq.url, delayMs: 250 });

    const codeAnswer = await fetch(new URL('/api/v1/admin/codes', hq.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ siteId: 'site-crash', siteName: '崩溃测试社区' }),
    });
    const { code } = (await codeAnswer.json()) as { code: string };

    // The journal: 10,000 bindings made before the upload starts.
    const dataDir = tempDir('station-crash-');
    const setup = await signInAdmin(new StationCore({ dataDir, dataKey: dataKeyOf(dataDir) }));
    await bindPeople(setup, 10_000, 10);
    setup.close();

    const enrolled = spawn(process.execPath, [STATION_BIN, 'enroll', '--data', dataDir, '--hq', proxy.url, '--code', code, ...staffArgs()], { cwd: ROOT });
    const enrollExit = await new Promise<number | null>((resolve) => enrolled.once('exit', resolve));
    expect(enrollExit).toBe(0);
    // The journal as HQ must end up holding it: the bindings, and the station joining its site at enrollment.
    const reopened = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), devices: 'off' });
    const digests = stationDigests(reopened);
    reopened.close();
    expect([...digests.values()].length).toBeGreaterThan(20_000);

    // Every request waits in the proxy a while, so a kill lands while a batch is in flight.
    proxy.setWeights({ delay: 1 });
    station = await startStationProcess(dataDir, ['--hq', proxy.url]);
    await waitFor('the first batch acknowledged', () => uploadProgress(dataDir).ackedThrough > 0);
    // Frozen and on its way: the proxy holds the request while the station dies.
    await waitFor('the next batch in flight', () => {
      const frozen = uploadProgress(dataDir).frozen;
      return frozen !== null && (proxy!.batchSends.get(frozen) ?? 0) >= 1;
    });
    const inFlight = uploadProgress(dataDir);
    await killed(station.child);
    expect(uploadProgress(dataDir).frozen).toBe(inFlight.frozen);
    expect(uploadProgress(dataDir).ackedThrough).toBeLessThan(inFlight.head);

    station = await startStationProcess(dataDir, ['--hq', proxy.url]);
    await waitFor('the frozen batch sent again', () => (proxy!.batchSends.get(inFlight.frozen!) ?? 0) >= 2);
    // HQ dies while a batch waits in the proxy on its way to it, and comes back on the same port.
    await waitFor('another batch in flight', () => {
      const now = uploadProgress(dataDir);
      return now.frozen !== null && now.frozen !== inFlight.frozen && (proxy!.batchSends.get(now.frozen) ?? 0) >= 1;
    });
    await killed(hq.child);
    await new Promise((r) => setTimeout(r, 500));
    // The new process is ended with the others after the test.
    await startHqProcess(hqDir, hqPort);

    await waitFor('every record acknowledged', () => {
      const now = uploadProgress(dataDir);
      return now.ackedThrough === now.head && now.frozen === null;
    }, 120_000);
    await station.stop();
    station = undefined;

    for (const [batchId, bodies] of proxy.batchBodies) expect(bodies.size, batchId).toBe(1);
    const link = openStationFile(path.join(dataDir, 'station.db'), { readonly: true });
    const { station_id: stationId } = link.prepare('SELECT station_id FROM hq_link').get() as { station_id: string };
    link.close();
    const held = await hqDigests({ dataDir: hqDir, databaseUrl: undefined }, stationId);
    expect(held.size).toBe(digests.size);
    expect([...held.entries()]).toEqual([...digests.entries()]);
  });
});

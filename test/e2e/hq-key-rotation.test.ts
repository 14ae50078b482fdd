import { createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HEADER_HQ_KEY, HEADER_HQ_KEY_ROTATION, formatKeyRotation, signKeyRotation } from '../../hq/protocol';
import { HQ_KEY_ROTATION_FILE, rotateHqKey } from '../../hq/key';
import type { StationCore } from '../../electron/core/core';
import { writeExportFile } from '../../electron/core/upload/export';
import { dataKeyOf, openCore, tempDir } from '../helpers/core';
import { hqSigner } from '../helpers/hq-signer';
import { startPostgres, type PgCluster } from '../helpers/postgres';
import { bindPeople, FAST_TUNING, hqDigests, hqStationId, startHq, stationDigests, uploadedAll, waitFor, type RunningHq } from './upload-env';

/**
 * HQ changes its key (hq/README.md, "Changing HQ's key"): a station that trusts the previous key
 * moves to the new one on the previous key's word alone; a station that was away through the
 * whole change is told to be linked again; an export file written before still imports.
 */
let cluster: PgCluster | undefined;
let hq: RunningHq | null = null;
let core: StationCore | null = null;
let middle: { url: string; close(): Promise<void> } | null = null;

beforeAll(async () => {
  cluster = await startPostgres({ fsync: false });
});
afterAll(async () => {
  await cluster?.stop();
});
afterEach(async () => {
  core?.close();
  core = null;
  await middle?.close();
  middle = null;
  await hq?.server.close();
  hq = null;
});

/** A desk enrolled at `hq`, talking to it at `viaUrl` (HQ itself, or something in between), its agent not yet started. */
async function desk(at: RunningHq, viaUrl = at.url, dataDir = tempDir('station-key-')): Promise<StationCore> {
  const { code } = await at.server.createEnrollmentCode('site-key', '换钥社区');
  const c = await openCore(dataDir, { upload: { hqUrl: viaUrl, start: false, tuning: FAST_TUNING } });
  const enrolled = await c.invoke('upload.enroll', { hqUrl: at.url, code });
  if (!enrolled.ok) throw new Error(JSON.stringify(enrolled.error));
  const round = await c.invoke('round.start', { name: '第1轮' });
  if (!round.ok) throw new Error(JSON.stringify(round.error));
  return c;
}

const hqKeyHeaderNow = async (at: RunningHq): Promise<string> => (await fetch(`${at.url}/api/v1/feed`)).headers.get(HEADER_HQ_KEY)!;

describe.each(['sqlite', 'postgres'] as const)('HQ key rotation on %s', (backend) => {
  const start = async () => (hq = await startHq({ databaseUrl: backend === 'postgres' ? await cluster!.createDatabase() : undefined }));

  it('an enrolled station takes the new key on the old key’s word, and answers signed by it; HQ sees it moved, then retires the old key', async () => {
    await start();
    core = await desk(hq!);
    await bindPeople(core, 10, 5);
    core.upload.start();
    await waitFor('uploaded before the rotation', () => uploadedAll(core!));
    const before = { fingerprint: hq!.server.fingerprint, header: await hqKeyHeaderNow(hq!), exportKey: core.upload.store.link()!.hqExportKey };
    expect(core.upload.store.link()!.hqPublicKey).toBe(before.header);

    // As `station hq key rotate` does it beside the serving HQ: on the folder, read by the server within a second.
    const rotated = rotateHqKey(hq!.dataDir);
    expect(rotated.previousFingerprint).toBe(before.fingerprint);
    await waitFor('HQ signs with the new key', async () => (await hqKeyHeaderNow(hq!)) !== before.header);
    const after = await hqKeyHeaderNow(hq!);
    expect(hq!.server.fingerprint).toBe(rotated.fingerprint);
    const status = await hq!.server.keyStatus();
    expect(status.rotation?.previousFingerprint).toBe(before.fingerprint);
    expect(status.stationsBehind.map((s) => s.id)).toEqual([hqStationId(core)]);
    // Not retired while a station has not said it moved.
    expect(await hq!.server.retireKey()).toMatchObject({ ok: false, error: 'hq.stationsBehind' });

    await bindPeople(core, 10, 5, 10);
    core.upload.syncNow();
    await waitFor('uploaded under the new key', () => uploadedAll(core!));
    await waitFor('the new key kept in the link', () => core!.upload.store.link()!.hqPublicKey === after);
    expect(core.upload.status()).toMatchObject({ hqFingerprint: rotated.fingerprint, refusedAnswers: null, lastFailure: null, relink: null });
    // The export key moved with it: new export files are written to HQ's new key.
    await waitFor('the new export key kept', () => core!.upload.store.link()!.hqExportKey !== before.exportKey);
    await waitFor('HQ sees the station on the new key', async () => (await hq!.server.keyStatus()).stationsBehind.length === 0);
    expect(await hq!.server.store.station(hqStationId(core))).toMatchObject({ hqKey: rotated.fingerprint });

    expect(await hq!.server.retireKey()).toMatchObject({ ok: true, previousFingerprint: before.fingerprint, stationsBehind: [] });
    expect(fs.existsSync(path.join(hq!.dataDir, HQ_KEY_ROTATION_FILE))).toBe(false);
    expect((await fetch(`${hq!.url}/api/v1/feed`)).headers.get(HEADER_HQ_KEY_ROTATION)).toBeNull();
    // Retired: answers carry no statement, and the station goes on with the key it moved to.
    await bindPeople(core, 5, 5, 20);
    core.upload.syncNow();
    await waitFor('uploaded after the retirement', () => uploadedAll(core!));
    expect(core.upload.status().refusedAnswers).toBeNull();
    expect(await hqDigests(hq!, hqStationId(core))).toEqual(stationDigests(core));
    // A restarted desk trusts the new key only (it was kept, not just learnt).
    expect(core.upload.store.link()!.hqPublicKey).toBe(after);
  });

  it('a station away through the rotation and its retirement refuses HQ’s answers, says why, and is linked again with a re-link code, nothing lost or sent twice', async () => {
    await start();
    core = await desk(hq!);
    await bindPeople(core, 10, 5);
    core.upload.start();
    await waitFor('uploaded', () => uploadedAll(core!));
    await core.upload.stop();
    const stationId = hqStationId(core);
    const held = core.journal.lastSeq();

    expect(await hq!.server.rotateKey()).toMatchObject({ ok: true });
    const refused = await hq!.server.retireKey();
    expect(refused).toMatchObject({ ok: false, error: 'hq.stationsBehind' });
    expect(!refused.ok && refused.error === 'hq.stationsBehind' && refused.stations.map((s) => s.id)).toEqual([stationId]);
    expect(await hq!.server.retireKey({ force: true })).toMatchObject({ ok: true, stationsBehind: [{ id: stationId }] });

    // Back, with more records: HQ's answers are signed by a key nobody this desk trusts vouched for.
    await bindPeople(core, 10, 5, 10);
    core.upload.start();
    await waitFor('told to link again', () => core!.upload.status().relink?.reason === 'upload.hqKeyUnknown');
    const status = core.upload.status();
    expect(status.lastFailure?.code).toBe('upload.hqKeyUnknown');
    expect(status.refusedAnswers?.count).toBeGreaterThan(0);
    // HQ may have stored what was sent; the desk takes no acknowledgement it cannot verify.
    expect(status.ackedThrough).toBe(held);

    // An ordinary code does not link a desk HQ knows; its own re-link code does, as the same station.
    const ordinary = await core.invoke('upload.enroll', { hqUrl: hq!.url, code: (await hq!.server.createEnrollmentCode('site-key')).code });
    expect(!ordinary.ok && ordinary.error.code).toBe('enroll.relinkCodeNeeded');
    const relink = await hq!.server.createRelinkCode(stationId);
    if (!relink.ok) throw new Error(relink.error);
    const linked = await core.invoke('upload.enroll', { hqUrl: hq!.url, code: relink.code });
    expect(linked.ok && linked.value).toMatchObject({ hq: { stationId }, hqFingerprint: hq!.server.fingerprint, relink: null });
    await waitFor('the rest uploaded', () => uploadedAll(core!));
    expect(await hqDigests(hq!, stationId)).toEqual(stationDigests(core));
    expect(await hq!.server.store.holdings(stationId)).toMatchObject({ records: core.journal.lastSeq(), conflicts: 0 });
  });
});

/** Forwards to HQ, then signs HQ's answer with a key of its own and claims HQ's key vouched for it. */
type Forger = { url: string; forged: number; pass: boolean; close(): Promise<void> };

async function forger(hqUrl: string, hqKeyHeader: string): Promise<Forger> {
  const own = hqSigner();
  const ownPublic = createPublicKey(own.privateKey);
  const state: Forger = { url: '', forged: 0, pass: false, close: async () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const target = new URL(hqUrl);
      const out = http.request({ hostname: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, host: target.host } }, (answer) => {
        const parts: Buffer[] = [];
        answer.on('data', (c: Buffer) => parts.push(c));
        answer.on('end', () => {
          const answerBody = Buffer.concat(parts);
          const headers: Record<string, string> = { 'content-type': answer.headers['content-type'] ?? 'application/json', 'content-length': String(answerBody.length) };
          for (const h of ['x-hq-time', 'x-hq-held', 'x-hq-key', 'x-hq-signature', 'retry-after']) if (typeof answer.headers[h] === 'string') headers[h] = answer.headers[h];
          if (!state.pass) {
            state.forged++;
            const held = typeof answer.headers['x-hq-held'] === 'string' ? answer.headers['x-hq-held'] : '';
            Object.assign(headers, own.headers({ headers: req.headers, body }, answer.statusCode ?? 200, answerBody, { hqTime: headers['x-hq-time'], held }));
            // Its own statement, made to look like the word of the key the station trusts.
            headers[HEADER_HQ_KEY_ROTATION] = formatKeyRotation({ ...signKeyRotation(own.privateKey, ownPublic, Date.now()), from: hqKeyHeader });
          }
          res.writeHead(answer.statusCode ?? 502, headers);
          res.end(answerBody);
        });
      });
      out.on('error', () => req.socket.destroy());
      out.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return state;
}

describe('a forged rotation', () => {
  it('an answer signed by another key, with a “rotation” its signer made in HQ’s key’s name, is refused and staff are told; nothing is acknowledged', async () => {
    hq = await startHq();
    const forging = await forger(hq.url, await hqKeyHeaderNow(hq));
    middle = forging;
    core = await desk(hq, forging.url);
    const trusted = core.upload.store.link()!.hqPublicKey;
    await bindPeople(core, 10, 5);
    core.upload.start();
    await waitFor('forged answers refused', () => forging.forged >= 2 && (core!.upload.status().refusedAnswers?.count ?? 0) >= 2);
    const status = core.upload.status();
    expect(status.lastFailure?.code).toBe('upload.hqKeyForged');
    expect(status.online).toBe(false);
    expect(core.upload.store.state().lastSuccessAt).toBeNull();
    expect(core.upload.store.link()!.hqPublicKey).toBe(trusted);
    expect(status.hqFingerprint).toBe(hq.server.fingerprint);
    // A forgery is no reason to link the desk again.
    expect(status.relink).toBeNull();
    // HQ stored the batches (they went through), but the desk takes no acknowledgement it cannot verify.
    expect(status.ackedThrough).toBe(0);

    forging.pass = true;
    await waitFor('uploaded through HQ', () => uploadedAll(core!));
    expect(core.upload.store.link()!.hqPublicKey).toBe(trusted);
  });
});

describe('export files across a rotation', () => {
  it('a file written to the export key before the rotation imports after it, and after the retirement', async () => {
    hq = await startHq();
    const dataDir = tempDir('station-key-');
    core = await desk(hq, hq.url, dataDir);
    await bindPeople(core, 20, 10);
    const file = path.join(tempDir('export-rotation-'), 'export.json');
    const written = await writeExportFile(dataDir, dataKeyOf(dataDir), file);
    expect(written).toMatchObject({ fromSeq: 1, toSeq: core.journal.lastSeq() });

    expect(await hq.server.rotateKey()).toMatchObject({ ok: true });
    expect(await hq.server.retireKey({ force: true })).toMatchObject({ ok: true });
    // And one more rotation on top: the older export key is still kept.
    expect(await hq.server.rotateKey()).toMatchObject({ ok: true });
    const imported = await hq.server.importExport(fs.readFileSync(file));
    expect(imported).toMatchObject({ ok: true, stationId: hqStationId(core), ackedThrough: core.journal.lastSeq() });
    expect(await hqDigests(hq, hqStationId(core))).toEqual(stationDigests(core));
  });
});

describe('enrollment codes across a rotation', () => {
  it('a code made before the rotation enrolls while the previous key still vouches, and pins the new key; after the retirement it is refused as another HQ’s', async () => {
    hq = await startHq();
    const early = await hq.server.createEnrollmentCode('site-key', '换钥社区');
    const another = await hq.server.createEnrollmentCode('site-key');
    expect(await hq.server.rotateKey()).toMatchObject({ ok: true });
    core = await openCore(tempDir('station-key-'));
    const enrolled = await core.invoke('upload.enroll', { hqUrl: hq.url, code: early.code });
    expect(enrolled.ok && enrolled.value.hqFingerprint).toBe(hq.server.fingerprint);
    expect(core.upload.store.link()!.hqPublicKey).toBe(await hqKeyHeaderNow(hq));
    core.close();

    expect(await hq.server.retireKey({ force: true })).toMatchObject({ ok: true });
    core = await openCore(tempDir('station-key-'));
    const refused = await core.invoke('upload.enroll', { hqUrl: hq.url, code: another.code });
    expect(!refused.ok && refused.error.code).toBe('enroll.wrongHq');
    expect(core.upload.status().enrolled).toBe(false);
  });
});
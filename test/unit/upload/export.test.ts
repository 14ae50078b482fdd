import { createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { decryptExport, encryptExport, exportSignedText, type EncryptedExportFile } from '../../../hq/protocol';
import { loadPrivateKey } from '../../../electron/core/upload/keys';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHqServer, type HqServer } from '../../../hq/server';
import { exportCommand } from '../../../electron/cli/commands/export';
import { StationCore } from '../../../electron/core/core';
import { writeExportFile } from '../../../electron/core/upload/export';
import { dataKeyOf, ok, signInAdmin, tempDir } from '../../helpers/core';
import { idNumber, tubeCode } from '../../helpers/ids';

let hq: HqServer | undefined;
let core: StationCore | undefined;
afterEach(async () => {
  core?.close();
  await hq?.close();
  core = undefined;
  hq = undefined;
});

async function enrolledStationWithRecords(): Promise<{ dataDir: string; url: string }> {
  hq = await createHqServer({ dataDir: tempDir('hq-export-') });
  const url = await hq.listen(0);
  const { code } = await hq.createEnrollmentCode('site-x', '导出测试');
  const dataDir = tempDir();
  core = await signInAdmin(new StationCore({ dataDir, dataKey: dataKeyOf(dataDir) }));
  await ok(core, 'upload.enroll', { hqUrl: url, code });
  await ok(core, 'round.start', { name: '第1轮全员核酸' });
  await ok(core, 'scan.submit', { text: tubeCode(1), source: 'manual' });
  for (let i = 1; i <= 5; i++) await ok(core, 'scan.submit', { text: idNumber(i), source: 'manual' });
  // A walk-in's registration code: a name and a phone travel in the export too.
  await ok(core, 'scan.submit', { text: JSON.stringify(WALK_IN), source: 'manual' });
  return { dataDir, url };
}

/** Someone with a registration code, not on any roster. */
const WALK_IN = { name: '欧阳明远', idCard: idNumber(6), phone: '13912345678' };

describe('station export', () => {
  it('writes a file encrypted to HQ and signed, of everything unacknowledged, that HQ imports with its usual dedup', async () => {
    const { dataDir } = await enrolledStationWithRecords();
    const head = core!.journal.lastSeq();
    const out = path.join(tempDir(), 'stick', 'station.export.json');
    fs.mkdirSync(path.dirname(out));
    expect(await exportCommand.run(['--data', dataDir, '--out', out])).toBe(0);
    const bytes = fs.readFileSync(out);
    // Encrypted: none of the people bound is in it, byte for byte, and it is not gzip inside plain base64.
    const file = JSON.parse(bytes.toString('utf8')) as EncryptedExportFile;
    expect(file).toMatchObject({ version: 2, cipher: 'x25519-hkdf-sha256-aes-256-gcm' });
    const sealed = Buffer.from(file.export, 'base64');
    for (const personal of [...[1, 2, 3, 4, 5].map(idNumber), WALK_IN.name, WALK_IN.phone, WALK_IN.idCard]) {
      expect(bytes.includes(personal), personal).toBe(false);
      expect(sealed.includes(personal), personal).toBe(false);
    }
    expect(() => gunzipSync(sealed)).toThrow();
    // Only HQ's export key opens it: not another key, so not the station (which never had HQ's).
    const { signature: _signature, ...unsigned } = file;
    void _signature;
    expect(decryptExport(generateKeyPairSync('x25519').privateKey, file)).toBeNull();
    expect(fs.readdirSync(dataDir).some((f) => f.includes('export-key'))).toBe(false);
    const other = await createHqServer({ dataDir: tempDir('hq-other-') });
    try {
      expect(await other.importExport(bytes)).toMatchObject({ ok: false, error: 'station.unknown' });
    } finally {
      await other.close();
    }

    const imported = await hq!.importExport(bytes);
    expect(imported).toMatchObject({ ok: true, fromSeq: 1, toSeq: head, ackedThrough: head, rejections: [] });
    const link = core!.upload.store.link()!;
    expect(await hq!.store.holdings(link.stationId)).toMatchObject({ records: head, conflicts: 0 });

    // Signed by any other key, or changed after it was signed, the same file is refused: nothing more is stored.
    const otherKey = generateKeyPairSync('ed25519').privateKey;
    const forged = sign(null, Buffer.from(exportSignedText(unsigned)), otherKey).toString('base64');
    expect(await hq!.importExport(Buffer.from(JSON.stringify({ ...file, signature: forged })))).toMatchObject({ ok: false, error: 'signature.invalid' });
    const flipped = Buffer.from(sealed);
    flipped[0]! ^= 1;
    expect(await hq!.importExport(Buffer.from(JSON.stringify({ ...file, export: flipped.toString('base64') })))).toMatchObject({ ok: false, error: 'signature.invalid' });
    // Signed by the station but sealed for another HQ: refused, nothing decrypted.
    const elsewhere = encryptExport(createPublicKey(generateKeyPairSync('x25519').privateKey), file.stationId, gzipSync('{}'));
    const stationKey = loadPrivateKey(dataDir);
    const misdirected = { ...elsewhere, signature: sign(null, Buffer.from(exportSignedText(elsewhere)), stationKey).toString('base64') };
    expect(await hq!.importExport(Buffer.from(JSON.stringify(misdirected)))).toMatchObject({ ok: false, error: 'export.notForThisHq' });

    // The agent later uploads the same records: HQ acknowledges them again, once each.
    core!.upload.start();
    const deadline = Date.now() + 20_000;
    while (core!.upload.status().waiting > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(core!.upload.status()).toMatchObject({ waiting: 0, rejectionCount: 0 });
    expect(await hq!.store.holdings(link.stationId)).toMatchObject({ records: head, conflicts: 0 });
  });

  it('exports only what HQ has not acknowledged, and nothing when all is acknowledged', async () => {
    const { dataDir } = await enrolledStationWithRecords();
    const head = core!.journal.lastSeq();
    await core!.writer.run(() => core!.db.prepare('UPDATE upload_state SET acked_through = ?').run(head - 2));
    const out = path.join(tempDir(), 'part.json');
    expect(await writeExportFile(dataDir, dataKeyOf(dataDir), out)).toMatchObject({ fromSeq: head - 1, toSeq: head, records: 2 });
    await core!.writer.run(() => core!.db.prepare('UPDATE upload_state SET acked_through = ?').run(head));
    expect(await writeExportFile(dataDir, dataKeyOf(dataDir), path.join(tempDir(), 'none.json'))).toBeNull();
  });

  it('a station enrolled before export files were encrypted takes HQ’s export key from its next signed feed page', async () => {
    const { dataDir } = await enrolledStationWithRecords();
    await core!.writer.run(() => core!.db.prepare('UPDATE hq_link SET hq_export_key = NULL').run());
    await expect(writeExportFile(dataDir, dataKeyOf(dataDir), path.join(tempDir(), 'x.json'))).rejects.toThrow(/export key/);
    core!.upload.start();
    const deadline = Date.now() + 20_000;
    // Until the key is there and the uploads are done (a batch cut off would keep HQ waiting for it on close).
    while ((!core!.upload.store.link()!.hqExportKey || core!.upload.status().waiting > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const out = path.join(tempDir(), 'later.json');
    // Offline again, with nothing acknowledged: everything is exported.
    core!.close();
    core = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir) });
    await core.writer.run(() => core!.db.prepare('UPDATE upload_state SET acked_through = 0').run());
    expect(await writeExportFile(dataDir, dataKeyOf(dataDir), out)).toMatchObject({ fromSeq: 1 });
    expect(await hq!.importExport(fs.readFileSync(out))).toMatchObject({ ok: true });
  });

  it('refuses a station that is not enrolled', async () => {
    const dataDir = tempDir();
    new StationCore({ dataDir, dataKey: dataKeyOf(dataDir) }).close();
    await expect(writeExportFile(dataDir, dataKeyOf(dataDir), path.join(dataDir, 'x.json'))).rejects.toThrow(/not enrolled/);
  });
});

import { generateKeyPairSync, sign } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { importExportFile } from '../../../hq/import';
import { createHqServer, type HqServer } from '../../../hq/server';
import { exportCommand } from '../../../electron/cli/commands/export';
import { StationCore } from '../../../electron/core/core';
import { writeExportFile } from '../../../electron/core/upload/export';
import { dataKeyOf, ok, tempDir } from '../../helpers/core';
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
  core = new StationCore({ dataDir, dataKey: dataKeyOf(dataDir) });
  await ok(core, 'upload.enroll', { hqUrl: url, code });
  await ok(core, 'round.start', { name: '第1轮全员核酸' });
  await ok(core, 'scan.submit', { text: tubeCode(1), source: 'manual' });
  for (let i = 1; i <= 5; i++) await ok(core, 'scan.submit', { text: idNumber(i), source: 'manual' });
  return { dataDir, url };
}

describe('station export', () => {
  it('writes a signed file of everything unacknowledged that HQ imports with its usual dedup', async () => {
    const { dataDir } = await enrolledStationWithRecords();
    const head = core!.journal.lastSeq();
    const out = path.join(tempDir(), 'stick', 'station.export.json');
    fs.mkdirSync(path.dirname(out));
    expect(await exportCommand.run(['--data', dataDir, '--out', out])).toBe(0);
    const bytes = fs.readFileSync(out);
    const imported = await importExportFile(hq!.store, bytes);
    expect(imported).toMatchObject({ ok: true, fromSeq: 1, toSeq: head, ackedThrough: head, rejections: [] });
    const link = core!.upload.store.link()!;
    expect(await hq!.store.holdings(link.stationId)).toMatchObject({ records: head, conflicts: 0 });

    // Signed by any other key, the same file is refused: nothing more is stored.
    const file = JSON.parse(bytes.toString('utf8')) as { export: string; signature: string };
    const otherKey = generateKeyPairSync('ed25519').privateKey;
    const forged = sign(null, Buffer.from(file.export, 'base64'), otherKey).toString('base64');
    expect(await importExportFile(hq!.store, Buffer.from(JSON.stringify({ ...file, signature: forged })))).toMatchObject({
      ok: false,
      error: 'signature.invalid',
    });

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

  it('refuses a station that is not enrolled', async () => {
    const dataDir = tempDir();
    new StationCore({ dataDir, dataKey: dataKeyOf(dataDir) }).close();
    await expect(writeExportFile(dataDir, dataKeyOf(dataDir), path.join(dataDir, 'x.json'))).rejects.toThrow(/not enrolled/);
  });
});

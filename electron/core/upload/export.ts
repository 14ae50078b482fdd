import { sign } from 'node:crypto';
import { encryptExport, exportSignedText, parseExportKey, type EncryptedExportFile } from '../../../hq/protocol';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { DataKey } from '../db/cipher';
import { openDatabase } from '../db/database';
import { JournalReader } from './batch';
import { loadPrivateKey } from './keys';
import { UploadStore } from './store';

const gzip = promisify(zlib.gzip);

export type ExportSummary = { fromSeq: number; toSeq: number; records: number; bytes: number };


/**
 * Writes everything HQ has not acknowledged to `outFile`, encrypted to HQ's export key and signed
 * with the station's key, for a USB stick when the network is gone for days (protocol "Export
 * files encrypted to HQ"): a lost stick shows no one who was sampled, and this station cannot read
 * the file back either. The upload state is not touched: the agent still uploads these records
 * later and HQ deduplicates whichever copy arrives second. Returns null when nothing is waiting
 * (no file is written).
 */
export async function writeExportFile(dataDir: string, dataKey: DataKey, outFile: string, now: () => Date = () => new Date()): Promise<ExportSummary | null> {
  const dbFile = path.join(dataDir, 'station.db');
  if (!fs.existsSync(dbFile)) throw new Error(`no station database in ${dataDir}`);
  const db = openDatabase(dbFile, dataKey);
  let reader: JournalReader | null = null;
  try {
    const store = new UploadStore(db);
    const link = store.link();
    if (!link) throw new Error('this station is not enrolled at HQ: run "station enroll" first');
    const exportKey = parseExportKey(link.hqExportKey);
    if (!exportKey) throw new Error('this station does not have HQ’s export key yet: let it reach HQ once (it comes with the next sync), then export again');
    reader = new JournalReader(dbFile, dataKey);
    const headSeq = reader.headSeq();
    const read = reader.read(store.state().ackedThrough, { maxRecords: Number.MAX_SAFE_INTEGER, maxBytes: Number.MAX_SAFE_INTEGER });
    if (!read) return null;
    const head = `{"type":"station.export","version":1,"stationId":${JSON.stringify(link.stationId)},"createdAt":${JSON.stringify(
      now().toISOString(),
    )},"fromSeq":${read.fromSeq},"toSeq":${read.toSeq},"headSeq":${headSeq},"prevHash":${JSON.stringify(read.prevHash)},"records":`;
    const json = Buffer.concat([Buffer.from(head), read.records, Buffer.from(`,"publicKey":${JSON.stringify(link.publicKey)}}`)]);
    const gz = await gzip(json);
    const sealed = encryptExport(exportKey, link.stationId, gz);
    const signed: EncryptedExportFile = { ...sealed, signature: sign(null, Buffer.from(exportSignedText(sealed)), loadPrivateKey(dataDir)).toString('base64') };
    const file = JSON.stringify(signed);
    // Written aside and renamed: a stick pulled out mid-write never holds half a file under the final name.
    const partial = `${outFile}.partial`;
    fs.writeFileSync(partial, file, { mode: 0o600 });
    fs.renameSync(partial, outFile);
    return { fromSeq: read.fromSeq, toSeq: read.toSeq, records: read.count, bytes: Buffer.byteLength(file) };
  } finally {
    reader?.close();
    db.close();
  }
}

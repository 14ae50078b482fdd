import { randomUUID, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import {
  decryptExport,
  encryptedExportFileSchema,
  exportFileSchema,
  exportPayloadSchema,
  exportSignedText,
  MAX_DECOMPRESSED_BYTES,
  verifySignature,
  type Rejection,
} from './protocol';
import type { HqStore } from './store/types';

const gunzip = promisify(zlib.gunzip);

/** Records per transaction when importing: a file may hold days of a station's journal. */
const IMPORT_CHUNK = 10_000;

export type ImportOutcome =
  | { ok: true; stationId: string; fromSeq: number; toSeq: number; ackedThrough: number; rejections: Rejection[] }
  | {
      ok: false;
      error: 'body.invalid' | 'body.tooLarge' | 'station.unknown' | 'station.revoked' | 'signature.invalid' | 'import.gap' | 'chain.broken' | 'export.notForThisHq';
      detail?: string;
      expectedSeq?: number;
    };

/**
 * Imports a station's signed export file (USB stick) with the same dedup and gap rules as an
 * upload. The signature is checked against the key HQ enrolled for that station, not the key the
 * file carries, so a file cannot vouch for itself. A file encrypted to HQ (version 2, what stations
 * write) is checked before it is decrypted with one of `exportKeys` (HQ's current export key, then
 * those it had before each rotation: a file written before a rotation still imports); a plain one
 * (version 1, written before export files were encrypted) is still read.
 */
export async function importExportFile(store: HqStore, fileBytes: Buffer, exportKeys: readonly KeyObject[], now: () => Date = () => new Date()): Promise<ImportOutcome> {
  const raw = safeJson(fileBytes);
  const encrypted = encryptedExportFileSchema.safeParse(raw);
  let gz: Buffer;
  let signature: string;
  let signedBy: string | null = null;
  if (encrypted.success) {
    const { signature: sig, ...rest } = encrypted.data;
    const station = await store.station(rest.stationId);
    if (!station) return { ok: false, error: 'station.unknown' };
    if (!verifySignature(station.publicKey, exportSignedText(rest), sig)) return { ok: false, error: 'signature.invalid' };
    // AES-GCM authenticates: a key the file was not encrypted to never yields bytes.
    let plain: Buffer | null = null;
    for (const key of exportKeys) {
      plain = decryptExport(key, encrypted.data);
      if (plain) break;
    }
    if (!plain) return { ok: false, error: 'export.notForThisHq' };
    gz = plain;
    signature = sig;
    signedBy = rest.stationId;
  } else {
    const file = exportFileSchema.safeParse(raw);
    if (!file.success) return { ok: false, error: 'body.invalid', detail: 'not a station export file' };
    gz = Buffer.from(file.data.export, 'base64');
    signature = file.data.signature;
  }
  let json: Buffer;
  try {
    json = await gunzip(gz, { maxOutputLength: MAX_DECOMPRESSED_BYTES });
  } catch (err) {
    const tooLarge = err instanceof RangeError || (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE';
    return { ok: false, error: tooLarge ? 'body.tooLarge' : 'body.invalid', detail: 'export is not gzip' };
  }
  const parsed = exportPayloadSchema.safeParse(safeJson(json));
  if (!parsed.success) return { ok: false, error: 'body.invalid', detail: parsed.error.issues[0]?.message ?? 'invalid export' };
  const exp = parsed.data;
  if (exp.toSeq - exp.fromSeq + 1 !== exp.records.length || exp.records.some((r, i) => r.seq !== exp.fromSeq + i)) {
    return { ok: false, error: 'body.invalid', detail: 'records are not contiguous fromSeq..toSeq' };
  }
  const station = await store.station(exp.stationId);
  if (!station) return { ok: false, error: 'station.unknown' };
  // Version 2: its signature was checked before decryption, for the station named outside; the inside must name the same.
  if (signedBy !== null ? signedBy !== exp.stationId : !verifySignature(station.publicKey, gz, signature)) return { ok: false, error: 'signature.invalid' };
  if (station.revokedAt !== null) return { ok: false, error: 'station.revoked' };
  const rejections: Rejection[] = [];
  let ackedThrough = station.ackedThrough;
  // Each chunk continues the chain from the hash of the record before it.
  let prevHash = exp.prevHash;
  for (let i = 0; i < exp.records.length; i += IMPORT_CHUNK) {
    const records = exp.records.slice(i, i + IMPORT_CHUNK);
    const lastHash = (records[records.length - 1] as { hash?: unknown }).hash;
    const chainHead = prevHash !== undefined && typeof lastHash === 'string' ? lastHash : undefined;
    const outcome = await store.ingest({
      stationId: station.id,
      batchId: randomUUID(),
      fromSeq: records[0]!.seq,
      toSeq: records[records.length - 1]!.seq,
      headSeq: exp.headSeq ?? exp.toSeq,
      records,
      ...(chainHead !== undefined ? { prevHash, chainHead } : {}),
      receivedAt: now().toISOString(),
      siteId: station.siteId,
    });
    if (outcome.kind === 'gap') return { ok: false, error: 'import.gap', expectedSeq: outcome.expectedSeq };
    if (outcome.kind === 'chainBroken') return { ok: false, error: 'chain.broken', detail: `seq ${outcome.seq}: ${outcome.detail}` };
    prevHash = chainHead;
    ackedThrough = outcome.ackedThrough;
    rejections.push(...outcome.rejections);
  }
  return { ok: true, stationId: station.id, fromSeq: exp.fromSeq, toSeq: exp.toSeq, ackedThrough, rejections };
}

function safeJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

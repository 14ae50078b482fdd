import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { z } from 'zod';
import { exportFileSchema, exportPayloadSchema, MAX_DECOMPRESSED_BYTES, verifySignature, type Rejection } from './protocol';
import type { HqStore } from './store/types';

const gunzip = promisify(zlib.gunzip);

/** Records per transaction when importing: a file may hold days of a station's journal. */
const IMPORT_CHUNK = 10_000;

export type ImportOutcome =
  | { ok: true; stationId: string; fromSeq: number; toSeq: number; ackedThrough: number; rejections: Rejection[] }
  | { ok: false; error: 'body.invalid' | 'body.tooLarge' | 'station.unknown' | 'station.revoked' | 'signature.invalid' | 'import.gap'; detail?: string; expectedSeq?: number };

/**
 * Imports a station's signed export file (USB stick) with the same dedup and gap rules as an
 * upload. The signature is checked against the key HQ enrolled for that station, not the key the
 * file carries, so a file cannot vouch for itself.
 */
export async function importExportFile(store: HqStore, fileBytes: Buffer, now: () => Date = () => new Date()): Promise<ImportOutcome> {
  let file: z.infer<typeof exportFileSchema>;
  try {
    file = exportFileSchema.parse(JSON.parse(fileBytes.toString('utf8')));
  } catch {
    return { ok: false, error: 'body.invalid', detail: 'not a station export file' };
  }
  const gz = Buffer.from(file.export, 'base64');
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
  if (!verifySignature(station.publicKey, gz, file.signature)) return { ok: false, error: 'signature.invalid' };
  if (station.revokedAt !== null) return { ok: false, error: 'station.revoked' };
  const rejections: Rejection[] = [];
  let ackedThrough = station.ackedThrough;
  for (let i = 0; i < exp.records.length; i += IMPORT_CHUNK) {
    const records = exp.records.slice(i, i + IMPORT_CHUNK);
    const outcome = await store.ingest({
      stationId: station.id,
      batchId: randomUUID(),
      fromSeq: records[0]!.seq,
      toSeq: records[records.length - 1]!.seq,
      headSeq: exp.headSeq ?? exp.toSeq,
      records,
      receivedAt: now().toISOString(),
      siteId: station.siteId,
    });
    if (outcome.kind === 'gap') return { ok: false, error: 'import.gap', expectedSeq: outcome.expectedSeq };
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

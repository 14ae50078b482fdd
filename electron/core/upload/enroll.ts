import fs from 'node:fs';
import { HQ_PATHS, enrollResponseSchema, hqErrorSchema, type EnrollResponse } from '../../../hq/protocol';
import type { UploadErrorCode } from '../../api/upload';
import { DataFolderLock } from '../db/folder-lock';
import { DomainError } from '../errors';
import { createKeyFile, keyPath } from './keys';

export type EnrollRequestArgs = {
  dataDir: string;
  hqUrl: string;
  code: string;
  stationName: string;
  localStationId: string;
  timeoutMs?: number;
};

/** Held for a whole enrollment, from the check that none is stored to the stored link. */
export const ENROLL_LOCK_FILE = 'enroll.lock';

/**
 * One enrollment at a time per data folder, across processes (the app and `station enroll`) and
 * within one (a double click): the lock is SQLite's write lock on `enroll.lock`, as for the data
 * folder itself, so a process that dies mid-enrollment never leaves a stale lock behind (an
 * O_EXCL file would, and would need its holder's liveness guessed). Another enrollment under way
 * is refused with `enroll.inProgress`.
 */
export function takeEnrollmentLock(dataDir: string): { release(): void } {
  const lock = DataFolderLock.tryTake(dataDir, ENROLL_LOCK_FILE);
  if (!lock) throw new DomainError('enroll.inProgress');
  return lock;
}

const HQ_ENROLL_ERRORS: readonly UploadErrorCode[] = ['enroll.codeInvalid', 'enroll.codeUsed', 'enroll.codeExpired', 'enroll.siteFull'];

/**
 * Enrolls this station at HQ: a new Ed25519 key pair is made here, only the public key is sent
 * with the one-time code, and HQ answers with the station's identity. The private key is kept
 * under a temporary name until HQ has accepted it, then becomes the station's key. The caller
 * holds the enrollment lock (takeEnrollmentLock) until the link is stored.
 */
export async function enrollAtHq(args: EnrollRequestArgs): Promise<EnrollResponse & { publicKey: string }> {
  const finalPath = keyPath(args.dataDir);
  const pendingPath = `${finalPath}.pending`;
  fs.rmSync(pendingPath, { force: true });
  const keys = createKeyFile(pendingPath);
  try {
    let response: Response;
    try {
      response = await fetch(new URL(HQ_PATHS.enroll, args.hqUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code: args.code, publicKey: keys.publicKeyPem, stationName: args.stationName, localStationId: args.localStationId }),
        signal: AbortSignal.timeout(args.timeoutMs ?? 30_000),
        redirect: 'manual',
      });
    } catch {
      throw new DomainError('enroll.hqUnreachable');
    }
    const text = await response.text().catch(() => '');
    let json: unknown = null;
    try {
      json = /^application\/json\b/i.test(response.headers.get('content-type') ?? '') ? (JSON.parse(text) as unknown) : null;
    } catch {
      json = null;
    }
    const enrolled = response.status === 200 ? enrollResponseSchema.safeParse(json) : null;
    if (enrolled?.success) {
      fs.renameSync(pendingPath, finalPath);
      return { ...enrolled.data, publicKey: keys.publicKeyPem };
    }
    const refusal = hqErrorSchema.safeParse(json);
    if (refusal.success && (HQ_ENROLL_ERRORS as readonly string[]).includes(refusal.data.error)) {
      throw new DomainError(refusal.data.error as UploadErrorCode);
    }
    throw new DomainError('enroll.notHq', { status: response.status });
  } finally {
    fs.rmSync(pendingPath, { force: true });
  }
}

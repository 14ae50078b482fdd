import { randomBytes, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import {
  answerBinding,
  enrollResponseSchema,
  FINGERPRINT_SYMBOLS,
  HEADER_HQ_KEY,
  HEADER_HQ_KEY_ROTATION,
  HEADER_HQ_SIGNATURE,
  HEADER_HQ_TIME,
  hqErrorSchema,
  hqKeyFingerprint,
  hqKeyHeader,
  HQ_PATHS,
  keyRotationHolds,
  parseHqKey,
  parseKeyRotation,
  splitEnrollmentCode,
  verifyAnswer,
  type EnrollResponse,
} from '../../../hq/protocol';
import type { UploadErrorCode } from '../../api/upload';
import { DataFolderLock } from '../db/folder-lock';
import { DomainError } from '../errors';
import { createLogger } from '../log';
import { createKeyFile, keyPath } from './keys';

const log = createLogger('upload');

export type EnrollRequestArgs = {
  dataDir: string;
  hqUrl: string;
  code: string;
  stationName: string;
  localStationId: string;
  /** The station this desk was linked as, when it is linked again (HQ gives it back with a re-link code). */
  previousStationId?: string;
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

const HQ_ENROLL_ERRORS: readonly UploadErrorCode[] = [
  'enroll.codeInvalid',
  'enroll.codeUsed',
  'enroll.codeExpired',
  'enroll.siteFull',
  'enroll.relinkCodeNeeded',
  'enroll.codeForAnotherStation',
];

/**
 * Whether the answer's key is the HQ the code names: that key itself, or a key it vouched for
 * (a code made before HQ changed its key, used while the change's grace lasts).
 */
function namedByCode(fingerprint: string, offered: KeyObject, rotationHeader: string | null): boolean {
  const fingerprintOf = (key: KeyObject) => hqKeyFingerprint(key.export({ format: 'der', type: 'spki' }));
  if (fingerprintOf(offered) === fingerprint) return true;
  const rotation = parseKeyRotation(rotationHeader);
  const previous = rotation ? parseHqKey(rotation.from) : null;
  return rotation !== null && previous !== null && fingerprintOf(previous) === fingerprint && rotation.to === hqKeyHeader(offered) && keyRotationHolds(previous, rotation);
}

/** An answer of HQ's enrollment endpoint whose signature, by the key the code names, holds. */
type SignedEnrollAnswer = { response: Response; body: Buffer; hqKeyHeader: string };

/**
 * Posts `request` to HQ's enrollment endpoint and takes the answer only when it is signed, bound
 * to this request, by the key the code names (or one it vouched for); otherwise `enroll.wrongHq`.
 */
async function postSignedByCodesHq(args: EnrollRequestArgs, fingerprint: string, request: Buffer, refusal: string): Promise<SignedEnrollAnswer> {
  let response: Response;
  try {
    response = await fetch(new URL(HQ_PATHS.enroll, args.hqUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: request,
      signal: AbortSignal.timeout(args.timeoutMs ?? 30_000),
      redirect: 'manual',
    });
  } catch {
    throw new DomainError('enroll.hqUnreachable');
  }
  const body = Buffer.from(await response.arrayBuffer().catch(() => new ArrayBuffer(0)));
  const hqKeyHeader = response.headers.get(HEADER_HQ_KEY);
  const hqKey = parseHqKey(hqKeyHeader);
  const signature = response.headers.get(HEADER_HQ_SIGNATURE);
  const fromThatHq = hqKey !== null && namedByCode(fingerprint, hqKey, response.headers.get(HEADER_HQ_KEY_ROTATION));
  const answer = { status: response.status, hqTime: response.headers.get(HEADER_HQ_TIME) ?? '', held: '', request: answerBinding(undefined, request), body };
  if (!fromThatHq || signature === null || !verifyAnswer(hqKey, answer, signature)) {
    log.warn({ status: response.status, signed: signature !== null, keyMatches: fromThatHq }, refusal);
    throw new DomainError('enroll.wrongHq', { status: response.status });
  }
  return { response, body, hqKeyHeader: hqKeyHeader! };
}

/**
 * Enrolls this station at HQ: a new Ed25519 key pair is made here, only the public key is sent
 * with the one-time part of the code, and HQ answers with the station's identity, signed with
 * HQ's key. That key must be the one whose fingerprint the code carries: an answer from anyone
 * else (a fake HQ, someone in between) enrolls nothing. The private key is kept under a
 * temporary name until HQ has accepted it, then becomes the station's key. The caller
 * holds the enrollment lock (takeEnrollmentLock) until the link is stored.
 */
export async function enrollAtHq(args: EnrollRequestArgs): Promise<EnrollResponse & { publicKey: string; hqPublicKey: string }> {
  const { oneTime, fingerprint } = splitEnrollmentCode(args.code);
  if (fingerprint === null || fingerprint.length !== FINGERPRINT_SYMBOLS) throw new DomainError('enroll.codeWithoutKey');
  const finalPath = keyPath(args.dataDir);
  const pendingPath = `${finalPath}.pending`;
  fs.rmSync(pendingPath, { force: true });
  // HQ proves its key before the code leaves this computer: a fake HQ never learns a code, and a
  // typo in the fingerprint uses up nothing at the real one.
  // The probe is a fresh nonce and no code: HQ refuses it, and its signed refusal, bound to that
  // nonce, shows which key answers at this address. (Someone relaying between station and HQ on
  // plain HTTP still sees the code that follows; the desk warns about plain HTTP to another computer.)
  const probe = Buffer.from(JSON.stringify({ probe: randomBytes(16).toString('hex') }));
  await postSignedByCodesHq(args, fingerprint, probe, 'the address given for HQ does not answer with the key the code names; the code was not sent');
  const keys = createKeyFile(pendingPath);
  try {
    const request = Buffer.from(
      JSON.stringify({
        code: oneTime,
        publicKey: keys.publicKeyPem,
        stationName: args.stationName,
        localStationId: args.localStationId,
        ...(args.previousStationId !== undefined ? { previousStationId: args.previousStationId } : {}),
      }),
    );
    const { response, body, hqKeyHeader } = await postSignedByCodesHq(args, fingerprint, request, 'enrollment answer not signed by the HQ the code names');
    const text = body.toString('utf8');
    let json: unknown = null;
    try {
      json = /^application\/json\b/i.test(response.headers.get('content-type') ?? '') ? (JSON.parse(text) as unknown) : null;
    } catch {
      json = null;
    }
    const enrolled = response.status === 200 ? enrollResponseSchema.safeParse(json) : null;
    if (enrolled?.success) {
      fs.renameSync(pendingPath, finalPath);
      return { ...enrolled.data, publicKey: keys.publicKeyPem, hqPublicKey: hqKeyHeader };
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

/**
 * The upload, enrollment and results part of the typed API (composed into contract.ts). Types
 * and zod schemas only, like the contract: it runs in the core, the hosts and the renderer.
 */
import { z } from 'zod';
import type { PersonView } from './contract';

/** Why the last upload attempt failed; the renderer words each one (upload.json). */
export type UploadFailureCode =
  | 'upload.offline'
  | 'upload.timeout'
  | 'upload.notHq'
  | 'upload.hqBusy'
  | 'upload.hqRefused'
  | 'upload.clockRejected'
  | 'upload.batchTooLarge'
  /** HQ's answers come signed by a key this desk does not trust and no word of its own key vouches for (HQ changed keys while it was away, or someone answers in HQ's name). */
  | 'upload.hqKeyUnknown'
  /** An answer claimed HQ changed its key in the name of the key this desk trusts, but that key did not sign it: someone pretends to be HQ. */
  | 'upload.hqKeyForged';

/**
 * Why this desk must be linked to HQ again before it can upload (HQ's own word, in an answer it
 * signed, or answers signed by a key it cannot trust); a new code from HQ links it again.
 */
export type RelinkReason = 'station.revoked' | 'station.unknown' | 'signature.invalid' | 'upload.hqKeyUnknown';

export type UploadErrorCode =
  | 'upload.notEnrolled'
  | 'upload.alreadyEnrolled'
  | 'enroll.hqUnreachable'
  | 'enroll.notHq'
  | 'enroll.codeInvalid'
  | 'enroll.codeUsed'
  | 'enroll.codeExpired'
  | 'enroll.siteFull'
  /** Another enrollment of this station is under way (a second click, `station enroll` beside the app). */
  | 'enroll.inProgress'
  /** The code carries no HQ key fingerprint (made by an HQ before answers were signed): a new code is needed. */
  | 'enroll.codeWithoutKey'
  /** The answer was not signed by the HQ whose fingerprint the code carries (a wrong address, a fake HQ). */
  | 'enroll.wrongHq'
  /** This desk was linked before: only a re-link code HQ made for it (`station hq station relink`) links it again. */
  | 'enroll.relinkCodeNeeded'
  /** The code is a re-link code for another desk. */
  | 'enroll.codeForAnotherStation';

/** A record HQ processed but did not accept; `code` is HQ's (`record.invalid`, `record.conflict`). */
export type UploadRejectionView = { seq: number; kind: string | null; code: string; detail: string; at: string };

export type UploadStatus = {
  enrolled: boolean;
  hq: { url: string; stationId: string; siteName: string } | null;
  /** Whether the last exchange reached HQ itself; null before the first attempt. */
  online: boolean | null;
  running: boolean;
  headSeq: number;
  ackedThrough: number;
  /** Records HQ has not acknowledged yet. */
  waiting: number;
  lastSuccessAt: string | null;
  lastFailure: { code: UploadFailureCode; hqError: string | null; at: string } | null;
  clockOffsetMs: number;
  rejectionCount: number;
  rejections: UploadRejectionView[];
  openRetests: number;
  /** HQ sent a site configuration this station cannot use: it keeps its own until a usable one comes. */
  siteConfigRejection: { at: string; detail: string } | null;
  /** HQ's key fingerprint (as enrollment codes carry it), for staff to compare with HQ's dashboard; null until known. */
  hqFingerprint: string | null;
  /** HQ is reached over plain HTTP on an address other than this computer: anyone on the way can read what is sent. */
  insecureTransport: boolean;
  /** Answers in HQ's name that HQ's key did not sign, ignored since the agent started: how many, and the last. */
  refusedAnswers: { count: number; at: string } | null;
  /** How far HQ holds this journal with its very chain (what retention may purge). */
  confirmedThrough: number;
  /** The last check of this journal's hash chain; null before the first. */
  journal: JournalCheckView | null;
  /** This desk must be linked again (a new code from HQ; its records are kept and sent); null while its link holds. */
  relink: { reason: RelinkReason; since: string } | null;
};

/** Where a journal's chain does not hold: an entry missing before it, moved, or changed. */
export type JournalProblem = 'missing' | 'order' | 'changed';
export type JournalCheckView = { ok: boolean; checked: number; problem: { seq: number; kind: JournalProblem } | null; at: string };

export type RetestState = 'open' | 'sampled';

export type RetestTaskView = {
  id: string;
  person: PersonView;
  sourceTubeCode: string;
  state: RetestState;
  createdAt: string;
  sampledTubeCode: string | null;
  sampledAt: string | null;
};

export type PositiveTubeView = {
  tubeCode: string;
  resultAt: string;
  receivedAt: string;
  /** False when the tube was not filled at this station: its members are not known here. */
  knownHere: boolean;
  capacity: number | null;
  members: { person: PersonView; retest: { id: string; state: RetestState; sampledTubeCode: string | null } | null }[];
};

export const uploadArgs = {
  'upload.status': z.object({}).strict(),
  'upload.enroll': z
    .object({
      hqUrl: z.url({ protocol: /^https?$/ }).max(512),
      code: z.string().trim().min(4).max(64),
      stationName: z.string().trim().min(1).max(100).optional(),
    })
    .strict(),
  'upload.syncNow': z.object({}).strict(),
  'journal.verify': z.object({}).strict(),
  'results.positives': z.object({ limit: z.number().int().min(1).max(200).optional() }).strict(),
  'retest.list': z.object({ state: z.enum(['open', 'sampled', 'all']).optional() }).strict(),
} as const;

type Args<K extends keyof typeof uploadArgs> = z.infer<(typeof uploadArgs)[K]>;

export type UploadHandlers = {
  'upload.status': { args: Args<'upload.status'>; value: UploadStatus };
  'upload.enroll': { args: Args<'upload.enroll'>; value: UploadStatus };
  'upload.syncNow': { args: Args<'upload.syncNow'>; value: UploadStatus };
  /** Checks the journal's hash chain now (also done at start); the result is in the status too. */
  'journal.verify': { args: Args<'journal.verify'>; value: JournalCheckView };
  'results.positives': { args: Args<'results.positives'>; value: PositiveTubeView[] };
  'retest.list': { args: Args<'retest.list'>; value: RetestTaskView[] };
};

export type UploadEvents = {
  'upload.status': UploadStatus;
  /** New results or re-test changes: screens showing them fetch again. */
  'results.changed': { openRetests: number };
};

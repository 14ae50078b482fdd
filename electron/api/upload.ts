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
  | 'upload.batchTooLarge';

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
  | 'enroll.inProgress';

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
};

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
  'results.positives': z.object({ limit: z.number().int().min(1).max(200).optional() }).strict(),
  'retest.list': z.object({ state: z.enum(['open', 'sampled', 'all']).optional() }).strict(),
} as const;

type Args<K extends keyof typeof uploadArgs> = z.infer<(typeof uploadArgs)[K]>;

export type UploadHandlers = {
  'upload.status': { args: Args<'upload.status'>; value: UploadStatus };
  'upload.enroll': { args: Args<'upload.enroll'>; value: UploadStatus };
  'upload.syncNow': { args: Args<'upload.syncNow'>; value: UploadStatus };
  'results.positives': { args: Args<'results.positives'>; value: PositiveTubeView[] };
  'retest.list': { args: Args<'retest.list'>; value: RetestTaskView[] };
};

export type UploadEvents = {
  'upload.status': UploadStatus;
  /** New results or re-test changes: screens showing them fetch again. */
  'results.changed': { openRetests: number };
};

import type { UploadRejectionView, UploadStatus } from '../../../electron/api/upload';

type T = (key: string | string[], options?: Record<string, unknown>) => string;

/** Why the last upload failed, in the screen's language. */
export function failureText(t: T, failure: NonNullable<UploadStatus['lastFailure']>): string {
  // HQ's own error code, when it gave one, says more than the kind of failure.
  const keys = failure.hqError ? [`upload:hqError.${failure.hqError}`, `upload:failure.${failure.code}`] : [`upload:failure.${failure.code}`];
  return t(keys, { hqError: failure.hqError ?? '' });
}

/** A record HQ rejected, with the reason in the screen's language (HQ's code; its detail is for support). */
export function rejectionText(t: T, r: UploadRejectionView): string {
  const reason = t([`upload:rejection.${r.code}`, 'upload:rejection.unknown'], { code: r.code });
  return t('upload:rejection.row', { seq: r.seq, kind: r.kind ?? '', reason });
}

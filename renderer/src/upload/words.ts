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

/** The chain check's outcome in words; null before the first check. */
export function journalText(t: T, check: UploadStatus['journal'], time: (iso: string) => string): string | null {
  if (!check) return null;
  if (check.ok || !check.problem) return t('upload:journal.ok', { count: check.checked, time: time(check.at) });
  return t('upload:indicator.journalBroken', { seq: check.problem.seq, problem: t(`upload:journal.problem.${check.problem.kind}`) });
}

/** What staff must know about whether HQ's answers can be trusted: plain HTTP, answers refused, a link to make again; none when all is well. */
export function trustWarnings(t: T, status: UploadStatus, time: (iso: string) => string): string[] {
  const out: string[] = [];
  if (status.insecureTransport) out.push(t('upload:indicator.insecure'));
  if (status.refusedAnswers) out.push(t('upload:indicator.refusedAnswers', { count: status.refusedAnswers.count, time: time(status.refusedAnswers.at) }));
  if (status.journal && !status.journal.ok) out.push(journalText(t, status.journal, time)!);
  if (status.relink) out.push(t('upload:indicator.relink', { time: time(status.relink.since) }));
  return out;
}

import { useDevices } from '../screens/devices/useDevices';
import { useStationTranslation } from '../i18n';
import { useLabelJobs } from './LabelJobsProvider';
import { deviceReasonText, faultText } from './words';
import './labels.css';

/** The key that reprints at the desk (F2–F4 and F7–F9 are the desk's own). */
export const REPRINT_KEY = 'F6';

/** How many of the other unprinted codes the warning names (the newest); the count says the rest. */
const SHOWN_CODES = 4;

/**
 * What the label printer did, under the open tube: a quiet line when a label printed; a warning
 * in words with a Reprint button (F6) when one did not. It never takes focus and never opens a
 * dialog, so scanning goes on whatever the printer does.
 */
export function PrintStrip({ tubeCode }: { tubeCode: string | null }) {
  const { t, errorText, list } = useStationTranslation('labels');
  const jobs = useLabelJobs();
  const { devices } = useDevices();
  const { last, lastFailure, unprinted, settings, reprinting, refusal } = jobs;
  const printerProblem = devices?.devices.find((d) => d.config.kind === 'printer' && d.status.state === 'error' && d.status.reason)?.status.reason;

  if (!settings?.hasPrinter && !last) return null;

  const reprintButton = (target: string | null, words: string, onClick: () => void) => (
    <button type="button" className="btn print-reprint" data-testid="print-reprint" data-code={target ?? ''} disabled={!target || reprinting !== null} onClick={onClick}>
      {words} <kbd>{REPRINT_KEY}</kbd>
    </button>
  );

  if (unprinted.length > 0 && lastFailure) {
    const others = unprinted.filter((c) => c !== lastFailure.code);
    return (
      <section className="print-strip print-failed" data-testid="print-note" data-state="failed" role="alert">
        <div className="print-words">
          <strong className="print-title">{t('job.failed', { code: lastFailure.code, fault: faultText(t, lastFailure.fault ?? 'printer-error') })}</strong>
          <span className="print-hint">
            {others.length > 0 ? `${t('job.alsoUnprinted', { count: others.length, codes: `${others.length > SHOWN_CODES ? '…' : ''}${list(others.slice(-SHOWN_CODES))}` })} ` : ''}
            {reprinting ? t('job.reprinting', { code: reprinting }) : t('job.reprintHint', { key: REPRINT_KEY })}
          </span>
          {refusal ? <span className="print-hint">{errorText(refusal)}</span> : null}
        </div>
        {reprintButton(lastFailure.code, t('action.reprint'), () => void jobs.reprintUnprinted())}
      </section>
    );
  }

  const state = reprinting ? 'busy' : printerProblem ? 'problem' : last?.printed ? 'printed' : 'idle';
  const text = reprinting
    ? t('job.reprinting', { code: reprinting })
    : printerProblem
      ? t('job.printerProblem', { fault: deviceReasonText(t, printerProblem) })
      : last?.printed
        ? t(last.trigger === 'request' ? 'job.reprinted' : 'job.printed', { code: last.code })
        : settings?.printOnOpen
          ? t('job.idle')
          : t('job.idleOff');
  return (
    <section className={`print-strip print-${state}`} data-testid="print-note" data-state={state}>
      <div className="print-words">
        <span className="print-title">{text}</span>
        {refusal ? <span className="print-hint">{errorText(refusal)}</span> : null}
      </div>
      {reprintButton(tubeCode, tubeCode ? t('action.reprintCode', { code: tubeCode }) : t('action.reprint'), () => tubeCode && void jobs.reprint(tubeCode))}
    </section>
  );
}

import { useStationTranslation } from '../i18n';
import { useLabelJobs } from './LabelJobsProvider';

/** Whether a tube label prints by itself when a tube opens: one large switch, its state in words. */
export function PrintOnOpenToggle() {
  const { t } = useStationTranslation('labels');
  const { settings, setPrintOnOpen } = useLabelJobs();
  // A station without a label printer keeps its desk free of printing controls.
  if (!settings?.hasPrinter) return null;
  const on = settings.printOnOpen;
  return (
    <div className="side-block">
      <button
        type="button"
        role="switch"
        aria-checked={on}
        className={`print-toggle ${on ? 'is-on' : ''}`}
        data-testid="print-on-open"
        data-enabled={on}
        onClick={() => void setPrintOnOpen(!on)}
      >
        <span className="print-toggle-label">{t('action.printOnOpen')}</span>
        <span className="print-toggle-state">{on ? t('toggle.on') : t('toggle.off')}</span>
      </button>
    </div>
  );
}

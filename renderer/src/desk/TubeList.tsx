import type { TubeSummary } from '../../../electron/api/contract';
import { useStationTranslation } from '../i18n';
import { formatTime } from './format';
import '../labels/labels.css';

/** A compact list of tubes (recent ones, search results), each with a reprint button when asked. */
export function TubeList({ tubes, testId, onReprint }: { tubes: TubeSummary[]; testId: string; onReprint?: (code: string) => void }) {
  const { t, language } = useStationTranslation('desk');
  return (
    <ul className={`tube-list ${onReprint ? 'tube-list-reprint' : ''}`} data-testid={testId}>
      {tubes.map((tube) => (
        <li key={tube.id} className={`tube-row tube-row-${tube.state}`}>
          <span className="tube-row-code">{tube.code}</span>
          <span className={`chip chip-${tube.state}`}>{t(`state.${tube.state}`)}</span>
          <span className="tube-row-count">
            {tube.count}/{tube.capacity}
          </span>
          <span className="tube-row-time">{formatTime(tube.sealedAt ?? tube.openedAt, language)}</span>
          {onReprint && tube.state !== 'voided' ? (
            <button
              type="button"
              className="btn tube-row-reprint"
              data-testid={`reprint-${tube.code}`}
              title={t('labels:action.reprintCode', { code: tube.code })}
              onClick={() => onReprint(tube.code)}
            >
              {t('labels:action.reprintShort')}
            </button>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

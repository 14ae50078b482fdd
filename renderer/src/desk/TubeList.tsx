import type { TubeSummary } from '../../../electron/api/contract';
import { useStationTranslation } from '../i18n';
import { formatTime } from './format';

/** A compact list of tubes (recent ones, search results). */
export function TubeList({ tubes, testId }: { tubes: TubeSummary[]; testId: string }) {
  const { t, language } = useStationTranslation('desk');
  return (
    <ul className="tube-list" data-testid={testId}>
      {tubes.map((tube) => (
        <li key={tube.id} className={`tube-row tube-row-${tube.state}`}>
          <span className="tube-row-code">{tube.code}</span>
          <span className={`chip chip-${tube.state}`}>{t(`state.${tube.state}`)}</span>
          <span className="tube-row-count">
            {tube.count}/{tube.capacity}
          </span>
          <span className="tube-row-time">{formatTime(tube.sealedAt ?? tube.openedAt, language)}</span>
        </li>
      ))}
    </ul>
  );
}

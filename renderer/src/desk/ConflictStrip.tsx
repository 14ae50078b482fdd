import type { TubeConflictView } from '../../../electron/api/contract';
import { useStationTranslation } from '../i18n';
import { formatTime } from './format';

/**
 * Tube codes this desk opened after another desk of the site had opened them: HQ cannot tell
 * the two tubes apart, so it holds their results back until its staff say which tube is which.
 */
export function ConflictStrip({ conflicts }: { conflicts: TubeConflictView[] }) {
  const { t, language, list } = useStationTranslation('desk');
  if (conflicts.length === 0) return null;
  return (
    <section className="conflict-strip" role="alert" data-testid="tube-conflicts">
      <h2>{t('conflict.heading', { count: conflicts.length })}</h2>
      <ul>
        {conflicts.map((c) => (
          <li key={c.code} data-testid="tube-conflict" data-code={c.code}>
            {t('conflict.line', {
              code: c.code,
              station: list(c.others.map((o) => o.stationName)),
              time: formatTime(c.others[0]?.openedAt ?? c.openedAt, language),
            })}
          </li>
        ))}
      </ul>
      <p>{t('conflict.advice')}</p>
    </section>
  );
}

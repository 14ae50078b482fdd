import type { GatePassageView } from '../../../../electron/api/gate';
import { formatTime } from '../../desk/format';
import { useStationTranslation } from '../../i18n';
import { celsiusText, shownLevel } from './words';

/** The last passages, newest first, each in its verdict's colour; clicking one shows it big. */
export function RecentPassages({ passages, currentId, onPick }: { passages: GatePassageView[]; currentId: string | null; onPick: (p: GatePassageView) => void }) {
  const { t, language } = useStationTranslation('gate');
  return (
    <section className="gate-side-block" aria-labelledby="gate-recent-heading">
      <h2 id="gate-recent-heading" className="side-heading">
        {t('recent.heading')}
      </h2>
      {passages.length === 0 ? (
        <p className="muted">{t('recent.empty')}</p>
      ) : (
        <ol className="gate-recent" data-testid="gate-recent">
          {passages.map((p) => {
            const last = p.temperature.readings[p.temperature.readings.length - 1];
            return (
              <li key={p.id}>
                <button
                  type="button"
                  className={`gate-recent-row gate-level-${shownLevel(p.verdict)} ${p.id === currentId ? 'is-current' : ''}`}
                  data-testid="gate-recent-row"
                  data-id={p.id}
                  data-level={p.verdict.level}
                  aria-current={p.id === currentId ? 'true' : undefined}
                  title={t('recent.pick')}
                  onClick={() => onPick(p)}
                >
                  <span className="gate-recent-time">{formatTime(p.at, language)}</span>
                  <span className={`gate-recent-dir gate-direction-${p.direction}`}>{t(`direction.${p.direction}`)}</span>
                  <span className="gate-recent-who">{p.person.label}</span>
                  <span className="gate-recent-temp">{last ? celsiusText(last.celsius) : '—'}</span>
                  <span className="gate-recent-level">{t(`levelShort.${shownLevel(p.verdict)}`)}</span>
                </button>
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}

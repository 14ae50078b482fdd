import { useStationTranslation } from '../i18n';
import type { Message } from './feedback';
import { useFeedback } from './FeedbackProvider';

/**
 * The full-width outcome banner. Its text is also the page's live region, so a screen reader
 * announces every outcome; `data-tone` and `data-seq` let tests and kiosks watch it. `idleKey`:
 * what it says before the first outcome (the desk's "no tube open", the gate's "scan a code");
 * `compact`: one slim band, for a screen that shows its outcome big itself (the gate's verdict).
 */
export function Banner({ idleKey = 'tube.none', compact = false }: { idleKey?: string; compact?: boolean }) {
  const { current } = useFeedback();
  const { t, errorText } = useStationTranslation('desk');
  const words = (m: Message) => ('error' in m ? errorText(m.error) : t(m.key, m.params));
  return (
    <div
      className={`banner banner-${current?.tone ?? 'idle'} ${compact ? 'banner-compact' : ''}`}
      data-testid="banner"
      data-tone={current?.tone ?? 'idle'}
      data-seq={current?.id ?? 0}
      role="status"
      aria-live="assertive"
      aria-atomic="true"
    >
      {current ? (
        <>
          <div className="banner-title" key={current.id}>
            {words(current.title)}
          </div>
          {current.detail.length > 0 ? <div className="banner-detail">{current.detail.map(words).join(compact ? ' · ' : ' ')}</div> : null}
        </>
      ) : (
        <div className="banner-title banner-idle-text">{t(idleKey)}</div>
      )}
    </div>
  );
}

import type { DeskState } from '../../../electron/api/contract';
import { useStationTranslation } from '../i18n';
import { formatTime } from './format';

/** The open tube, big: code, pooling, "3/10", one slot per place, and who is in it. */
export function TubePanel({ desk, mode }: { desk: DeskState; mode: (capacity: DeskState['capacity']) => string }) {
  const { t, language } = useStationTranslation('desk');
  const tube = desk.openTube;
  if (!tube) {
    return (
      <section className={`tube-panel tube-empty ${desk.awaitingNextTube ? 'tube-awaiting' : ''}`} aria-labelledby="tube-heading" data-testid="tube-panel">
        <h2 id="tube-heading" className="panel-heading">
          {t('tube.heading')}
        </h2>
        {desk.round ? (
          <>
            <p className="tube-prompt">{desk.awaitingNextTube ? t('tube.awaitingNext') : t('tube.none')}</p>
            <p className="tube-prompt-hint">{t('tube.noneHint')}</p>
          </>
        ) : (
          <>
            <p className="tube-prompt tube-no-round" data-testid="no-round-prompt">
              {t('tube.noRound')}
            </p>
            <p className="tube-prompt-hint">{t('tube.noRoundHint')}</p>
          </>
        )}
      </section>
    );
  }
  const slots = Array.from({ length: tube.capacity }, (_, i) => i < tube.count);
  return (
    <section className="tube-panel" aria-labelledby="tube-heading" data-testid="tube-panel" data-tube-code={tube.code}>
      <div className="tube-head">
        <div>
          <h2 id="tube-heading" className="panel-heading">
            {t('tube.heading')} · {mode(tube.capacity)}
          </h2>
          <div className="tube-code" data-testid="tube-code">
            {tube.code}
          </div>
        </div>
        <div className="tube-count" data-testid="tube-count" aria-label={t('tube.slotsLabel', { count: tube.count, capacity: tube.capacity })}>
          <span className="tube-count-n">{tube.count}</span>
          <span className="tube-count-of">/{tube.capacity}</span>
        </div>
      </div>
      <div className={`slots slots-${tube.capacity}`} aria-hidden="true">
        {slots.map((filled, i) => (
          <span key={i} className={filled ? 'slot slot-filled' : 'slot'} />
        ))}
      </div>
      {tube.members.length === 0 ? (
        <p className="members-empty">{t('tube.noMembers')}</p>
      ) : (
        <ol className={`members ${tube.capacity > 10 ? 'members-two-columns' : ''}`} data-testid="members" aria-label={t('tube.members')}>
          {tube.members.map((m, i) => (
            <li key={m.id} className={`member ${i === tube.members.length - 1 ? 'member-last' : ''}`} data-testid="member">
              <span className="member-index">{i + 1}</span>
              <span className="member-who">
                <span className="member-label">{m.person.label}</span>
                {m.person.name && m.person.maskedIdNumber ? <span className="member-id">{m.person.maskedIdNumber}</span> : null}
              </span>
              <span>{m.repeatConfirmed ? <span className="member-repeat">{t('member.repeat')}</span> : null}</span>
              <span className="member-time">{formatTime(m.boundAt, language)}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

import type { ApiError } from '../../../../electron/api/contract';
import type { GatePassageView } from '../../../../electron/api/gate';
import { formatTime } from '../../desk/format';
import { useStationTranslation } from '../../i18n';
import { KeyPersonForm } from './KeyPersonForm';
import { ReadingEntry } from './ReadingEntry';
import { ReferralForm } from './ReferralForm';
import { celsiusText, formatDateTime, reasonMessage, shownLevel, shownReasons, siteDate } from './words';

const SYMBOL = { pass: '✓', check: '!', stop: '✕', wait: '…' } as const;

/**
 * The current passage, big: the verdict (colour, a symbol for those who cannot tell the colours
 * apart, words and each reason), who it is, then what the verdict stands on: residency, key
 * person, entry rule, HQ's result, temperature with every reading; and what the gate keeper does
 * next (a reading by hand, a re-measure, a referral, a key-person action).
 */
export function PassagePanel({ passage, refusal = null }: { passage: GatePassageView | null; refusal?: ApiError | null }) {
  const { t, language, errorText } = useStationTranslation('gate');
  if (!passage && refusal) {
    // A scan refused (a revoked or expired pass, a tube): nothing recorded, and why, in the stop colour.
    return (
      <section className="gate-passage gate-level-stop" data-testid="gate-passage" data-state="refused" data-error={refusal.code} aria-labelledby="gate-verdict-words">
        <div className="gate-verdict" data-testid="gate-verdict">
          <span className="gate-verdict-symbol" aria-hidden="true">
            {SYMBOL.stop}
          </span>
          <div className="gate-verdict-text">
            <div id="gate-verdict-words" className="gate-verdict-words" data-testid="gate-verdict-words">
              {t('outcome.rejected')}
            </div>
            <ul className="gate-reasons" data-testid="gate-reasons">
              <li>{errorText(refusal)}</li>
            </ul>
          </div>
        </div>
      </section>
    );
  }
  if (!passage) {
    return (
      <section className="gate-passage gate-passage-empty" data-testid="gate-passage" data-state="empty">
        <div className="gate-empty-prompt">{t('passage.empty')}</div>
        <div className="gate-empty-hint">{t('passage.emptyHint')}</div>
      </section>
    );
  }
  const { verdict, person, residency, keyPerson, rule, results, temperature } = passage;
  const time = (iso: string) => formatTime(iso, language);
  const lastReading = temperature.readings[temperature.readings.length - 1];
  const level = shownLevel(verdict);

  return (
    <section
      className={`gate-passage gate-level-${level}`}
      data-testid="gate-passage"
      data-id={passage.id}
      data-level={verdict.level}
      data-shown={level}
      data-final={verdict.final ? 'true' : 'false'}
      data-temperature={temperature.state}
      aria-labelledby="gate-verdict-words"
    >
      <div className="gate-verdict" data-testid="gate-verdict">
        <span className="gate-verdict-symbol" aria-hidden="true">
          {SYMBOL[level]}
        </span>
        <div className="gate-verdict-text">
          <div id="gate-verdict-words" className="gate-verdict-words" data-testid="gate-verdict-words">
            {t(`level.${level}`)}
          </div>
          {shownReasons(verdict).length > 0 ? (
            <ul className="gate-reasons" data-testid="gate-reasons">
              {shownReasons(verdict).map((r) => {
                const words = reasonMessage(passage, r);
                return (
                  <li key={r} data-reason={r}>
                    {t(words.key, words.params)}
                  </li>
                );
              })}
            </ul>
          ) : null}
        </div>
        <div className={`gate-direction-chip gate-direction-${passage.direction}`} data-testid="gate-passage-direction" data-direction={passage.direction}>
          {t(`direction.${passage.direction}`)}
        </div>
      </div>

      <div className="gate-who">
        {/* Without a name (an ID number scanned alone), the masked ID is who they are: said once. */}
        <span className={`gate-name ${person.name ? '' : 'gate-name-none'}`} data-testid="gate-person-name">
          {person.name ?? (person.maskedIdNumber ? t('passage.noName') : person.label)}
        </span>
        {person.maskedIdNumber ? (
          <span className="gate-id" data-testid="gate-person-id">
            {person.maskedIdNumber}
          </span>
        ) : null}
        <span className="gate-at">{time(passage.at)}</span>
      </div>

      {keyPerson ? (
        <div className="gate-alarm" role="alert" data-testid="gate-key-person">
          <strong>{t('passage.keyPerson.alarm')}</strong>
          <ul>
            {keyPerson.lists.map((l) => (
              <li key={l.listId} data-testid="gate-key-person-list">
                {t('passage.keyPerson.list', { reason: l.reason })}
              </li>
            ))}
            {keyPerson.roster ? <li>{t('passage.keyPerson.roster')}</li> : null}
          </ul>
        </div>
      ) : null}

      <dl className="gate-facts">
        <div className={`gate-fact gate-fact-temperature gate-temp-${temperature.state}`} data-testid="gate-temperature" data-state={temperature.state}>
          <dt>{t('passage.temperature.label')}</dt>
          <dd>
            {lastReading ? <span className="gate-temp-value">{celsiusText(lastReading.celsius)}</span> : null} <span className="gate-temp-state">{t(`temperature.${temperature.state}`)}</span>
            <small className="gate-threshold">{t('passage.temperature.threshold', { thresholdC: temperature.thresholdC })}</small>
          </dd>
        </div>
        <div className={`gate-fact gate-residency-${residency.kind}`} data-testid="gate-residency" data-kind={residency.kind}>
          <dt>{t('passage.residency.label')}</dt>
          <dd>
            {residency.kind === 'resident' ? t('passage.residency.resident', { household: residency.household }) : t(`passage.residency.${residency.kind}`)}
            {residency.kind === 'resident' && residency.tags.length > 0 ? (
              <span className="gate-tags">
                {residency.tags.map((tag) => (
                  <span key={tag} className="gate-tag">
                    {t(`roster:tag.${tag}`)}
                  </span>
                ))}
              </span>
            ) : null}
          </dd>
        </div>
        {passage.subject !== 'person' ? (
          <div className="gate-fact" data-testid="gate-subject" data-subject={passage.subject}>
            <dt>{t('passage.subject.label')}</dt>
            <dd>{passage.subject === 'pass' && passage.pass ? t('passage.subject.pass', { until: siteDate(passage.pass.validUntil) }) : t('passage.subject.visitor')}</dd>
          </div>
        ) : null}
        <div className={`gate-fact ${rule.kind === 'sampledWithin' ? (rule.met ? 'gate-ok' : 'gate-warn') : ''}`} data-testid="gate-rule" data-met={rule.kind === 'sampledWithin' ? String(rule.met) : 'none'}>
          <dt>{t('passage.rule.label')}</dt>
          <dd>
            {rule.kind === 'none' ? (
              t('passage.rule.none')
            ) : (
              <>
                {t(rule.met ? 'passage.rule.met' : 'passage.rule.notMet', { hours: rule.hours })}
                <small data-testid="gate-rule-last">
                  {rule.lastSampledAt ? t('passage.rule.last', { time: formatDateTime(rule.lastSampledAt, language), where: t(`passage.rule.where.${rule.where ?? 'site'}`) }) : t('passage.rule.never')}
                </small>
              </>
            )}
          </dd>
        </div>
        <div className={`gate-fact ${results.latest?.result === 'positive' || results.openRetest ? 'gate-bad' : ''}`} data-testid="gate-results">
          <dt>{t('passage.results.label')}</dt>
          <dd>
            {results.latest ? t(`passage.results.${results.latest.result}`) : t('passage.results.none')}
            {results.latest ? <small>{t('passage.results.at', { time: formatDateTime(results.latest.at, language) })}</small> : null}
            {results.openRetest ? <small className="gate-bad-text">{t('passage.results.retestOpen')}</small> : null}
          </dd>
        </div>
      </dl>

      {temperature.readings.length > 0 ? (
        <ol className="gate-readings" data-testid="gate-readings">
          {temperature.readings.map((r) => (
            <li key={r.id} className={r.high ? 'is-high' : ''} data-testid="gate-reading" data-high={r.high ? 'true' : 'false'} data-match={r.match}>
              <span className="gate-reading-value">{celsiusText(r.celsius)}</span>
              <span>{time(r.measuredAt)}</span>
              <span>{t('passage.temperature.threshold', { thresholdC: r.thresholdC })}</span>
              <span className="gate-reading-match">{t(`match.${r.match}`)}</span>
            </li>
          ))}
        </ol>
      ) : null}

      {/* Keyed by the passage: what was typed for one person is never left in the forms of the next. */}
      <div className="gate-next" key={passage.id}>
        {temperature.state === 'fever' || passage.referral ? <ReferralForm passage={passage} /> : null}
        {keyPerson ? <KeyPersonForm passage={passage} /> : null}
        <ReadingEntry passage={passage} />
      </div>
    </section>
  );
}

import type { TubeSummary } from '../../../../electron/api/contract';
import type { DoorHouseholdView, DoorMode, DoorResidentView } from '../../../../electron/api/doors';
import { useStationTranslation } from '../../i18n';
import { householdName, shortTime } from './words';

export type DoorActions = {
  sample(resident: DoorResidentView): void;
  notHome(resident: DoorResidentView | null): void;
  refuse(resident: DoorResidentView | null): void;
  newTube(): void;
  seal(): void;
  undo(): void;
};

type Props = {
  door: DoorHouseholdView;
  tube: TubeSummary | null;
  mode: DoorMode;
  onMode: (mode: DoorMode) => void;
  poolSize: number;
  temperature: string;
  onTemperature: (text: string) => void;
  readOnly: boolean;
  actions: DoorActions;
};

/**
 * At the door: the tube the next person goes into (single or the site's pool size), the
 * temperature just taken, each resident with their tags and where they stand, and what to record:
 * sampled, not home, refused; for the whole household too. The visits of this round below.
 */
export function DoorView({ door, tube, mode, onMode, poolSize, temperature, onTemperature, readOnly, actions }: Props) {
  const { t, language } = useStationTranslation(['doors', 'desk']);
  const pending = door.residents.some((r) => r.targeted && (r.state === 'due' || r.state === 'notHome'));
  return (
    <section className="side-block doors-door" data-testid="doors-door" data-household={householdName(door)} data-status={door.status}>
      <div className="doors-door-head">
        <h2 className="doors-door-name" data-testid="doors-door-name">
          {householdName(door)}
        </h2>
        <span className={`doors-chip doors-chip-${door.status}`} data-testid="doors-door-status">
          {t(`status.${door.status}`)}
        </span>
        <span className="muted">{t('door.living', { count: door.living })}</span>
        {door.status === 'revisit' && door.revisitAt ? <strong className="doors-door-revisit">{t('door.revisitAt', { time: shortTime(door.revisitAt, language) })}</strong> : null}
      </div>
      {readOnly ? (
        <p className="doors-closed" role="note">
          {t('door.closed')}
        </p>
      ) : (
        <div className="doors-tools">
          <div className="doors-mode segmented" role="group" aria-label={t('tube.mode')}>
            {(['single', 'pooled'] as const).map((m) => (
              <button key={m} type="button" className={`segment ${mode === m ? 'is-active' : ''}`} aria-pressed={mode === m} data-testid={`doors-mode-${m}`} onClick={() => onMode(m)}>
                {m === 'single' ? t('tube.single') : t('tube.pooled', { size: poolSize })}
              </button>
            ))}
          </div>
          <div className="doors-tube" data-testid="doors-tube" data-state={tube?.state ?? 'none'}>
            {tube ? (
              <>
                <span className="doors-tube-code">{tube.code}</span>
                <span className="doors-tube-count">{t('tube.count', { count: tube.count, capacity: tube.capacity })}</span>
              </>
            ) : (
              <span className="doors-tube-none">{t('tube.none')}</span>
            )}
          </div>
          <div className="doors-tube-actions">
            <button type="button" className="btn" data-testid="doors-new-tube" onClick={actions.newTube}>
              {t('tube.new')}
            </button>
            <button type="button" className="btn" data-testid="doors-seal" disabled={!tube || tube.count === 0} onClick={actions.seal}>
              {t('tube.seal')}
            </button>
            <button type="button" className="btn" data-testid="doors-undo" onClick={actions.undo}>
              {t('tube.undo')}
            </button>
          </div>
          <label className="doors-temperature">
            <span>{t('temperature.label')}</span>
            <input
              className="input"
              data-testid="doors-temperature"
              inputMode="decimal"
              autoComplete="off"
              placeholder={t('temperature.hint')}
              value={temperature}
              onChange={(e) => onTemperature(e.target.value)}
            />
          </label>
        </div>
      )}
      <h3 className="side-heading">{t('door.residents')}</h3>
      <ul className="doors-residents" data-testid="doors-residents">
        {door.residents.map((r) => (
          <li key={r.ref} className={`doors-resident doors-resident-${r.state}`} data-testid={`doors-resident-${r.name}`} data-state={r.state}>
            <div className="doors-resident-who">
              <span className="doors-resident-name">{r.name}</span>
              <span className="doors-resident-id">{r.maskedIdNumber}</span>
              {r.tags.length > 0 ? (
                <span className="doors-resident-tags">
                  {r.tags.map((tag) => (
                    <span key={tag} className={`doors-tag doors-tag-${tag}`}>
                      {t(`tags.${tag}`)}
                    </span>
                  ))}
                </span>
              ) : null}
            </div>
            <div className="doors-resident-state">
              <span className={`doors-chip doors-chip-${r.state}`} data-testid={`doors-state-${r.name}`}>
                {t(`state.${r.state}`)}
              </span>
              {r.lastVisit && r.state !== 'sampled' && r.state !== 'due' && r.state !== 'notDue' ? (
                <span className="doors-resident-last">
                  {shortTime(r.lastVisit.at, language)}
                  {r.lastVisit.reason ? ` · ${r.lastVisit.reason}` : ''}
                </span>
              ) : null}
            </div>
            {readOnly || r.state === 'sampled' ? null : (
              <div className="doors-resident-actions">
                <button type="button" className="btn btn-primary" data-testid={`doors-sample-${r.name}`} onClick={() => actions.sample(r)}>
                  {t('actions.sample')}
                </button>
                <button type="button" className="btn" data-testid={`doors-not-home-${r.name}`} onClick={() => actions.notHome(r)}>
                  {t('actions.notHome')}
                </button>
                <button type="button" className="btn btn-danger-outline" data-testid={`doors-refuse-${r.name}`} onClick={() => actions.refuse(r)}>
                  {t('actions.refuse')}
                </button>
              </div>
            )}
          </li>
        ))}
      </ul>
      {readOnly || !pending ? null : (
        <div className="doors-household-actions">
          <button type="button" className="btn" data-testid="doors-household-not-home" onClick={() => actions.notHome(null)}>
            {t('actions.householdNotHome')}
          </button>
          <button type="button" className="btn btn-danger-outline" data-testid="doors-household-refuse" onClick={() => actions.refuse(null)}>
            {t('actions.householdRefuse')}
          </button>
        </div>
      )}
      <h3 className="side-heading">{t('door.history')}</h3>
      {door.history.length === 0 ? (
        <p className="muted">{t('door.noHistory')}</p>
      ) : (
        <ol className="doors-history" data-testid="doors-history">
          {door.history.map((v) => (
            <li key={v.id} data-outcome={v.outcome}>
              <span className="doors-history-time">{shortTime(v.at, language)}</span>
              <span className={`doors-chip doors-chip-${v.outcome}`}>{t(`outcome.${v.outcome}`)}</span>
              <span>{v.person ?? t('door.household')}</span>
              {v.tubeCode ? <span className="doors-history-tube">{v.tubeCode}</span> : null}
              {v.temperatureC !== null ? <span>{v.temperatureC.toFixed(1)} °C</span> : null}
              {v.reason ? <span>{t('door.reason', { reason: v.reason })}</span> : null}
              {v.revisitAt ? <span>{t('door.revisitAt', { time: shortTime(v.revisitAt, language) })}</span> : null}
              <span className="muted">{v.station ?? v.operator}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

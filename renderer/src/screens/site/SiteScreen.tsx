import { useCallback, useState, type FormEvent } from 'react';
import type { ApiError } from '../../../../electron/api/contract';
import type { RoundView } from '../../../../electron/api/rounds';
import { useStation } from '../../app/station';
import { useDeskState } from '../../desk/DeskStateProvider';
import { formatTime } from '../../desk/format';
import { Modal } from '../../desk/Modal';
import { useStationTranslation } from '../../i18n';
import { useRefresh } from '../../upload/useRefresh';
import { WorkplaceSetting } from '../gate/WorkplaceSetting';
import './site.css';

const ROUND_EVENTS = ['rounds.changed'] as const;

function useRounds(): { rounds: RoundView[]; refresh: () => void } {
  const client = useStation();
  const [rounds, setRounds] = useState<RoundView[]>([]);
  const refresh = useCallback(() => void client.call('round.list', {}).then((r) => r.ok && setRounds(r.value)), [client]);
  useRefresh(refresh, ROUND_EVENTS);
  return { rounds, refresh };
}

/** A suggested name for the next round: one more than the rounds this station knows. */
function nextName(rounds: RoundView[], t: (k: string, o?: Record<string, unknown>) => string): string {
  return t('start.suggestedName', { n: rounds.length + 1 });
}

/**
 * The site at this desk: which station this is (HQ gives its number and name) and the site's
 * rounds. A round belongs to the site: started here by a site admin or at HQ, every desk of the
 * site binds into the round in use.
 */
export function SiteScreen() {
  const client = useStation();
  const desk = useDeskState();
  const { t, language, errorText } = useStationTranslation('site');
  const { rounds, refresh } = useRounds();
  const [error, setError] = useState<ApiError | null>(null);
  const [name, setName] = useState('');
  const [startsOn, setStartsOn] = useState('');
  const [endsOn, setEndsOn] = useState('');
  const [closing, setClosing] = useState<RoundView | null>(null);
  /** A start or close on its way: one click, one round. */
  const [busy, setBusy] = useState(false);
  const current = rounds.find((r) => r.current) ?? null;
  const time = (iso: string | null) => (iso ? formatTime(iso, language) : t('common:time.none'));

  const start = (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    const args = { name: (name || nextName(rounds, t)).trim(), ...(startsOn ? { startsOn } : {}), ...(endsOn ? { endsOn } : {}) };
    void client.call('round.start', args).then((r) => {
      setBusy(false);
      setError(r.ok ? null : r.error);
      if (r.ok) {
        setName('');
        refresh();
      }
    });
  };
  const close = (round: RoundView) => {
    if (busy) return;
    setBusy(true);
    void client.call('round.close', { roundId: round.id }).then((r) => {
      setBusy(false);
      setClosing(null);
      setError(r.ok ? null : r.error);
      refresh();
    });
  };

  return (
    <div className="cards site" data-testid="site-screen">
      <section aria-labelledby="station-heading">
        <h2 id="station-heading">{t('station.heading')}</h2>
        {desk ? (
          <dl className="site-facts">
            <dt>{t('station.site')}</dt>
            <dd data-testid="site-name">{desk.site.name}</dd>
            <dt>{t('station.name')}</dt>
            <dd>{desk.station.name}</dd>
            <dt>{t('station.number')}</dt>
            <dd data-testid="site-station-number">{desk.station.number}</dd>
          </dl>
        ) : null}
        <p className="muted">{t('station.hint')}</p>
      </section>

      <WorkplaceSetting />

      <section aria-labelledby="round-heading" className={current ? '' : 'site-no-round'}>
        <h2 id="round-heading">{t('current.heading')}</h2>
        {current ? (
          <div data-testid="current-round">
            <p className="site-round-name">{current.name}</p>
            <p>
              {current.startsOn || current.endsOn ? t('current.dates', { from: current.startsOn ?? '…', to: current.endsOn ?? '…' }) : null}
            </p>
            <p className="muted">{t('current.startedBy', { by: current.startedBy ?? t('current.here'), time: time(current.startedAt) })}</p>
            <button type="button" className="btn btn-danger-outline" data-testid="close-round" onClick={() => setClosing(current)}>
              {t('current.close')}
            </button>
          </div>
        ) : (
          <p className="site-none" data-testid="no-round">
            {t('current.none')}
          </p>
        )}
      </section>

      <section aria-labelledby="start-heading">
        <h2 id="start-heading">{t('start.heading')}</h2>
        <form onSubmit={start} className="site-form" data-testid="start-round">
          <label>
            {t('start.name')}
            <input value={name} maxLength={60} placeholder={nextName(rounds, t)} onChange={(e) => setName(e.target.value)} data-testid="round-name-input" />
          </label>
          <label>
            {t('start.startsOn')}
            <input type="date" value={startsOn} onChange={(e) => setStartsOn(e.target.value)} data-testid="round-starts" />
          </label>
          <label>
            {t('start.endsOn')}
            <input type="date" value={endsOn} onChange={(e) => setEndsOn(e.target.value)} data-testid="round-ends" />
          </label>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {t('start.submit')}
          </button>
        </form>
        <p className="muted">{t('start.hint')}</p>
        {error ? (
          <p className="site-error" role="alert" data-testid="site-error">
            {errorText(error)}
          </p>
        ) : null}
      </section>

      <section aria-labelledby="rounds-heading" className="site-wide">
        <h2 id="rounds-heading">{t('list.heading')}</h2>
        {rounds.length === 0 ? (
          <p className="muted">{t('list.empty')}</p>
        ) : (
          <table data-testid="rounds">
            <thead>
              <tr>
                <th>{t('list.name')}</th>
                <th>{t('list.dates')}</th>
                <th>{t('list.startedBy')}</th>
                <th>{t('list.started')}</th>
                <th>{t('list.state')}</th>
              </tr>
            </thead>
            <tbody>
              {rounds.map((r) => (
                <tr key={r.id} className={r.current ? 'is-current' : ''} data-testid="round-row">
                  <td>{r.name}</td>
                  <td>{r.startsOn || r.endsOn ? `${r.startsOn ?? '…'} – ${r.endsOn ?? '…'}` : ''}</td>
                  <td>{r.startedBy ?? ''}</td>
                  <td>{time(r.startedAt)}</td>
                  <td>{r.current ? t('list.current') : r.closedAt ? t('list.closed', { time: time(r.closedAt) }) : t('list.open')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <Modal open={closing !== null} onCancel={() => setClosing(null)} labelledBy="close-round-title" className="modal-confirm">
        {closing ? (
          <div className="modal-body">
            <h2 id="close-round-title">{t('close.title', { name: closing.name })}</h2>
            <p>{t('close.explain')}</p>
            <div className="modal-actions">
              <button type="button" className="btn btn-danger" data-testid="confirm-close-round" onClick={() => close(closing)}>
                {t('close.confirm')}
              </button>
              <button type="button" className="btn" data-autofocus onClick={() => setClosing(null)}>
                {t('common:actions.cancel')}
              </button>
            </div>
          </div>
        ) : null}
      </Modal>
    </div>
  );
}

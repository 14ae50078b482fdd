import { useState } from 'react';
import type { ApiError } from '../../../../electron/api/contract';
import type { Workplace } from '../../../../electron/api/gate';
import { useStation } from '../../app/station';
import { useWorkplaceView } from '../../app/workplace';
import { useStationTranslation } from '../../i18n';
import './gate.css';

/** The workplaces offered here, each a screen of its own. */
const OFFERED: readonly Workplace[] = ['desk', 'gate', 'sentinel', 'doors'];

/**
 * What this station works as, a site admin's choice (`station.setWorkplace`, journalled): a
 * sampling desk, an attended gate, an unattended sentinel, or a door-to-door group's laptop or tablet. The app follows at once: the gate
 * screen comes first at a gate, the desk's screen is not shown there (nor the gate's at a desk),
 * and a sentinel shows its kiosk as soon as its site admin locks the screen or signs out.
 */
export function WorkplaceSetting() {
  const { t, errorText } = useStationTranslation('gate');
  const client = useStation();
  const place = useWorkplaceView();
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const choose = (workplace: Workplace) => {
    if (busy || place?.workplace === workplace) return;
    setBusy(true);
    void client.call('station.setWorkplace', { workplace }).then((r) => {
      setBusy(false);
      setError(r.ok ? null : r.error);
    });
  };
  return (
    <section aria-labelledby="workplace-heading" data-testid="workplace-setting" data-workplace={place?.workplace ?? ''}>
      <h2 id="workplace-heading">{t('workplaceSetting.heading')}</h2>
      <div className="segmented workplace-choices" role="group" aria-labelledby="workplace-heading">
        {OFFERED.map((w) => (
          <button
            key={w}
            type="button"
            className={`segment ${place?.workplace === w ? 'is-active' : ''}`}
            aria-pressed={place?.workplace === w}
            data-testid={`workplace-${w}`}
            disabled={busy}
            onClick={() => choose(w)}
          >
            {t(`workplace.${w}`)}
          </button>
        ))}
      </div>
      <p className="muted">{t('workplaceSetting.hint')}</p>
      {place?.workplace === 'sentinel' ? (
        <p className="muted" data-testid="workplace-sentinel-hint">
          {t('workplaceSetting.sentinelHint')}
        </p>
      ) : null}
      {place?.workplace === 'doors' ? (
        <p className="muted" data-testid="workplace-doors-hint">
          {t('workplaceSetting.doorsHint')}
        </p>
      ) : null}
      {error ? (
        <p className="site-error" role="alert" data-testid="workplace-error">
          {errorText(error)}
        </p>
      ) : null}
    </section>
  );
}

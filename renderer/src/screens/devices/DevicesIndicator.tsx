import { useStationTranslation } from '../../i18n';
import { deviceReasonText } from '../../labels/words';
import { useDevices } from './useDevices';

/** Status-bar summary, on every screen: all devices fine, or how many need attention. */
export function DevicesIndicator() {
  const { t } = useStationTranslation('devices');
  const { devices } = useDevices();
  if (!devices) return null;
  const watched = devices.devices.filter((d) => d.status.state !== 'keyboard' && d.status.state !== 'off');
  const problems = watched.filter((d) => d.status.state !== 'connected');
  const connecting = problems.length > 0 && problems.every((d) => d.status.state === 'connecting');
  const tone = problems.length === 0 ? 'ok' : connecting ? 'wait' : 'bad';
  const first = problems[0];
  const title = first ? `${first.config.name}: ${t(`state.${first.status.state}`)}${first.status.reason ? ` (${deviceReasonText(t, first.status.reason)})` : ''}` : undefined;
  return (
    <span className={`indicator indicator-${tone}`} data-testid="devices-indicator" data-problems={problems.length} title={title}>
      <span className="indicator-dot" aria-hidden="true" />
      {watched.length === 0 ? t('indicator.none') : problems.length ? t('indicator.problems', { count: problems.length }) : t('indicator.allOk')}
      {devices.mode === 'simulated' ? <small className="devices-training">{t('indicator.simulated')}</small> : null}
    </span>
  );
}

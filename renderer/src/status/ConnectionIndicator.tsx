import { useTranslation } from 'react-i18next';
import { useConnection } from '../app/station';

/** Whether the screen can reach the station core. */
export function ConnectionIndicator() {
  const connection = useConnection();
  const { t } = useTranslation('common');
  return (
    <span className={`indicator indicator-${connection === 'online' ? 'ok' : connection === 'offline' || connection === 'locked' ? 'bad' : 'wait'}`} data-testid="connection-indicator" data-state={connection}>
      <span className="indicator-dot" aria-hidden="true" />
      {t(`connection.${connection}`)}
    </span>
  );
}

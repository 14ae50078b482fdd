import { useCallback, useState } from 'react';
import type { BoxPending } from '../../../electron/api/boxes';
import { useStation } from '../app/station';
import { useWorkplace } from '../app/workplace';
import { useStationTranslation } from '../i18n';
import { useSession } from '../screens/operators/SessionProvider';
import { useRefresh } from '../upload/useRefresh';

/** Boxing changes the count, and so does sampling: every sealed tube is one more to box. */
const EVENTS = ['boxes.changed', 'desk.changed'] as const;

/**
 * Status-bar count at a sampling desk for the end of the day: this station's sealed tubes in no
 * box and its boxes not handed over (`box.pending`), for the staff who may box them.
 */
export function BoxesIndicator() {
  const session = useSession();
  const workplace = useWorkplace();
  const shown = workplace === 'desk' && session.may('box.pending');
  return shown ? <PendingCount /> : null;
}

function PendingCount() {
  const client = useStation();
  const { t } = useStationTranslation('boxes');
  const [pending, setPending] = useState<BoxPending | null>(null);
  const refresh = useCallback(() => void client.call('box.pending', {}).then((r) => r.ok && setPending(r.value)), [client]);
  useRefresh(refresh, EVENTS);
  if (!pending) return null;
  const loose = pending.looseTubes.length;
  const boxes = pending.boxes.length;
  const parts = [loose > 0 ? t('indicator.loose', { count: loose }) : null, boxes > 0 ? t('indicator.boxes', { count: boxes }) : null].filter(Boolean);
  return (
    <span
      className={`indicator indicator-${loose + boxes > 0 ? 'wait' : 'ok'}`}
      data-testid="boxes-indicator"
      data-loose={loose}
      data-boxes={boxes}
      data-count={loose + boxes}
      title={t('indicator.title')}
    >
      <span className="indicator-dot" aria-hidden="true" />
      {parts.length > 0 ? parts.join(' · ') : t('indicator.done')}
    </span>
  );
}

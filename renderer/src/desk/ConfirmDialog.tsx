import type { PendingConfirmation } from '../../../electron/api/contract';
import { useStationTranslation } from '../i18n';
import { formatTime } from './format';
import { Modal } from './Modal';

type Props = { pending: PendingConfirmation | null; onConfirm: (token: string) => void; onCancel: (token: string, label: string) => void };

/** "Sampled already this round": Enter binds anyway, Esc leaves the person out. */
export function ConfirmDialog({ pending, onConfirm, onCancel }: Props) {
  const { t, language } = useStationTranslation('desk');
  return (
    <Modal open={pending !== null} onCancel={() => pending && onCancel(pending.token, pending.person.label)} labelledBy="confirm-title" className="modal-confirm">
      {pending ? (
        <div className="modal-body" data-testid="confirm-dialog">
          <h2 id="confirm-title">{t('confirm.title')}</h2>
          <p className="modal-person">{pending.person.label}</p>
          {pending.person.maskedIdNumber && pending.person.name ? <p className="modal-id">{pending.person.maskedIdNumber}</p> : null}
          <p data-testid="confirm-previous">
            {pending.previousTubeCode
              ? t('confirm.previous', { code: pending.previousTubeCode, time: formatTime(pending.previousBoundAt, language) })
              : t('confirm.previousElsewhere', { station: pending.previousStation ?? '', time: formatTime(pending.previousBoundAt, language) })}
          </p>
          <p>{t('confirm.question')}</p>
          <div className="modal-actions">
            <button type="button" className="btn btn-primary" data-autofocus onClick={() => onConfirm(pending.token)}>
              {t('confirm.yes')}
            </button>
            <button type="button" className="btn" onClick={() => onCancel(pending.token, pending.person.label)}>
              {t('confirm.no')}
            </button>
          </div>
        </div>
      ) : null}
    </Modal>
  );
}

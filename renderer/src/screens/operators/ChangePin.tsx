import { useState, type ChangeEvent, type FormEvent, type ReactNode } from 'react';
import type { ApiError } from '../../../../electron/api/contract';
import { PIN_MAX_DIGITS } from '../../../../electron/api/operators';
import { useStation } from '../../app/station';
import { Modal } from '../../desk/Modal';
import { useFeedback } from '../../feedback/FeedbackProvider';
import { useStationTranslation } from '../../i18n';
import { useSession } from './SessionProvider';

/**
 * The signed-in operator's own PIN: the current one, then the new one twice. The core checks the
 * current PIN like a sign-in (waits, lock-out) and the new one like every PIN; the two new ones
 * are compared here, before anything is sent.
 */
function ChangePinFields({ onChanged, children }: { onChanged: () => void; children?: (busy: boolean) => ReactNode }) {
  const { t, errorText } = useStationTranslation('operators');
  const client = useStation();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<ApiError | 'mismatch' | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (current === '' || next === '') return;
    if (next !== again) {
      setError('mismatch');
      setAgain('');
      return;
    }
    setBusy(true);
    try {
      const result = await client.call('operator.changePin', { pin: current, newPin: next });
      if (result.ok) return onChanged();
      setError(result.error);
      // A wrong current PIN is typed again; a refused new one is chosen again.
      if (result.error.code.startsWith('pin.')) {
        setNext('');
        setAgain('');
      } else {
        setCurrent('');
      }
    } finally {
      setBusy(false);
    }
  };

  const digits = (set: (v: string) => void) => (e: ChangeEvent<HTMLInputElement>) => set(e.target.value.replace(/\D/g, ''));
  return (
    <form className="change-pin" data-testid="change-pin-form" onSubmit={(e) => void submit(e)}>
      <label className="field">
        <span className="field-label">{t('changePin.current')}</span>
        <input className="input input-big input-pin" data-testid="change-pin-current" data-autofocus autoFocus type="password" inputMode="numeric" autoComplete="current-password" value={current} maxLength={PIN_MAX_DIGITS} required onChange={digits(setCurrent)} />
      </label>
      <div className="change-pin-new">
        <label className="field">
          <span className="field-label">{t('changePin.new')}</span>
          <input className="input input-big input-pin" data-testid="change-pin-new" type="password" inputMode="numeric" autoComplete="new-password" value={next} maxLength={PIN_MAX_DIGITS} required onChange={digits(setNext)} />
        </label>
        <label className="field">
          <span className="field-label">{t('changePin.again')}</span>
          <input className="input input-big input-pin" data-testid="change-pin-again" type="password" inputMode="numeric" autoComplete="new-password" value={again} maxLength={PIN_MAX_DIGITS} required onChange={digits(setAgain)} />
        </label>
      </div>
      <p className="signin-note">{t('pinRules')}</p>
      <p className="signin-note">{t('changePin.wrongCounts')}</p>
      <div className="signin-message" role="alert" data-testid="change-pin-error">
        {error === 'mismatch' ? t('setup.mismatch') : error ? errorText(error) : ''}
      </div>
      <div className="signin-actions">
        {children?.(busy)}
        <button type="submit" className="btn btn-big btn-primary" data-testid="change-pin-submit" disabled={busy}>
          {t('changePin.submit')}
        </button>
      </div>
    </form>
  );
}

/** Changing one's PIN on demand, over whatever screen is open: from the header, or one's own row on the Operators screen. */
export function ChangePinDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useStationTranslation('operators');
  const session = useSession();
  const feedback = useFeedback();
  const who = session.view?.operator;
  return (
    <Modal open={open} onCancel={onClose} labelledBy="change-pin-title" className="modal-change-pin">
      <div className="modal-body" data-testid="change-pin-dialog">
        <h2 id="change-pin-title">{t('changePin.title')}</h2>
        {who ? <p className="modal-subject">{t('changePin.who', { name: who.name, code: who.code })}</p> : null}
        <ChangePinFields
          onChanged={() => {
            feedback.show('info', { key: 'operators:changePin.done' });
            onClose();
          }}
        >
          {(busy) => (
            <button type="button" className="btn btn-big" data-testid="change-pin-cancel" disabled={busy} onClick={onClose}>
              {t('common:actions.cancel')}
            </button>
          )}
        </ChangePinFields>
      </div>
    </Modal>
  );
}

/**
 * The whole screen after signing in with a PIN a site admin set: nothing else until the operator
 * has chosen their own (the core refuses everything else meanwhile). Signing out leaves it.
 */
export function ForcedPinChange() {
  const { t } = useStationTranslation('operators');
  const client = useStation();
  const session = useSession();
  const who = session.view?.operator;
  return (
    <div className="signin-card" data-testid="forced-pin-change">
      <h1 className="signin-title">{t('changePin.forcedTitle')}</h1>
      {who ? <p className="signin-who signin-who-calm">{t('changePin.who', { name: who.name, code: who.code })}</p> : null}
      <p className="signin-hint">{t('changePin.forcedExplain')}</p>
      {/* The new session view (active) is pushed by the core and replaces this screen. */}
      <ChangePinFields onChanged={() => undefined}>
        {(busy) => (
          <button type="button" className="btn btn-big" data-testid="forced-sign-out" disabled={busy} onClick={() => void client.call('operator.signOut', {})}>
            {t('header.signOut')}
          </button>
        )}
      </ChangePinFields>
    </div>
  );
}

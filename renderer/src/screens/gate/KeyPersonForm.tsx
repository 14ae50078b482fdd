import { useState } from 'react';
import { KEY_PERSON_ACTIONS, type GatePassageView, type KeyPersonAction } from '../../../../electron/api/gate';
import { formatTime } from '../../desk/format';
import { useStationTranslation } from '../../i18n';
import { useGate } from './GateProvider';

/** What the gate keeper did about a key person: an action and a note (needed with "other"); the actions recorded so far above it. */
export function KeyPersonForm({ passage }: { passage: GatePassageView }) {
  const { t, language } = useStationTranslation('gate');
  const gate = useGate();
  const [action, setAction] = useState<KeyPersonAction | ''>('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const noteNeeded = action === 'other' && note.trim() === '';

  return (
    <div className="gate-key-person-block">
      {passage.keyPersonActions.length > 0 ? (
        <div className="gate-done" data-testid="gate-kp-actions">
          <strong>{t('keyPersonForm.done')}</strong>
          <ul>
            {passage.keyPersonActions.map((a) => (
              <li key={a.id} data-testid="gate-kp-action-done" data-action={a.action}>
                {formatTime(a.at, language)} {t(`keyPersonAction.${a.action}`)}
                {a.note ? <span className="gate-done-note"> — {a.note}</span> : null}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <form
        className="gate-form gate-kp-form"
        data-testid="gate-kp-form"
        aria-labelledby="gate-kp-heading"
        onSubmit={(e) => {
          e.preventDefault();
          if (busy || action === '' || noteNeeded) return;
          setBusy(true);
          void gate.keyPersonAction({ passageId: passage.id, action, note: note.trim() }).then((accepted) => {
            setBusy(false);
            if (accepted) {
              setAction('');
              setNote('');
            }
          });
        }}
      >
        <h3 id="gate-kp-heading" className="gate-form-heading">
          {t('keyPersonForm.heading')}
        </h3>
        <div className="gate-form-row">
          <label className="field">
            <span className="side-heading">{t('keyPersonForm.action')}</span>
            <select className="input" data-testid="gate-kp-action" value={action} onChange={(e) => setAction(e.target.value as KeyPersonAction | '')}>
              <option value="" disabled>
                —
              </option>
              {KEY_PERSON_ACTIONS.map((a) => (
                <option key={a} value={a}>
                  {t(`keyPersonAction.${a}`)}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span className="side-heading">{t('keyPersonForm.note')}</span>
            <input
              className="input"
              data-testid="gate-kp-note"
              maxLength={200}
              placeholder={t('keyPersonForm.notePlaceholder')}
              value={note}
              aria-invalid={noteNeeded}
              onChange={(e) => setNote(e.target.value)}
            />
          </label>
        </div>
        {noteNeeded ? (
          <p className="gate-form-error" role="alert" data-testid="gate-kp-note-needed">
            {t('keyPersonForm.noteNeeded')}
          </p>
        ) : null}
        <button type="submit" className="btn btn-big btn-danger" data-testid="gate-kp-submit" disabled={busy || action === '' || noteNeeded}>
          {t('keyPersonForm.submit')}
        </button>
      </form>
    </div>
  );
}

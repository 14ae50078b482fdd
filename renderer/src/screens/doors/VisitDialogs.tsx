import { useState, type FormEvent } from 'react';
import type { ApiError } from '../../../../electron/api/contract';
import { Modal } from '../../desk/Modal';
import { useStationTranslation } from '../../i18n';

const PRESETS = ['declined', 'elsewhere', 'unwell', 'familyDeclined'] as const;
const OTHER = 'other';

type RefuseProps = {
  /** Who refuses: a resident's name, or the whole household (null: closed). */
  who: string | null;
  temperatureC: number | undefined;
  onSubmit: (reason: string) => Promise<ApiError | null>;
  onClose: () => void;
};

/** A refusal's reason: a common one, or typed; a refusal is never recorded without one. */
export function RefuseDialog({ who, temperatureC, onSubmit, onClose }: RefuseProps) {
  return (
    <Modal open={who !== null} onCancel={onClose} labelledBy="doors-refuse-title">
      {who !== null ? <RefuseForm who={who} temperatureC={temperatureC} onSubmit={onSubmit} onClose={onClose} /> : null}
    </Modal>
  );
}

function RefuseForm({ who, temperatureC, onSubmit, onClose }: RefuseProps & { who: string }) {
  const { t, errorText } = useStationTranslation('doors');
  const [choice, setChoice] = useState<string>(PRESETS[0]);
  const [other, setOther] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const reason = choice === OTHER ? other.trim() : t(`refuse.presets.${choice}`);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (busy || reason === '') return;
    setBusy(true);
    void onSubmit(reason).then((refusal) => {
      setBusy(false);
      if (refusal) setError(errorText(refusal));
    });
  };
  return (
    <form className="modal-body" data-testid="doors-refuse-dialog" onSubmit={submit}>
      <h2 id="doors-refuse-title">{t('refuse.title')}</h2>
      <p className="modal-person">{t('refuse.subject', { who })}</p>
      <fieldset className="doors-reasons">
        <legend>{t('refuse.reason')}</legend>
        {[...PRESETS, OTHER].map((p) => (
          <label key={p} className={`reason-option ${choice === p ? 'is-active' : ''}`}>
            <input type="radio" name="doors-refuse-reason" value={p} checked={choice === p} data-testid={`doors-refuse-${p}`} onChange={() => setChoice(p)} />
            {p === OTHER ? t('refuse.other') : t(`refuse.presets.${p}`)}
          </label>
        ))}
      </fieldset>
      {choice === OTHER ? (
        <input
          className="input"
          data-testid="doors-refuse-other"
          maxLength={200}
          placeholder={t('refuse.otherPlaceholder')}
          value={other}
          autoFocus
          onChange={(e) => setOther(e.target.value)}
        />
      ) : null}
      {temperatureC !== undefined && !Number.isNaN(temperatureC) ? <p className="muted">{t('refuse.temperature', { celsius: temperatureC.toFixed(1) })}</p> : null}
      {error ? (
        <p className="modal-problem" role="alert">
          {error}
        </p>
      ) : null}
      <div className="modal-actions">
        <button type="submit" className="btn btn-danger" data-testid="doors-refuse-save" data-autofocus disabled={busy || reason === ''}>
          {t('actions.save')}
        </button>
        <button type="button" className="btn" onClick={onClose}>
          {t('actions.cancel')}
        </button>
      </div>
    </form>
  );
}

type NotHomeProps = {
  who: string | null;
  onSubmit: (revisitAt: string | undefined) => Promise<ApiError | null>;
  onClose: () => void;
};

/** Not home: onto the revisit list now; a time to come back when a neighbour or a note says one. */
export function NotHomeDialog({ who, onSubmit, onClose }: NotHomeProps) {
  return (
    <Modal open={who !== null} onCancel={onClose} labelledBy="doors-not-home-title">
      {who !== null ? <NotHomeForm who={who} onSubmit={onSubmit} onClose={onClose} /> : null}
    </Modal>
  );
}

/** A time of day typed as HH:MM, today (or tomorrow, when that time has passed), as an ISO time. */
function revisitTime(hhmm: string): string | undefined {
  const m = /^(\d{1,2}):(\d{2})$/.exec(hhmm.trim());
  if (!m) return undefined;
  const at = new Date();
  at.setHours(Number(m[1]), Number(m[2]), 0, 0);
  if (at.getTime() < Date.now()) at.setDate(at.getDate() + 1);
  return at.toISOString();
}

function NotHomeForm({ who, onSubmit, onClose }: NotHomeProps & { who: string }) {
  const { t, errorText } = useStationTranslation('doors');
  const [time, setTime] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    void onSubmit(revisitTime(time)).then((refusal) => {
      setBusy(false);
      if (refusal) setError(errorText(refusal));
    });
  };
  return (
    <form className="modal-body" data-testid="doors-not-home-dialog" onSubmit={submit}>
      <h2 id="doors-not-home-title">{t('notHome.title')}</h2>
      <p className="modal-person">{t('notHome.subject', { who })}</p>
      <p className="muted">{t('notHome.hint')}</p>
      <label className="field doors-revisit-time">
        <span>{t('notHome.revisitAt')}</span>
        <input className="input" type="time" data-testid="doors-revisit-time" value={time} onChange={(e) => setTime(e.target.value)} />
      </label>
      {error ? (
        <p className="modal-problem" role="alert">
          {error}
        </p>
      ) : null}
      <div className="modal-actions">
        <button type="submit" className="btn btn-primary" data-testid="doors-not-home-save" data-autofocus disabled={busy}>
          {t('actions.save')}
        </button>
        <button type="button" className="btn" onClick={onClose}>
          {t('actions.cancel')}
        </button>
      </div>
    </form>
  );
}

import { useState } from 'react';
import { Modal } from '../../desk/Modal';
import { useFeedback } from '../../feedback/FeedbackProvider';
import { useStationTranslation } from '../../i18n';
import { useScanCapture } from '../../scanner/ScanCapture';

const PRESETS = ['broken', 'wrongBox', 'leaking'] as const;
const OTHER = 'other';

type Target = { boxCode: string; tubeCode: string };

/** Takes a tube out of the open box: always with a reason (a preset or typed); the box keeps the entry with it. */
export function RemoveTubeDialog({ target, onClose, onRemove }: { target: Target | null; onClose: () => void; onRemove: (reason: string) => Promise<boolean> }) {
  return (
    <Modal open={target !== null} onCancel={onClose} labelledBy="box-remove-title" className="modal-reason">
      {target ? <RemoveForm target={target} onClose={onClose} onRemove={onRemove} /> : null}
    </Modal>
  );
}

function RemoveForm({ target, onClose, onRemove }: { target: Target; onClose: () => void; onRemove: (reason: string) => Promise<boolean> }) {
  const { t } = useStationTranslation('boxes');
  const { show } = useFeedback();
  const [choice, setChoice] = useState<string>(PRESETS[0]);
  const [other, setOther] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  // A scan now would put a tube in the box while one is being taken out: it is refused, and says so.
  useScanCapture(() => {
    setProblem(t('remove.scanIgnored'));
    show('rejected', { key: 'boxes:remove.scanIgnored' });
  });

  const submit = async () => {
    if (busy) return;
    const reason = choice === OTHER ? other.trim() : t(`remove.presets.${choice}`);
    if (reason === '') return setProblem(t('remove.missing'));
    setBusy(true);
    const done = await onRemove(reason);
    setBusy(false);
    if (done) onClose();
  };

  return (
    <form
      className="modal-body"
      data-testid="box-remove-dialog"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h2 id="box-remove-title">{t('remove.title', { code: target.tubeCode, box: target.boxCode })}</h2>
      <fieldset className="reasons">
        <legend>{t('remove.reason')}</legend>
        {PRESETS.map((id, i) => (
          <label key={id} className={`reason-option ${choice === id ? 'is-chosen' : ''}`}>
            <input type="radio" name="box-remove-reason" value={id} checked={choice === id} onChange={() => setChoice(id)} data-autofocus={i === 0 ? true : undefined} />
            <span>{t(`remove.presets.${id}`)}</span>
          </label>
        ))}
        <label className={`reason-option reason-other ${choice === OTHER ? 'is-chosen' : ''}`}>
          <input type="radio" name="box-remove-reason" value={OTHER} checked={choice === OTHER} onChange={() => setChoice(OTHER)} data-testid="box-remove-other-choice" />
          <span>{t('remove.other')}</span>
          <input
            type="text"
            className="input"
            data-testid="box-remove-other"
            value={other}
            maxLength={200}
            placeholder={t('remove.otherPlaceholder')}
            onFocus={() => setChoice(OTHER)}
            onChange={(e) => {
              setOther(e.target.value);
              setProblem(null);
            }}
          />
        </label>
      </fieldset>
      {problem ? (
        <p className="modal-problem" role="alert" data-testid="box-remove-problem">
          {problem}
        </p>
      ) : null}
      <div className="modal-actions">
        <button type="submit" className="btn btn-danger" data-testid="box-remove-submit" disabled={busy}>
          {t('remove.submit')}
        </button>
        <button type="button" className="btn" onClick={onClose}>
          {t('actions.cancel')}
        </button>
      </div>
    </form>
  );
}

import { useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { useFeedback } from '../feedback/FeedbackProvider';
import { useScanCapture } from '../scanner/ScanCapture';
import { useStationTranslation } from '../i18n';
import { Modal } from './Modal';

export const REASON_PRESETS = {
  undo: ['wrongPerson', 'notSampled', 'wrongTube'],
  void: ['damaged', 'label', 'contaminated'],
} as const;

type Kind = keyof typeof REASON_PRESETS;
const OTHER = 'other';

type Props = {
  kind: Kind;
  open: boolean;
  subject: string;
  /** Void only: the tube proposed for voiding; staff may type or scan another. */
  initialTubeCode?: string;
  onSubmit: (reason: string, tubeCode: string) => Promise<boolean>;
  onClose: () => void;
};

/**
 * Asks why (undo, void): preset reasons on number keys, or free text; Enter submits, Esc cancels.
 * Corrections are never silent, so an empty reason is not accepted.
 */
export function ReasonDialog(props: Props) {
  return (
    <Modal open={props.open} onCancel={props.onClose} labelledBy={`reason-title-${props.kind}`} className="modal-reason">
      {props.open ? <ReasonForm {...props} /> : null}
    </Modal>
  );
}

function ReasonForm({ kind, subject, initialTubeCode, onSubmit, onClose }: Props) {
  const { t } = useStationTranslation('desk');
  const presets = REASON_PRESETS[kind];
  const [choice, setChoice] = useState<string>(presets[0]);
  const [other, setOther] = useState('');
  const [tubeCode, setTubeCode] = useState(initialTubeCode ?? '');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const otherRef = useRef<HTMLInputElement>(null);
  const formRef = useRef<HTMLFormElement>(null);
  // The first key of a scanner burst reaches the form before the burst is recognised; if it was
  // a digit it picked a reason, which the scan must not leave picked.
  const lastPick = useRef<{ previous: string; at: number } | null>(null);

  const { show } = useFeedback();
  // While voiding, scanning a tube fills in which tube, rather than opening it. While undoing, a
  // scan is refused: binding someone now would make "the last person" someone else.
  useScanCapture((text) => {
    if (kind === 'void') return setTubeCode(text.trim());
    if (lastPick.current && performance.now() - lastPick.current.at < 1000) setChoice(lastPick.current.previous);
    lastPick.current = null;
    setProblem(t('reason.scanIgnored'));
    show('rejected', { key: 'desk:reason.scanIgnored' });
  });

  const submit = async () => {
    if (busy) return;
    const reason = choice === OTHER ? other.trim() : t(`reason.presets.${kind}.${choice}`);
    if (kind === 'void' && tubeCode.trim() === '') return setProblem(t('reason.tubeMissing'));
    if (reason === '') {
      setProblem(t('reason.missing'));
      otherRef.current?.focus();
      return;
    }
    setBusy(true);
    const accepted = await onSubmit(reason, tubeCode.trim());
    setBusy(false);
    if (accepted) onClose();
  };

  const onFormSubmit = (e: FormEvent) => {
    e.preventDefault();
    void submit();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLFormElement>) => {
    const inText = e.target instanceof HTMLInputElement && e.target.type === 'text';
    if (e.key === 'Enter' && !(e.target instanceof HTMLButtonElement)) {
      e.preventDefault();
      void submit();
      return;
    }
    if (inText || e.ctrlKey || e.altKey || e.metaKey) return;
    const n = Number(e.key);
    if (Number.isInteger(n) && n >= 1 && n <= presets.length + 1) {
      e.preventDefault();
      const picked = n <= presets.length ? presets[n - 1] : OTHER;
      if (!picked) return;
      lastPick.current = { previous: choice, at: performance.now() };
      setChoice(picked);
      setProblem(null);
      if (picked === OTHER) otherRef.current?.focus();
      else formRef.current?.querySelector<HTMLInputElement>(`input[value="${picked}"]`)?.focus();
    }
  };

  const titleId = `reason-title-${kind}`;
  return (
    <form ref={formRef} className="modal-body" onSubmit={onFormSubmit} onKeyDown={onKeyDown} data-testid={`reason-dialog-${kind}`}>
      <h2 id={titleId}>{t(kind === 'undo' ? 'reason.undoTitle' : 'reason.voidTitle')}</h2>
      {subject ? <p className="modal-subject">{subject}</p> : null}
      {kind === 'void' ? (
        <label className="field">
          <span>{t('reason.tubeLabel')}</span>
          <input type="text" className="input input-code" value={tubeCode} onChange={(e) => setTubeCode(e.target.value)} autoComplete="off" spellCheck={false} />
        </label>
      ) : null}
      <fieldset className="reasons">
        <legend>{t('reason.label')}</legend>
        {presets.map((id, i) => (
          <label key={id} className={`reason-option ${choice === id ? 'is-chosen' : ''}`}>
            <input
              type="radio"
              name={`reason-${kind}`}
              value={id}
              checked={choice === id}
              onChange={() => setChoice(id)}
              data-autofocus={i === 0 ? true : undefined}
            />
            <kbd>{i + 1}</kbd>
            <span>{t(`reason.presets.${kind}.${id}`)}</span>
          </label>
        ))}
        <label className={`reason-option reason-other ${choice === OTHER ? 'is-chosen' : ''}`}>
          <input type="radio" name={`reason-${kind}`} value={OTHER} checked={choice === OTHER} onChange={() => setChoice(OTHER)} />
          <kbd>{presets.length + 1}</kbd>
          <span>{t('reason.other')}</span>
          <input
            ref={otherRef}
            type="text"
            className="input"
            value={other}
            maxLength={200}
            placeholder={t('reason.otherPlaceholder')}
            onFocus={() => setChoice(OTHER)}
            onChange={(e) => {
              setOther(e.target.value);
              setProblem(null);
            }}
          />
        </label>
      </fieldset>
      {problem ? (
        <p className="modal-problem" role="alert">
          {problem}
        </p>
      ) : null}
      <div className="modal-actions">
        <button type="submit" className="btn btn-danger" disabled={busy}>
          {t(kind === 'undo' ? 'reason.submitUndo' : 'reason.submitVoid')}
        </button>
        <button type="button" className="btn" onClick={onClose}>
          {t('reason.cancel')}
        </button>
      </div>
    </form>
  );
}

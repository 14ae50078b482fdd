import { useState } from 'react';
import type { BoxView } from '../../../../electron/api/boxes';
import { useStation } from '../../app/station';
import { Modal } from '../../desk/Modal';
import { useFeedback } from '../../feedback/FeedbackProvider';
import { useStationTranslation } from '../../i18n';
import { useScanCapture } from '../../scanner/ScanCapture';
import { useSession } from '../operators/SessionProvider';

type Props = {
  /** The sealed box to hand over (null: closed). */
  box: BoxView | null;
  boxPattern: RegExp | null;
  onClose: () => void;
  onHandedOver: (view: BoxView) => void;
};

const COLD_CHAIN_PRESETS = ['icePacks', 'coolBox'] as const;

/**
 * The hand-over (样本转运交接): the transporter scans their badge (or is recorded by name and
 * phone), scans the box's code again, and says how many tubes they counted; a cold-chain note.
 * The core checks the code and the count; a refusal is shown here in words and changes nothing.
 */
export function HandOverDialog(props: Props) {
  return (
    <Modal open={props.box !== null} onCancel={props.onClose} labelledBy="box-handover-title" className="modal-handover">
      {props.box ? <HandOverForm {...props} box={props.box} /> : null}
    </Modal>
  );
}

function HandOverForm({ box, boxPattern, onClose, onHandedOver }: Props & { box: BoxView }) {
  const client = useStation();
  const session = useSession();
  const { show } = useFeedback();
  const { t, errorText } = useStationTranslation('boxes');
  // A transporter signed in here hands over in their own name: by their badge, nothing else.
  const selfOnly = session.view?.operator?.role === 'transporter';
  const [mode, setMode] = useState<'badge' | 'named'>(selfOnly ? 'badge' : 'named');
  const [badge, setBadge] = useState('');
  const [name, setName] = useState('');
  const [phone, setPhone] = useState('');
  const [confirmCode, setConfirmCode] = useState('');
  const [count, setCount] = useState('');
  const [note, setNote] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  // Scans fill the form: a badge is the transporter's, the box's code is the re-scan.
  useScanCapture((text) => {
    const code = text.trim();
    setProblem(null);
    if (session.isBadge(code)) {
      setBadge(code);
      setMode('badge');
    } else if (boxPattern?.test(code)) {
      setConfirmCode(code);
    } else {
      setProblem(t('handOver.scanUnknown', { code }));
      show('rejected', { key: 'boxes:handOver.scanUnknown', params: { code } });
    }
  });

  const submit = async () => {
    if (busy) return;
    const missing =
      mode === 'badge' && badge.trim() === ''
        ? 'handOver.missingBadge'
        : mode === 'named' && (name.trim() === '' || phone.trim() === '')
          ? 'handOver.missingName'
          : confirmCode.trim() === ''
            ? 'handOver.missingConfirm'
            : !/^\d{1,5}$/.test(count.trim())
              ? 'handOver.missingCount'
              : null;
    if (missing) return setProblem(t(missing));
    setBusy(true);
    const r = await client.call('box.handOver', {
      code: box.code,
      confirmCode: confirmCode.trim(),
      transporter: mode === 'badge' ? { badge: badge.trim() } : { name: name.trim(), phone: phone.trim() },
      tubeCount: Number(count.trim()),
      coldChainNote: note.trim(),
    });
    setBusy(false);
    if (r.ok) return onHandedOver(r.value);
    setProblem(errorText(r.error));
    show('rejected', { key: 'boxes:outcome.rejected' }, { error: r.error });
  };

  return (
    <form
      className="modal-body boxes-handover-form"
      data-testid="box-handover-dialog"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h2 id="box-handover-title">{t('handOver.title', { code: box.code })}</h2>
      <fieldset className="boxes-handover-who">
        <legend>{t('handOver.transporter')}</legend>
        {selfOnly ? (
          <p className="muted">{t('handOver.selfOnly')}</p>
        ) : (
          <div className="segmented boxes-segmented" role="radiogroup">
            {(['named', 'badge'] as const).map((m) => (
              <button
                key={m}
                type="button"
                role="radio"
                aria-checked={mode === m}
                className={`segment ${mode === m ? 'is-active' : ''}`}
                data-testid={`handover-mode-${m}`}
                onClick={() => setMode(m)}
              >
                {t(`handOver.mode.${m}`)}
              </button>
            ))}
          </div>
        )}
        {mode === 'badge' ? (
          <label className="field">
            <span className="field-label">{t('handOver.badge')}</span>
            <input className="input input-code" data-testid="handover-badge" value={badge} maxLength={64} autoComplete="off" spellCheck={false} placeholder={t('handOver.badgeHint')} onChange={(e) => setBadge(e.target.value)} />
          </label>
        ) : (
          <div className="boxes-handover-row">
            <label className="field">
              <span className="field-label">{t('handOver.name')}</span>
              <input className="input" data-testid="handover-name" value={name} maxLength={40} autoComplete="off" data-autofocus onChange={(e) => setName(e.target.value)} />
            </label>
            <label className="field">
              <span className="field-label">{t('handOver.phone')}</span>
              <input className="input input-code" data-testid="handover-phone" value={phone} maxLength={20} inputMode="tel" autoComplete="off" onChange={(e) => setPhone(e.target.value)} />
            </label>
          </div>
        )}
      </fieldset>
      <div className="boxes-handover-row">
        <label className="field">
          <span className="field-label">{t('handOver.confirmCode')}</span>
          <input
            className="input input-code"
            data-testid="handover-confirm"
            value={confirmCode}
            maxLength={64}
            autoComplete="off"
            spellCheck={false}
            placeholder={t('handOver.confirmHint')}
            onChange={(e) => setConfirmCode(e.target.value)}
          />
        </label>
        <label className="field boxes-handover-count">
          <span className="field-label">{t('handOver.counted')}</span>
          <input className="input" data-testid="handover-count" value={count} inputMode="numeric" maxLength={5} autoComplete="off" onChange={(e) => setCount(e.target.value.replace(/\D/g, ''))} />
        </label>
      </div>
      <label className="field">
        <span className="field-label">{t('handOver.coldChain')}</span>
        <input className="input" data-testid="handover-note" value={note} maxLength={200} autoComplete="off" placeholder={t('handOver.coldChainHint')} onChange={(e) => setNote(e.target.value)} />
      </label>
      <div className="boxes-presets">
        {COLD_CHAIN_PRESETS.map((p) => (
          <button key={p} type="button" className="btn boxes-preset" data-testid={`handover-note-${p}`} onClick={() => setNote(t(`handOver.coldChainPresets.${p}`))}>
            {t(`handOver.coldChainPresets.${p}`)}
          </button>
        ))}
      </div>
      <p className="modal-problem" role="alert" data-testid="handover-problem">
        {problem ?? ''}
      </p>
      <div className="modal-actions">
        <button type="submit" className="btn btn-primary" data-testid="handover-submit" disabled={busy}>
          {t('handOver.submit')}
        </button>
        <button type="button" className="btn" onClick={onClose}>
          {t('actions.cancel')}
        </button>
      </div>
    </form>
  );
}

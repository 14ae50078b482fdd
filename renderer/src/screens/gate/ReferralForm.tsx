import { useState } from 'react';
import type { GatePassageView } from '../../../../electron/api/gate';
import { formatTime } from '../../desk/format';
import { useStationTranslation } from '../../i18n';
import { useGate } from './GateProvider';

/** A fever confirmed on re-measure: where they are referred, who escorts them, a note; once recorded, what was recorded. */
export function ReferralForm({ passage }: { passage: GatePassageView }) {
  const { t, language } = useStationTranslation('gate');
  const gate = useGate();
  const [destination, setDestination] = useState('');
  const [escort, setEscort] = useState('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);

  if (passage.referral) {
    const r = passage.referral;
    return (
      <div className="gate-done gate-referral" data-testid="gate-referral">
        <strong>{t('referral.done')}</strong> {t('referral.doneDetail', { destination: r.destination, escort: r.escort, time: formatTime(r.at, language) })}
        {r.note ? <div className="gate-done-note">{r.note}</div> : null}
      </div>
    );
  }

  return (
    <form
      className="gate-form gate-referral-form"
      data-testid="gate-referral-form"
      aria-labelledby="gate-referral-heading"
      onSubmit={(e) => {
        e.preventDefault();
        if (busy) return;
        setBusy(true);
        void gate.refer({ passageId: passage.id, destination: destination.trim(), escort: escort.trim(), note: note.trim() }).then(() => setBusy(false));
      }}
    >
      <h3 id="gate-referral-heading" className="gate-form-heading">
        {t('referral.heading')}
      </h3>
      <div className="gate-form-row">
        <label className="field">
          <span className="side-heading">{t('referral.destination')}</span>
          <input className="input" data-testid="gate-referral-destination" required maxLength={100} placeholder={t('referral.destinationPlaceholder')} value={destination} onChange={(e) => setDestination(e.target.value)} />
        </label>
        <label className="field">
          <span className="side-heading">{t('referral.escort')}</span>
          <input className="input" data-testid="gate-referral-escort" required maxLength={100} value={escort} onChange={(e) => setEscort(e.target.value)} />
        </label>
      </div>
      <label className="field">
        <span className="side-heading">{t('referral.note')}</span>
        <input className="input" data-testid="gate-referral-note" maxLength={200} value={note} onChange={(e) => setNote(e.target.value)} />
      </label>
      <button type="submit" className="btn btn-big btn-danger" data-testid="gate-referral-submit" disabled={busy || destination.trim() === '' || escort.trim() === ''}>
        {t('referral.submit')}
      </button>
    </form>
  );
}

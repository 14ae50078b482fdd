import { useEffect, useRef, useState } from 'react';
import type { GatePassageView } from '../../../../electron/api/gate';
import { useStationTranslation } from '../../i18n';
import { useGate } from './GateProvider';
import { parseCelsius } from './words';

/**
 * The temperature the gate keeper acts on: "re-measure" when a reading was high once (the next
 * reading is this person's), and a reading typed by hand (no thermometer, or a handheld one),
 * 32.0–43.0 °C with one decimal, refused here before it reaches the core. F7 goes to the reading
 * field, F8 re-measures: no mouse needed between scans.
 */
export function ReadingEntry({ passage }: { passage: GatePassageView }) {
  const { t } = useStationTranslation('gate');
  const gate = useGate();
  const [text, setText] = useState('');
  const [invalid, setInvalid] = useState(false);
  const [busy, setBusy] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);
  const remeasureNeeded = passage.temperature.state === 'remeasure';

  useEffect(() => {
    const onKeyDown = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.altKey || e.metaKey || document.querySelector('dialog[open]')) return;
      if (e.key === 'F7') {
        e.preventDefault();
        inputRef.current?.focus();
      } else if (e.key === 'F8' && remeasureNeeded) {
        e.preventDefault();
        void gate.remeasure(passage.id);
      }
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [gate, passage.id, remeasureNeeded]);

  const submit = () => {
    const celsius = parseCelsius(text);
    setInvalid(celsius === null);
    if (celsius === null || busy) return;
    setBusy(true);
    void gate.reading(passage.id, celsius).then((accepted) => {
      setBusy(false);
      if (accepted) setText('');
    });
  };

  return (
    <div className="gate-reading-entry">
      {remeasureNeeded ? (
        <div className="gate-remeasure">
          <button type="button" className="btn btn-big btn-danger" data-testid="gate-remeasure" onClick={() => void gate.remeasure(passage.id)}>
            {t('remeasure.button')} <kbd>F8</kbd>
          </button>
          <p>{t('remeasure.hint')}</p>
        </div>
      ) : null}
      <form
        className="gate-manual"
        data-testid="gate-manual-form"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <label className="field">
          <span className="side-heading">
            {t('manual.label')} <kbd>F7</kbd>
          </span>
          <span className="manual-row">
            <input
              ref={inputRef}
              type="text"
              inputMode="decimal"
              className="input gate-manual-input"
              data-testid="gate-reading-input"
              value={text}
              placeholder={t('manual.placeholder')}
              autoComplete="off"
              maxLength={5}
              aria-invalid={invalid}
              aria-describedby={invalid ? 'gate-reading-error' : undefined}
              onChange={(e) => {
                setText(e.target.value);
                setInvalid(false);
              }}
              onKeyDown={(e) => {
                if (e.key === 'Escape') e.currentTarget.blur();
              }}
            />
            <span className="gate-unit">℃</span>
            <button type="submit" className="btn" data-testid="gate-reading-submit" disabled={busy}>
              {t('manual.submit')}
            </button>
          </span>
        </label>
        {invalid ? (
          <p id="gate-reading-error" className="gate-form-error" role="alert" data-testid="gate-reading-error">
            {t('manual.invalid')}
          </p>
        ) : null}
      </form>
    </div>
  );
}

import { useState, type RefObject } from 'react';
import { useStationTranslation } from '../i18n';

/** For when the scanner fails: type the code, Enter submits it as a manual scan. */
export function ManualEntry({ onSubmit, inputRef }: { onSubmit: (text: string) => Promise<boolean>; inputRef: RefObject<HTMLInputElement | null> }) {
  const { t } = useStationTranslation('desk');
  const [text, setText] = useState('');
  return (
    <form
      className="side-block manual"
      onSubmit={(e) => {
        e.preventDefault();
        if (text.trim() === '') return;
        void onSubmit(text).then((accepted) => {
          if (accepted) setText('');
        });
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
            className="input input-code"
            data-testid="manual-input"
            value={text}
            placeholder={t('manual.placeholder')}
            autoComplete="off"
            spellCheck={false}
            maxLength={4096}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape') e.currentTarget.blur();
            }}
          />
          <button type="submit" className="btn">
            {t('manual.submit')}
          </button>
        </span>
      </label>
    </form>
  );
}

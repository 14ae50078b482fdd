/**
 * Asks the site admin for the data passphrase (or, on a fresh folder, for the one to set, typed
 * twice). Nothing else: the core is not running yet.
 */
import { useEffect, useState, type FormEvent } from 'react';
import type { UnlockApi, UnlockErrorCode, UnlockMode } from '../../../electron/api/unlock';
import { useStationTranslation } from '../i18n';

type Problem = UnlockErrorCode | 'mismatch';

/** The words' keys: i18next reads a dot as a level, so codes are keyed by their last part. */
const PROBLEM_KEY: Record<Problem, string> = {
  'storage.keyWrong': 'keyWrong',
  'storage.passphraseTooShort': 'passphraseTooShort',
  'request.invalid': 'invalid',
  internal: 'internal',
  mismatch: 'mismatch',
};

export function UnlockScreen({ api }: { api: UnlockApi }) {
  const { t } = useStationTranslation('unlock');
  const [mode, setMode] = useState<UnlockMode | null>(null);
  const [passphrase, setPassphrase] = useState('');
  const [again, setAgain] = useState('');
  const [problem, setProblem] = useState<Problem | null>(null);
  const [working, setWorking] = useState(false);

  useEffect(() => {
    void api.mode().then(setMode);
  }, [api]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (working || passphrase === '') return;
    if (mode === 'create' && passphrase !== again) {
      setProblem('mismatch');
      return;
    }
    setWorking(true);
    setProblem(null);
    const answer = await api.submit(passphrase);
    if (answer.ok) return;
    setWorking(false);
    setProblem(answer.code);
    setPassphrase('');
    setAgain('');
  };

  if (!mode) return null;
  return (
    <main className="unlock">
      <form onSubmit={(e) => void submit(e)} aria-busy={working}>
        <h1>{t(`${mode}.title`)}</h1>
        <p>{t(`${mode}.explain`)}</p>
        <label>
          {t('passphrase')}
          <input type="password" autoFocus autoComplete="off" value={passphrase} onChange={(e) => setPassphrase(e.target.value)} disabled={working} maxLength={1024} />
        </label>
        {mode === 'create' && (
          <label>
            {t('again')}
            <input type="password" autoComplete="off" value={again} onChange={(e) => setAgain(e.target.value)} disabled={working} maxLength={1024} />
          </label>
        )}
        {problem && (
          <p role="alert" className="unlock-problem">
            {t(`problem.${PROBLEM_KEY[problem]}`)}
          </p>
        )}
        <button type="submit" disabled={working || passphrase === ''}>
          {working ? t('working') : t(`${mode}.submit`)}
        </button>
      </form>
    </main>
  );
}

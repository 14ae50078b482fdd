import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { ApiError, Result } from '../../../../electron/api/contract';
import { PIN_MAX_DIGITS, type SessionView } from '../../../../electron/api/operators';
import { useStation } from '../../app/station';
import { setLanguage, useStationTranslation } from '../../i18n';
import { useScanCapture } from '../../scanner/ScanCapture';
import { Clock } from '../../status/Clock';
import { ConnectionIndicator } from '../../status/ConnectionIndicator';
import { UploadIndicator } from '../../upload/UploadIndicator';
import { ForcedPinChange } from './ChangePin';
import { useNewOperatorFields } from './new-operator';
import { useSession } from './SessionProvider';
import './operators.css';
import { useRoleWords } from './words';

/**
 * What the screen shows when nobody may use the desk: the first-run form (no operator can sign
 * in yet), the sign-in, the lock screen, the PIN for a badge just scanned (also to switch
 * operator while signed in), and the new PIN of someone who signed in with a site admin's
 * temporary one. Nothing of the desk is behind it: the desk is not even rendered.
 */
export function SignInScreen() {
  const { t, language } = useStationTranslation('operators');
  const session = useSession();
  const view = session.view;
  // Anything scanned here is a badge or nothing: the core says whose it is.
  useScanCapture((text, source) => void session.identify(text, source));
  if (!view) return <div className="loading">{t('common:connection.connectingBanner')}</div>;
  return (
    <div className="signin" data-testid="signin-screen" data-state={session.pinFor ? 'pin' : view.state}>
      <header className="signin-top">
        <div className="brand">{t('common:appName')}</div>
        <div className="signin-station" data-testid="signin-station">
          {t('signIn.stationLine', { site: view.site.name, station: view.station.name, number: view.station.number })}
        </div>
        <Clock className="signin-clock" />
        <div className="indicators">
          <ConnectionIndicator />
          <UploadIndicator />
        </div>
        <button type="button" className="lang-toggle" data-testid="language-toggle" onClick={() => setLanguage(language === 'en' ? 'zh-CN' : 'en')}>
          {t('common:language.switchTo')}
        </button>
      </header>
      <main className="signin-main">
        {session.pinFor ? <SignInForm view={view} /> : view.state === 'setup' ? <SetupForm view={view} /> : view.state === 'pinChange' ? <ForcedPinChange /> : <SignInForm view={view} />}
      </main>
    </div>
  );
}

/** The answer of a sign-in call, worded; a success needs no words (the screen changes). */
function useAttempt() {
  const { errorText } = useStationTranslation('operators');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async <T,>(call: Promise<Result<T>>): Promise<boolean> => {
    setBusy(true);
    try {
      const result = await call;
      setError(result.ok ? null : result.error);
      return result.ok;
    } finally {
      setBusy(false);
    }
  };
  return { error, setError, busy, run, text: error ? errorText(error) : null };
}

function SignInForm({ view }: { view: SessionView }) {
  const { t, errorText } = useStationTranslation('operators');
  const role = useRoleWords();
  const client = useStation();
  const session = useSession();
  const attempt = useAttempt();
  const [code, setCode] = useState('');
  const [pin, setPin] = useState('');
  const [other, setOther] = useState(false);
  const pinRef = useRef<HTMLInputElement>(null);
  const codeRef = useRef<HTMLInputElement>(null);

  // Whose PIN this is: the badge just scanned, else the locked session's operator (unless someone else signs in).
  const target = session.pinFor?.operator ?? (view.state === 'locked' && !other ? view.operator : null);
  useEffect(() => {
    setPin('');
    attempt.setError(null);
    (target ? pinRef : codeRef).current?.focus();
    // A new operator to sign in is a new try: only their id matters here.
  }, [target?.id]);

  const submit = async (e?: FormEvent) => {
    e?.preventDefault();
    if (pin === '' || (!target && code.trim() === '')) return;
    const args = session.pinFor ? { badge: session.pinFor.badge, pin } : target ? { code: target.code, pin } : { code: code.trim(), pin };
    const ok = await attempt.run(client.call('operator.signIn', args));
    setPin('');
    if (!ok) pinRef.current?.focus();
  };

  const title = session.pinFor ? t('signIn.pinFor', { name: session.pinFor.operator.name, code: session.pinFor.operator.code }) : view.state === 'locked' ? t('locked.title') : t('signIn.title');
  const refusal = session.scanRefusal ? errorText(session.scanRefusal) : null;

  return (
    <form className="signin-card signin-card-wide" onSubmit={(e) => void submit(e)} data-testid="signin-form">
      <h1 className={`signin-title ${view.state === 'locked' && !session.pinFor ? 'is-locked' : ''}`} data-testid="signin-title">
        {view.state === 'locked' && !session.pinFor ? <span className="signin-lock" aria-hidden="true" /> : null}
        {title}
      </h1>
      {view.state === 'locked' && view.operator && !session.pinFor ? (
        <p className="signin-who" data-testid="locked-who">
          {t('locked.who', { name: view.operator.name, code: view.operator.code, role: role(view.operator.role) })}
        </p>
      ) : null}
      <p className="signin-hint">{view.state === 'locked' ? t('locked.hint') : t('signIn.hint')}</p>
      <div className="signin-cols">
        <div className="signin-fields">
      {!target ? (
        <label className="field">
          <span className="field-label">{t('signIn.code')}</span>
          <input
            ref={codeRef}
            className="input input-big"
            data-testid="signin-code"
            value={code}
            autoComplete="off"
            spellCheck={false}
            maxLength={32}
            onChange={(e) => setCode(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                pinRef.current?.focus();
              }
            }}
          />
        </label>
      ) : null}
      <label className="field">
        <span className="field-label">{t('signIn.pin')}</span>
        <input
          ref={pinRef}
          className="input input-big input-pin"
          data-testid="signin-pin"
          type="password"
          inputMode="numeric"
          autoComplete="off"
          value={pin}
          maxLength={PIN_MAX_DIGITS}
          onChange={(e) => setPin(e.target.value.replace(/\D/g, ''))}
        />
      </label>
      <div className="signin-message" role="alert" data-testid="signin-error">
        {attempt.text ?? refusal ?? ''}
      </div>
      <div className="signin-actions">
        {target ? (
          <button
            type="button"
            className="btn btn-big"
            data-testid="signin-other"
            onClick={() => {
              session.cancelPin();
              setOther(true);
            }}
          >
            {t('signIn.otherOperator')}
          </button>
        ) : null}
        <button type="submit" className="btn btn-big btn-primary" data-testid="signin-submit" disabled={attempt.busy || pin === ''}>
          {t('signIn.submit')}
        </button>
      </div>
      {view.state !== 'active' ? <p className="signin-note">{t('signIn.idleNote', { minutes: view.idleLockMinutes })}</p> : null}
        </div>
        <PinPad value={pin} onChange={setPin} />
      </div>
    </form>
  );
}

/** Big keys for gloved fingers; the keyboard works too. */
function PinPad({ value, onChange }: { value: string; onChange: (next: string) => void }) {
  const { t } = useStationTranslation('operators');
  const press = (key: string) => {
    if (key === 'clear') return onChange('');
    if (key === 'back') return onChange(value.slice(0, -1));
    if (value.length < PIN_MAX_DIGITS) onChange(value + key);
  };
  const keys = ['1', '2', '3', '4', '5', '6', '7', '8', '9', 'clear', '0', 'back'];
  return (
    <div className="pinpad" role="group" aria-label={t('signIn.pin')}>
      {keys.map((k) => (
        <button key={k} type="button" className={`pinpad-key ${k.length > 1 ? 'pinpad-fn' : ''}`} data-testid={`pin-key-${k}`} tabIndex={-1} onClick={() => press(k)}>
          {k === 'clear' ? t('signIn.clear') : k === 'back' ? t('signIn.back') : k}
        </button>
      ))}
    </div>
  );
}

function SetupForm({ view }: { view: SessionView }) {
  const { t } = useStationTranslation('operators');
  const client = useStation();
  const attempt = useAttempt();
  const { name, setName, code, setCode, badge, setBadge, pin, setPin, again, setAgain, mismatch, take } = useNewOperatorFields();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const fields = take();
    if (fields) await attempt.run(client.call('operator.setup', fields));
  };

  return (
    <form className="signin-card signin-setup" onSubmit={(e) => void submit(e)} data-testid="setup-form">
      <h1 className="signin-title">{t('setup.title')}</h1>
      <p className="signin-hint">{t('setup.explain')}</p>
      {view.operatorsWithoutPin > 0 ? <p className="signin-note">{t('setup.upgraded')}</p> : null}
      <div className="signin-grid">
        <label className="field">
          <span className="field-label">{t('setup.name')}</span>
          <input className="input input-big" data-testid="setup-name" value={name} maxLength={50} required autoFocus onChange={(e) => setName(e.target.value)} />
        </label>
        <label className="field">
          <span className="field-label">{t('setup.code')}</span>
          <input className="input input-big" data-testid="setup-code" value={code} maxLength={32} required spellCheck={false} autoComplete="off" onChange={(e) => setCode(e.target.value)} />
          <small className="muted">{t('setup.codeHint')}</small>
        </label>
        <label className="field">
          <span className="field-label">{t('setup.badge')}</span>
          <input className="input input-big" data-testid="setup-badge" value={badge} maxLength={64} spellCheck={false} autoComplete="off" onChange={(e) => setBadge(e.target.value)} />
          <small className="muted">{t('setup.badgeHint')}</small>
        </label>
        <label className="field">
          <span className="field-label">{t('setup.pin')}</span>
          <input className="input input-big input-pin" data-testid="setup-pin" type="password" inputMode="numeric" autoComplete="new-password" value={pin} maxLength={PIN_MAX_DIGITS} required onChange={(e) => setPin(e.target.value.replace(/\D/g, ''))} />
        </label>
        <label className="field">
          <span className="field-label">{t('setup.pinAgain')}</span>
          <input className="input input-big input-pin" data-testid="setup-pin-again" type="password" inputMode="numeric" autoComplete="new-password" value={again} maxLength={PIN_MAX_DIGITS} required onChange={(e) => setAgain(e.target.value.replace(/\D/g, ''))} />
        </label>
      </div>
      <p className="signin-note">{t('pinRules')}</p>
      <div className="signin-message" role="alert" data-testid="setup-error">
        {mismatch ? t('setup.mismatch') : (attempt.text ?? '')}
      </div>
      <div className="signin-actions">
        <button type="submit" className="btn btn-big btn-primary" data-testid="setup-submit" disabled={attempt.busy}>
          {t('setup.submit')}
        </button>
      </div>
    </form>
  );
}

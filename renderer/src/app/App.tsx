import { useEffect, useState } from 'react';
import type { ScanSource } from '../../../electron/api/contract';
import { useDeskState } from '../desk/DeskStateProvider';
import { useDeskActions } from '../desk/useDeskActions';
import { Banner } from '../feedback/Banner';
import { useFeedback } from '../feedback/FeedbackProvider';
import { setLanguage, useStationTranslation } from '../i18n';
import { ScanCaptureProvider } from '../scanner/ScanCapture';
import { screensFor } from '../screens';
import { useGate } from '../screens/gate/GateProvider';
import { ChangePinDialog } from '../screens/operators/ChangePin';
import { SignInScreen } from '../screens/operators/SignInScreen';
import { useSession } from '../screens/operators/SessionProvider';
import { useRoleWords } from '../screens/operators/words';
import { SentinelScreen } from '../screens/sentinel/SentinelScreen';
import { STATUS_INDICATORS } from '../status';
import { useConnection, useStation } from './station';
import { useWorkplace } from './workplace';

/**
 * The shell: header with context and status, the outcome banner, then the current screen; or,
 * while nobody may use the desk (first run, signed out, locked, a badge waiting for its PIN),
 * the sign-in screen and nothing else; at a sentinel with nobody signed in, the kiosk.
 */
export function App() {
  const actions = useDeskActions();
  const gate = useGate();
  const session = useSession();
  const client = useStation();
  const workplace = useWorkplace();
  const feedback = useFeedback();
  const active = session.view?.state === 'active';
  // A sentinel with nobody signed in (or its admin's screen locked) is the kiosk, not a lock screen.
  const unattended = workplace === 'sentinel' && (session.view?.state === 'signedOut' || session.view?.state === 'locked') && !session.pinFor;
  // Where a keyboard-wedge scan goes, by what the station works as (device scans the core routes alike).
  // At a door-to-door station the door screen takes scans itself (it knows whose door it is); elsewhere they wait for it.
  const submit =
    workplace === 'gate'
      ? gate.scan
      : workplace === 'sentinel'
        ? (text: string, source: ScanSource) => void client.call('sentinel.scan', { text, source })
        : workplace === 'doors'
          ? () => feedback.show('rejected', { key: 'doors:scan.notHere' })
          : actions.submitScan;
  // A badge is a sign-in step wherever it is scanned: the core names whose PIN to ask for.
  const onScan = (text: string, source: ScanSource) => void (session.isBadge(text) ? session.identify(text, source) : submit(text, source));
  // A PIN pad left open at an unattended sentinel goes back to the kiosk by itself: nobody need touch it.
  const { pinFor, cancelPin } = session;
  useEffect(() => {
    if (workplace !== 'sentinel' || !pinFor) return;
    const timer = setTimeout(cancelPin, SENTINEL_PIN_WAIT_MS);
    return () => clearTimeout(timer);
  }, [workplace, pinFor, cancelPin]);
  return <ScanCaptureProvider onScan={onScan}>{unattended ? <SentinelScreen /> : active && !session.pinFor ? <Shell /> : <SignInScreen />}</ScanCaptureProvider>;
}

/** How long a sentinel's PIN pad waits for the site admin who scanned their badge. */
const SENTINEL_PIN_WAIT_MS = 60_000;

function Shell() {
  const { t, language } = useStationTranslation(['common', 'operators']);
  const desk = useDeskState();
  const connection = useConnection();
  const client = useStation();
  const session = useSession();
  const role = useRoleWords();
  const operator = session.view?.operator;
  const workplace = useWorkplace();
  const screens = screensFor(workplace, session.may);
  // None picked yet: the first this station shows (the gate's at a gate), also once the core has said which.
  const [screenId, setScreenId] = useState<string | null>(null);
  const screen = screens.find((s) => s.id === screenId) ?? screens[0];
  const [changingPin, setChangingPin] = useState(false);

  // Alt+1…9 switches screens; a scanner never sends Alt.
  useEffect(() => {
    const onKeyDown = (e: KeyboardEvent) => {
      if (!e.altKey || e.ctrlKey || e.metaKey) return;
      const target = screens[Number(e.key) - 1];
      if (!target) return;
      e.preventDefault();
      setScreenId(target.id);
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, [screens]);

  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">{t('appName')}</div>
        <nav className="tabs" aria-label={t('nav.label')}>
          {screens.map((s, i) => (
            <button
              key={s.id}
              type="button"
              data-testid={`tab-${s.id}`}
              className={`tab ${s.id === screen?.id ? 'is-active' : ''}`}
              aria-current={s.id === screen?.id ? 'page' : undefined}
              onClick={() => setScreenId(s.id)}
              title={`Alt+${i + 1}`}
            >
              {t(s.titleKey)}
            </button>
          ))}
        </nav>
        {desk ? (
          <dl className="context" data-testid="desk-context">
            <div>
              <dt>{t('header.site')}</dt>
              <dd>{desk.site.name}</dd>
            </div>
            <div>
              <dt>{t('header.station')}</dt>
              <dd data-testid="station-name">
                {desk.station.name} <small data-testid="station-number">{t('header.stationNumber', { number: desk.station.number })}</small>
              </dd>
            </div>
            <div>
              <dt>{t('header.round')}</dt>
              <dd data-testid="round-name" className={desk.round ? '' : 'no-round'}>
                {desk.round ? desk.round.name : t('header.noRound')}
              </dd>
            </div>
          </dl>
        ) : (
          <div className="context" />
        )}
        {operator ? (
          <div className="operator-box" data-testid="operator-box">
            <div className="operator-who">
              <span className="operator-label">{t('header.operator')}</span>
              <strong data-testid="operator-name">{operator.name}</strong> <small>{operator.code}</small>
              <small className="operator-role" data-testid="operator-role">
                {role(operator.role)}
              </small>
            </div>
            <button type="button" className="btn btn-quiet" data-testid="change-pin" title={t('operators:header.changePinHint')} onClick={() => setChangingPin(true)}>
              {t('operators:header.changePin')}
            </button>
            <button type="button" className="btn btn-lock" data-testid="lock-screen" title={t('operators:header.lockHint')} onClick={() => void client.call('operator.lock', {})}>
              {t('operators:header.lock')}
            </button>
            <button type="button" className="btn btn-quiet" data-testid="sign-out" onClick={() => void client.call('operator.signOut', {})}>
              {t('operators:header.signOut')}
            </button>
          </div>
        ) : null}
        <div className="indicators">
          {STATUS_INDICATORS.map(({ id, Indicator }) => (
            <Indicator key={id} />
          ))}
        </div>
        <button
          type="button"
          className="lang-toggle"
          data-testid="language-toggle"
          title={t('language.switchToHint')}
          onClick={() => setLanguage(language === 'en' ? 'zh-CN' : 'en')}
        >
          {t('language.switchTo')}
        </button>
      </header>
      {connection === 'offline' || connection === 'locked' ? (
        <div className="offline" role="alert" data-testid="offline-banner" data-state={connection}>
          {t(connection === 'locked' ? 'connection.lockedBanner' : 'connection.offlineBanner')}
        </div>
      ) : null}
      {workplace === 'gate' ? (
        <Banner idleKey="gate:idle" compact />
      ) : workplace === 'doors' && screen?.id !== 'boxes' ? (
        <Banner idleKey="doors:idle" compact />
      ) : (
        <Banner idleKey={screen?.id === 'boxes' ? 'boxes:idle' : undefined} />
      )}
      <main className="screen">{screen ? <screen.Component /> : null}</main>
      <ChangePinDialog open={changingPin} onClose={() => setChangingPin(false)} />
    </div>
  );
}

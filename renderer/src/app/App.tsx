import { useEffect, useState } from 'react';
import { useDeskState } from '../desk/DeskStateProvider';
import { useDeskActions } from '../desk/useDeskActions';
import { Banner } from '../feedback/Banner';
import { setLanguage, useStationTranslation } from '../i18n';
import { ScanCaptureProvider } from '../scanner/ScanCapture';
import { SCREENS } from '../screens';
import { STATUS_INDICATORS } from '../status';
import { useConnection } from './station';

/** The shell: header with context and status, the outcome banner, then the current screen. */
export function App() {
  const actions = useDeskActions();
  return (
    <ScanCaptureProvider onScan={(text, source) => void actions.submitScan(text, source)}>
      <Shell />
    </ScanCaptureProvider>
  );
}

function Shell() {
  const { t, language } = useStationTranslation('common');
  const desk = useDeskState();
  const connection = useConnection();
  const [screenId, setScreenId] = useState(SCREENS[0]?.id);
  const screen = SCREENS.find((s) => s.id === screenId) ?? SCREENS[0];

  // Alt+1…9 switches screens; a scanner never sends Alt.
  useEffect(() => {
    const onKeyDown = (e: KeyboardEvent) => {
      if (!e.altKey || e.ctrlKey || e.metaKey) return;
      const target = SCREENS[Number(e.key) - 1];
      if (!target) return;
      e.preventDefault();
      setScreenId(target.id);
    };
    window.addEventListener('keydown', onKeyDown);
    return () => window.removeEventListener('keydown', onKeyDown);
  }, []);

  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">{t('appName')}</div>
        <nav className="tabs" aria-label={t('nav.label')}>
          {SCREENS.map((s, i) => (
            <button
              key={s.id}
              type="button"
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
            <div>
              <dt>{t('header.operator')}</dt>
              <dd>
                {desk.operator.name} <small>{desk.operator.code}</small>
              </dd>
            </div>
          </dl>
        ) : (
          <div className="context" />
        )}
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
      <Banner />
      <main className="screen">{screen ? <screen.Component /> : null}</main>
    </div>
  );
}

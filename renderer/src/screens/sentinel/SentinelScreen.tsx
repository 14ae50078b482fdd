import { useEffect, useRef, useState } from 'react';
import type { SentinelState, SentinelView } from '../../../../electron/api/sentinel';
import { useConnection, useStation } from '../../app/station';
import type { Tone } from '../../feedback/feedback';
import { useStationTranslation } from '../../i18n';
import { Clock } from '../../status/Clock';
import { speakOrTone, type Voice } from './speech';
import './sentinel.css';

/** How long a verdict stays before the screen asks the next person to scan. */
const SHOW_FINAL_MS = 6_000;
/** A verdict still waiting for a reading stays longer: the person is at the thermometer. */
const SHOW_WAITING_MS = 20_000;
const STATE_EVERY_MS = 15_000;

const TONES: Record<SentinelView['prompt'], Tone> = {
  pass: 'accepted',
  measure: 'info',
  remeasure: 'confirm',
  fever: 'rejected',
  staff: 'rejected',
  passInvalid: 'rejected',
  unreadable: 'rejected',
};

/**
 * The unattended sentinel kiosk: full screen, no buttons, nothing that needs a mouse. A person
 * scans (the app's scan capture sends it to `sentinel.scan`, device scanners go there in the
 * core), the thermometer reads by itself, and the verdict comes as `sentinel.verdict` events: a
 * big colour, the words, the name and temperature, said aloud in Mandarin (or a tone). Staff
 * controls are behind a site admin's badge (the app shows the PIN pad for it, then the admin's
 * screens; locking goes back here).
 */
export function SentinelScreen() {
  const { t, i18n } = useStationTranslation('sentinel');
  const client = useStation();
  const connection = useConnection();
  const [state, setState] = useState<SentinelState | null>(null);
  const [verdict, setVerdict] = useState<SentinelView | null>(null);
  const [voice, setVoice] = useState<Voice | null>(null);
  const spoken = useRef(new Set<string>());
  const [spokenCount, setSpokenCount] = useState(0);

  // The kiosk's own state (site, direction, thermometer), again whenever the link comes back.
  useEffect(() => {
    if (connection !== 'online') return;
    let live = true;
    const fetchState = () =>
      void client.call('sentinel.state', {}).then((result) => {
        if (live && result.ok) setState(result.value);
      });
    fetchState();
    const timer = setInterval(fetchState, STATE_EVERY_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [client, connection]);

  useEffect(
    () =>
      client.on('sentinel.verdict', (next) => {
        // A passage's later change replaces what is shown; an older passage's does not take the screen back.
        setVerdict((shown) => (shown && shown.passageId !== next.passageId && next.passageId !== null && Date.parse(next.at) < Date.parse(shown.at) ? shown : next));
      }),
    [client],
  );

  // Each verdict is said once, in Mandarin whatever the screen's language.
  useEffect(() => {
    if (!verdict || spoken.current.has(verdict.id)) return;
    spoken.current.add(verdict.id);
    if (spoken.current.size > 200) spoken.current = new Set([verdict.id]);
    const zh = i18n.getFixedT('zh-CN', 'sentinel');
    setVoice(speakOrTone(wordsFor(verdict, zh), TONES[verdict.prompt]));
    setSpokenCount((n) => n + 1);
  }, [verdict, i18n]);

  // Back to "please scan" once the verdict has been read.
  useEffect(() => {
    if (!verdict) return;
    const timer = setTimeout(() => setVerdict((shown) => (shown?.id === verdict.id ? null : shown)), verdict.final ? SHOW_FINAL_MS : SHOW_WAITING_MS);
    return () => clearTimeout(timer);
  }, [verdict]);

  const offline = connection !== 'online';
  return (
    <div
      className={`sentinel ${verdict ? `is-${verdict.level}` : 'is-idle'}`}
      data-testid="sentinel-screen"
      data-prompt={verdict?.prompt ?? 'idle'}
      data-level={verdict?.level ?? 'idle'}
      data-voice={voice ?? ''}
      data-spoken={spokenCount}
    >
      <header className="sentinel-top">
        <span data-testid="sentinel-site">{state ? `${state.site} · ${state.station}` : ''}</span>
        {state ? (
          <span className="sentinel-direction" data-testid="sentinel-direction">
            {t(`idle.direction.${state.direction}`)}
          </span>
        ) : null}
        <Clock />
      </header>
      <main className="sentinel-main" aria-live="assertive">
        {offline ? (
          <div className="sentinel-words" data-testid="sentinel-offline">
            {t('idle.offline')}
          </div>
        ) : verdict ? (
          <>
            {verdict.name ? (
              <div className="sentinel-name" data-testid="sentinel-name">
                {verdict.name}
              </div>
            ) : null}
            <div className="sentinel-words" data-testid="sentinel-words">
              {t(promptKey(verdict))}
            </div>
            {verdict.celsius !== null ? (
              <div className="sentinel-temperature" data-testid="sentinel-temperature">
                {t('temperature', { celsius: verdict.celsius.toFixed(1) })}
              </div>
            ) : null}
          </>
        ) : (
          <>
            <div className="sentinel-words" data-testid="sentinel-words">
              {t('idle.scan')}
            </div>
            <div className="sentinel-hint">{t('idle.hint')}</div>
            {state && state.thermometer !== 'connected' ? (
              <div className="sentinel-warning" data-testid="sentinel-thermometer">
                {t('idle.noThermometer')}
              </div>
            ) : (
              <div className="sentinel-hint">{t('idle.thermometer')}</div>
            )}
          </>
        )}
      </main>
      <footer className="sentinel-staff">{t('staffHint')}</footer>
    </div>
  );
}

function promptKey(v: SentinelView): string {
  return v.prompt === 'pass' && v.temperature === 'notRequired' ? 'prompt.passNoTemperature' : `prompt.${v.prompt}`;
}

/** What is said: the person's name first where they are greeted (go through, measure), then the words. */
export function wordsFor(v: SentinelView, t: (key: string, options?: Record<string, unknown>) => string): string {
  const words = t(promptKey(v));
  return v.name && (v.prompt === 'pass' || v.prompt === 'measure') ? t('say.withName', { name: v.name, words }) : words;
}

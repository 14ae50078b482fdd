import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { PRINT_QUEUE_PATTERN, type BoxPending, type BoxSettings, type BoxSummary } from '../../../../electron/api/boxes';
import { useStation } from '../../app/station';
import { useStationTranslation } from '../../i18n';
import { useRefresh } from '../../upload/useRefresh';
import { useSession } from '../operators/SessionProvider';
import { boxListWords, siteTime } from './words';

/** The end-of-day lists follow sampling (a tube sealed at the desk is one more to box) and boxing. */
const LIST_EVENTS = ['boxes.changed', 'desk.changed'] as const;
const RECENT = 8;

/**
 * The end of the day: this station's sealed tubes in no box and its boxes not handed over (both
 * must be empty before staff leave), then the latest boxes handed over with the lab's receipt.
 * A box picked here is shown.
 */
export function BoxLists({ shownCode, onPick }: { shownCode: string | null; onPick: (code: string) => void }) {
  const client = useStation();
  const session = useSession();
  const { t } = useStationTranslation('boxes');
  const [pending, setPending] = useState<BoxPending | null>(null);
  const [recent, setRecent] = useState<BoxSummary[] | null>(null);
  const mayPending = session.may('box.pending');

  const [tick, setTick] = useState(0);
  const refresh = useCallback(() => setTick((n) => n + 1), []);
  useRefresh(refresh, LIST_EVENTS);
  useEffect(() => {
    if (mayPending) void client.call('box.pending', {}).then((r) => r.ok && setPending(r.value));
    void client.call('box.list', { state: 'handedOver', limit: RECENT }).then((r) => r.ok && setRecent(r.value));
  }, [client, mayPending, tick]);

  const boxButton = (box: BoxSummary) => (
    <li key={box.code}>
      <button type="button" className={`boxes-list-button ${box.code === shownCode ? 'is-picked' : ''}`} data-testid={`boxes-list-${box.code}`} onClick={() => onPick(box.code)}>
        <span className="boxes-list-code">{box.code}</span>
        <span className={`box-chip box-chip-${box.state}`}>{t(`state.${box.state}`)}</span>
        <span className="muted boxes-list-words">{boxListWords(box).map((w) => t(w.key, w.params)).join(' · ')}</span>
      </button>
    </li>
  );

  return (
    <>
      {pending ? (
        <section className="side-block boxes-pending" data-testid="boxes-pending" data-loose={pending.looseTubes.length} data-boxes={pending.boxes.length}>
          <h2 className="side-heading">{t('pending.heading')}</h2>
          {pending.looseTubes.length === 0 && pending.boxes.length === 0 ? (
            <p className="boxes-all-done" data-testid="boxes-pending-none">
              {t('pending.none')}
            </p>
          ) : null}
          {pending.looseTubes.length > 0 ? (
            <div data-testid="boxes-loose">
              <h3 className="boxes-subheading boxes-warn">{t('pending.loose', { count: pending.looseTubes.length })}</h3>
              <ul className="boxes-loose-list">
                {pending.looseTubes.map((tube) => (
                  <li key={tube.code} data-testid={`boxes-loose-${tube.code}`}>
                    <span className="box-tube-code">{tube.code}</span> <span className="muted">{t('panel.peopleCount', { count: tube.personCount })}</span>
                  </li>
                ))}
              </ul>
            </div>
          ) : null}
          {pending.boxes.length > 0 ? (
            <div data-testid="boxes-unsent">
              <h3 className="boxes-subheading boxes-warn">{t('pending.boxes', { count: pending.boxes.length })}</h3>
              <ul className="boxes-list">{pending.boxes.map(boxButton)}</ul>
            </div>
          ) : null}
        </section>
      ) : null}
      {recent && recent.length > 0 ? (
        <section className="side-block" data-testid="boxes-recent">
          <h2 className="side-heading">{t('recent.heading')}</h2>
          <ul className="boxes-list">
            {recent.map((box) => (
              <li key={box.code}>
                <button type="button" className={`boxes-list-button ${box.code === shownCode ? 'is-picked' : ''}`} data-testid={`boxes-list-${box.code}`} onClick={() => onPick(box.code)}>
                  <span className="boxes-list-code">{box.code}</span>
                  <span className="muted">{box.handedOverAt ? siteTime(box.handedOverAt).slice(5) : ''}</span>
                  <span className={`muted boxes-list-words ${box.discrepancyCount > 0 ? 'boxes-warn' : ''}`}>{boxListWords(box).map((w) => t(w.key, w.params)).join(' · ')}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </>
  );
}

/** Where this station's manifests print: the OS print queue's name, or the system's default (the site admin sets it). */
export function QueueSetting({ settings, onSaved }: { settings: BoxSettings; onSaved: (s: BoxSettings) => void }) {
  const client = useStation();
  const session = useSession();
  const { t, errorText } = useStationTranslation('boxes');
  const [queue, setQueue] = useState(settings.manifestQueue ?? '');
  const [note, setNote] = useState<string | null>(null);
  useEffect(() => setQueue(settings.manifestQueue ?? ''), [settings.manifestQueue]);
  if (!session.may('box.setManifestQueue')) {
    return (
      <p className="muted boxes-queue-shown" data-testid="boxes-queue">
        {t('queue.shown', { queue: settings.manifestQueue ?? t('print.defaultQueue') })}
      </p>
    );
  }
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const value = queue.trim();
    if (value !== '' && !PRINT_QUEUE_PATTERN.test(value)) return setNote(t('queue.invalid'));
    void client.call('box.setManifestQueue', { queue: value === '' ? null : value }).then((r) => {
      if (!r.ok) return setNote(errorText(r.error));
      setNote(t('queue.saved'));
      onSaved(r.value);
    });
  };
  return (
    <form className="side-block boxes-queue" onSubmit={submit} data-testid="boxes-queue-form">
      <label className="field">
        <span className="side-heading">{t('queue.label')}</span>
        <span className="manual-row">
          <input className="input input-code" data-testid="boxes-queue-input" value={queue} maxLength={127} placeholder={t('print.defaultQueue')} autoComplete="off" spellCheck={false} onChange={(e) => setQueue(e.target.value)} />
          <button type="submit" className="btn">
            {t('queue.save')}
          </button>
        </span>
      </label>
      <p className="muted boxes-queue-note">{note ?? t('queue.hint')}</p>
    </form>
  );
}

import { useCallback, useState, type FormEvent } from 'react';
import type { ApiError, TubeConflictView } from '../../../electron/api/contract';
import type { PositiveTubeView, RetestTaskView } from '../../../electron/api/upload';
import { useStation } from '../app/station';
import { formatTime } from '../desk/format';
import { useStationTranslation } from '../i18n';
import { useRefresh } from './useRefresh';
import { useUploadStatus } from './useUploadStatus';

const RESULT_EVENTS = ['results.changed', 'desk.changed'] as const;
import { failureText, journalText, rejectionText, trustWarnings } from './words';
import './upload.css';

function useResults(): { positives: PositiveTubeView[]; retests: RetestTaskView[]; conflicts: TubeConflictView[] } {
  const client = useStation();
  const [positives, setPositives] = useState<PositiveTubeView[]>([]);
  const [retests, setRetests] = useState<RetestTaskView[]>([]);
  const [conflicts, setConflicts] = useState<TubeConflictView[]>([]);
  const refresh = useCallback(() => {
    void client.call('results.positives', {}).then((r) => r.ok && setPositives(r.value));
    void client.call('retest.list', { state: 'all' }).then((r) => r.ok && setRetests(r.value));
    void client.call('tube.conflicts', {}).then((r) => r.ok && setConflicts(r.value));
  }, [client]);
  useRefresh(refresh, RESULT_EVENTS);
  return { positives, retests, conflicts };
}

/**
 * HQ's answers at the desk: the upload's state with every record HQ rejected, positive pooled
 * tubes with their members, and the single-tube re-tests they ask for.
 */
export function ResultsScreen() {
  const client = useStation();
  const { t, language, errorText, list } = useStationTranslation('upload');
  const { status, refresh } = useUploadStatus();
  const { positives, retests, conflicts } = useResults();
  const [error, setError] = useState<ApiError | null>(null);
  const [hqUrl, setHqUrl] = useState('');
  const [code, setCode] = useState('');
  const time = (iso: string | null) => (iso ? formatTime(iso, language) : t('common:time.none'));

  const enroll = (e: FormEvent) => {
    e.preventDefault();
    // Linked again, the desk's HQ address stays unless staff type another.
    const url = hqUrl.trim() || (status?.relink ? (status.hq?.url ?? '') : '');
    void client.call('upload.enroll', { hqUrl: url, code: code.trim() }).then((r) => {
      setError(r.ok ? null : r.error);
      if (r.ok) {
        setCode('');
        refresh();
      }
    });
  };
  const relinking = Boolean(status?.enrolled && status.relink);
  const syncNow = () => void client.call('upload.syncNow', {}).then((r) => (r.ok ? refresh() : setError(r.error)));
  const verifyJournal = () => void client.call('journal.verify', {}).then((r) => (r.ok ? refresh() : setError(r.error)));
  const at = (iso: string) => formatTime(iso, language);
  const startSingle = () => void client.call('desk.setCapacity', { capacity: 1 }).then((r) => !r.ok && setError(r.error));
  const open = retests.filter((r) => r.state === 'open');

  return (
    <div className="results" data-testid="results-screen">
      <div>
        <section aria-labelledby="positives-heading">
          <h2 id="positives-heading">{t('panel.positives')}</h2>
          {positives.length === 0 ? <p className="muted">{t('panel.noPositives')}</p> : null}
          {positives.map((p) => (
            <div key={`${p.tubeCode}-${p.knownHere ? 'here' : 'elsewhere'}`} data-testid="positive-tube">
              <p>
                <span className="positive-code">{p.tubeCode}</span> <small>{t('panel.resultAt', { time: time(p.resultAt) })}</small>
              </p>
              {p.knownHere ? (
                <table>
                  <tbody>
                    {p.members.map((m) => (
                      <tr key={m.person.id}>
                        <td>{m.person.label}</td>
                        <td>{m.person.name ? (m.person.maskedIdNumber ?? '') : ''}</td>
                        <td className={m.retest?.state === 'sampled' ? 'retest-sampled' : 'retest-open'}>
                          {m.retest ? t(`panel.state.${m.retest.state}`) : ''}
                          {m.retest?.sampledTubeCode ? ` · ${t('panel.sampledInto', { code: m.retest.sampledTubeCode })}` : ''}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : (
                <p className="muted">{t('panel.membersUnknown')}</p>
              )}
            </div>
          ))}
        </section>
        <section aria-labelledby="retests-heading">
          <h2 id="retests-heading">
            {t('panel.retests')} ({open.length})
          </h2>
          <p>{t('panel.howTo')}</p>
          <button type="button" className="btn btn-big btn-primary" data-testid="start-single" disabled={open.length === 0} onClick={startSingle}>
            {t('panel.startSingle')}
          </button>
          {retests.length === 0 ? <p className="muted">{t('panel.noRetests')}</p> : null}
          <table>
            <tbody>
              {retests.map((r) => (
                <tr key={r.id} data-testid="retest-task" data-state={r.state}>
                  <td>{r.person.label}</td>
                  <td>{r.person.name ? (r.person.maskedIdNumber ?? '') : ''}</td>
                  <td>{r.sourceTubeCode}</td>
                  <td className={r.state === 'open' ? 'retest-open' : 'retest-sampled'}>
                    {t(`panel.state.${r.state}`)}
                    {r.sampledTubeCode ? ` · ${t('panel.sampledInto', { code: r.sampledTubeCode })}` : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
      <div>
        {conflicts.length > 0 ? (
          <section aria-labelledby="conflicts-heading" data-testid="conflicts-panel">
            <h2 id="conflicts-heading">{t('conflicts.heading')}</h2>
            <table>
              <tbody>
                {conflicts.map((c) => (
                  <tr key={c.code}>
                    <td className="positive-code">{c.code}</td>
                    <td>{list(c.others.map((o) => o.stationName))}</td>
                    <td className={c.resolved ? 'retest-sampled' : 'retest-open'}>
                      {c.resolved
                        ? t(c.resolved.mine ? 'conflicts.resolvedMine' : 'conflicts.resolvedTheirs', { station: c.resolved.stationName, note: c.resolved.note })
                        : t('conflicts.open')}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        ) : null}
        <section aria-labelledby="upload-heading">
          <h2 id="upload-heading">{t('indicator.details')}</h2>
          {error ? (
            <p className="results-error" role="alert">
              {errorText(error)}
            </p>
          ) : null}
          {status && (!status.enrolled || relinking) ? (
            <form onSubmit={enroll} data-testid={relinking ? 'relink-form' : 'enroll-form'}>
              <h3>{t(relinking ? 'enroll.relinkTitle' : 'enroll.title')}</h3>
              {relinking ? <p>{t('enroll.relinkHelp', { stationId: status.hq?.stationId ?? '' })}</p> : null}
              <label>
                {t('enroll.hqUrl')}
                <input value={hqUrl} onChange={(e) => setHqUrl(e.target.value)} inputMode="url" placeholder={relinking ? status.hq?.url : undefined} required={!relinking} />
              </label>
              <label>
                {t('enroll.code')}
                <input value={code} onChange={(e) => setCode(e.target.value)} required />
              </label>
              <button type="submit" className="btn btn-big btn-primary">
                {t(relinking ? 'enroll.relinkSubmit' : 'enroll.submit')}
              </button>
            </form>
          ) : null}
          {status?.enrolled ? (
            <>
              <p>{t('enroll.done', { site: status.hq?.siteName ?? '' })}</p>
              <p>
                {t(`indicator.${status.online === true ? 'online' : status.online === false ? 'offline' : 'connecting'}`)} ·{' '}
                {status.waiting > 0 ? t('indicator.waiting', { count: status.waiting }) : t('indicator.allSent')}
              </p>
              <p>{status.lastSuccessAt ? t('indicator.lastSuccess', { time: time(status.lastSuccessAt) }) : t('indicator.never')}</p>
              {status.lastFailure ? <p className="results-error">{failureText(t, status.lastFailure)}</p> : null}
              {status.siteConfigRejection ? (
                <p className="results-error" data-testid="site-config-rejection">
                  {t('siteConfig.rejected', { detail: status.siteConfigRejection.detail })}
                </p>
              ) : null}
              {trustWarnings(t, status, at).map((w) => (
                <p key={w} className="results-error" data-testid="trust-warning">
                  {w}
                </p>
              ))}
              {status.hqFingerprint ? <p className="muted">{t('indicator.hqFingerprint', { fingerprint: status.hqFingerprint.replace(/(.{5})(?=.)/g, '$1-') })}</p> : null}
              <button type="button" className="btn" onClick={syncNow}>
                {t('panel.syncNow')}
              </button>
            </>
          ) : null}
          {status ? (
            <>
              <h3>{t('journal.title')}</h3>
              <p className={status.journal && !status.journal.ok ? 'results-error' : ''} data-testid="journal-check" data-ok={status.journal ? String(status.journal.ok) : ''}>
                {journalText(t, status.journal, at) ?? t('journal.never')}
              </p>
              <button type="button" className="btn" data-testid="journal-verify" onClick={verifyJournal}>
                {t('journal.verify')}
              </button>
            </>
          ) : null}
          {status?.enrolled ? (
            <>
              {status.rejectionCount > 0 ? (
                <>
                  <h3>{t('indicator.rejected', { count: status.rejectionCount })}</h3>
                  <ul className="rejection-list" data-testid="rejections">
                    {status.rejections.map((r) => (
                      <li key={r.seq}>{rejectionText(t, r)}</li>
                    ))}
                  </ul>
                </>
              ) : null}
            </>
          ) : null}
        </section>
      </div>
    </div>
  );
}

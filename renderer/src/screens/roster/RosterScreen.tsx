import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { ApiError } from '../../../../electron/api/contract';
import type { RosterFieldName, RosterImportView, RosterSummary } from '../../../../electron/api/roster';
import { ROSTER_FIELD_NAMES } from '../../../../electron/api/roster';
import { useStation } from '../../app/station';
import { formatTime } from '../../desk/format';
import { useStationTranslation } from '../../i18n';
import { useRefresh } from '../../upload/useRefresh';
import { ChangeList, ProblemList } from './RosterReport';
import { uploadLedger } from './upload';
import './roster.css';

const ROSTER_EVENTS = ['roster.changed'] as const;

function useRosterSummary(): { summary: RosterSummary | null; refresh: () => void } {
  const client = useStation();
  const [summary, setSummary] = useState<RosterSummary | null>(null);
  const refresh = useCallback(() => void client.call('roster.summary', {}).then((r) => r.ok && setSummary(r.value)), [client]);
  useRefresh(refresh, ROSTER_EVENTS);
  return { summary, refresh };
}

type Progress = { label: string; percent: number | null };

/**
 * The resident ledger (台账): what is in use, and importing a new one. A ledger is checked first,
 * row by row, with nothing written; the admin sees every refused row with its row number and
 * reason and what changes against the roster in use, then imports the good rows or nothing.
 */
export function RosterScreen() {
  const client = useStation();
  const { t, language, errorText, list } = useStationTranslation('roster');
  const { summary, refresh } = useRosterSummary();
  const [file, setFile] = useState<File | null>(null);
  const [encoding, setEncoding] = useState<'' | 'utf-8' | 'gb18030'>('');
  const [uploadId, setUploadId] = useState<string | null>(null);
  const [importing, setImporting] = useState<RosterImportView | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [mapping, setMapping] = useState<Record<string, RosterFieldName | 'ignore'>>({});

  // The import being read: its progress as events, its outcome when it changes state.
  const importingId = importing?.id ?? null;
  useEffect(() => {
    if (!importingId) return;
    const fetchImport = () =>
      void client.call('roster.import', { importId: importingId }).then((r) => {
        if (!r.ok) return;
        setImporting(r.value);
        if (r.value.state !== 'reading') setProgress(null);
      });
    const offProgress = client.on('roster.progress', ({ importId, progress: p }) => {
      if (importId !== importingId) return;
      const percent = p.totalBytes > 0 ? Math.min(100, Math.round((100 * p.bytes) / p.totalBytes)) : null;
      setProgress({ label: t(`import.phase.${p.phase}`, { rows: p.rows.toLocaleString(language), percent: percent ?? 0 }), percent: p.phase === 'reading' ? percent : null });
    });
    const offChanged = client.on('roster.changed', ({ importId }) => {
      if (importId === importingId) fetchImport();
    });
    // A small file can be read before these listeners are on: ask once where it stands.
    fetchImport();
    return () => {
      offProgress();
      offChanged();
    };
  }, [client, importingId, language, t]);

  const read = async (upload: string, map?: Record<string, RosterFieldName | 'ignore'>) => {
    const r = await client.call('roster.read', { uploadId: upload, ...(map ? { mapping: map } : {}), ...(encoding ? { encoding } : {}) });
    if (!r.ok) {
      setError(r.error);
      setProgress(null);
      return;
    }
    setImporting(r.value);
  };

  const start = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    setError(null);
    setImporting(null);
    setProgress({ label: t('import.uploading', { percent: 0 }), percent: 0 });
    const sent = await uploadLedger(client, file, (done, total) => {
      const percent = Math.round((100 * done) / total);
      setProgress({ label: t('import.uploading', { percent }), percent });
    });
    if (!sent.ok) {
      setError(sent.error);
      setProgress(null);
      return;
    }
    setUploadId(sent.uploadId);
    await read(sent.uploadId);
  };

  const [deciding, setDeciding] = useState(false);
  const decide = (how: 'roster.apply' | 'roster.discard') => {
    if (!importing || deciding) return;
    setDeciding(true);
    void client.call(how, { importId: importing.id }).then((r) => {
      setDeciding(false);
      if (!r.ok) return setError(r.error);
      setImporting(null);
      setFile(null);
      refresh();
    });
  };

  const current = summary?.current ?? null;
  const time = (iso: string | null) => (iso ? formatTime(iso, language) : t('common:time.none'));

  return (
    <div className="cards roster" data-testid="roster-screen">
      <section aria-labelledby="roster-current-heading">
        <h2 id="roster-current-heading">{t('current.heading')}</h2>
        {current && summary ? (
          <div data-testid="roster-current">
            <p className="roster-big">{t('current.residents', { count: summary.residents })}</p>
            <p>
              {t('current.buildings', { count: summary.buildings })} · {t('current.households', { count: summary.households })}
            </p>
            <p className="muted">
              {current.fileName ?? ''} · {current.source === 'hq' ? t('current.fromHq') : t('current.fromHere')} · {t('current.applied', { time: time(current.appliedAt) })}
            </p>
          </div>
        ) : (
          <p className="muted">{t('current.none')}</p>
        )}
      </section>

      <section aria-labelledby="roster-import-heading">
        <h2 id="roster-import-heading">{t('import.heading')}</h2>
        <form onSubmit={(e) => void start(e)} className="roster-form" data-testid="roster-import-form">
          <label>
            {t('import.file')}
            <input
              type="file"
              accept=".xlsx,.csv,.txt,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/csv"
              data-testid="roster-file"
              onChange={(e) => setFile(e.target.files?.[0] ?? null)}
            />
          </label>
          <label>
            {t('import.encoding')}
            <select value={encoding} onChange={(e) => setEncoding(e.target.value as '' | 'utf-8' | 'gb18030')}>
              <option value="">{t('import.encodingAuto')}</option>
              <option value="utf-8">{t('import.encodingUtf8')}</option>
              <option value="gb18030">{t('import.encodingGb')}</option>
            </select>
          </label>
          <button type="submit" className="btn btn-primary" disabled={!file || progress !== null} data-testid="roster-read">
            {t('import.read')}
          </button>
        </form>
        <p className="muted">{t('import.hint')}</p>
        {progress ? (
          <div className="roster-progress" data-testid="roster-progress" role="status">
            <div className="roster-bar">
              <span style={{ width: `${progress.percent ?? 100}%` }} className={progress.percent === null ? 'is-busy' : ''} />
            </div>
            <span>{progress.label}</span>
          </div>
        ) : null}
        {error ? (
          <p className="roster-error" role="alert" data-testid="roster-error">
            {errorText(error)}
          </p>
        ) : null}
      </section>

      {importing?.state === 'failed' && importing.failure ? (
        <section className="roster-wide roster-failed" data-testid="roster-failed">
          <p>{t(importing.failure.code === 'internal' ? 'failure.internal' : `failure.${importing.failure.code}`, { row: importing.failure.rowNo ?? '?' })}</p>
        </section>
      ) : null}

      {importing?.state === 'needsMapping' && uploadId ? (
        <section className="roster-wide" data-testid="roster-mapping">
          <h2>{t('mapping.heading')}</h2>
          <p>{t('mapping.explain')}</p>
          {importing.missingRequired.length > 0 ? (
            <p className="roster-error">{t('mapping.missing', { fields: list(importing.missingRequired.map((f) => t(`field.${f}`))) })}</p>
          ) : null}
          {importing.duplicatedFields.length > 0 ? (
            <p className="roster-error">{t('mapping.duplicated', { fields: list(importing.duplicatedFields.map((f) => t(`field.${f}`))) })}</p>
          ) : null}
          <form
            className="roster-mapping"
            onSubmit={(e) => {
              e.preventDefault();
              setProgress({ label: t('import.phase.reading', { rows: 0, percent: 0 }), percent: 0 });
              void read(uploadId, mapping);
            }}
          >
            {importing.unmapped.map((header) => (
              <label key={header}>
                <span className="roster-header">{header}</span>
                <select value={mapping[header] ?? ''} onChange={(e) => setMapping({ ...mapping, [header]: e.target.value as RosterFieldName | 'ignore' })} data-header={header}>
                  <option value="" disabled>
                    —
                  </option>
                  {ROSTER_FIELD_NAMES.map((f) => (
                    <option key={f} value={f}>
                      {t(`field.${f}`)}
                    </option>
                  ))}
                  <option value="ignore">{t('mapping.ignore')}</option>
                </select>
              </label>
            ))}
            <button type="submit" className="btn btn-primary" data-testid="roster-reread">
              {t('mapping.reread')}
            </button>
          </form>
        </section>
      ) : null}

      {importing?.state === 'ready' ? <Preview view={importing} busy={deciding} onApply={() => decide('roster.apply')} onDiscard={() => decide('roster.discard')} /> : null}

      {summary && summary.imports.length > 0 ? (
        <section className="roster-wide" aria-labelledby="roster-imports-heading">
          <h2 id="roster-imports-heading">{t('imports.heading')}</h2>
          <table data-testid="roster-imports">
            <tbody>
              {summary.imports.map((i) => (
                <tr key={i.id}>
                  <td>{time(i.createdAt)}</td>
                  <td>{i.fileName ?? ''}</td>
                  <td>{i.source === 'hq' ? t('current.fromHq') : t('current.fromHere')}</td>
                  <td>{t(`imports.state.${i.state}`)}</td>
                  <td>{i.state === 'current' || i.state === 'superseded' || i.state === 'ready' ? t('current.residents', { count: i.residents }) : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      ) : null}
    </div>
  );
}

function Preview({ view, busy, onApply, onDiscard }: { view: RosterImportView; busy: boolean; onApply: () => void; onDiscard: () => void }) {
  const { t } = useStationTranslation('roster');
  const changes = view.changes;
  return (
    <section className="roster-wide roster-preview" data-testid="roster-preview">
      <h2>{t('preview.heading', { file: view.fileName ?? '' })}</h2>
      <p className="roster-counts">
        <span data-testid="roster-total">{t('preview.total', { count: view.totalRows })}</span>
        <span className="good" data-testid="roster-good">
          {t('preview.good', { count: view.residents })}
        </span>
        <span className={view.refused > 0 ? 'bad' : ''} data-testid="roster-refused">
          {t('preview.refused', { count: view.refused })}
        </span>
        {view.warned > 0 ? <span>{t('preview.warned', { count: view.warned })}</span> : null}
      </p>
      {changes ? (
        <p className="roster-counts" data-testid="roster-changes">
          <strong>{t('preview.changes')}:</strong>
          {changes.new + changes.moved + changes.changed + changes.gone === 0 ? (
            <span>{t('preview.noChanges')}</span>
          ) : (
            (['new', 'moved', 'changed', 'gone'] as const).map((k) => (
              <span key={k} data-change={k}>
                {t(`preview.${k}`, { count: changes[k] })}
              </span>
            ))
          )}
        </p>
      ) : null}
      <div className="roster-decide">
        <button type="button" className="btn btn-primary btn-big" onClick={onApply} data-testid="roster-apply" disabled={busy || view.residents === 0}>
          {t('preview.apply', { count: view.residents })}
        </button>
        <button type="button" className="btn btn-big" onClick={onDiscard} data-testid="roster-discard" disabled={busy}>
          {t('preview.discard')}
        </button>
      </div>
      <p className="muted">{t('preview.applyHint')}</p>
      <div className="roster-report">
        <ProblemList key={view.id} importId={view.id} />
        {changes && changes.new + changes.moved + changes.changed + changes.gone > 0 && changes.new !== view.residents ? <ChangeList key={view.id} importId={view.id} counts={changes} /> : null}
      </div>
    </section>
  );
}

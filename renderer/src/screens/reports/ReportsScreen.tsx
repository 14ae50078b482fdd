import { useCallback, useRef, useState } from 'react';
import type { ApiError } from '../../../../electron/api/contract';
import { REPORT_MEASURES, type DayReport, type ReportScope } from '../../../../electron/api/reports';
import { download } from '../../app/download';
import { useStation } from '../../app/station';
import { useStationTranslation } from '../../i18n';
import { useRefresh } from '../../upload/useRefresh';
import { ReportChart } from './ReportChart';
import './reports.css';

/** Anything that changes a count here, or the site's figures (HQ's answer after a feed pull). */
const EVENTS = ['desk.changed', 'gate.passage', 'boxes.changed', 'doors.changed', 'report.siteChanged'] as const;

/** A moment as the site's clock reads it (UTC+8): "14:05". */
function siteClock(iso: string): string {
  return new Date(Date.parse(iso) + 8 * 3600_000).toISOString().slice(11, 16);
}

function Totals({ scope, testId }: { scope: ReportScope; testId: string }) {
  const { t } = useStationTranslation('reports');
  return (
    <dl className="report-totals" data-testid={`${testId}-totals`}>
      {REPORT_MEASURES.map((m) => (
        <div key={m} data-measure={m} className={scope.totals[m] > 0 ? 'is-some' : ''}>
          <dt>{t(`measure.${m}`)}</dt>
          <dd>{scope.totals[m]}</dd>
        </div>
      ))}
      <div data-measure="households" className={scope.totals.households > 0 ? 'is-some' : ''}>
        <dt>{t('households')}</dt>
        <dd>{scope.totals.households}</dd>
      </div>
    </dl>
  );
}

/**
 * The day's report (报表): this station's counts and the whole site's as of the last sync with HQ,
 * totals and charts per hour, a day picker, and the XLSX export. Counts only, no one's data.
 */
export function ReportsScreen() {
  const client = useStation();
  const { t, language, errorText } = useStationTranslation('reports');
  const [day, setDay] = useState<string | null>(null);
  const [report, setReport] = useState<DayReport | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const asked = useRef(0);
  const refresh = useCallback(() => {
    const mine = ++asked.current;
    void client.call('report.day', day ? { day } : {}).then((r) => {
      if (mine !== asked.current) return;
      setError(r.ok ? null : r.error);
      if (r.ok) setReport(r.value);
    });
  }, [client, day]);
  useRefresh(refresh, EVENTS);

  const exportXlsx = async () => {
    const r = await client.call('report.export', { ...(report ? { day: report.day } : {}), lang: language === 'en' ? 'en' : 'zh-CN' });
    if (!r.ok) return setError(r.error);
    download(r.value.fileName, r.value.mimeType, r.value.base64);
    setNotice(t('exported', { file: r.value.fileName }));
  };

  return (
    <div className="cards reports" data-testid="reports-screen">
      <section className="reports-head">
        <label>
          {t('day')}{' '}
          <input type="date" value={report?.day ?? day ?? ''} onChange={(e) => setDay(e.target.value || null)} data-testid="report-day" />
        </label>
        <button type="button" className="btn" onClick={() => setDay(null)}>
          {t('today')}
        </button>
        <button type="button" className="btn btn-primary" onClick={() => void exportXlsx()} data-testid="report-export" disabled={!report}>
          {t('export')}
        </button>
        {notice ? (
          <p className="muted" role="status">
            {notice}
          </p>
        ) : null}
        {error ? (
          <p className="report-error" role="alert">
            {errorText(error)}
          </p>
        ) : null}
      </section>
      {report ? (
        <>
          <section className="reports-wide" data-testid="report-here">
            <h2>{t('here', { station: report.station })}</h2>
            <div className="report-body">
              <Totals scope={report.here} testId="report-here" />
              <ReportChart hours={report.here.hours} testId="report-here" />
            </div>
          </section>
          <section className="reports-wide" data-testid="report-site">
            <h2>
              {t('site', { site: report.site })}{' '}
              <span className="muted" data-testid="report-site-as-of">
                {report.siteScope ? t('siteAsOf', { time: siteClock(report.siteScope.asOf) }) : report.syncedAt ? '' : t('neverSynced')}
              </span>
            </h2>
            {report.siteScope ? (
              <div className="report-body">
                <Totals scope={report.siteScope} testId="report-site" />
                <ReportChart hours={report.siteScope.hours} testId="report-site" />
              </div>
            ) : (
              <p className="muted">{report.syncedAt ? t('noSiteDay', { time: siteClock(report.syncedAt) }) : t('noSiteNever')}</p>
            )}
          </section>
        </>
      ) : null}
    </div>
  );
}

import { useStationTranslation } from '../i18n';
import { formatTime } from '../desk/format';
import { useUploadStatus } from './useUploadStatus';
import { failureText, rejectionText, trustWarnings } from './words';
import './upload.css';

/**
 * Status-bar summary of the upload, on every screen: online or offline, records waiting, the
 * last successful upload, and records HQ rejected (with the latest reason, in words).
 */
export function UploadIndicator() {
  const { t, language } = useStationTranslation('upload');
  const { status } = useUploadStatus();
  if (!status) return null;
  if (!status.enrolled) {
    return (
      <span className="indicator indicator-wait" data-testid="upload-indicator" data-state="not-enrolled">
        <span className="indicator-dot" aria-hidden="true" />
        {t('indicator.notEnrolled')}
      </span>
    );
  }
  const state = status.online === true ? 'online' : status.online === false ? 'offline' : 'connecting';
  const warnings = trustWarnings(t, status, (iso) => formatTime(iso, language));
  const tone = status.rejectionCount > 0 || status.siteConfigRejection || warnings.length > 0 || state === 'offline' ? 'bad' : state === 'online' ? 'ok' : 'wait';
  const last = status.lastSuccessAt ? t('indicator.lastSuccess', { time: formatTime(status.lastSuccessAt, language) }) : t('indicator.never');
  const latest = status.rejections[0];
  const siteConfig = status.siteConfigRejection ? t('siteConfig.rejected', { detail: status.siteConfigRejection.detail }) : null;
  const title = [last, status.lastFailure ? failureText(t, status.lastFailure) : null, latest ? rejectionText(t, latest) : null, siteConfig, ...warnings].filter(Boolean).join('\n');
  return (
    <span
      className={`indicator indicator-${tone}`}
      data-testid="upload-indicator"
      data-state={state}
      data-waiting={status.waiting}
      data-rejected={status.rejectionCount}
      title={title}
    >
      <span className="indicator-dot" aria-hidden="true" />
      {t(`indicator.${state}`)}
      <span className="upload-figure">{status.waiting > 0 ? t('indicator.waiting', { count: status.waiting }) : t('indicator.allSent')}</span>
      <small className="upload-last">{last}</small>
      {status.rejectionCount > 0 ? (
        <span className="upload-rejected" data-testid="upload-rejected">
          {t('indicator.rejected', { count: status.rejectionCount })}
          {latest ? `: ${rejectionText(t, latest)}` : ''}
        </span>
      ) : null}
      {status.siteConfigRejection ? (
        <span className="upload-rejected" data-testid="site-config-rejected">
          {t('indicator.siteConfigRejected')}
        </span>
      ) : null}
      {warnings.map((w) => (
        <span key={w} className="upload-rejected" data-testid="upload-trust-warning">
          {w}
        </span>
      ))}
      {status.openRetests > 0 ? <span className="upload-retests">{t('indicator.openRetests', { count: status.openRetests })}</span> : null}
    </span>
  );
}

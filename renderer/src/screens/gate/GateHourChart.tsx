import { useMemo } from 'react';
import type { GateCounts } from '../../../../electron/api/gate';
import { FEVER_COLOUR, useHourChart } from '../../charts/hour-chart';
import { useStationTranslation } from '../../i18n';

/**
 * The site day hour by hour: people in and out as bars side by side, fevers as a red line. The
 * same numbers as a table for screen readers (and tests), hours with nobody left out.
 */
export function GateHourChart({ counts }: { counts: GateCounts }) {
  const { t } = useStationTranslation('gate');
  const h = counts.hours;
  const hours = useMemo(() => h.map((x) => x.hour), [h]);
  const series = useMemo(
    () => [
      { type: 'bar' as const, name: t('chart.in'), data: h.map((x) => x.in), color: '#0b4fc4' },
      { type: 'bar' as const, name: t('chart.out'), data: h.map((x) => x.out), color: '#8a95a5' },
      { type: 'line' as const, name: t('chart.fevers'), data: h.map((x) => x.fevers), color: FEVER_COLOUR },
    ],
    [h, t],
  );
  const ref = useHourChart(hours, series, { labelEvery: 2 });

  const busy = counts.hours.filter((x) => x.in + x.out + x.fevers > 0);
  return (
    <figure className="gate-chart-figure">
      <figcaption className="side-heading">{t('chart.heading')}</figcaption>
      <div ref={ref} className="gate-chart" data-testid="gate-hours-chart" aria-hidden="true" />
      <table className="visually-hidden" data-testid="gate-hours-table">
        <thead>
          <tr>
            <th>{t('chart.hour')}</th>
            <th>{t('chart.in')}</th>
            <th>{t('chart.out')}</th>
            <th>{t('chart.fevers')}</th>
          </tr>
        </thead>
        <tbody>
          {busy.map((x) => (
            <tr key={x.hour} data-hour={x.hour} data-in={x.in} data-out={x.out} data-fevers={x.fevers}>
              <td>{x.hour}</td>
              <td>{x.in}</td>
              <td>{x.out}</td>
              <td>{x.fevers}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

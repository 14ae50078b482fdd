import { useMemo } from 'react';
import { REPORT_MEASURES, type ReportHour, type ReportMeasure } from '../../../../electron/api/reports';
import { FEVER_COLOUR, useHourChart } from '../../charts/hour-chart';
import { useStationTranslation } from '../../i18n';

/** Drawn as bars (the rest are in the table and the workbook); fevers as a red line. */
const BARS: { m: ReportMeasure; color: string }[] = [
  { m: 'people', color: '#0b4fc4' },
  { m: 'tubesSealed', color: '#3c8d2f' },
  { m: 'boxesSealed', color: '#b26a00' },
  { m: 'gateIn', color: '#5a3fc0' },
  { m: 'gateOut', color: '#8a95a5' },
  { m: 'visitsSampled', color: '#0a7d84' },
];

/** A scope's day hour by hour, and the same numbers as a table for screen readers (and tests). */
export function ReportChart({ hours, testId }: { hours: ReportHour[]; testId: string }) {
  const { t } = useStationTranslation('reports');
  const axis = useMemo(() => hours.map((x) => x.hour), [hours]);
  const series = useMemo(
    () => [
      ...BARS.map(({ m, color }) => ({ type: 'bar' as const, name: t(`measure.${m}`), data: hours.map((x) => x[m]), color })),
      { type: 'line' as const, name: t('measure.fevers'), data: hours.map((x) => x.fevers), color: FEVER_COLOUR },
    ],
    [hours, t],
  );
  const ref = useHourChart(axis, series);

  const busy = hours.filter((x) => REPORT_MEASURES.some((m) => x[m] > 0));
  return (
    <figure className="report-chart-figure">
      <figcaption className="side-heading">{t('chartHeading')}</figcaption>
      <div ref={ref} className="report-chart" data-testid={`${testId}-chart`} aria-hidden="true" />
      <table className="visually-hidden" data-testid={`${testId}-table`}>
        <thead>
          <tr>
            <th>{t('hour')}</th>
            {REPORT_MEASURES.map((m) => (
              <th key={m}>{t(`measure.${m}`)}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {busy.map((x) => (
            <tr key={x.hour} data-hour={x.hour} data-people={x.people}>
              <td>{x.hour}</td>
              {REPORT_MEASURES.map((m) => (
                <td key={m}>{x[m]}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

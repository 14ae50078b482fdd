import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';
import { REPORT_MEASURES, type ReportHour, type ReportMeasure } from '../../../../electron/api/reports';
import { useStationTranslation } from '../../i18n';

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

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
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);

  useEffect(() => {
    if (!ref.current) return;
    const c = echarts.init(ref.current, null, { renderer: 'svg' });
    chart.current = c;
    const resize = () => c.resize();
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      c.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    chart.current?.setOption(
      {
        animation: false,
        textStyle: { fontFamily: "'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif", fontSize: 13 },
        legend: { top: 0, itemWidth: 14, itemHeight: 10 },
        tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
        grid: { left: 36, right: 8, top: 30, bottom: 22 },
        xAxis: { type: 'category', data: hours.map((x) => String(x.hour)), axisLabel: { interval: 1 } },
        yAxis: { type: 'value', minInterval: 1 },
        series: [
          ...BARS.map(({ m, color }) => ({ type: 'bar', name: t(`measure.${m}`), data: hours.map((x) => x[m]), itemStyle: { color }, barGap: '0%' })),
          { type: 'line', name: t('measure.fevers'), data: hours.map((x) => x.fevers), itemStyle: { color: '#b3141b' }, lineStyle: { width: 3 }, symbolSize: 6 },
        ],
      },
      true,
    );
  }, [hours, t]);

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

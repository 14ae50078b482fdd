import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';
import type { GateCounts } from '../../../../electron/api/gate';
import { useStationTranslation } from '../../i18n';

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

/**
 * The site day hour by hour: people in and out as bars side by side, fevers as a red line. The
 * same numbers as a table for screen readers (and tests), hours with nobody left out.
 */
export function GateHourChart({ counts }: { counts: GateCounts }) {
  const { t } = useStationTranslation('gate');
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);

  // One chart for the screen's life; new counts only change its data.
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
    const h = counts.hours;
    chart.current?.setOption({
      animation: false,
      textStyle: { fontFamily: "'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif", fontSize: 13 },
      legend: { top: 0, itemWidth: 14, itemHeight: 10 },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      grid: { left: 32, right: 8, top: 26, bottom: 22 },
      xAxis: { type: 'category', data: h.map((x) => String(x.hour)), axisLabel: { interval: 2 } },
      yAxis: { type: 'value', minInterval: 1 },
      series: [
        { type: 'bar', name: t('chart.in'), data: h.map((x) => x.in), itemStyle: { color: '#0b4fc4' }, barGap: '0%' },
        { type: 'bar', name: t('chart.out'), data: h.map((x) => x.out), itemStyle: { color: '#8a95a5' } },
        { type: 'line', name: t('chart.fevers'), data: h.map((x) => x.fevers), itemStyle: { color: '#b3141b' }, lineStyle: { width: 3 }, symbolSize: 6 },
      ],
    });
  }, [counts, t]);

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

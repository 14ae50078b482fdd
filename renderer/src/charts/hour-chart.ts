import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { useEffect, useRef, type RefObject } from 'react';

echarts.use([BarChart, LineChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

/** A series of an hour chart: bars side by side, or a line (fevers). */
export type HourSeries = { type: 'bar' | 'line'; name: string; data: number[]; color: string };

/** The alarm red every screen draws fevers in. */
export const FEVER_COLOUR = '#b3141b';

/**
 * A site day hour by hour (hours 0-23 on the x axis) as an SVG echarts chart in the returned
 * element: one chart for the screen's life, resized with the window; new series only change its
 * data. The gate's and the reports' charts share it.
 */
export function useHourChart(hours: readonly number[], series: readonly HourSeries[], opts: { labelEvery?: number } = {}): RefObject<HTMLDivElement | null> {
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

  const labelEvery = opts.labelEvery ?? 1;
  useEffect(() => {
    chart.current?.setOption(
      {
        animation: false,
        textStyle: { fontFamily: "'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif", fontSize: 13 },
        legend: { top: 0, itemWidth: 14, itemHeight: 10 },
        tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
        grid: { left: 36, right: 8, top: 30, bottom: 22 },
        xAxis: { type: 'category', data: hours.map(String), axisLabel: { interval: labelEvery } },
        yAxis: { type: 'value', minInterval: 1 },
        series: series.map((s) =>
          s.type === 'bar'
            ? { type: 'bar', name: s.name, data: s.data, itemStyle: { color: s.color }, barGap: '0%' }
            : { type: 'line', name: s.name, data: s.data, itemStyle: { color: s.color }, lineStyle: { width: 3 }, symbolSize: 6 },
        ),
      },
      true,
    );
  }, [hours, series, labelEvery]);

  return ref;
}

import { BarChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';
import type { CoverageView } from '../../../../electron/api/coverage';
import { useStationTranslation } from '../../i18n';

echarts.use([BarChart, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

/** Sampled, exempt and not yet sampled per building, stacked: a building that lags stands out in red. */
export function CoverageChart({ view, onBuilding }: { view: CoverageView; onBuilding: (building: string) => void }) {
  const { t, language } = useStationTranslation('coverage');
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!ref.current) return;
    const chart = echarts.init(ref.current, null, { renderer: 'svg' });
    const b = view.buildings;
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: "'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif", fontSize: 14 },
      legend: { top: 0 },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      grid: { left: 48, right: 16, top: 36, bottom: 40 },
      xAxis: { type: 'category', name: t('chart.building'), data: b.map((x) => x.building), axisLabel: { interval: 0, rotate: b.length > 24 ? 60 : 0 } },
      yAxis: { type: 'value', minInterval: 1 },
      series: [
        { type: 'bar', stack: 'people', name: t('chart.tested'), data: b.map((x) => x.tested), itemStyle: { color: '#0a7a2f' }, barMaxWidth: 56 },
        { type: 'bar', stack: 'people', name: t('chart.exempt'), data: b.map((x) => x.exempt), itemStyle: { color: '#8a95a5' } },
        { type: 'bar', stack: 'people', name: t('chart.untested'), data: b.map((x) => x.untested), itemStyle: { color: '#b3141b' } },
      ],
    });
    chart.on('click', (params) => {
      if (typeof params.name === 'string') onBuilding(params.name);
    });
    const resize = () => chart.resize();
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      chart.dispose();
    };
  }, [view, t, language, onBuilding]);
  return <div ref={ref} className="coverage-chart" data-testid="coverage-chart" />;
}

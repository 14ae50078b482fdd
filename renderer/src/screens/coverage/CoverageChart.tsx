import { BarChart } from 'echarts/charts';
import { DataZoomComponent, GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { useEffect, useRef } from 'react';
import type { CoverageView } from '../../../../electron/api/coverage';
import { useStationTranslation } from '../../i18n';

echarts.use([BarChart, DataZoomComponent, GridComponent, LegendComponent, TooltipComponent, SVGRenderer]);

/** Buildings drawn at once; a district's hundreds of buildings are scrolled with a slider under the chart. */
const BUILDINGS_IN_VIEW = 40;

/** Sampled, exempt and not yet sampled per building, stacked: a building that lags stands out in red. */
export function CoverageChart({ view, onBuilding }: { view: CoverageView; onBuilding: (building: string) => void }) {
  const { t } = useStationTranslation('coverage');
  const ref = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);
  const picked = useRef(onBuilding);
  picked.current = onBuilding;

  // One chart for the screen's life; a new view only changes its data.
  useEffect(() => {
    if (!ref.current) return;
    const c = echarts.init(ref.current, null, { renderer: 'svg' });
    chart.current = c;
    c.on('click', (params) => {
      if (typeof params.name === 'string') picked.current(params.name);
    });
    const resize = () => c.resize();
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      c.dispose();
      chart.current = null;
    };
  }, []);

  const many = view.buildings.length > BUILDINGS_IN_VIEW;
  /** Whether the chart has its slider: set once, so a new count leaves the slider where the admin put it. */
  const zoomed = useRef(false);
  useEffect(() => {
    const b = view.buildings;
    const zoom = many === zoomed.current ? {} : { dataZoom: many ? [{ type: 'slider', xAxisIndex: 0, startValue: 0, endValue: BUILDINGS_IN_VIEW - 1, height: 18, bottom: 8, zoomLock: true }] : [] };
    zoomed.current = many;
    chart.current?.setOption(
      {
        animation: false,
        textStyle: { fontFamily: "'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif", fontSize: 14 },
        legend: { top: 0 },
        tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
        grid: { left: 48, right: 16, top: 36, bottom: many ? 72 : 40 },
        xAxis: {
          type: 'category',
          name: t('chart.building'),
          data: b.map((x) => x.building),
          axisLabel: { interval: many ? 'auto' : 0, rotate: b.length > 24 ? 60 : 0 },
        },
        yAxis: { type: 'value', minInterval: 1 },
        ...zoom,
        series: [
          { type: 'bar', stack: 'people', name: t('chart.tested'), data: b.map((x) => x.tested), itemStyle: { color: '#0a7a2f' }, barMaxWidth: 56 },
          { type: 'bar', stack: 'people', name: t('chart.exempt'), data: b.map((x) => x.exempt), itemStyle: { color: '#8a95a5' } },
          { type: 'bar', stack: 'people', name: t('chart.untested'), data: b.map((x) => x.untested), itemStyle: { color: '#b3141b' } },
        ],
      },
      { replaceMerge: 'dataZoom' in zoom ? ['series', 'dataZoom'] : ['series'] },
    );
  }, [view, t, many]);

  return (
    <>
      <div ref={ref} className="coverage-chart" data-testid="coverage-chart" />
      {many ? <p className="muted">{t('chart.zoomHint')}</p> : null}
    </>
  );
}

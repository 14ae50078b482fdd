/**
 * Charts for the dashboard, drawn on the server by ECharts as SVG (its server-side renderer) and
 * served as images: the dashboard runs no script, and an SVG image's own styles are not subject
 * to the page's strict CSP the way inline SVG would be.
 */
import * as echarts from 'echarts';
import type { CoverageView } from '../electron/api/coverage';
import type { DashboardLang } from './dashboard';
import type { GateDay } from './domains/gate';

const WORDS = {
  'zh-CN': { tested: '已采样', exempt: '免采', untested: '未采样', building: '楼栋' },
  en: { tested: 'sampled', exempt: 'exempt', untested: 'not yet', building: 'building' },
} as const;

/** A stacked bar per building: sampled, exempt, not yet sampled. */
export function coverageChartSvg(view: CoverageView, lang: DashboardLang): string {
  const w = WORDS[lang];
  const buildings = view.buildings;
  const width = Math.max(640, Math.min(2400, 120 + buildings.length * 36));
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height: 360 });
  try {
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: "'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif" },
      legend: { top: 6 },
      grid: { left: 56, right: 24, top: 48, bottom: 48 },
      xAxis: { type: 'category', name: w.building, data: buildings.map((b) => b.building), axisLabel: { interval: 0, rotate: buildings.length > 30 ? 60 : 0 } },
      yAxis: { type: 'value', minInterval: 1 },
      series: [
        { type: 'bar', stack: 'people', name: w.tested, data: buildings.map((b) => b.tested), itemStyle: { color: '#1e7b34' }, barMaxWidth: 56 },
        { type: 'bar', stack: 'people', name: w.exempt, data: buildings.map((b) => b.exempt), itemStyle: { color: '#8a95a5' } },
        { type: 'bar', stack: 'people', name: w.untested, data: buildings.map((b) => b.untested), itemStyle: { color: '#b3261e' } },
      ],
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

const GATE_WORDS = {
  'zh-CN': { in: '进', out: '出', fevers: '发热', hour: '时' },
  en: { in: 'in', out: 'out', fevers: 'fever', hour: 'hour' },
} as const;

/** A site day's passages per hour (site time): in and out as bars, fevers as a line on the same scale. */
export function gateChartSvg(day: Pick<GateDay, 'hours'>, lang: DashboardLang): string {
  const w = GATE_WORDS[lang];
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 960, height: 360 });
  try {
    chart.setOption({
      animation: false,
      textStyle: { fontFamily: "'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif" },
      legend: { top: 6 },
      grid: { left: 56, right: 24, top: 48, bottom: 48 },
      xAxis: { type: 'category', name: w.hour, data: day.hours.map((h) => String(h.hour).padStart(2, '0')), axisLabel: { interval: 0 } },
      yAxis: { type: 'value', minInterval: 1 },
      series: [
        { type: 'bar', name: w.in, data: day.hours.map((h) => h.in), itemStyle: { color: '#12355b' }, barMaxWidth: 28 },
        { type: 'bar', name: w.out, data: day.hours.map((h) => h.out), itemStyle: { color: '#8a95a5' }, barMaxWidth: 28 },
        { type: 'line', name: w.fevers, data: day.hours.map((h) => h.fevers), itemStyle: { color: '#b3261e' }, lineStyle: { color: '#b3261e', width: 2 }, symbolSize: 6 },
      ],
    });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

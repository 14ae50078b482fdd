import { describe, expect, it } from 'vitest';
import { gateChartSvg } from '../../../hq/charts';
import { renderGate, type GatePageData } from '../../../hq/dashboard-gate';
import type { GateHour, KeyPersonHit } from '../../../hq/domains/gate';

const hour = (h: number, figures: Partial<GateHour> = {}): GateHour => ({
  hour: h,
  in: 0,
  out: 0,
  fevers: 0,
  highReadings: 0,
  referrals: 0,
  visitorsIn: 0,
  visitorsOut: 0,
  vehiclesIn: 0,
  vehiclesOut: 0,
  ...figures,
});

const hit = (n: number, person: KeyPersonHit['person']): KeyPersonHit => ({
  stationId: 'st-1',
  stationName: '1号卡点',
  stationNumber: 1,
  passageId: `p-${n}`,
  at: '2026-11-20T01:00:00.000Z',
  day: '2026-11-20',
  direction: 'in',
  level: 'check',
  temperature: null,
  lists: [],
  person,
  operatorName: null,
  actions: [],
  followUps: [],
});

function page(hits: KeyPersonHit[], keyPersonHits: number): GatePageData {
  const hours = Array.from({ length: 24 }, (_, h) => hour(h, h === 9 ? { in: 7, fevers: 1 } : {}));
  return {
    sites: [{ id: 's', name: '东门' }],
    day: '2026-11-20',
    view: {
      siteId: 's',
      siteName: '东门',
      day: '2026-11-20',
      hours,
      totals: { in: 7, out: 0, fevers: 1, highReadings: 0, referrals: 0, visitorsIn: 0, visitorsOut: 0, vehiclesIn: 0, vehiclesOut: 0, passages: 7, keyPersonHits, visitorsStaying: 0, passengers: 0 },
      stations: [],
      referrals: [],
    },
    hits,
    open: [],
  };
}

describe('the dashboard’s gate page', () => {
  it('says when a person’s data was purged, and when the day has more hits than it lists', () => {
    const html = renderGate(page([hit(1, null), hit(2, { name: '张三', idNumber: '110105********002X' })], 3), { lang: 'zh-CN' });
    expect(html).toContain('（个人信息已按留存期限清除）');
    expect(html).toContain('张三<br><code>110105********002X</code>');
    expect(html).toContain('data-hits-cut');
    expect(html).toContain('当日重点人员通行共 3 条，此处按时间列出前 2 条。');
    expect(html).toContain('台账标注');
    const all = renderGate(page([hit(1, null)], 1), { lang: 'en' });
    expect(all).not.toContain('data-hits-cut');
    expect(all).toContain('(personal data purged after the retention period)');
    expect(all).toContain('<tr class="" data-hour="9"><td>09:00–10:00</td><td class="n" data-field="in">7</td>');
  });

  it('draws in, out and fevers per hour as an SVG image', () => {
    const svg = gateChartSvg(page([], 0).view!, 'zh-CN');
    expect(svg).toMatch(/^<svg/);
    for (const word of ['进', '出', '发热']) expect(svg).toContain(word);
  });
});

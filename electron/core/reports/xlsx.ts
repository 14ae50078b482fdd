/**
 * The day's report as an XLSX workbook (exceljs): a sheet for this station and one for the site,
 * hours as rows and the measures as columns, a totals row, and above them the day, the site and
 * station names and the time of the last sync. Headers in the screen's language (zh-CN or en).
 */
import ExcelJS from 'exceljs';
import { REPORT_MEASURES, type DayReport, type ReportMeasure, type ReportScope } from '../../api/reports';
import { siteMinute } from '../gate/settings';

export type ReportLang = 'zh-CN' | 'en';

const WORDS: Record<ReportLang, Record<ReportMeasure | 'hour' | 'total' | 'households' | 'day' | 'site' | 'station' | 'syncedAt' | 'never' | 'here' | 'siteSheet' | 'noSite', string>> = {
  'zh-CN': {
    hour: '时段',
    people: '采样人数',
    tubesOpened: '开管',
    tubesSealed: '封管',
    tubesVoided: '作废管',
    boxesSealed: '封箱',
    boxesHandedOver: '交接箱',
    gateIn: '进入',
    gateOut: '外出',
    fevers: '发热',
    visitsSampled: '入户已采',
    visitsNotHome: '入户不在家',
    visitsRefused: '入户拒绝',
    households: '走访户数',
    total: '合计',
    day: '日期',
    site: '采样点',
    station: '本机',
    syncedAt: '最近同步',
    never: '从未同步',
    here: '本机',
    siteSheet: '全点位',
    noSite: '暂无总部当日数据',
  },
  en: {
    hour: 'Hour',
    people: 'People sampled',
    tubesOpened: 'Tubes opened',
    tubesSealed: 'Tubes sealed',
    tubesVoided: 'Tubes voided',
    boxesSealed: 'Boxes sealed',
    boxesHandedOver: 'Boxes handed over',
    gateIn: 'Gate in',
    gateOut: 'Gate out',
    fevers: 'Fevers',
    visitsSampled: 'Visits sampled',
    visitsNotHome: 'Visits not home',
    visitsRefused: 'Visits refused',
    households: 'Households visited',
    total: 'Total',
    day: 'Day',
    site: 'Site',
    station: 'Station',
    syncedAt: 'Last sync',
    never: 'never synced',
    here: 'This station',
    siteSheet: 'Site',
    noSite: 'No figures from HQ for this day',
  },
};

function hourLabel(h: number): string {
  return `${String(h).padStart(2, '0')}:00–${String(h + 1).padStart(2, '0')}:00`;
}

function sheet(wb: ExcelJS.Workbook, name: string, report: DayReport, scope: ReportScope | null, syncedAt: string | null, w: (typeof WORDS)[ReportLang]): void {
  const ws = wb.addWorksheet(name);
  ws.addRow([w.day, report.day]);
  ws.addRow([w.site, report.site]);
  ws.addRow([w.station, report.station]);
  ws.addRow([w.syncedAt, syncedAt ? siteMinute(Date.parse(syncedAt)) : w.never]);
  ws.addRow([]);
  if (!scope) {
    ws.addRow([w.noSite]);
    return;
  }
  const header = ws.addRow([w.hour, ...REPORT_MEASURES.map((m) => w[m])]);
  header.font = { bold: true };
  for (const h of scope.hours) ws.addRow([hourLabel(h.hour), ...REPORT_MEASURES.map((m) => h[m])]);
  const total = ws.addRow([w.total, ...REPORT_MEASURES.map((m) => scope.totals[m])]);
  total.font = { bold: true };
  ws.addRow([w.households, scope.totals.households]);
  ws.getColumn(1).width = 16;
  for (let c = 2; c <= REPORT_MEASURES.length + 1; c++) ws.getColumn(c).width = 12;
}

/** The workbook's bytes. */
export async function reportWorkbook(report: DayReport, lang: ReportLang): Promise<Buffer> {
  const w = WORDS[lang];
  const wb = new ExcelJS.Workbook();
  sheet(wb, w.here, report, report.here, report.syncedAt, w);
  sheet(wb, w.siteSheet, report, report.siteScope, report.siteScope?.asOf ?? report.syncedAt, w);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

export const XLSX_MIME = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

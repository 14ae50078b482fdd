/**
 * The dashboard's page for one round's coverage (应检尽检): totals, a bar per building (an SVG
 * image drawn by ECharts on the server), every building and unit with its not-yet-sampled list to
 * download for volunteers, and exemptions. Server-rendered like the rest of the dashboard.
 */
import type { CoverageView } from '../electron/api/coverage';
import { esc, shell, type DashboardLang } from './dashboard';

const TEXT = {
  'zh-CN': {
    title: '应检尽检',
    back: '返回看板',
    residents: '在册',
    tested: '已采样',
    exempt: '免采',
    untested: '未采样',
    rate: '覆盖率',
    noRoster: '该采样点还没有居民台账：导入台账后才能统计应检尽检。',
    notOnRoster: '另有 {n} 人已采样但不在台账中（外来人员等）。',
    building: '楼栋',
    unit: '单元',
    export: '未采样名单',
    exportAll: '下载全部未采样名单',
    exemptTitle: '免采登记',
    idNumber: '身份证号',
    reason: '原因',
    note: '备注',
    save: '保存',
    reasons: { away: '外出', hospital: '住院', sampledAtHome: '已入户采样', other: '其他', lift: '取消免采' },
    'posted.exempt.ok': '已保存，将下发到该采样点的所有采样台。',
    'posted.exempt.unchanged': '没有变化（该居民没有免采登记）。',
    'posted.exempt.invalid': '请填写正确的身份证号并选择原因。',
    closed: '（已结束）',
    tooMany: '未采样的有 {n} 人，超过一个文件能装下的 {limit} 人：请按楼栋（或单元）分别下载。',
    tooManyTitle: '名单太长',
  },
  en: {
    title: 'Coverage',
    back: 'Back to the dashboard',
    residents: 'On roster',
    tested: 'Sampled',
    exempt: 'Exempt',
    untested: 'Not yet',
    rate: 'Coverage',
    noRoster: 'This site has no resident roster yet: import one to count coverage.',
    notOnRoster: '{n} more sampled people are not on the roster (visitors and others).',
    building: 'Building',
    unit: 'Unit',
    export: 'not-yet list',
    exportAll: 'Download the whole not-yet-sampled list',
    exemptTitle: 'Exemptions',
    idNumber: 'ID number',
    reason: 'Reason',
    note: 'Note',
    save: 'Save',
    reasons: { away: 'away', hospital: 'in hospital', sampledAtHome: 'sampled at home', other: 'other', lift: 'lift the exemption' },
    'posted.exempt.ok': 'Saved; every station of the site receives it.',
    'posted.exempt.unchanged': 'Nothing changed (that resident had no exemption).',
    'posted.exempt.invalid': 'Enter a valid ID number and choose a reason.',
    closed: ' (closed)',
    tooMany: '{n} people are not yet sampled, more than the {limit} one file holds: download the list building by building (or unit by unit).',
    tooManyTitle: 'List too long',
  },
} as const;

function rate(tested: number, exempt: number, residents: number): string {
  return residents > 0 ? `${((100 * (tested + exempt)) / residents).toFixed(1)}%` : '–';
}

function fill(text: string, values: Record<string, string | number>): string {
  return text.replace(/\{(\w+)\}/g, (_m, k: string) => String(values[k] ?? ''));
}

export function renderCoverage(view: CoverageView, opts: { lang: DashboardLang; now: number; posted?: string | undefined; exportLimit?: number }): string {
  const { lang } = opts;
  const t = TEXT[lang];
  const round = view.round!;
  const base = `/dashboard/coverage/${encodeURIComponent(round.id)}`;
  const link = (building: string | null, unit: string | null, format: 'csv' | 'xlsx') =>
    `${base}/export?lang=${lang}&format=${format}${building !== null ? `&building=${encodeURIComponent(building)}` : ''}${unit !== null ? `&unit=${encodeURIComponent(unit)}` : ''}`;
  const exports = (building: string | null, unit: string | null) =>
    `<a href="${esc(link(building, unit, 'xlsx'))}">XLSX</a> · <a href="${esc(link(building, unit, 'csv'))}">CSV</a>`;
  const tot = view.totals;
  const rows = view.buildings
    .map((b) => {
      const units = b.units
        .map(
          (u) =>
            `<tr class="unit"><td></td><td>${esc(u.unit)}</td><td class="n">${u.residents}</td><td class="n">${u.tested}</td><td class="n">${u.exempt}</td>
<td class="n ${u.untested > 0 ? 'bad' : ''}">${u.untested}</td><td class="n">${rate(u.tested, u.exempt, u.residents)}</td><td>${u.untested > 0 ? exports(b.building, u.unit) : ''}</td></tr>`,
        )
        .join('');
      return `<tr class="building"><td><strong>${esc(b.building)}</strong></td><td></td><td class="n">${b.residents}</td><td class="n">${b.tested}</td><td class="n">${b.exempt}</td>
<td class="n ${b.untested > 0 ? 'bad' : ''}">${b.untested}</td><td class="n">${rate(b.tested, b.exempt, b.residents)}</td><td>${b.untested > 0 ? exports(b.building, null) : ''}</td></tr>${units}`;
    })
    .join('');
  const postedKey = opts.posted ? (`posted.${opts.posted}` as keyof typeof t) : null;
  const notice = postedKey && postedKey in t ? `<p class="notice ${opts.posted?.endsWith('ok') ? 'good' : 'bad'}">${esc(String(t[postedKey]))}</p>` : '';
  const reasonOptions = (['away', 'hospital', 'sampledAtHome', 'other', 'lift'] as const).map((r) => `<option value="${r}">${esc(t.reasons[r])}</option>`).join('');
  const body = `<header><h1>${esc(t.title)} · ${esc(round.name)}${round.closedAt ? esc(t.closed) : ''}</h1><span>${esc(round.startsOn ?? '')}${round.endsOn ? ` – ${esc(round.endsOn)}` : ''}</span>
<a href="/dashboard?lang=${lang}">${esc(t.back)}</a></header><main>${notice}
${
  view.roster
    ? `<section class="wide" data-section="coverage-totals"><p class="counts"><span>${esc(t.residents)} <strong>${tot.residents}</strong></span><span class="good">${esc(t.tested)} <strong>${tot.tested}</strong></span>
<span>${esc(t.exempt)} <strong>${tot.exempt}</strong></span><span class="bad">${esc(t.untested)} <strong data-untested>${tot.untested}</strong></span><span>${esc(t.rate)} <strong>${rate(tot.tested, tot.exempt, tot.residents)}</strong></span></p>
${view.sampledNotOnRoster > 0 ? `<p>${esc(t.notOnRoster.replace('{n}', String(view.sampledNotOnRoster)))}</p>` : ''}
<img class="chart" src="${base}/chart.svg?lang=${lang}" alt="${esc(t.title)}">${
      opts.exportLimit !== undefined && tot.untested > opts.exportLimit
        ? `<p data-too-many>${esc(fill(t.tooMany, { n: tot.untested, limit: opts.exportLimit }))}</p>`
        : `<p><a href="${esc(link(null, null, 'xlsx'))}">${esc(t.exportAll)} (XLSX)</a> · <a href="${esc(link(null, null, 'csv'))}">CSV</a></p>`
    }</section>
<section class="wide" data-section="coverage-buildings"><table><thead><tr><th>${esc(t.building)}</th><th>${esc(t.unit)}</th><th>${esc(t.residents)}</th><th>${esc(t.tested)}</th><th>${esc(t.exempt)}</th>
<th>${esc(t.untested)}</th><th>${esc(t.rate)}</th><th>${esc(t.export)}</th></tr></thead><tbody>${rows}</tbody></table></section>`
    : `<section class="wide"><p class="notice bad">${esc(t.noRoster)}</p></section>`
}
<section class="wide"><h2>${esc(t.exemptTitle)}</h2><form method="post" action="${base}/exempt?lang=${lang}" class="result">
<label>${esc(t.idNumber)} <input name="idNumber" required pattern="[0-9]{17}[0-9Xx]" maxlength="18" autocomplete="off"></label><label>${esc(t.reason)} <select name="reason">${reasonOptions}</select></label>
<label>${esc(t.note)} <input name="note" maxlength="200"></label><button type="submit">${esc(t.save)}</button></form></section></main>`;
  return shell(lang, `${t.title} · ${round.name}`, body, 30);
}

/**
 * Said instead of a not-yet-sampled list longer than one file may hold: never a list silently cut
 * short, which volunteers would take for the whole of it.
 */
export function renderExportTooLarge(view: CoverageView, opts: { lang: DashboardLang; untested: number; limit: number }): string {
  const { lang } = opts;
  const t = TEXT[lang];
  const round = view.round!;
  const back = `/dashboard/coverage/${encodeURIComponent(round.id)}?lang=${lang}`;
  const body = `<header><h1>${esc(t.tooManyTitle)}</h1><span>${esc(round.name)}</span><a href="${esc(back)}">${esc(t.title)}</a></header><main>
<section class="wide"><p class="notice bad" data-too-many>${esc(fill(t.tooMany, { n: opts.untested, limit: opts.limit }))}</p><p><a href="${esc(back)}">${esc(t.title)} · ${esc(round.name)}</a></p></section></main>`;
  return shell(lang, t.tooManyTitle, body, false);
}

/**
 * The dashboard's page for a site's boxes (转运箱): boxes in transit (handed over, not received at
 * the lab) and how long they have been on the way, boxes opened or sealed and not handed over,
 * sealed tubes in no box, and the lab's receipts that found tubes missing, extra or broken, each
 * with its reason. Server-rendered like the rest of the dashboard, no scripts.
 */
import { esc, shell, siteTime, type DashboardLang } from './dashboard';
import type { SiteBoxes } from './domains/boxes';

export const BOXES_TEXT = {
  'zh-CN': {
    title: '转运箱',
    back: '返回看板',
    lab: '实验室接收',
    site: '采样点',
    days: '天数',
    show: '查看',
    noSites: '还没有采样点。',
    inTransit: '运输中（已交接，实验室未接收）',
    notHandedOver: '未交接的转运箱',
    looseTubes: '已封管但未装箱的样本管（近 {days} 天）',
    looseCut: '共 {n} 支，此处列出最早的 {shown} 支。',
    discrepancies: '接收有差异的转运箱（近 {days} 天）',
    station: '采样台',
    box: '箱码',
    tubes: '管数',
    people: '人数',
    handedOverAt: '交接时间',
    age: '已用时',
    state: '状态',
    since: '封箱/开箱时间',
    receivedAt: '接收时间',
    receivedBy: '接收人',
    receiving: '实验室接收中',
    receivedWithout: '实验室已于 {time} 接收（无交接记录）',
    tube: '管码',
    count: '人数',
    openedAt: '开管时间',
    expected: '交接管数',
    received: '已接收',
    missing: '缺失',
    extra: '多出',
    broken: '破损',
    detail: '差异明细',
    none: '暂无',
    states: { open: '装箱中', sealed: '已封箱' } as Record<string, string>,
    statuses: { missing: '缺失', extra: '多出', broken: '破损' } as Record<string, string>,
    notHandedOverAtReceipt: '接收时无交接记录',
    age_hm: '{h} 小时 {m} 分',
    age_m: '{m} 分',
    age_d: '{d} 天 {h} 小时',
    other: 'English',
  },
  en: {
    title: 'Boxes',
    back: 'Back to the dashboard',
    lab: 'Lab receipt',
    site: 'Site',
    days: 'Days',
    show: 'Show',
    noSites: 'No sites yet.',
    inTransit: 'In transit (handed over, not received at the lab)',
    notHandedOver: 'Boxes not handed over',
    looseTubes: 'Sealed tubes in no box (last {days} days)',
    looseCut: '{n} in all; the first {shown} are listed here.',
    discrepancies: 'Receipts with discrepancies (last {days} days)',
    station: 'Station',
    box: 'Box',
    tubes: 'Tubes',
    people: 'People',
    handedOverAt: 'Handed over',
    age: 'On the way for',
    state: 'State',
    since: 'Sealed / opened',
    receivedAt: 'Received',
    receivedBy: 'Received by',
    receiving: 'being received at the lab',
    receivedWithout: 'received at the lab on {time} (no hand-over recorded)',
    tube: 'Tube',
    count: 'People',
    openedAt: 'Opened',
    expected: 'Handed over',
    received: 'Received',
    missing: 'Missing',
    extra: 'Extra',
    broken: 'Broken',
    detail: 'Discrepancies',
    none: 'none',
    states: { open: 'open', sealed: 'sealed' } as Record<string, string>,
    statuses: { missing: 'missing', extra: 'extra', broken: 'broken' } as Record<string, string>,
    notHandedOverAtReceipt: 'no hand-over recorded when received',
    age_hm: '{h} h {m} min',
    age_m: '{m} min',
    age_d: '{d} d {h} h',
    other: '中文',
  },
} as const;

type Text = (typeof BOXES_TEXT)[DashboardLang];

export type BoxesPageData = { sites: { id: string; name: string }[]; view: SiteBoxes | null };

/** Minutes as "3 h 20 min", "2 d 5 h" (hours and days from 24 h on). */
export function ageWords(minutes: number, t: Pick<Text, 'age_hm' | 'age_m' | 'age_d'>): string {
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  if (d > 0) return t.age_d.replace('{d}', String(d)).replace('{h}', String(h));
  if (h > 0) return t.age_hm.replace('{h}', String(h)).replace('{m}', String(m));
  return t.age_m.replace('{m}', String(m));
}

const words = (text: string, values: Record<string, string | number>): string => esc(text).replace(/\{(\w+)\}/g, (m, k: string) => (k in values ? esc(String(values[k])) : m));

export function renderBoxes(data: BoxesPageData, opts: { lang: DashboardLang }): string {
  const { lang } = opts;
  const t = BOXES_TEXT[lang];
  const other = lang === 'en' ? 'zh-CN' : 'en';
  const v = data.view;
  const q = v ? `site=${encodeURIComponent(v.siteId)}&days=${v.days}&` : '';
  const head = `<header><h1>${esc(t.title)}</h1><span>${v ? esc(v.siteName) : ''}</span><a href="/dashboard?lang=${lang}">${esc(t.back)}</a>
<a href="/dashboard/lab?lang=${lang}" data-link="lab">${esc(t.lab)}</a><a href="/dashboard/boxes?${q}lang=${other}">${esc(t.other)}</a></header>`;
  const siteOptions = data.sites.map((s) => `<option value="${esc(s.id)}"${s.id === v?.siteId ? ' selected' : ''}>${esc(s.name)}</option>`).join('');
  const chooser = `<section class="wide"><form method="get" action="/dashboard/boxes" class="result" data-form="boxes-site"><input type="hidden" name="lang" value="${lang}">
<label>${esc(t.site)} <select name="site">${siteOptions}</select></label><label>${esc(t.days)} <input type="number" name="days" min="1" max="30" value="${v?.days ?? 3}"></label>
<button type="submit">${esc(t.show)}</button></form></section>`;
  if (!v) return shell(lang, t.title, `${head}<main>${chooser}<section class="wide"><p>${esc(t.noSites)}</p></section></main>`, false);
  const none = (cols: number) => `<tr><td colspan="${cols}" class="empty">${esc(t.none)}</td></tr>`;
  const station = (n: number, name: string) => esc(`${n} · ${name}`);

  const transitRows = v.inTransit
    .map(
      (b) => `<tr class="${b.ageMinutes >= 12 * 60 ? 'bad' : b.ageMinutes >= 4 * 60 ? 'warn' : ''}" data-transit="${esc(b.code)}"><td><code>${esc(b.code)}</code></td><td>${station(b.stationNumber, b.stationName)}</td>
<td class="n">${b.handedOverCount ?? b.tubeCount}</td><td class="n">${b.personCount ?? ''}</td><td>${b.handedOverAt ? siteTime(b.handedOverAt, lang) : ''}</td><td data-age="${b.ageMinutes}">${esc(ageWords(b.ageMinutes, t))}</td>
<td>${b.receiving ? esc(t.receiving) : ''}</td></tr>`,
    )
    .join('');
  const pendingRows = v.notHandedOver
    .map(
      (b) => `<tr class="${b.receivedAt ? 'bad' : ''}" data-pending="${esc(b.code)}"><td><code>${esc(b.code)}</code></td><td>${station(b.stationNumber, b.stationName)}</td><td>${esc(t.states[b.state] ?? b.state)}</td>
<td class="n">${b.tubeCount}</td><td>${b.sealedAt || b.openedAt ? siteTime((b.sealedAt ?? b.openedAt)!, lang) : ''}</td><td data-age="${b.ageMinutes}">${esc(ageWords(b.ageMinutes, t))}</td>
<td>${b.receivedAt ? words(t.receivedWithout, { time: siteTime(b.receivedAt, lang) }) : ''}</td></tr>`,
    )
    .join('');
  const looseRows = v.looseTubes.tubes
    .map((x) => `<tr data-loose="${esc(x.code)}"><td><code>${esc(x.code)}</code></td><td>${station(x.stationNumber, x.stationName)}</td><td class="n">${x.count}</td><td>${siteTime(x.openedAt, lang)}</td></tr>`)
    .join('');
  const discrepancyRows = v.discrepancies
    .map((r) => {
      const detail = r.tubes.map((x) => `<code>${esc(x.tubeCode)}</code> ${esc(t.statuses[x.status] ?? x.status)}${x.reason ? `：${esc(x.reason)}` : ''}`).join('<br>');
      return `<tr class="bad" data-discrepancy="${esc(r.boxCode)}"><td><a href="/dashboard/lab?receipt=${encodeURIComponent(r.receiptId)}&lang=${lang}"><code>${esc(r.boxCode)}</code></a>${
        r.boxState !== 'handedOver' ? `<br><span class="warn">${esc(t.notHandedOverAtReceipt)}</span>` : ''
      }</td>
<td>${station(r.stationNumber, r.stationName)}</td><td>${siteTime(r.receivedAt, lang)}</td><td>${esc(r.receivedBy)}</td><td class="n">${r.expected}</td><td class="n">${r.received}</td>
<td class="n" data-field="missing">${r.missing}</td><td class="n" data-field="extra">${r.extra}</td><td class="n" data-field="broken">${r.broken}</td><td class="wrap">${detail}</td></tr>`;
    })
    .join('');
  const cut = v.looseTubes.total > v.looseTubes.tubes.length ? `<p class="notice bad" data-loose-cut>${words(t.looseCut, { n: v.looseTubes.total, shown: v.looseTubes.tubes.length })}</p>` : '';
  const body = `${head}<main>${chooser}
<section class="wide" data-section="boxes-transit"><h2>${esc(t.inTransit)} <span class="badge">${v.inTransit.length}</span></h2><table><thead><tr><th>${esc(t.box)}</th><th>${esc(t.station)}</th><th>${esc(t.tubes)}</th>
<th>${esc(t.people)}</th><th>${esc(t.handedOverAt)}</th><th>${esc(t.age)}</th><th></th></tr></thead><tbody>${transitRows || none(7)}</tbody></table></section>
<section class="wide" data-section="boxes-discrepancies"><h2>${words(t.discrepancies, { days: v.days })}</h2><table><thead><tr><th>${esc(t.box)}</th><th>${esc(t.station)}</th><th>${esc(t.receivedAt)}</th>
<th>${esc(t.receivedBy)}</th><th>${esc(t.expected)}</th><th>${esc(t.received)}</th><th>${esc(t.missing)}</th><th>${esc(t.extra)}</th><th>${esc(t.broken)}</th><th>${esc(t.detail)}</th></tr></thead>
<tbody>${discrepancyRows || none(10)}</tbody></table></section>
<section data-section="boxes-pending"><h2>${esc(t.notHandedOver)} <span class="badge">${v.notHandedOver.length}</span></h2><table><thead><tr><th>${esc(t.box)}</th><th>${esc(t.station)}</th><th>${esc(t.state)}</th>
<th>${esc(t.tubes)}</th><th>${esc(t.since)}</th><th>${esc(t.age)}</th><th></th></tr></thead><tbody>${pendingRows || none(7)}</tbody></table></section>
<section data-section="boxes-loose"><h2>${words(t.looseTubes, { days: v.days })} <span class="badge" data-loose-total>${v.looseTubes.total}</span></h2>${cut}<table><thead><tr><th>${esc(t.tube)}</th><th>${esc(t.station)}</th>
<th>${esc(t.count)}</th><th>${esc(t.openedAt)}</th></tr></thead><tbody>${looseRows || none(4)}</tbody></table></section></main>`;
  return shell(lang, `${t.title} · ${v.siteName}`, body, true);
}

/**
 * The dashboard's page for a site's gates (卡点) on one day: passages in and out, fevers,
 * referrals, visitors and vehicles per hour of the site's day (a chart drawn by ECharts on the
 * server, and a table), the day's totals and referrals, and key-person hits with what the gate
 * keeper did and HQ's follow-up. Server-rendered like the rest of the dashboard, no scripts.
 */
import { esc, shell, siteTime, type DashboardLang } from './dashboard';
import type { GateDay, GateHour, KeyPersonHit } from './domains/gate';

export const GATE_TEXT = {
  'zh-CN': {
    title: '卡点通行',
    back: '返回看板',
    site: '采样点',
    day: '日期',
    show: '查看',
    noSites: '还没有采样点。',
    totals: '当日合计',
    chart: '每小时进出与发热',
    hour: '时段',
    in: '进',
    out: '出',
    passages: '通行',
    fevers: '发热（复测确认）',
    highReadings: '体温异常读数',
    referrals: '转诊',
    visitorsIn: '访客进入',
    visitorsOut: '访客离开',
    visitorsStaying: '访客未离开',
    vehiclesIn: '车辆进',
    vehiclesOut: '车辆出',
    passengers: '车上人数',
    keyPersonHits: '重点人员',
    total: '合计',
    stations: '卡点设备',
    station: '设备',
    workplace: '类型',
    workplaces: { gate: '卡点', sentinel: '数字哨兵', desk: '采样台', doors: '入户采样' } as Record<string, string>,
    referralsTitle: '转诊记录',
    at: '时间',
    destination: '去向',
    escort: '陪同人员',
    note: '备注',
    gatekeeper: '值守人员',
    hitsTitle: '重点人员通行（待跟进）',
    openTitle: '此前未跟进的重点人员通行',
    person: '人员',
    lists: '名单',
    rosterTag: '台账标注',
    direction: '方向',
    verdict: '核验结果',
    temperature: '体温',
    actions: '现场处置',
    followUp: '总部跟进',
    followedUp: '已跟进',
    notFollowed: '未跟进',
    followUpNote: '跟进情况',
    markFollowed: '标记已跟进',
    addNote: '补充跟进记录',
    purged: '（个人信息已按留存期限清除）',
    hitsCut: '当日重点人员通行共 {n} 条，此处按时间列出前 {shown} 条。',
    unknownName: '（无姓名）',
    none: '暂无',
    levels: { pass: '通行', check: '需核查', stop: '禁止通行' } as Record<string, string>,
    temperatures: { awaiting: '待测温', notRequired: '无需测温', normal: '正常', remeasure: '待复测', fever: '发热' } as Record<string, string>,
    actionWords: { admitted: '放行', turnedBack: '劝返', reported: '已上报', escorted: '专人陪同', other: '其他' } as Record<string, string>,
    directions: { in: '进', out: '出' } as Record<string, string>,
    'posted.followUp.ok': '已记录跟进情况。',
    'posted.followUp.invalid': '请填写跟进情况（1–500 字）。',
    'posted.gate.hitUnknown': '没有这条重点人员通行记录。',
    other: 'English',
  },
  en: {
    title: 'Gate passages',
    back: 'Back to the dashboard',
    site: 'Site',
    day: 'Day',
    show: 'Show',
    noSites: 'No sites yet.',
    totals: 'The day’s totals',
    chart: 'In, out and fevers per hour',
    hour: 'Hour',
    in: 'In',
    out: 'Out',
    passages: 'Passages',
    fevers: 'Fevers (confirmed)',
    highReadings: 'High readings',
    referrals: 'Referrals',
    visitorsIn: 'Visitors in',
    visitorsOut: 'Visitors out',
    visitorsStaying: 'Visitors not left',
    vehiclesIn: 'Vehicles in',
    vehiclesOut: 'Vehicles out',
    passengers: 'People in vehicles',
    keyPersonHits: 'Key persons',
    total: 'Total',
    stations: 'Gates',
    station: 'Station',
    workplace: 'Kind',
    workplaces: { gate: 'gate', sentinel: 'sentinel', desk: 'sampling desk', doors: 'door to door' } as Record<string, string>,
    referralsTitle: 'Referrals',
    at: 'Time',
    destination: 'Sent to',
    escort: 'Escort',
    note: 'Note',
    gatekeeper: 'Gate keeper',
    hitsTitle: 'Key-person passages (to follow up)',
    openTitle: 'Earlier key-person passages not yet followed up',
    person: 'Person',
    lists: 'Lists',
    rosterTag: 'roster tag',
    direction: 'Direction',
    verdict: 'Verdict',
    temperature: 'Temperature',
    actions: 'At the gate',
    followUp: 'HQ follow-up',
    followedUp: 'followed up',
    notFollowed: 'not followed up',
    followUpNote: 'What was done',
    markFollowed: 'Mark followed up',
    addNote: 'Add a note',
    purged: '(personal data purged after the retention period)',
    hitsCut: '{n} key-person passages that day; the first {shown} by time are listed here.',
    unknownName: '(no name)',
    none: 'none',
    levels: { pass: 'pass', check: 'check', stop: 'stop' } as Record<string, string>,
    temperatures: { awaiting: 'awaiting', notRequired: 'not required', normal: 'normal', remeasure: 're-measure', fever: 'fever' } as Record<string, string>,
    actionWords: { admitted: 'admitted', turnedBack: 'turned back', reported: 'reported', escorted: 'escorted', other: 'other' } as Record<string, string>,
    directions: { in: 'in', out: 'out' } as Record<string, string>,
    'posted.followUp.ok': 'Follow-up recorded.',
    'posted.followUp.invalid': 'Write what was done (1 to 500 characters).',
    'posted.gate.hitUnknown': 'No such key-person passage.',
    other: '中文',
  },
} as const;

type Text = (typeof GATE_TEXT)[DashboardLang];

const HOUR_FIELDS = ['in', 'out', 'fevers', 'highReadings', 'referrals', 'visitorsIn', 'visitorsOut', 'vehiclesIn', 'vehiclesOut'] as const satisfies readonly (keyof GateHour)[];

export type GatePageData = {
  sites: { id: string; name: string }[];
  day: string;
  view: GateDay | null;
  hits: KeyPersonHit[];
  open: KeyPersonHit[];
};

function query(site: string, day: string, lang: DashboardLang): string {
  return `site=${encodeURIComponent(site)}&day=${encodeURIComponent(day)}&lang=${lang}`;
}

function hitRows(hits: KeyPersonHit[], t: Text, lang: DashboardLang, back: { site: string; day: string }): string {
  return hits
    .map((h) => {
      const who = h.person
        ? `${esc(h.person.name ?? t.unknownName)}${h.person.idNumber ? `<br><code>${esc(h.person.idNumber)}</code>` : ''}`
        : `<span class="warn">${esc(t.purged)}</span>`;
      const lists = h.lists.length > 0 ? h.lists.map(esc).join('<br>') : esc(t.rosterTag);
      const actions = h.actions.length
        ? h.actions.map((a) => `${siteTime(a.at, lang)} <strong>${esc(t.actionWords[a.action] ?? a.action)}</strong>${a.operatorName ? ` · ${esc(a.operatorName)}` : ''}${a.note ? `<br>${esc(a.note)}` : ''}`).join('<hr>')
        : esc(t.none);
      const done = h.followUps.length > 0;
      const notes = h.followUps.map((f) => `${siteTime(f.at, lang)} ${esc(f.by)}: ${esc(f.note)}`).join('<br>');
      const form = `<form method="post" action="/dashboard/gate/follow-up?lang=${lang}" class="inline" data-form="follow-up">
<input type="hidden" name="stationId" value="${esc(h.stationId)}"><input type="hidden" name="passageId" value="${esc(h.passageId)}">
<input type="hidden" name="site" value="${esc(back.site)}"><input type="hidden" name="day" value="${esc(back.day)}">
<input name="note" maxlength="500" required placeholder="${esc(t.followUpNote)}"><button type="submit">${esc(done ? t.addNote : t.markFollowed)}</button></form>`;
      return `<tr class="${done ? 'ok' : 'bad'}" data-hit="${esc(h.passageId)}" data-followed="${done ? 1 : 0}"><td>${siteTime(h.at, lang)}</td><td>${esc(`${h.stationNumber} · ${h.stationName}`)}</td>
<td>${esc(t.directions[h.direction] ?? h.direction)}</td><td>${who}</td><td>${lists}</td><td>${esc(t.levels[h.level] ?? h.level)}</td><td>${esc(h.temperature ? (t.temperatures[h.temperature] ?? h.temperature) : '–')}</td>
<td>${h.operatorName ? esc(h.operatorName) : ''}</td><td class="wrap">${actions}</td><td class="wrap"><strong>${esc(done ? t.followedUp : t.notFollowed)}</strong>${notes ? `<br>${notes}` : ''}${form}</td></tr>`;
    })
    .join('');
}

export function renderGate(data: GatePageData, opts: { lang: DashboardLang; posted?: string | undefined }): string {
  const { lang } = opts;
  const t = GATE_TEXT[lang];
  const other = lang === 'en' ? 'zh-CN' : 'en';
  const view = data.view;
  const postedKey = opts.posted ? (`posted.${opts.posted}` as keyof Text) : null;
  const notice =
    postedKey && postedKey in t ? `<p class="notice ${opts.posted?.endsWith('.ok') ? 'good' : 'bad'}" data-posted="${esc(opts.posted ?? '')}">${esc(String(t[postedKey]))}</p>` : '';
  const siteOptions = data.sites.map((s) => `<option value="${esc(s.id)}"${s.id === view?.siteId ? ' selected' : ''}>${esc(s.name)}</option>`).join('');
  const chooser = `<form method="get" action="/dashboard/gate" class="result" data-form="gate-day"><input type="hidden" name="lang" value="${lang}">
<label>${esc(t.site)} <select name="site">${siteOptions}</select></label><label>${esc(t.day)} <input type="date" name="day" value="${esc(data.day)}" required></label>
<button type="submit">${esc(t.show)}</button></form>`;
  const head = `<header><h1>${esc(t.title)}</h1><span>${view ? `${esc(view.siteName)} · ${esc(view.day)}` : ''}</span><a href="/dashboard?lang=${lang}">${esc(t.back)}</a>
<a href="/dashboard/gate?${view ? query(view.siteId, view.day, other) : `lang=${other}`}">${esc(t.other)}</a></header>`;
  if (!view) {
    return shell(lang, t.title, `${head}<main>${notice}<section class="wide">${chooser}<p>${esc(t.noSites)}</p></section></main>`, false);
  }
  const tot = view.totals;
  const q = query(view.siteId, view.day, lang);
  const count = (field: string, label: string, value: number, cls = '') => `<span class="${cls}">${esc(label)} <strong data-total="${field}">${value}</strong></span>`;
  const totals = `<p class="counts">${count('in', t.in, tot.in)}${count('out', t.out, tot.out)}${count('fevers', t.fevers, tot.fevers, tot.fevers > 0 ? 'bad' : '')}${count('highReadings', t.highReadings, tot.highReadings)}
${count('referrals', t.referrals, tot.referrals, tot.referrals > 0 ? 'bad' : '')}${count('visitorsIn', t.visitorsIn, tot.visitorsIn)}${count('visitorsOut', t.visitorsOut, tot.visitorsOut)}${count('visitorsStaying', t.visitorsStaying, tot.visitorsStaying)}
${count('vehiclesIn', t.vehiclesIn, tot.vehiclesIn)}${count('vehiclesOut', t.vehiclesOut, tot.vehiclesOut)}${count('passengers', t.passengers, tot.passengers)}${count('keyPersonHits', t.keyPersonHits, tot.keyPersonHits, tot.keyPersonHits > 0 ? 'bad' : '')}</p>`;
  const hourRows = view.hours
    .map((h) => {
      const empty = HOUR_FIELDS.every((f) => h[f] === 0);
      const label = `${String(h.hour).padStart(2, '0')}:00–${String(h.hour + 1).padStart(2, '0')}:00`;
      return `<tr class="${empty ? 'unit' : ''}" data-hour="${h.hour}"><td>${label}</td>${HOUR_FIELDS.map((f) => `<td class="n${f === 'fevers' && h[f] > 0 ? ' bad' : ''}" data-field="${f}">${h[f]}</td>`).join('')}</tr>`;
    })
    .join('');
  const totalRow = `<tr data-hour="total"><td><strong>${esc(t.total)}</strong></td>${HOUR_FIELDS.map((f) => `<td class="n" data-field="${f}"><strong>${tot[f]}</strong></td>`).join('')}</tr>`;
  const hourTable = `<table><thead><tr><th>${esc(t.hour)}</th>${HOUR_FIELDS.map((f) => `<th>${esc(t[f])}</th>`).join('')}</tr></thead><tbody>${hourRows}${totalRow}</tbody></table>`;
  const stationRows = view.stations
    .map((s) => `<tr data-station="${esc(s.stationId)}"><td class="n">${s.number}</td><td>${esc(s.name)}</td><td>${esc(s.workplace ? (t.workplaces[s.workplace] ?? s.workplace) : '–')}</td><td class="n">${s.in}</td><td class="n">${s.out}</td></tr>`)
    .join('');
  const referralRows = view.referrals
    .map(
      (r) =>
        `<tr data-referral="${esc(r.passageId)}"><td>${siteTime(r.at, lang)}</td><td>${esc(`${r.stationNumber} · ${r.stationName}`)}</td><td>${esc(r.destination)}</td><td>${esc(r.escort)}</td>
<td class="wrap">${r.note === null ? `<span class="warn">${esc(t.purged)}</span>` : esc(r.note)}</td><td>${r.operatorName ? esc(r.operatorName) : ''}</td></tr>`,
    )
    .join('');
  const hitHead = `<thead><tr><th>${esc(t.at)}</th><th>${esc(t.station)}</th><th>${esc(t.direction)}</th><th>${esc(t.person)}</th><th>${esc(t.lists)}</th><th>${esc(t.verdict)}</th>
<th>${esc(t.temperature)}</th><th>${esc(t.gatekeeper)}</th><th>${esc(t.actions)}</th><th>${esc(t.followUp)}</th></tr></thead>`;
  const back = { site: view.siteId, day: view.day };
  const body = `${head}<main>${notice}<section class="wide">${chooser}</section>
<section class="wide" data-section="gate-totals"><h2>${esc(t.totals)}</h2>${totals}<h2>${esc(t.chart)}</h2>
<img class="chart" src="/dashboard/gate/chart.svg?${esc(q)}" alt="${esc(t.chart)}"></section>
<section class="wide" data-section="gate-hours">${hourTable}</section>
<section data-section="gate-stations"><h2>${esc(t.stations)}</h2><table><thead><tr><th>No.</th><th>${esc(t.station)}</th><th>${esc(t.workplace)}</th><th>${esc(t.in)}</th><th>${esc(t.out)}</th></tr></thead>
<tbody>${stationRows || `<tr><td colspan="5" class="empty">${esc(t.none)}</td></tr>`}</tbody></table></section>
<section data-section="gate-referrals"><h2>${esc(t.referralsTitle)}</h2><table><thead><tr><th>${esc(t.at)}</th><th>${esc(t.station)}</th><th>${esc(t.destination)}</th><th>${esc(t.escort)}</th><th>${esc(t.note)}</th><th>${esc(t.gatekeeper)}</th></tr></thead>
<tbody>${referralRows || `<tr><td colspan="6" class="empty">${esc(t.none)}</td></tr>`}</tbody></table></section>
<section class="wide" data-section="gate-hits"><h2>${esc(t.hitsTitle)}</h2>${
    data.hits.length < tot.keyPersonHits ? `<p class="notice bad" data-hits-cut>${esc(t.hitsCut.replace('{n}', String(tot.keyPersonHits)).replace('{shown}', String(data.hits.length)))}</p>` : ''
  }<table>${hitHead}<tbody>${hitRows(data.hits, t, lang, back) || `<tr><td colspan="10" class="empty">${esc(t.none)}</td></tr>`}</tbody></table></section>
${data.open.length > 0 ? `<section class="wide" data-section="gate-open-hits"><h2>${esc(t.openTitle)}</h2><table>${hitHead}<tbody>${hitRows(data.open, t, lang, back)}</tbody></table></section>` : ''}</main>`;
  // No refresh of its own: a follow-up note being typed would be lost.
  return shell(lang, `${t.title} · ${view.siteName} · ${view.day}`, body, false);
}

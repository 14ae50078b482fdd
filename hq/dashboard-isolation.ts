/**
 * The dashboard's page for a site's home isolation (居家隔离): the households and people in
 * isolation, their day, today's tasks and the overdue ones (from the readings stations took and
 * HQ's bindings), a form to put a household or person in isolation and one to end an isolation.
 * Server-rendered like the rest of the dashboard, no scripts.
 */
import { esc, shell, siteTime, type DashboardLang } from './dashboard';
import type { SiteIsolation } from './domains/isolation';

export const ISOLATION_TEXT = {
  'zh-CN': {
    title: '居家隔离',
    back: '返回看板',
    site: '采样点',
    show: '查看',
    noSites: '还没有采样点。',
    summary: '隔离中 {active} 户/人，今日任务 {today} 项，逾期 {overdue} 项',
    who: '隔离对象',
    persons: '人员',
    days: '起止',
    day: '第几天',
    state: '状态',
    today: '今日任务',
    overdue: '逾期未完成',
    startedBy: '登记',
    actions: '操作',
    none: '暂无',
    states: { upcoming: '未开始', active: '隔离中', completed: '已期满', ended: '已结束' } as Record<string, string>,
    kinds: { sampling: '采样', temperatureMorning: '上午体温', temperatureEvening: '下午体温' } as Record<string, string>,
    statuses: { done: '已完成', pending: '待完成', overdue: '逾期' } as Record<string, string>,
    dayN: '第 {n} 天',
    start: '登记居家隔离',
    household: '住户（如 3-2-502，单人可空）',
    personsField: '人员（每行：身份证号 姓名）',
    reason: '原因',
    startDay: '开始日期（默认今天）',
    untilDay: '截止日期（默认第 14 天）',
    submit: '登记',
    end: '结束',
    endReason: '结束原因',
    posted: {
      'start.ok': '已登记，正在下发到该采样点的各工作站。',
      'end.ok': '已结束，正在下发到该采样点的各工作站。',
      'start.invalid': '请填写原因，并按“身份证号 姓名”每行填写人员。',
      'end.invalid': '请填写结束原因。',
      'isolation.idNumberInvalid': '身份证号不正确（校验位不符）。',
      'isolation.untilBeforeStart': '截止日期不能早于开始日期。',
      'isolation.tooLong': '居家隔离时间过长。',
      'isolation.untilPast': '截止日期已经过去。',
      'isolation.alreadyIsolated': '其中有人已在居家隔离中。',
      'isolation.notFound': '找不到这条隔离记录。',
      'isolation.alreadyEnded': '这条隔离已经结束。',
      'site.unknown': '没有这个采样点。',
    } as Record<string, string>,
    other: 'English',
  },
  en: {
    title: 'Home isolation',
    back: 'Back to the dashboard',
    site: 'Site',
    show: 'Show',
    noSites: 'No sites yet.',
    summary: '{active} in isolation, {today} tasks today, {overdue} overdue',
    who: 'Who',
    persons: 'People',
    days: 'Days',
    day: 'Day',
    state: 'State',
    today: 'Today',
    overdue: 'Overdue',
    startedBy: 'Started by',
    actions: '',
    none: 'None',
    states: { upcoming: 'Not begun', active: 'In isolation', completed: 'Completed', ended: 'Ended' } as Record<string, string>,
    kinds: { sampling: 'sampling', temperatureMorning: 'morning temperature', temperatureEvening: 'evening temperature' } as Record<string, string>,
    statuses: { done: 'done', pending: 'to do', overdue: 'overdue' } as Record<string, string>,
    dayN: 'day {n}',
    start: 'Put in home isolation',
    household: 'Household (e.g. 3-2-502; may be empty for one person)',
    personsField: 'People (a line each: ID number, name)',
    reason: 'Reason',
    startDay: 'First day (default today)',
    untilDay: 'Last day (default the 14th day)',
    submit: 'Start',
    end: 'End',
    endReason: 'Reason to end',
    posted: {
      'start.ok': 'Started; on its way to the site’s stations.',
      'end.ok': 'Ended; on its way to the site’s stations.',
      'start.invalid': 'Give a reason, and the people a line each: ID number, name.',
      'end.invalid': 'Give a reason to end it.',
      'isolation.idNumberInvalid': 'An ID number is not valid (its check character is wrong).',
      'isolation.untilBeforeStart': 'The last day comes before the first.',
      'isolation.tooLong': 'That isolation is too long.',
      'isolation.untilPast': 'The last day is over already.',
      'isolation.alreadyIsolated': 'Someone named is in home isolation already.',
      'isolation.notFound': 'This isolation was not found.',
      'isolation.alreadyEnded': 'This isolation was ended already.',
      'site.unknown': 'No such site.',
    } as Record<string, string>,
    other: '中文',
  },
} as const;

export type IsolationPageData = { sites: { id: string; name: string }[]; siteId: string | null; isolations: SiteIsolation[] };

const words = (text: string, values: Record<string, string | number>): string => esc(text).replace(/\{(\w+)\}/g, (m, k: string) => (k in values ? esc(String(values[k])) : m));

export function renderIsolation(data: IsolationPageData, opts: { lang: DashboardLang; posted?: string | undefined }): string {
  const { lang } = opts;
  const t = ISOLATION_TEXT[lang];
  const other = lang === 'en' ? 'zh-CN' : 'en';
  const site = data.sites.find((s) => s.id === data.siteId);
  const q = site ? `site=${encodeURIComponent(site.id)}&` : '';
  const head = `<header><h1>${esc(t.title)}</h1><span>${site ? esc(site.name) : ''}</span><a href="/dashboard?lang=${lang}">${esc(t.back)}</a><a href="/dashboard/isolation?${q}lang=${other}">${esc(t.other)}</a></header>`;
  const siteOptions = data.sites.map((s) => `<option value="${esc(s.id)}"${s.id === data.siteId ? ' selected' : ''}>${esc(s.name)}</option>`).join('');
  const chooser = `<section class="wide"><form method="get" action="/dashboard/isolation" class="result" data-form="isolation-site"><input type="hidden" name="lang" value="${lang}">
<label>${esc(t.site)} <select name="site">${siteOptions}</select></label><button type="submit">${esc(t.show)}</button></form></section>`;
  if (!site) return shell(lang, t.title, `${head}<main>${chooser}<section class="wide"><p>${esc(t.noSites)}</p></section></main>`, false);
  const posted = opts.posted ? `<p class="notice ${opts.posted.endsWith('.ok') ? 'good' : 'bad'}" data-posted="${esc(opts.posted)}">${esc(t.posted[opts.posted] ?? opts.posted)}</p>` : '';
  const task = (x: SiteIsolation['today'][number]) =>
    `<span class="${x.status === 'overdue' ? 'bad' : x.status === 'done' ? 'good' : ''}" data-task="${esc(x.kind)}" data-status="${x.status}">${esc(x.name)} ${words(t.dayN, { n: x.dayNumber })} ${esc(t.kinds[x.kind] ?? x.kind)}：${esc(t.statuses[x.status] ?? x.status)}</span>`;
  const active = data.isolations.filter((i) => i.state === 'active');
  const todayCount = active.reduce((n, i) => n + i.today.length, 0);
  const overdueCount = active.reduce((n, i) => n + i.overdue.length + i.today.filter((x) => x.status === 'overdue').length, 0);
  const rows = data.isolations
    .map((i) => {
      const end =
        i.state === 'ended'
          ? `${esc(i.ended?.reason ?? '')}<br>${i.ended ? siteTime(i.ended.at, lang) : ''}`
          : `<form method="post" action="/dashboard/isolation/end?lang=${lang}" class="inline" data-form="isolation-end"><input type="hidden" name="site" value="${esc(site.id)}"><input type="hidden" name="isolationId" value="${esc(i.id)}">
<input name="reason" required maxlength="200" placeholder="${esc(t.endReason)}"><button type="submit">${esc(t.end)}</button></form>`;
      return `<tr data-isolation="${esc(i.id)}" data-state="${i.state}" class="${i.overdue.length > 0 ? 'bad' : ''}"><td>${esc(i.household || '—')}</td><td>${i.persons.map((p) => `${esc(p.name)} <code>${esc(p.maskedIdNumber)}</code>`).join('<br>')}</td>
<td>${esc(i.startDay)} – ${esc(i.untilDay)}</td><td class="n" data-day>${i.dayNumber ?? ''}</td><td>${esc(t.states[i.state] ?? i.state)}</td><td class="wrap" data-today>${i.today.map(task).join('<br>')}</td>
<td class="wrap" data-overdue="${i.overdue.length}">${i.overdue.map(task).join('<br>')}</td><td>${esc(i.startedBy)}<br>${esc(i.reason)}</td><td>${end}</td></tr>`;
    })
    .join('');
  const form = `<section class="wide"><h2>${esc(t.start)}</h2><form method="post" action="/dashboard/isolation/start?lang=${lang}" class="result" data-form="isolation-start"><input type="hidden" name="site" value="${esc(site.id)}">
<label>${esc(t.household)} <input name="household" maxlength="64"></label><label>${esc(t.personsField)} <textarea name="persons" rows="3" required></textarea></label>
<label>${esc(t.reason)} <input name="reason" required maxlength="200"></label><label>${esc(t.startDay)} <input type="date" name="startDay"></label><label>${esc(t.untilDay)} <input type="date" name="untilDay"></label>
<button type="submit">${esc(t.submit)}</button></form></section>`;
  const body = `${head}<main>${chooser}${posted}
<section class="wide" data-section="isolation-list"><h2>${words(t.summary, { active: active.length, today: todayCount, overdue: overdueCount })}</h2><table><thead><tr><th>${esc(t.who)}</th><th>${esc(t.persons)}</th><th>${esc(t.days)}</th>
<th>${esc(t.day)}</th><th>${esc(t.state)}</th><th>${esc(t.today)}</th><th>${esc(t.overdue)}</th><th>${esc(t.startedBy)}</th><th>${esc(t.actions)}</th></tr></thead>
<tbody>${rows || `<tr><td colspan="9" class="empty">${esc(t.none)}</td></tr>`}</tbody></table></section>${form}</main>`;
  // No reload of its own: it holds forms, and staff typing in one would lose it.
  return shell(lang, `${t.title} · ${site.name}`, body, false);
}

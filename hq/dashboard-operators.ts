/**
 * The dashboard's page for a site's operators: who may sign in at the site's stations, with what
 * role; add one, change a role, set a new PIN, disable, enable, unlock. Server-rendered like the
 * rest of the dashboard; a PIN typed here is hashed at once and never shown or kept.
 */
import { ROLES, type Role } from '../electron/api/operators';
import { esc, shell, siteTime, type DashboardLang } from './dashboard';
import type { SiteOperator } from './domains/operators';

const ROLE_WORDS: Record<DashboardLang, Record<Role, string>> = {
  'zh-CN': { collector: '信息采集员', sampler: '采样员', gatekeeper: '值守人员', transporter: '转运人员', admin: '站点管理员' },
  en: { collector: 'information collector', sampler: 'sampler', gatekeeper: 'gate keeper', transporter: 'transporter', admin: 'site admin' },
};

export const OPERATOR_TEXT = {
  'zh-CN': {
    title: '操作员',
    back: '返回看板',
    site: '采样点',
    name: '姓名',
    code: '工号',
    badge: '工牌号',
    role: '角色',
    state: '状态',
    madeAt: '创建于',
    updated: '最近变更',
    hq: '总部',
    station: '采样台',
    ok: '正常',
    disabled: '已停用',
    lockedOut: 'PIN 错误过多，已锁定',
    noPin: '未设 PIN',
    none: '还没有操作员',
    add: '添加操作员',
    pin: 'PIN（6–12 位数字）',
    pinAgain: '再次输入 PIN',
    submit: '添加',
    change: '改角色',
    newPin: '新 PIN',
    setPin: '设置新 PIN',
    disable: '停用',
    enable: '启用',
    unlock: '解锁',
    explain: '操作员下发到本采样点的所有采样台；PIN 只以加密摘要保存和下发，任何人都看不到。',
    noSites: '还没有采样点：先生成一个登记码（station hq code --site-name）。',
    'posted.operator.ok': '已保存，将下发到该采样点的所有采样台。',
    'posted.operator.invalid': '请完整填写：姓名、工号、角色和两次相同的 PIN。',
    'posted.pin.mismatch': '两次输入的 PIN 不一致。',
    'posted.site.unknown': '没有这个采样点。',
    'posted.operator.unknown': '没有这个工号的操作员。',
    'posted.operator.codeTaken': '该工号已被本采样点的其他操作员使用。',
    'posted.operator.codeInvalid': '工号只能由字母、数字、- 或 _ 组成，最多 32 位。',
    'posted.operator.badgeTaken': '该工牌已登记给本采样点的其他操作员。',
    'posted.operator.badgeInvalid': '工牌号与本采样点的工牌格式不符。',
    'posted.operator.nameInvalid': '姓名不能为空，最多 50 个字。',
    'posted.pin.tooShort': 'PIN 至少 6 位数字。',
    'posted.pin.tooLong': 'PIN 最多 12 位数字。',
    'posted.pin.notDigits': 'PIN 只能是数字。',
    'posted.pin.tooCommon': '这个 PIN 太容易被猜到（重复、顺序或常见数字），请换一个。',
  },
  en: {
    title: 'Operators',
    back: 'Back to the dashboard',
    site: 'Site',
    name: 'Name',
    code: 'Staff code',
    badge: 'Badge',
    role: 'Role',
    state: 'State',
    madeAt: 'Made at',
    updated: 'Last change',
    hq: 'HQ',
    station: 'station',
    ok: 'active',
    disabled: 'disabled',
    lockedOut: 'locked after wrong PINs',
    noPin: 'no PIN',
    none: 'No operators yet',
    add: 'Add an operator',
    pin: 'PIN (6 to 12 digits)',
    pinAgain: 'PIN again',
    submit: 'Add',
    change: 'Change role',
    newPin: 'New PIN',
    setPin: 'Set the new PIN',
    disable: 'Disable',
    enable: 'Enable',
    unlock: 'Unlock',
    explain: 'Operators go to every station of the site; a PIN is kept and sent only as a one-way hash nobody can read back.',
    noSites: 'No sites yet: make an enrollment code first (station hq code --site-name).',
    'posted.operator.ok': 'Saved; every station of the site receives it.',
    'posted.operator.invalid': 'Fill in the name, staff code, role and the same PIN twice.',
    'posted.pin.mismatch': 'The two PINs differ.',
    'posted.site.unknown': 'No such site.',
    'posted.operator.unknown': 'No operator has that staff code.',
    'posted.operator.codeTaken': 'Another operator of the site has that staff code.',
    'posted.operator.codeInvalid': 'A staff code is letters, digits, - or _, up to 32 of them.',
    'posted.operator.badgeTaken': 'That badge is registered to another operator of the site.',
    'posted.operator.badgeInvalid': 'That badge number does not fit the site’s badge pattern.',
    'posted.operator.nameInvalid': 'A name is 1 to 50 characters.',
    'posted.pin.tooShort': 'A PIN has at least 6 digits.',
    'posted.pin.tooLong': 'A PIN has at most 12 digits.',
    'posted.pin.notDigits': 'A PIN is digits only.',
    'posted.pin.tooCommon': 'That PIN is too easy to guess (a repeat, a sequence or a common number); choose another.',
  },
} as const;

type Key = keyof (typeof OPERATOR_TEXT)['en'];

export function renderOperators(
  data: { sites: { id: string; name: string }[]; siteId: string | null; operators: SiteOperator[] },
  opts: { lang: DashboardLang; posted?: string | undefined },
): string {
  const { lang } = opts;
  const t = (k: Key): string => OPERATOR_TEXT[lang][k];
  const roles = ROLE_WORDS[lang];
  const site = data.sites.find((s) => s.id === data.siteId) ?? null;
  const base = site ? `/dashboard/operators/${encodeURIComponent(site.id)}` : '/dashboard/operators';
  const postedKey = opts.posted ? (`posted.${opts.posted}` as Key) : null;
  const notice = postedKey && postedKey in OPERATOR_TEXT[lang] ? `<p class="notice ${opts.posted?.endsWith('.ok') ? 'good' : 'bad'}" data-posted="${esc(opts.posted ?? '')}">${esc(t(postedKey))}</p>` : '';
  const siteLinks = data.sites
    .map((s) => (s.id === site?.id ? `<strong>${esc(s.name)}</strong>` : `<a href="/dashboard/operators/${encodeURIComponent(s.id)}?lang=${lang}">${esc(s.name)}</a>`))
    .join(' · ');
  const roleOptions = (selected: Role) => ROLES.map((r) => `<option value="${r}"${r === selected ? ' selected' : ''}>${esc(roles[r])}</option>`).join('');
  const state = (o: SiteOperator) =>
    o.disabled ? `<span class="bad">${esc(t('disabled'))}</span>` : o.lockedOut ? `<span class="bad">${esc(t('lockedOut'))}</span>` : o.hasPin ? esc(t('ok')) : esc(t('noPin'));
  const form = (action: string, fields: string, label: string) =>
    `<form method="post" action="${base}/${action}?lang=${lang}" class="inline">${fields}<button type="submit">${esc(label)}</button></form>`;
  const code = (o: SiteOperator) => `<input type="hidden" name="code" value="${esc(o.code)}">`;
  const rows = data.operators
    .map(
      (o) => `<tr data-operator="${esc(o.code)}"><td>${esc(o.name)}</td><td>${esc(o.code)}</td><td>${esc(o.badge ?? '–')}</td><td>${esc(roles[o.role])}</td><td>${state(o)}</td>
<td>${esc(o.stationId ? t('station') : t('hq'))}</td><td>${siteTime(o.updatedAt, lang)}</td>
<td>${form('role', `${code(o)}<select name="role">${roleOptions(o.role)}</select>`, t('change'))}
${form('pin', `${code(o)}<input type="password" name="pin" inputmode="numeric" autocomplete="new-password" required maxlength="12" placeholder="${esc(t('newPin'))}"><input type="password" name="pinAgain" inputmode="numeric" autocomplete="new-password" required maxlength="12" placeholder="${esc(t('pinAgain'))}">`, t('setPin'))}
${o.lockedOut ? form('unlock', code(o), t('unlock')) : ''}${form(o.disabled ? 'enable' : 'disable', code(o), o.disabled ? t('enable') : t('disable'))}</td></tr>`,
    )
    .join('');
  const table = site
    ? `<section class="wide" data-section="operators"><h2>${esc(site.name)}</h2><p>${esc(t('explain'))}</p><table><thead><tr><th>${esc(t('name'))}</th><th>${esc(t('code'))}</th><th>${esc(t('badge'))}</th>
<th>${esc(t('role'))}</th><th>${esc(t('state'))}</th><th>${esc(t('madeAt'))}</th><th>${esc(t('updated'))}</th><th></th></tr></thead>
<tbody>${rows || `<tr><td colspan="8" class="empty">${esc(t('none'))}</td></tr>`}</tbody></table></section>
<section class="wide"><h2>${esc(t('add'))}</h2><form method="post" action="${base}?lang=${lang}" class="result" data-form="operator-add">
<label>${esc(t('name'))} <input name="name" required maxlength="50" autocomplete="off"></label><label>${esc(t('code'))} <input name="code" required maxlength="32" pattern="[A-Za-z0-9_\\-]{1,32}" autocomplete="off"></label>
<label>${esc(t('role'))} <select name="role">${roleOptions('collector')}</select></label><label>${esc(t('badge'))} <input name="badge" maxlength="64" autocomplete="off"></label>
<label>${esc(t('pin'))} <input type="password" name="pin" inputmode="numeric" autocomplete="new-password" required maxlength="12"></label>
<label>${esc(t('pinAgain'))} <input type="password" name="pinAgain" inputmode="numeric" autocomplete="new-password" required maxlength="12"></label>
<button type="submit">${esc(t('submit'))}</button></form></section>`
    : `<section class="wide"><p>${esc(data.sites.length === 0 ? t('noSites') : t('site'))}</p></section>`;
  const body = `<header><h1>${esc(t('title'))}</h1><span>${siteLinks}</span><a href="/dashboard?lang=${lang}">${esc(t('back'))}</a></header><main>${notice}${table}</main>`;
  return shell(lang, `${t('title')}${site ? ` · ${site.name}` : ''}`, body, false);
}

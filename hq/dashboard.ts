/**
 * HQ's dashboard: server-rendered HTML, no scripts, no external assets (the CSP allows only the
 * same-origin stylesheet), Simplified Chinese by default and English with `?lang=en`. It
 * refreshes itself every 30 s with a meta refresh.
 */
import type { DashboardData } from './store/types';

export type DashboardLang = 'zh-CN' | 'en';

const TEXT = {
  'zh-CN': {
    title: '总部看板',
    refreshed: '更新时间',
    today: '今日',
    stations: '采样台',
    station: '采样台',
    site: '采样点',
    lastContact: '最后联系',
    acked: '已确认序号',
    head: '本地序号',
    lag: '待上传',
    conflicts: '冲突',
    rejected: '被拒记录',
    chainBroken: '该采样台的记录链与总部所存不符（有记录被改动、删除或调换顺序），其上传已被拒收，请立即核查',
    hqFingerprint: '总部密钥指纹（与接入码末段一致）',
    never: '从未',
    sitesToday: '今日各采样点',
    people: '人数',
    tubes: '管数',
    boxes: '箱数',
    round: '轮次',
    rate: '覆盖率（未采样）',
    positives: '阳性管及复检',
    tube: '管码',
    resultAt: '结果时间',
    members: '混管人员',
    retested: '已单采复检',
    open: '待复检',
    closed: '已闭环',
    none: '暂无',
    postResult: '录入检测结果',
    result: '结果',
    negative: '阴性',
    positive: '阳性',
    invalid: '无效',
    submit: '提交',
    'posted.ok': '结果已录入，将下发到采样台。',
    'posted.tube.unknown': '总部没有这个管码的记录。',
    'posted.invalid': '请填写管码并选择结果。',
    login: '登录',
    token: '管理令牌',
    loginFailed: '令牌不正确。',
    conflictsTitle: '重复管码（多个采样台使用同一管码）',
    conflictTubes: '使用该管码的采样台',
    detected: '发现时间',
    status: '状态',
    unresolved: '待处理：结果暂不下发',
    resolvedAs: '已认定为',
    resolve: '认定',
    note: '说明',
    stationEdit: '采样台编号与名称',
    number: '编号',
    name: '名称',
    save: '保存',
    'posted.tube.ambiguous': '该管码在多个采样台使用过，请先在“重复管码”中认定是哪一支管，再录入结果。',
    'posted.station.ok': '已保存，采样台将在下次同步时更新。',
    'posted.station.revoked': '已吊销：该采样台此后上传的数据和请求都会被拒绝，其屏幕会提示联系总部。',
    'posted.station.revokeUnconfirmed': '未吊销：请在确认框中输入 REVOKE。',
    stationRevoke: '吊销采样台（丢失、被盗或停用）',
    revokeConfirm: '输入 REVOKE 确认',
    revoke: '吊销',
    revokedOn: '已于 {time} 吊销',
    relinkedOn: '已于 {time} 重新接入',
    oldHqKey: '仍信任总部旧密钥',
    rotation: '总部密钥更换中（{time} 起）：旧密钥 {previous} 仍为尚未更新的采样台作保。{count} 个采样台尚未确认新密钥；全部更新后执行 station hq key retire 停用旧密钥。',
    'posted.station.numberTaken': '该编号已被本采样点的其他采样台使用过，请换一个编号。',
    'posted.station.unknown': '没有这个采样台。',
    'posted.station.invalid': '编号须为 1–999，名称 1–60 个字。',
    'posted.conflict.ok': '已认定，结果将只发给这支管的人员。',
    'posted.conflict.invalid': '请选择采样台并填写说明。',
    'posted.conflict.unknown': '没有这个重复管码或该采样台没有使用它。',
    roundsTitle: '轮次',
    operators: '操作员',
    gate: '卡点通行',
    boxesPage: '转运箱',
    isolationPage: '居家隔离',
    lab: '实验室接收',
    resultImport: '导入检测结果',
    startedAt: '开始时间',
    roundStart: '开始新一轮',
    roundName: '轮次名称',
    startsOn: '开始日期',
    endsOn: '结束日期',
    startedBy: '开始于',
    closeRound: '结束本轮',
    openNow: '进行中',
    closedAt: '已结束',
    noOpenRound: '无进行中的轮次',
    'posted.round.started': '已开始新一轮，将下发到该采样点的所有采样台。',
    'posted.round.closedOk': '已结束该轮次。',
    'posted.round.invalid': '请选择采样点并填写轮次名称（日期格式 YYYY-MM-DD）。',
    'posted.round.datesInvalid': '结束日期早于开始日期。',
    'posted.round.unknown': '没有这个轮次。',
    'posted.round.closed': '该轮次已经结束。',
    'posted.site.unknown': '没有这个采样点。',
    rosterTitle: '居民台账',
    rosterResidents: '居民',
    rosterFile: '台账文件',
    rosterSource: '来源',
    rosterApplied: '启用时间',
    rosterNone: '无台账',
    rosterUpload: '导入台账（.xlsx 或 .csv）',
    rosterEncoding: '编码',
    rosterAuto: '自动识别',
    rosterCheck: '读取并检查',
    rosterFromHq: '总部导入',
    rosterFromStation: '采样台导入',
    rosterRecent: '最近导入',
    'posted.roster.applied': '台账已启用，将下发到该采样点的所有采样台。',
    'posted.roster.discarded': '未导入。',
    'posted.roster.invalid': '请选择采样点和文件。',
    'posted.roster.tooLarge': '文件太大。',
    'posted.roster.unknown': '没有这次导入。',
    'posted.roster.notReady': '这次导入现在不能这样操作。',
    other: 'English',
  },
  en: {
    title: 'HQ dashboard',
    refreshed: 'Updated',
    today: 'Today',
    stations: 'Stations',
    station: 'Station',
    site: 'Site',
    lastContact: 'Last contact',
    acked: 'Acked through',
    head: 'Station head',
    lag: 'Waiting',
    conflicts: 'Conflicts',
    rejected: 'Rejected',
    chainBroken: 'This station’s record chain does not match what HQ holds (a record was changed, deleted or moved); its uploads are refused. Look into it now',
    hqFingerprint: 'HQ key fingerprint (the end of every enrollment code)',
    never: 'never',
    sitesToday: 'Sites today',
    people: 'People',
    tubes: 'Tubes',
    boxes: 'Boxes',
    round: 'Round',
    rate: 'Coverage (not yet)',
    positives: 'Positive tubes and re-tests',
    tube: 'Tube',
    resultAt: 'Result at',
    members: 'Members',
    retested: 'Re-tested alone',
    open: 'open',
    closed: 'closed',
    none: 'none yet',
    postResult: 'Post a tube result',
    result: 'Result',
    negative: 'negative',
    positive: 'positive',
    invalid: 'invalid',
    submit: 'Submit',
    'posted.ok': 'Result recorded; stations will receive it.',
    'posted.tube.unknown': 'HQ has no record of this tube code.',
    'posted.invalid': 'Enter a tube code and choose a result.',
    login: 'Sign in',
    token: 'Admin token',
    loginFailed: 'Wrong token.',
    conflictsTitle: 'Tube codes opened at more than one station',
    conflictTubes: 'Opened at',
    detected: 'Detected',
    status: 'Status',
    unresolved: 'to resolve: results held back',
    resolvedAs: 'means the tube of',
    resolve: 'Resolve',
    note: 'Note',
    stationEdit: 'Station number and name',
    number: 'No.',
    name: 'Name',
    save: 'Save',
    'posted.tube.ambiguous': 'This tube code was opened at more than one station: resolve it under “Tube codes opened at more than one station” first.',
    'posted.station.ok': 'Saved; the station takes it at its next sync.',
    'posted.station.revoked': 'Revoked: everything this station sends from now on is refused, and its screen tells staff to contact HQ.',
    'posted.station.revokeUnconfirmed': 'Not revoked: type REVOKE in the confirmation box.',
    stationRevoke: 'Revoke a station (lost, stolen or retired)',
    revokeConfirm: 'Type REVOKE to confirm',
    revoke: 'Revoke',
    revokedOn: 'revoked on {time}',
    relinkedOn: 're-linked on {time}',
    oldHqKey: 'still trusts the previous HQ key',
    rotation: 'HQ key change under way (since {time}): the previous key {previous} still vouches for the new one to stations that have not moved. {count} stations have not confirmed the new key; once they have, retire the previous key with station hq key retire.',
    'posted.station.numberTaken': 'Another station of this site has (or had) that number; choose another.',
    'posted.station.unknown': 'No such station.',
    'posted.station.invalid': 'The number must be 1–999 and the name 1–60 characters.',
    'posted.conflict.ok': 'Resolved: results go to the members of that tube only.',
    'posted.conflict.invalid': 'Choose a station and write a note.',
    'posted.conflict.unknown': 'No such conflict, or that station did not open the code.',
    roundsTitle: 'Rounds',
    operators: 'Operators',
    gate: 'Gate passages',
    boxesPage: 'Boxes',
    isolationPage: 'Home isolation',
    lab: 'Lab receipt',
    resultImport: 'Import lab results',
    startedAt: 'Started',
    roundStart: 'Start a round',
    roundName: 'Round name',
    startsOn: 'Starts on',
    endsOn: 'Ends on',
    startedBy: 'Started by',
    closeRound: 'Close',
    openNow: 'open',
    closedAt: 'closed',
    noOpenRound: 'no round open',
    'posted.round.started': 'Round started; every station of the site receives it.',
    'posted.round.closedOk': 'Round closed.',
    'posted.round.invalid': 'Choose a site and name the round (dates as YYYY-MM-DD).',
    'posted.round.datesInvalid': 'The end date is before the start date.',
    'posted.round.unknown': 'No such round.',
    'posted.round.closed': 'That round is already closed.',
    'posted.site.unknown': 'No such site.',
    rosterTitle: 'Resident rosters',
    rosterResidents: 'Residents',
    rosterFile: 'File',
    rosterSource: 'From',
    rosterApplied: 'In use since',
    rosterNone: 'no roster',
    rosterUpload: 'Import a ledger (.xlsx or .csv)',
    rosterEncoding: 'Encoding',
    rosterAuto: 'detect',
    rosterCheck: 'Read and check',
    rosterFromHq: 'HQ',
    rosterFromStation: 'a station',
    rosterRecent: 'Recent imports',
    'posted.roster.applied': 'Roster in use; every station of the site receives it.',
    'posted.roster.discarded': 'Not imported.',
    'posted.roster.invalid': 'Choose a site and a file.',
    'posted.roster.tooLarge': 'The file is too large.',
    'posted.roster.unknown': 'No such import.',
    'posted.roster.notReady': 'That import cannot do that now.',
    other: '中文',
  },
} as const;

type Key = keyof (typeof TEXT)['en'];

export function esc(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A time as staff read it: site time (UTC+8), without the year in Chinese. */
export function siteTime(iso: string, lang: DashboardLang): string {
  const d = new Date(Date.parse(iso) + 8 * 3600_000);
  return esc(`${d.toISOString().slice(lang === 'en' ? 0 : 5, 10)} ${d.toISOString().slice(11, 19)}`);
}

function time(iso: string | null, lang: DashboardLang, t: (k: Key) => string): string {
  return iso ? siteTime(iso, lang) : t('never');
}

/** `refresh`: seconds until the page reloads itself (true: 30), none when false. */
export function shell(lang: DashboardLang, title: string, body: string, refresh: boolean | number): string {
  const seconds = refresh === true ? 30 : refresh === false ? 0 : refresh;
  return `<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
${seconds > 0 ? `<meta http-equiv="refresh" content="${seconds}">` : ''}<title>${esc(title)}</title><link rel="stylesheet" href="/dashboard.css"></head>
<body>${body}</body></html>`;
}

export function renderLogin(lang: DashboardLang, failed: boolean): string {
  const t = (k: Key): string => TEXT[lang][k];
  return shell(
    lang,
    t('title'),
    `<main class="login"><h1>${esc(t('title'))}</h1>${failed ? `<p class="notice bad">${esc(t('loginFailed'))}</p>` : ''}
<form method="post" action="/login?lang=${lang}"><label>${esc(t('token'))} <input type="password" name="token" autocomplete="current-password" required></label>
<button type="submit">${esc(t('login'))}</button></form></main>`,
    false,
  );
}

export function renderDashboard(
  data: DashboardData,
  opts: { lang: DashboardLang; now: number; posted?: string; fingerprint?: string; rotation?: { previousFingerprint: string; at: string } | null },
): string {
  const { lang } = opts;
  const t = (k: Key): string => TEXT[lang][k];
  /** `t` with `{name}` filled in (values escaped here; the text itself is the dashboard's own). */
  const tf = (k: Key, values: Record<string, string | number>): string => esc(t(k)).replace(/\{(\w+)\}/g, (m, name: string) => (name in values ? String(values[name]) : m));
  const groups = (fingerprint: string) => fingerprint.replace(/(.{5})(?=.)/g, '$1-');
  // During a rotation: stations (not revoked) that have not said they trust the current key.
  const onOldKey = (s: DashboardData['stations'][number]) => Boolean(opts.rotation) && s.revokedAt === null && s.hqKey !== (opts.fingerprint ?? null);
  const nowIso = new Date(opts.now).toISOString();
  const other = lang === 'en' ? 'zh-CN' : 'en';

  const stationRows = data.stations
    .map((s) => {
      const lag = Math.max(0, s.headSeq - s.ackedThrough);
      const stale = !s.lastContactAt || opts.now - Date.parse(s.lastContactAt) > 15 * 60_000;
      const badges = [
        s.revokedAt ? `<span class="badge bad" data-revoked="${esc(s.id)}">${tf('revokedOn', { time: siteTime(s.revokedAt, lang) })}</span>` : '',
        !s.revokedAt && s.relinkedAt ? `<span class="badge" data-relinked="${esc(s.id)}">${tf('relinkedOn', { time: siteTime(s.relinkedAt, lang) })}</span>` : '',
        onOldKey(s) ? `<span class="badge warn" data-old-hq-key="${esc(s.id)}">${esc(t('oldHqKey'))}</span>` : '',
      ].join('');
      return `<tr class="${s.revokedAt ? 'revoked' : stale ? 'warn' : ''}"><td class="n">${s.number}</td><td>${esc(s.name)}${badges}</td><td>${esc(s.siteName)}</td><td>${time(s.lastContactAt, lang, t)}</td>
<td class="n">${s.ackedThrough}</td><td class="n">${s.headSeq}</td><td class="n ${lag > 0 ? 'warn' : ''}">${lag}</td>
<td class="n ${s.conflicts > 0 ? 'bad' : ''}">${s.conflicts}</td><td class="n ${s.rejected > 0 ? 'bad' : ''}">${s.rejected}</td></tr>${
        s.chainError ? `<tr class="bad" data-chain-error="${esc(s.id)}"><td colspan="9">${esc(t('chainBroken'))} (${esc(s.chainError)})</td></tr>` : ''
      }`;
    })
    .join('');
  const siteRows = data.sites
    .map((s) => `<tr><td>${esc(s.siteName)}</td><td class="n">${s.people}</td><td class="n">${s.tubes}</td><td class="n">${s.boxes}</td></tr>`)
    .join('');

  const positiveRows = data.positives
    .map((p) => {
      const done = p.members > 0 && p.retested >= p.members;
      return `<tr class="${done ? 'ok' : 'bad'}"><td>${esc(p.tubeCode)}</td><td>${esc(p.siteName)}</td><td>${time(p.at, lang, t)}</td>
<td class="n">${p.members}</td><td class="n">${p.retested}</td><td>${esc(done ? t('closed') : `${t('open')} ${p.members - p.retested}`)}</td></tr>`;
    })
    .join('');
  const options = (stations: DashboardData['stations']) => stations.map((s) => `<option value="${esc(s.id)}">${esc(`${s.siteName} · ${s.number} · ${s.name}`)}</option>`).join('');
  // A revoked station cannot be revoked again: only the others are offered.
  const revocable = data.stations.filter((s) => s.revokedAt === null);
  const revokeForm = revocable.length
    ? `<form method="post" action="/dashboard/stations/revoke?lang=${lang}" class="result" data-form="revoke"><strong>${esc(t('stationRevoke'))}</strong>
<select name="stationId">${options(revocable)}</select><label>${esc(t('revokeConfirm'))} <input name="confirm" maxlength="10" size="8" required></label><button type="submit">${esc(t('revoke'))}</button></form>`
    : '';
  const stationForm = data.stations.length
    ? `<form method="post" action="/dashboard/stations?lang=${lang}" class="result"><strong>${esc(t('stationEdit'))}</strong>
<select name="stationId">${options(data.stations)}</select><label>${esc(t('number'))} <input name="number" inputmode="numeric" pattern="[0-9]{1,3}" size="4"></label>
<label>${esc(t('name'))} <input name="name" maxlength="60"></label><button type="submit">${esc(t('save'))}</button></form>
${revokeForm}`
    : '';
  const conflictRows = data.tubeConflicts
    .map((c) => {
      const tubes = c.tubes.map((x) => `${esc(x.stationName)} (${x.stationNumber}) ${time(x.openedAt, lang, t)}`).join('<br>');
      const chosen = c.resolved ? c.tubes.find((x) => x.stationId === c.resolved?.stationId && x.tubeId === c.resolved.tubeId) : undefined;
      const status = chosen ? `${esc(t('resolvedAs'))} ${esc(chosen.stationName)}: ${esc(c.resolved?.note ?? '')}` : esc(t('unresolved'));
      const options = c.tubes.map((x) => `<option value="${esc(x.stationId)}">${esc(`${x.stationNumber} · ${x.stationName}`)}</option>`).join('');
      const form = `<form method="post" action="/dashboard/conflicts?lang=${lang}" class="inline"><input type="hidden" name="code" value="${esc(c.code)}">
<select name="stationId">${options}</select><input name="note" maxlength="500" placeholder="${esc(t('note'))}" required><button type="submit">${esc(t('resolve'))}</button></form>`;
      return `<tr class="${chosen ? 'ok' : 'bad'}"><td>${esc(c.code)}</td><td>${tubes}</td><td>${time(c.detectedAt, lang, t)}</td><td>${status}</td><td>${form}</td></tr>`;
    })
    .join('');
  const conflictSection = data.tubeConflicts.length
    ? `<section class="wide" data-section="conflicts"><h2>${esc(t('conflictsTitle'))}</h2><table><thead><tr><th>${esc(t('tube'))}</th><th>${esc(t('conflictTubes'))}</th>
<th>${esc(t('detected'))}</th><th>${esc(t('status'))}</th><th></th></tr></thead><tbody>${conflictRows}</tbody></table></section>`
    : '';
  const roundRowsHtml = data.siteRounds
    .map((r) => {
      const dates = r.startsOn || r.endsOn ? `${r.startsOn ?? '…'} – ${r.endsOn ?? '…'}` : '';
      const state = r.closedAt
        ? `${esc(t('closedAt'))} ${time(r.closedAt, lang, t)}`
        : `${esc(t('openNow'))} <form method="post" action="/dashboard/rounds/close?lang=${lang}" class="inline"><input type="hidden" name="roundId" value="${esc(r.roundId)}"><button type="submit">${esc(t('closeRound'))}</button></form>`;
      const c = r.coverage;
      const covered = c && c.residents > 0 ? `${((100 * (c.tested + c.exempt)) / c.residents).toFixed(1)}% (${c.residents - c.tested - c.exempt})` : '–';
      return `<tr class="${r.closedAt ? '' : 'ok'}"><td>${esc(r.siteName)}</td><td><a href="/dashboard/coverage/${encodeURIComponent(r.roundId)}?lang=${lang}">${esc(r.name)}</a></td><td>${esc(dates)}</td><td>${esc(r.startedBy)}</td><td>${time(r.startedAt, lang, t)}</td><td class="n">${esc(covered)}</td><td>${state}</td></tr>`;
    })
    .join('');
  const siteOptions = data.sites.map((x) => `<option value="${esc(x.siteId)}">${esc(x.siteName)}</option>`).join('');
  const roundSection = `<section class="wide" data-section="rounds"><h2>${esc(t('roundsTitle'))}</h2><table><thead><tr><th>${esc(t('site'))}</th><th>${esc(t('roundName'))}</th>
<th>${esc(t('startsOn'))} – ${esc(t('endsOn'))}</th><th>${esc(t('startedBy'))}</th><th>${esc(t('startedAt'))}</th><th>${esc(t('rate'))}</th><th></th></tr></thead><tbody>${roundRowsHtml || `<tr><td colspan="7" class="empty">${esc(t('none'))}</td></tr>`}</tbody></table>
<form method="post" action="/dashboard/rounds?lang=${lang}" class="result"><strong>${esc(t('roundStart'))}</strong><select name="siteId">${siteOptions}</select>
<label>${esc(t('roundName'))} <input name="name" maxlength="60" required></label><label>${esc(t('startsOn'))} <input type="date" name="startsOn"></label>
<label>${esc(t('endsOn'))} <input type="date" name="endsOn"></label><button type="submit">${esc(t('submit'))}</button></form></section>`;
  const rosterRows = data.rosters
    .map((x) => {
      const c = x.current;
      return `<tr><td>${esc(x.siteName)}</td><td class="n">${c ? c.residents : '–'}</td><td>${c ? `<a href="/dashboard/roster/${esc(c.id)}?lang=${lang}">${esc(c.fileName ?? '')}</a>` : esc(t('rosterNone'))}</td>
<td>${c ? esc(c.source === 'hq' ? t('rosterFromHq') : t('rosterFromStation')) : ''}</td><td>${c?.appliedAt ? time(c.appliedAt, lang, t) : ''}</td></tr>`;
    })
    .join('');
  const recentImports = data.rosterImports
    .map((r) => `<a href="/dashboard/roster/${esc(r.id)}?lang=${lang}">${esc(r.fileName ?? r.id)}</a> (${esc(r.state)})`)
    .join(' · ');
  const rosterSection = `<section class="wide" data-section="rosters"><h2>${esc(t('rosterTitle'))}</h2><table><thead><tr><th>${esc(t('site'))}</th><th>${esc(t('rosterResidents'))}</th>
<th>${esc(t('rosterFile'))}</th><th>${esc(t('rosterSource'))}</th><th>${esc(t('rosterApplied'))}</th></tr></thead><tbody>${rosterRows || `<tr><td colspan="5" class="empty">${esc(t('none'))}</td></tr>`}</tbody></table>
<form method="post" action="/dashboard/roster?lang=${lang}" enctype="multipart/form-data" class="result"><strong>${esc(t('rosterUpload'))}</strong><select name="siteId">${siteOptions}</select>
<input type="file" name="ledger" accept=".xlsx,.csv" required><label>${esc(t('rosterEncoding'))} <select name="encoding"><option value="">${esc(t('rosterAuto'))}</option><option value="utf-8">UTF-8</option><option value="gb18030">GB18030</option></select></label>
<button type="submit">${esc(t('rosterCheck'))}</button></form>${recentImports ? `<p>${esc(t('rosterRecent'))}: ${recentImports}</p>` : ''}</section>`;
  const empty = (cols: number): string => `<tr><td colspan="${cols}" class="empty">${esc(t('none'))}</td></tr>`;
  const postedKey = opts.posted ? (`posted.${opts.posted}` as Key) : null;
  const notice = postedKey && postedKey in TEXT[lang] ? `<p class="notice ${opts.posted === 'ok' || opts.posted?.endsWith('.ok') ? 'good' : 'bad'}">${esc(t(postedKey))}</p>` : '';

  const body = `<header><h1>${esc(t('title'))}</h1><span>${esc(t('today'))} ${esc(data.day)} · ${esc(t('refreshed'))} ${time(nowIso, lang, t)}</span>
<a href="/dashboard/gate?lang=${lang}" data-link="gate">${esc(t('gate'))}</a> <a href="/dashboard/boxes?lang=${lang}" data-link="boxes">${esc(t('boxesPage'))}</a> <a href="/dashboard/isolation?lang=${lang}" data-link="isolation">${esc(t('isolationPage'))}</a>
<a href="/dashboard/lab?lang=${lang}" data-link="lab">${esc(t('lab'))}</a> <a href="/dashboard/results/import?lang=${lang}" data-link="result-import">${esc(t('resultImport'))}</a> <a href="/dashboard/operators?lang=${lang}" data-link="operators">${esc(t('operators'))}</a> <a href="/dashboard?lang=${other}">${esc(t('other'))}</a></header><main>${notice}${
    opts.fingerprint ? `<p data-section="fingerprint">${esc(t('hqFingerprint'))}: <code>${esc(groups(opts.fingerprint))}</code></p>` : ''
  }${
    opts.rotation
      ? `<p class="alert" data-section="rotation">${tf('rotation', { time: siteTime(opts.rotation.at, lang), previous: `<code>${esc(groups(opts.rotation.previousFingerprint))}</code>`, count: data.stations.filter(onOldKey).length })}</p>`
      : ''
  }
<section class="wide"><h2>${esc(t('stations'))}</h2><table><thead><tr><th>${esc(t('number'))}</th><th>${esc(t('station'))}</th><th>${esc(t('site'))}</th><th>${esc(t('lastContact'))}</th>
<th>${esc(t('acked'))}</th><th>${esc(t('head'))}</th><th>${esc(t('lag'))}</th><th>${esc(t('conflicts'))}</th><th>${esc(t('rejected'))}</th></tr></thead>
<tbody>${stationRows || empty(9)}</tbody></table>${stationForm}</section>
${conflictSection}
${roundSection}
${rosterSection}
<section><h2>${esc(t('sitesToday'))}</h2><table><thead><tr><th>${esc(t('site'))}</th><th>${esc(t('people'))}</th><th>${esc(t('tubes'))}</th><th>${esc(t('boxes'))}</th></tr></thead>
<tbody>${siteRows || empty(4)}</tbody></table></section>
<section><h2>${esc(t('positives'))}</h2><table><thead><tr><th>${esc(t('tube'))}</th><th>${esc(t('site'))}</th><th>${esc(t('resultAt'))}</th><th>${esc(t('members'))}</th>
<th>${esc(t('retested'))}</th><th></th></tr></thead><tbody>${positiveRows || empty(6)}</tbody></table></section>
<section><h2>${esc(t('postResult'))}</h2><form method="post" action="/dashboard/results?lang=${lang}" class="result">
<label>${esc(t('tube'))} <input name="tubeCode" required maxlength="128" autocomplete="off"></label>
<label>${esc(t('result'))} <select name="result"><option value="negative">${esc(t('negative'))}</option><option value="positive">${esc(t('positive'))}</option>
<option value="invalid">${esc(t('invalid'))}</option></select></label><button type="submit">${esc(t('submit'))}</button></form></section></main>`;
  return shell(lang, t('title'), body, true);
}

export const DASHBOARD_CSS = `
:root { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", system-ui, sans-serif; color: #1b2430; background: #f3f5f8; }
body { margin: 0; }
header { display: flex; gap: 1.5rem; align-items: baseline; padding: 1rem 1.5rem; background: #12355b; color: #fff; }
header h1 { margin: 0; font-size: 1.4rem; }
header a { color: #cfe3ff; margin-left: auto; }
main { padding: 1rem 1.5rem; display: grid; gap: 1rem; grid-template-columns: repeat(auto-fit, minmax(600px, 1fr)); }
section { overflow-x: auto; }
section.wide { grid-column: 1 / -1; }
main.login { display: block; max-width: 420px; margin: 4rem auto; }
section { background: #fff; border-radius: 8px; padding: 0.75rem 1rem; box-shadow: 0 1px 3px rgba(0,0,0,0.12); }
h2 { font-size: 1.05rem; margin: 0.25rem 0 0.5rem; }
table { width: 100%; border-collapse: collapse; font-size: 0.92rem; }
th, td { padding: 0.35rem 0.5rem; border-bottom: 1px solid #e3e7ee; text-align: left; }
th { color: #566273; font-weight: 600; white-space: nowrap; }
td { white-space: nowrap; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.unit td { color: #566273; }
img.chart { max-width: 100%; height: auto; display: block; margin: 0.5rem 0; }
td.empty { color: #8a95a5; text-align: center; }
td.wrap { white-space: normal; min-width: 12rem; }
td.wrap hr { border: 0; border-top: 1px solid #e3e7ee; margin: 0.3rem 0; }
span.warn { color: #a25a00; }
tr.warn td:first-child, td.warn { color: #a25a00; font-weight: 600; }
tr.bad td:first-child, td.bad { color: #b3261e; font-weight: 600; }
span[data-status='overdue'] { color: #b3261e; font-weight: 600; }
span[data-status='done'] { color: #1e7b34; }
form[data-form='isolation-end'] { flex-direction: column; align-items: stretch; }
form[data-form='isolation-end'] input { width: 8rem; }
tr.ok td:first-child { color: #1e7b34; }
tr.revoked td { color: #8a95a5; }
.badge { display: inline-block; margin-left: 0.5rem; padding: 0.05rem 0.45rem; border-radius: 4px; font-size: 0.82rem; background: #e3e7ee; color: #1b2430; }
.badge.bad { background: #b3261e; color: #fff; font-weight: 600; }
.badge.warn { background: #fdf0d5; color: #7a4300; }
.notice { grid-column: 1 / -1; padding: 0.6rem 1rem; border-radius: 6px; margin: 0; }
.notice.good { background: #e3f4e7; color: #1e5e2e; }
.notice.bad { background: #fde8e6; color: #8c1d16; }
.alert { grid-column: 1 / -1; padding: 0.6rem 1rem; border-radius: 6px; margin: 0; background: #fdf0d5; color: #7a4300; }
form.inline { display: flex; gap: 0.4rem; align-items: center; }
form.result, main.login form { display: flex; gap: 0.75rem; flex-wrap: wrap; align-items: center; }
input, select, button { font-size: 1rem; padding: 0.4rem 0.6rem; }
button { background: #12355b; color: #fff; border: 0; border-radius: 4px; cursor: pointer; }
button.secondary { background: #fff; color: #12355b; border: 2px solid #12355b; }
.decide { display: flex; gap: 1rem; margin: 0.6rem 0; }
.counts { display: flex; gap: 1.2rem; flex-wrap: wrap; font-size: 1.05rem; }
.counts .good { color: #1e7b34; }
.counts .bad { color: #b3261e; }
`;

/**
 * The dashboard's pages for lab results in bulk: the upload of a lab's result file with the recent
 * imports (`/dashboard/results/import`), one import with its summary, its row errors and, when it
 * was refused for errors, the explicit "import the N good rows" (`/dashboard/results/import/<id>`),
 * and the results posted for tubes no lab receipt held (`/dashboard/results/flagged`).
 * Server-rendered like the rest of the dashboard, no scripts, Chinese by default, `?lang=en`.
 */
import { esc, shell, siteTime, type DashboardLang } from './dashboard';
import type { FlaggedResult, ResultImport } from './domains/result-imports';
import type { RowError } from './domains/result-files';
import { RESULT_COLUMN_WORDS, RESULT_FILE_ERROR_CODES, RESULT_VALUE_WORDS, fileErrorWords, rowErrorWords, type ResultFileErrorCode } from './result-words';

export const RESULTS_TEXT = {
  'zh-CN': {
    title: '导入检测结果',
    back: '返回看板',
    upload: '上传实验室结果文件（.xlsx 或 .csv）',
    uploadHelp:
      '需要四列：试管编码、检测结果（阴性 / 阳性 / 无效）、检测时间（北京时间，如 2026-12-01 14:30）、检测机构。先逐行检查，有任何一行有错就整个文件都不导入，并列出每个错误；确认后可以只导入没有错误的行。同一个文件再次上传不会重复导入。',
    check: '检查并导入',
    recent: '最近的导入',
    flaggedLink: '未登记接收的管的结果',
    at: '时间',
    source: '来源',
    fromFile: '文件',
    fromLab: '实验室系统',
    name: '文件 / 机构',
    state: '状态',
    states: { refused: '未导入（有错误）', imported: '已导入', discarded: '已放弃' } as Record<string, string>,
    partial: '（只导入了没有错误的行）',
    totalRows: '行数',
    imported: '已导入',
    already: '总部已有',
    duplicates: '文件内重复',
    errors: '有错误的行',
    notReceived: '未登记接收',
    positives: '阳性',
    none: '暂无',
    summary: '汇总',
    errorsTitle: '有错误的行',
    row: '行',
    column: '列',
    value: '内容',
    problem: '问题',
    more: '下一页',
    refusedNotice: '文件有 {errors} 行有错误，整个文件都没有导入。请让实验室改正后重新上传；或者只导入没有错误的 {good} 行，有错误的行不导入。',
    refusedNoGood: '文件有 {errors} 行有错误，没有可以导入的行，整个文件都没有导入。',
    importGood: '只导入没有错误的 {good} 行',
    confirmGood: '我已看过上面的错误，确认只导入 {good} 行',
    discard: '放弃这次导入',
    importedNotice: '已导入 {imported} 条结果，将下发到采样台；阳性混管已生成复检任务。',
    pendingGone: '这次导入的待导入行已过期或已处理；如需导入请重新上传文件。',
    flaggedTitle: '未登记接收的管（结果已照常下发，请核实样本去向）',
    tube: '试管编码',
    result: '结果',
    testedAt: '检测时间',
    lab: '检测机构',
    postedAt: '导入时间',
    site: '采样点',
    file: '文件',
    receivedSince: '之后已登记接收',
    yes: '是',
    no: '否',
    'posted.sameFile': '这个文件已经导入过（每一行都在总部），这次没有任何改动。',
    'posted.nothingNew': '文件中的 {detail} 行结果总部都已经有了，这次没有任何改动。',
    'posted.invalid': '请选择一个文件。',
    'posted.good.ok': '已导入没有错误的行。',
    'posted.discarded.ok': '已放弃这次导入，没有导入任何结果。',
    'posted.import.changed': '检查之后情况有变化（例如其他导入或录入了结果），没有导入任何结果：请重新上传文件再检查一次。',
    'posted.import.expired': '待导入的行已超过一天，已清除：请重新上传文件。',
    'posted.import.notPending': '这次导入现在不能这样操作。',
    'posted.import.unknown': '没有这次导入。',
    other: 'English',
  },
  en: {
    title: 'Import lab results',
    back: 'Back to the dashboard',
    upload: 'Upload a lab’s result file (.xlsx or .csv)',
    uploadHelp:
      'Four columns: tube code, result (negative / positive / invalid), time (Beijing time, such as 2026-12-01 14:30) and lab. Every row is checked first; if any row has an error nothing of the file is imported and every error is listed; then the rows without errors may be imported on purpose. The same file again imports nothing twice.',
    check: 'Check and import',
    recent: 'Recent imports',
    flaggedLink: 'Results for tubes never received',
    at: 'Time',
    source: 'From',
    fromFile: 'file',
    fromLab: 'lab system',
    name: 'File / lab',
    state: 'State',
    states: { refused: 'not imported (errors)', imported: 'imported', discarded: 'let go' } as Record<string, string>,
    partial: ' (the rows without errors only)',
    totalRows: 'Rows',
    imported: 'Imported',
    already: 'Already at HQ',
    duplicates: 'Repeated in the file',
    errors: 'Rows with errors',
    notReceived: 'Not received',
    positives: 'Positive',
    none: 'none',
    summary: 'Summary',
    errorsTitle: 'Rows with errors',
    row: 'Row',
    column: 'Column',
    value: 'Cell',
    problem: 'Problem',
    more: 'Next page',
    refusedNotice:
      '{errors} rows have errors: nothing of the file was imported. Ask the lab to correct them and upload it again, or import only the {good} rows without errors and leave the others out.',
    refusedNoGood: '{errors} rows have errors and no row can be imported: nothing of the file was imported.',
    importGood: 'Import only the {good} rows without errors',
    confirmGood: 'I have read the errors above and import only {good} rows',
    discard: 'Let this import go',
    importedNotice: '{imported} results imported; the stations receive them, and positive pools have their re-test tasks.',
    pendingGone: 'This import’s good rows have expired or been dealt with; upload the file again to import it.',
    flaggedTitle: 'Tubes never received at the lab (their results were sent as usual: find out where the sample came from)',
    tube: 'Tube code',
    result: 'Result',
    testedAt: 'Tested at',
    lab: 'Lab',
    postedAt: 'Imported at',
    site: 'Site',
    file: 'File',
    receivedSince: 'Received since',
    yes: 'yes',
    no: 'no',
    'posted.sameFile': 'This file was imported before (every row is at HQ): nothing changed.',
    'posted.nothingNew': 'HQ holds every result of the file’s {detail} rows already: nothing changed.',
    'posted.invalid': 'Choose a file.',
    'posted.good.ok': 'The rows without errors are imported.',
    'posted.discarded.ok': 'Import let go: no result was imported.',
    'posted.import.changed': 'Things changed since the check (another import or a result posted meanwhile): nothing was imported. Upload the file again to check it afresh.',
    'posted.import.expired': 'The good rows were kept for a day and are gone: upload the file again.',
    'posted.import.notPending': 'That import cannot do that now.',
    'posted.import.unknown': 'No such import.',
    other: '中文',
  },
} as const;

type Text = (typeof RESULTS_TEXT)['en'];
type Key = keyof Text;

function words(lang: DashboardLang, k: Key): string {
  return String(RESULTS_TEXT[lang][k]);
}

function filled(lang: DashboardLang, k: Key, values: Record<string, string | number>): string {
  return esc(words(lang, k)).replace(/\{(\w+)\}/g, (m, name: string) => (name in values ? esc(String(values[name])) : m));
}

/** The notice a `posted=` query asks for: one of the page's own, or a file error's words. */
function notice(lang: DashboardLang, posted: string | undefined, detail: string): string {
  if (!posted) return '';
  if ((RESULT_FILE_ERROR_CODES as readonly string[]).includes(posted)) {
    return `<p class="notice bad" data-posted="${esc(posted)}">${esc(fileErrorWords(posted as ResultFileErrorCode, detail)[lang])}</p>`;
  }
  const key = `posted.${posted}` as Key;
  if (!(key in RESULTS_TEXT[lang])) return '';
  const good = posted.endsWith('.ok') || posted === 'sameFile' || posted === 'nothingNew';
  return `<p class="notice ${good ? 'good' : 'bad'}" data-posted="${esc(posted)}">${filled(lang, key, { detail })}</p>`;
}

function header(lang: DashboardLang, title: string, path: string): string {
  const other = lang === 'en' ? 'zh-CN' : 'en';
  const sep = path.includes('?') ? '&' : '?';
  return `<header><h1>${esc(title)}</h1><a href="/dashboard?lang=${lang}">${esc(words(lang, 'back'))}</a><a href="${esc(`${path}${sep}lang=${other}`)}">${esc(words(lang, 'other'))}</a></header>`;
}

function resultWord(lang: DashboardLang, result: string): string {
  return esc(RESULT_VALUE_WORDS[result]?.[lang] ?? result);
}

function counts(lang: DashboardLang, i: ResultImport): string {
  const c = (field: string, k: Key, value: number, cls = '') => `<span class="${cls}">${esc(words(lang, k))} <strong data-count="${field}">${value}</strong></span>`;
  return `<p class="counts">${c('totalRows', 'totalRows', i.totalRows)}${c('imported', 'imported', i.imported, i.imported > 0 ? 'good' : '')}${c('already', 'already', i.already)}${c('duplicates', 'duplicates', i.duplicates)}
${c('errors', 'errors', i.errors, i.errors > 0 ? 'bad' : '')}${c('notReceived', 'notReceived', i.notReceived, i.notReceived > 0 ? 'bad' : '')}${c('positives', 'positives', i.positives, i.positives > 0 ? 'bad' : '')}</p>`;
}

function stateText(lang: DashboardLang, i: ResultImport): string {
  const s = RESULTS_TEXT[lang].states[i.state] ?? i.state;
  return esc(i.state === 'imported' && !i.complete ? `${s}${words(lang, 'partial')}` : s);
}

export function renderResultImports(view: { imports: ResultImport[] }, opts: { lang: DashboardLang; posted?: string | undefined; detail?: string | undefined }): string {
  const { lang } = opts;
  const t = (k: Key) => esc(words(lang, k));
  const rows = view.imports
    .map(
      (i) => `<tr class="${i.state === 'refused' ? 'bad' : i.state === 'imported' ? 'ok' : ''}" data-import="${esc(i.id)}"><td><a href="/dashboard/results/import/${esc(i.id)}?lang=${lang}">${siteTime(i.at, lang)}</a></td>
<td>${t(i.source === 'file' ? 'fromFile' : 'fromLab')}</td><td>${esc(i.fileName ?? i.lab ?? '')}</td><td>${stateText(lang, i)}</td><td class="n">${i.totalRows}</td><td class="n">${i.imported}</td>
<td class="n">${i.already}</td><td class="n${i.errors > 0 ? ' bad' : ''}">${i.errors}</td><td class="n${i.notReceived > 0 ? ' bad' : ''}">${i.notReceived}</td><td class="n">${i.positives}</td></tr>`,
    )
    .join('');
  const body = `${header(lang, words(lang, 'title'), '/dashboard/results/import')}<main>${notice(lang, opts.posted, opts.detail ?? '')}
<section class="wide"><form method="post" action="/dashboard/results/import?lang=${lang}" enctype="multipart/form-data" class="result" data-form="result-file"><strong>${t('upload')}</strong>
<input type="file" name="file" accept=".xlsx,.csv" required><button type="submit">${t('check')}</button></form><p>${t('uploadHelp')}</p>
<p><a href="/dashboard/results/flagged?lang=${lang}" data-link="flagged">${t('flaggedLink')}</a></p></section>
<section class="wide" data-section="imports"><h2>${t('recent')}</h2><table><thead><tr><th>${t('at')}</th><th>${t('source')}</th><th>${t('name')}</th><th>${t('state')}</th><th>${t('totalRows')}</th>
<th>${t('imported')}</th><th>${t('already')}</th><th>${t('errors')}</th><th>${t('notReceived')}</th><th>${t('positives')}</th></tr></thead>
<tbody>${rows || `<tr><td colspan="10" class="empty">${t('none')}</td></tr>`}</tbody></table></section></main>`;
  return shell(lang, words(lang, 'title'), body, false);
}

function errorRows(lang: DashboardLang, errors: readonly RowError[]): string {
  return errors
    .map((e) => {
      const column = e.column ? RESULT_COLUMN_WORDS[e.column][lang] : '';
      return `<tr data-error-row="${e.rowNo}" data-code="${esc(e.code)}"><td class="n">${e.rowNo}</td><td>${esc(column)}</td><td>${esc(e.value)}</td><td class="wrap">${esc(rowErrorWords(e.code, e.detail)[lang])}</td></tr>`;
    })
    .join('');
}

function flaggedTable(lang: DashboardLang, flagged: readonly FlaggedResult[], withFile: boolean): string {
  const t = (k: Key) => esc(words(lang, k));
  const rows = flagged
    .map(
      (f) => `<tr class="${f.receivedSince ? '' : 'bad'}" data-flagged="${esc(f.tubeCode)}"><td>${esc(f.tubeCode)}</td><td>${resultWord(lang, f.result)}</td><td>${f.testedAt ? siteTime(f.testedAt, lang) : ''}</td>
<td>${esc(f.lab ?? '')}</td><td>${esc(f.siteName ?? '')}</td><td>${siteTime(f.postedAt, lang)}</td>${
        withFile
          ? `<td>${f.importId ? `<a href="/dashboard/results/import/${esc(f.importId)}?lang=${lang}">${esc(f.fileName ?? f.importId)}</a>${f.rowNo !== null ? ` · ${t('row')} ${f.rowNo}` : ''}` : ''}</td>`
          : `<td class="n">${f.rowNo ?? ''}</td>`
      }<td>${t(f.receivedSince ? 'yes' : 'no')}</td></tr>`,
    )
    .join('');
  return `<table><thead><tr><th>${t('tube')}</th><th>${t('result')}</th><th>${t('testedAt')}</th><th>${t('lab')}</th><th>${t('site')}</th><th>${t('postedAt')}</th><th>${t(withFile ? 'file' : 'row')}</th><th>${t('receivedSince')}</th></tr></thead>
<tbody>${rows || `<tr><td colspan="8" class="empty">${t('none')}</td></tr>`}</tbody></table>`;
}

export type ResultImportPageView = { import: ResultImport; errors: { total: number; rows: RowError[] }; offset: number; pageSize: number; flagged: FlaggedResult[] };

export function renderResultImport(view: ResultImportPageView, opts: { lang: DashboardLang; posted?: string | undefined; detail?: string | undefined }): string {
  const { lang } = opts;
  const t = (k: Key) => esc(words(lang, k));
  const i = view.import;
  const path = `/dashboard/results/import/${encodeURIComponent(i.id)}`;
  let decision = '';
  if (i.state === 'refused' && i.pending) {
    decision = `<p class="alert" data-decision="pending">${filled(lang, 'refusedNotice', { errors: i.errors, good: i.goodRows })}</p>
<div class="decide"><form method="post" action="${path}/good?lang=${lang}" class="result" data-form="import-good"><input type="hidden" name="expected" value="${i.goodRows}">
<label><input type="checkbox" name="confirm" value="yes" required> ${filled(lang, 'confirmGood', { good: i.goodRows })}</label><button type="submit">${filled(lang, 'importGood', { good: i.goodRows })}</button></form>
<form method="post" action="${path}/discard?lang=${lang}" data-form="discard"><button type="submit" class="secondary">${t('discard')}</button></form></div>`;
  } else if (i.state === 'refused') {
    decision = `<p class="alert" data-decision="refused">${i.goodRows > 0 ? t('pendingGone') : filled(lang, 'refusedNoGood', { errors: i.errors })}</p>`;
  } else if (i.state === 'imported') {
    decision = `<p class="notice good" data-decision="imported">${filled(lang, 'importedNotice', { imported: i.imported })}</p>`;
  }
  const next = view.offset + view.pageSize < view.errors.total ? `<p><a href="${path}?lang=${lang}&amp;offset=${view.offset + view.pageSize}">${t('more')}</a></p>` : '';
  const errorSection = view.errors.total
    ? `<section class="wide" data-section="errors"><h2>${t('errorsTitle')} (${view.errors.total})</h2><table><thead><tr><th>${t('row')}</th><th>${t('column')}</th><th>${t('value')}</th><th>${t('problem')}</th></tr></thead>
<tbody>${errorRows(lang, view.errors.rows)}</tbody></table>${next}</section>`
    : '';
  const flaggedSection = view.flagged.length ? `<section class="wide" data-section="flagged"><h2>${t('flaggedTitle')}</h2>${flaggedTable(lang, view.flagged, false)}</section>` : '';
  const title = `${words(lang, 'title')} · ${i.fileName ?? i.lab ?? i.id}`;
  const body = `${header(lang, title, path)}<main>${notice(lang, opts.posted, opts.detail ?? '')}
<section class="wide" data-section="summary" data-state="${esc(i.state)}"><h2>${t('summary')}: ${esc(i.fileName ?? i.lab ?? '')} · ${siteTime(i.at, lang)} · ${stateText(lang, i)}</h2>${counts(lang, i)}${decision}
<p><a href="/dashboard/results/import?lang=${lang}">${t('recent')}</a></p></section>
${errorSection}${flaggedSection}</main>`;
  return shell(lang, title, body, false);
}

export function renderFlaggedResults(view: { flagged: FlaggedResult[] }, opts: { lang: DashboardLang }): string {
  const { lang } = opts;
  const body = `${header(lang, words(lang, 'flaggedLink'), '/dashboard/results/flagged')}<main><section class="wide" data-section="flagged"><h2>${esc(words(lang, 'flaggedTitle'))}</h2>
${flaggedTable(lang, view.flagged, true)}<p><a href="/dashboard/results/import?lang=${lang}">${esc(words(lang, 'title'))}</a></p></section></main>`;
  return shell(lang, words(lang, 'flaggedLink'), body, false);
}

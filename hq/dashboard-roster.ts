/**
 * The dashboard's page for one roster import: while the ledger is read (the page reloads itself
 * every 2 s), the headers to map when some are unknown, then every refused row with its row
 * number and reason, what changes against the site's roster in use, and Apply / Discard.
 * Server-rendered like the rest of the dashboard: no scripts.
 */
import type { RosterFailureCode, RosterProblemCode } from '../electron/api/roster';
import { esc, shell, siteTime, type DashboardLang } from './dashboard';
import type { HqRosterImport, RosterChangeRow, RosterProblemRow } from './domains/roster';

export type RosterPageView = {
  roster: HqRosterImport;
  siteName: string;
  problems: { total: number; rows: RosterProblemRow[] };
  offset: number;
  changes: RosterChangeRow[];
};

const FIELDS = ['name', 'idNumber', 'phone', 'building', 'unit', 'room', 'tags'] as const;

const TEXT = {
  'zh-CN': {
    title: '台账导入',
    back: '返回看板',
    site: '采样点',
    file: '文件',
    reading: '正在读取和检查，请稍候（本页每 2 秒自动刷新）…',
    failed: '无法读取：',
    needsMapping: '有表头不认识，请说明各列是什么：',
    missing: '缺少必需的列：',
    ignore: '不导入此列',
    reread: '按此对应重新读取',
    total: '共 {n} 行',
    good: '合格 {n} 行',
    refused: '不合格 {n} 行（不会导入）',
    warned: '{n} 行有提示（照常导入）',
    changes: '与在用台账相比：新增 {new}，换了住址 {moved}，信息变更 {changed}，不再在册 {gone}',
    apply: '导入 {n} 条合格记录',
    discard: '全部不导入',
    stop: '停止读取，不导入',
    applied: '已启用：本采样点的所有采样台将在下次同步时收到。',
    superseded: '已被更新的台账替换。',
    discarded: '未导入。',
    problems: '有问题的行',
    row: '第 {n} 行',
    refusedTag: '不导入',
    warnedTag: '提示',
    none: '每一行都合格',
    more: '下一页',
    changeList: '变化明细（前 300 条）',
    was: '原：',
    kind: { new: '新增', moved: '换了住址', changed: '信息变更', gone: '不再在册' },
    field: { name: '姓名', idNumber: '身份证号', phone: '手机号', building: '楼栋', unit: '单元', room: '房号', tags: '标签' },
    problem: {
      'name.missing': '缺少姓名',
      'name.tooLong': '姓名过长（{v}），最多 50 个字符（生僻字算两个）',
      'name.malformed': '姓名中有控制字符（{v}）',
      'id.missing': '缺少身份证号',
      'id.malformed': '身份证号格式不对（{v}）',
      'id.checkFailed': '身份证号校验位不对（{v}）',
      'phone.malformed': '手机号格式不对（{v}）',
      'household.missing': '缺少住址（{v}）',
      'building.malformed': '楼栋格式不对（{v}）',
      'unit.malformed': '单元格式不对（{v}）',
      'room.malformed': '房号格式不对（{v}）',
      'building.tooLong': '楼栋过长（{v}），最多 20 个字符',
      'unit.tooLong': '单元过长（{v}），最多 20 个字符',
      'room.tooLong': '房号过长（{v}），最多 20 个字符',
      'tag.unknown': '不认识的标签（{v}）',
      'row.duplicate': '同一身份证号在文件中出现多次（另见第 {v} 行）',
    },
    failure: {
      'file.unsupported': '不是能读取的表格文件，请另存为 .xlsx 或 .csv。',
      'file.xls': '旧版 Excel（.xls）文件，请另存为 .xlsx。',
      'file.encoding': '文字编码无法识别，请选择 GB18030 或 UTF-8 后重试。',
      'file.csvMalformed': 'CSV 格式有误（可能有未配对的引号）。',
      'file.empty': '文件是空的。',
      'file.noHeader': '第一行就是数据，没有表头。',
      'file.tooManyRows': '居民超过 500 万人，总部不接收这么大的台账，未导入任何数据。',
      'hq.versionBroken': '总部发来的台账与其公布的居民不符，未启用；请在总部重新发布。',
      internal: '读取中断，未导入任何数据。',
    },
  },
  en: {
    title: 'Roster import',
    back: 'Back to the dashboard',
    site: 'Site',
    file: 'File',
    reading: 'Reading and checking… (this page reloads every 2 s)',
    failed: 'Could not be read: ',
    needsMapping: 'Some headers are not known; say what each column is:',
    missing: 'Required columns missing: ',
    ignore: 'do not import',
    reread: 'Read again with this',
    total: '{n} rows',
    good: '{n} good',
    refused: '{n} refused (not imported)',
    warned: '{n} with a note (imported)',
    changes: 'Against the roster in use: new {new}, moved {moved}, changed {changed}, gone {gone}',
    apply: 'Import {n} good rows',
    discard: 'Import nothing',
    stop: 'Stop reading; import nothing',
    applied: 'In use: every station of the site receives it at its next sync.',
    superseded: 'Replaced by a newer roster.',
    discarded: 'Not imported.',
    problems: 'Rows with problems',
    row: 'row {n}',
    refusedTag: 'refused',
    warnedTag: 'note',
    none: 'Every row is good',
    more: 'Next page',
    changeList: 'What changed (first 300)',
    was: 'was: ',
    kind: { new: 'new', moved: 'moved', changed: 'changed', gone: 'gone' },
    field: { name: 'Name', idNumber: 'ID number', phone: 'Phone', building: 'Building', unit: 'Unit', room: 'Room', tags: 'Tags' },
    problem: {
      'name.missing': 'no name',
      'name.tooLong': 'name too long ({v}): at most 50 characters, a rare character counting two',
      'name.malformed': 'control characters in the name ({v})',
      'id.missing': 'no ID number',
      'id.malformed': 'ID number malformed ({v})',
      'id.checkFailed': 'ID number check character wrong ({v})',
      'phone.malformed': 'phone malformed ({v})',
      'household.missing': 'household missing ({v})',
      'building.malformed': 'building malformed ({v})',
      'unit.malformed': 'unit malformed ({v})',
      'room.malformed': 'room malformed ({v})',
      'building.tooLong': 'building too long ({v}): at most 20 characters',
      'unit.tooLong': 'unit too long ({v}): at most 20 characters',
      'room.tooLong': 'room too long ({v}): at most 20 characters',
      'tag.unknown': 'unknown tag ({v})',
      'row.duplicate': 'the same ID number more than once in the file (also row {v})',
    },
    failure: {
      'file.unsupported': 'Not a spreadsheet HQ can read; save it as .xlsx or .csv.',
      'file.xls': 'An old Excel file (.xls); save it as .xlsx.',
      'file.encoding': 'The text encoding could not be read; choose GB18030 or UTF-8.',
      'file.csvMalformed': 'The CSV is malformed (an unpaired quote?).',
      'file.empty': 'The file is empty.',
      'file.noHeader': 'The first row is already data: there is no header row.',
      'file.tooManyRows': 'More than 5,000,000 residents: HQ does not take a ledger this large; nothing was imported.',
      'hq.versionBroken': 'The roster HQ sent did not hold the residents it announced; it is not used. Publish it again at HQ.',
      internal: 'Reading stopped; nothing was imported.',
    },
  },
} as const;

/** Words for every problem and failure code in both languages: a new code does not compile until it has them. */
type Worded = { problem: Record<RosterProblemCode, string>; failure: Record<RosterFailureCode, string> };
const _everyCodeWorded: Record<keyof typeof TEXT, Worded> = TEXT;
void _everyCodeWorded;

function fill(text: string, values: Record<string, string | number>): string {
  return text.replace(/\{(\w+)\}/g, (_m, k: string) => String(values[k] ?? ''));
}

export function renderRosterImport(view: RosterPageView, opts: { lang: DashboardLang; now: number }): string {
  const { lang } = opts;
  const t = TEXT[lang];
  const r = view.roster;
  const base = `/dashboard/roster/${esc(r.id)}`;
  const head = `<header><h1>${esc(t.title)}</h1><span>${esc(t.site)} ${esc(view.siteName)} · ${esc(t.file)} ${esc(r.fileName ?? '')} · ${siteTime(r.createdAt, lang)}</span>
<a href="/dashboard?lang=${lang}">${esc(t.back)}</a></header>`;
  let body: string;
  if (r.state === 'reading') {
    // Discarded while it is read, it stays discarded: the reader stops at its next write.
    body = `<section class="wide"><p>${esc(t.reading)}</p><form method="post" action="${base}/discard?lang=${lang}"><button type="submit" class="secondary" data-action="discard">${esc(t.stop)}</button></form></section>`;
  } else if (r.state === 'failed' && r.failure) {
    const words = (t.failure as Record<string, string>)[r.failure.code] ?? r.failure.code;
    body = `<section class="wide"><p class="notice bad">${esc(t.failed)}${esc(words)}${r.failure.rowNo ? ` (${esc(fill(t.row, { n: r.failure.rowNo }))})` : ''}</p></section>`;
  } else if (r.state === 'needsMapping') {
    const options = (header: string) =>
      `<select name="h:${esc(header)}"><option value="ignore">${esc(t.ignore)}</option>${FIELDS.map((f) => `<option value="${f}">${esc(t.field[f])}</option>`).join('')}</select>`;
    body = `<section class="wide"><p>${esc(t.needsMapping)}</p>${r.missingRequired.length ? `<p class="notice bad">${esc(t.missing)}${r.missingRequired.map((f) => esc((t.field as Record<string, string>)[f] ?? f)).join('、')}</p>` : ''}
<form method="post" action="${base}/map?lang=${lang}" class="result">${r.unmapped.map((h) => `<label>${esc(h)} ${options(h)}</label>`).join('')}<button type="submit">${esc(t.reread)}</button></form></section>`;
  } else {
    const c = r.changes ?? { new: 0, moved: 0, changed: 0, gone: 0 };
    const counts = `<p class="counts"><span>${esc(fill(t.total, { n: r.totalRows }))}</span> <strong class="good">${esc(fill(t.good, { n: r.residents }))}</strong>
<strong class="${r.refused ? 'bad' : ''}">${esc(fill(t.refused, { n: r.refused }))}</strong>${r.warned ? ` <span>${esc(fill(t.warned, { n: r.warned }))}</span>` : ''}</p>
<p data-changes>${esc(fill(t.changes, c))}</p>`;
    const actions =
      r.state === 'ready'
        ? `<div class="decide"><form method="post" action="${base}/apply?lang=${lang}"><button type="submit" data-action="apply">${esc(fill(t.apply, { n: r.residents }))}</button></form>
<form method="post" action="${base}/discard?lang=${lang}"><button type="submit" class="secondary" data-action="discard">${esc(t.discard)}</button></form></div>`
        : `<p class="notice ${r.state === 'current' ? 'good' : ''}">${esc(r.state === 'current' ? t.applied : r.state === 'superseded' ? t.superseded : t.discarded)}</p>`;
    const problemRows = view.problems.rows
      .map(
        (p) =>
          `<tr class="${p.refused ? 'bad' : 'warn'}"><td>${esc(fill(t.row, { n: p.rowNo }))}</td><td>${esc(p.refused ? t.refusedTag : t.warnedTag)}</td><td>${p.problems
            .map((x) => esc(fill((t.problem as Record<string, string>)[x.code] ?? x.code, { v: x.value ?? '' })))
            .join('；')}</td></tr>`,
      )
      .join('');
    const next = view.offset + view.problems.rows.length < view.problems.total ? `<a href="${base}?lang=${lang}&offset=${view.offset + 500}">${esc(t.more)}</a>` : '';
    const changeRows = view.changes
      .map(
        (x) =>
          `<tr><td>${esc(t.kind[x.kind])}</td><td>${x.rowNo !== null ? esc(fill(t.row, { n: x.rowNo })) : ''}</td><td>${esc(x.name)}</td><td>${esc(x.idNumber.slice(0, 6))}********${esc(x.idNumber.slice(-4))}</td><td>${esc(x.household)}</td><td>${x.before && x.kind !== 'gone' ? esc(`${t.was}${x.before}`) : ''}</td></tr>`,
      )
      .join('');
    body = `<section class="wide" data-section="roster-summary">${counts}${actions}</section>
<section class="wide" data-section="roster-problems"><h2>${esc(t.problems)} (${view.problems.total})</h2>${view.problems.total === 0 ? `<p>${esc(t.none)}</p>` : `<table><tbody>${problemRows}</tbody></table>${next}`}</section>
${changeRows ? `<section class="wide" data-section="roster-changes"><h2>${esc(t.changeList)}</h2><table><tbody>${changeRows}</tbody></table></section>` : ''}`;
  }
  return shell(lang, t.title, `${head}<main>${body}</main>`, r.state === 'reading' ? 2 : false);
}

/**
 * The dashboard's lab receipt page (实验室接收): staff scan a box's code (a USB scanner types it
 * into the focused field and presses Enter), then its tubes one by one; each is shown as received,
 * or extra (not in that box as its station handed it over, with where HQ holds it); a tube is
 * marked broken with a reason; finishing makes every tube not scanned missing. A finished receipt
 * is corrected for one tube at a time with a reason. Server-rendered like the rest of the
 * dashboard, no scripts: every scan is a form post, and the page comes back with the field focused.
 */
import { esc, shell, siteTime, type DashboardLang } from './dashboard';
import type { LabBoxCandidate, LabBoxState, LabReceipt, LabReceiptSummary, LabStepKind, LabTubeStatus } from './domains/lab';

export const LAB_TEXT = {
  'zh-CN': {
    title: '实验室接收',
    back: '返回看板',
    boxes: '转运箱',
    receiveBox: '接收转运箱：扫描箱码',
    boxCode: '箱码',
    receivedBy: '接收人',
    receive: '接收',
    scanTube: '扫描样本管',
    tubeCode: '管码',
    scan: '确认',
    markBroken: '登记破损',
    reason: '原因',
    finish: '完成接收',
    finishHint: '完成后，未扫描的 {n} 支样本管将记为缺失，并通知采样点。',
    correct: '更正（新增一条更正记录，原记录保留）',
    status: '状态',
    by: '更正人',
    save: '保存更正',
    station: '采样台',
    site: '采样点',
    state: '总部记录的箱子状态',
    handedOverAt: '交接时间',
    receivedAt: '接收时间',
    finishedAt: '完成时间',
    inProgress: '接收中',
    finished: '已完成',
    expected: '交接管数',
    counts: { received: '已接收', missing: '缺失', extra: '多出', broken: '破损', pending: '未扫描' } as Record<string, string>,
    statuses: { received: '已接收', missing: '缺失', extra: '多出（不在本箱交接清单中）', broken: '破损' } as Record<string, string>,
    boxStates: { open: '装箱中（未封箱）', sealed: '已封箱，未交接', handedOver: '已交接' } as Record<string, string>,
    notHandedOver: '注意：接收时总部还没有这只箱子的交接记录（{state}）。采样点可能尚未上传交接，或未做交接就送出了箱子；接收照常记录，并标明此情况。',
    elsewhere: '总部记录：{station}{box}',
    inBox: '，箱 {box}',
    notBoxed: '，未装箱',
    unknownTube: '总部没有这支管的记录',
    tubes: '样本管',
    steps: '接收记录（只增不改）',
    kinds: { opened: '开始接收', scanned: '扫描', broken: '登记破损', finished: '完成', corrected: '更正' } as Record<string, string>,
    openReceipts: '正在接收',
    recentReceipts: '最近完成的接收',
    choose: '箱码 {code} 属于多个采样台的转运箱，请选择：',
    chooseThis: '接收这一箱',
    tubeCount: '管数',
    none: '暂无',
    at: '时间',
    'posted.lab.opened': '已开始接收转运箱 {box}，请逐一扫描样本管。',
    'posted.lab.resumed': '继续接收转运箱 {box}。',
    'posted.lab.received': '{tube} 已接收。',
    'posted.lab.extra': '{tube} 不在这只箱子的交接清单中，已记为多出。',
    'posted.lab.already': '{tube} 已扫描过（{status}）。',
    'posted.lab.broken': '{tube} 已登记为破损。',
    'posted.lab.finished': '接收已完成，结果已发往采样台。',
    'posted.lab.corrected': '更正已记录，并已发往采样台。',
    'posted.lab.invalid': '请完整填写：箱码或管码、接收人，破损和更正需写明原因。',
    'posted.lab.boxUnknown': '总部没有箱码为 {box} 的转运箱：采样台可能还没有上传，请稍后再扫。',
    'posted.lab.receiptUnknown': '没有这次接收。',
    'posted.lab.receiptFinished': '这次接收已完成，不能再扫描；如需更改，请用更正。',
    'posted.lab.receiptOpen': '这次接收还没有完成，请直接扫描或登记破损。',
    'posted.lab.statusInvalid': '“已接收”和“缺失”只用于交接清单中的管，“多出”只用于清单外的管。',
    'posted.lab.statusUnchanged': '这支管已经是这个状态。',
    other: 'English',
  },
  en: {
    title: 'Lab receipt',
    back: 'Back to the dashboard',
    boxes: 'Boxes',
    receiveBox: 'Receive a box: scan its code',
    boxCode: 'Box code',
    receivedBy: 'Received by',
    receive: 'Receive',
    scanTube: 'Scan a tube',
    tubeCode: 'Tube code',
    scan: 'OK',
    markBroken: 'Mark broken',
    reason: 'Reason',
    finish: 'Finish the receipt',
    finishHint: 'Finishing records the {n} tubes not scanned as missing and tells the site.',
    correct: 'Correct (a new correction record; what was recorded stays)',
    status: 'Status',
    by: 'Corrected by',
    save: 'Save the correction',
    station: 'Station',
    site: 'Site',
    state: 'The box as HQ holds it',
    handedOverAt: 'Handed over',
    receivedAt: 'Received',
    finishedAt: 'Finished',
    inProgress: 'being received',
    finished: 'finished',
    expected: 'Handed over',
    counts: { received: 'Received', missing: 'Missing', extra: 'Extra', broken: 'Broken', pending: 'Not scanned' } as Record<string, string>,
    statuses: { received: 'received', missing: 'missing', extra: 'extra (not in this box as handed over)', broken: 'broken' } as Record<string, string>,
    boxStates: { open: 'open (not sealed)', sealed: 'sealed, not handed over', handedOver: 'handed over' } as Record<string, string>,
    notHandedOver: 'Note: when it was received, HQ had no hand-over of this box ({state}). The site may not have uploaded it yet, or shipped the box without one; the receipt is recorded all the same, and says so.',
    elsewhere: 'At HQ: {station}{box}',
    inBox: ', box {box}',
    notBoxed: ', in no box',
    unknownTube: 'HQ has no tube with this code',
    tubes: 'Tubes',
    steps: 'Receipt record (added to, never changed)',
    kinds: { opened: 'receipt begun', scanned: 'scanned', broken: 'marked broken', finished: 'finished', corrected: 'corrected' } as Record<string, string>,
    openReceipts: 'Being received',
    recentReceipts: 'Recently finished',
    choose: 'Box code {code} is a box of several stations: choose one.',
    chooseThis: 'Receive this box',
    tubeCount: 'Tubes',
    none: 'none',
    at: 'Time',
    'posted.lab.opened': 'Receiving box {box}: scan its tubes one by one.',
    'posted.lab.resumed': 'Back to box {box}.',
    'posted.lab.received': '{tube} received.',
    'posted.lab.extra': '{tube} is not in this box as handed over: recorded as extra.',
    'posted.lab.already': '{tube} was scanned already ({status}).',
    'posted.lab.broken': '{tube} recorded as broken.',
    'posted.lab.finished': 'Receipt finished; the site has been sent it.',
    'posted.lab.corrected': 'Correction recorded and sent to the site.',
    'posted.lab.invalid': 'Fill in the box or tube code and who received it; broken tubes and corrections need a reason.',
    'posted.lab.boxUnknown': 'HQ has no box {box}: its station may not have uploaded it yet. Scan it again later.',
    'posted.lab.receiptUnknown': 'No such receipt.',
    'posted.lab.receiptFinished': 'This receipt is finished: nothing more is scanned into it. Correct it instead.',
    'posted.lab.receiptOpen': 'This receipt is not finished: scan the tube or mark it broken.',
    'posted.lab.statusInvalid': '“Received” and “missing” are for tubes of the box as handed over, “extra” for any other tube.',
    'posted.lab.statusUnchanged': 'The tube has that status already.',
    other: '中文',
  },
} as const;

type Text = (typeof LAB_TEXT)[DashboardLang];

export type LabPageData = {
  /** The receipt on screen. */
  receipt: LabReceipt | null;
  /** A code several stations' boxes have: staff choose. */
  choose: { boxCode: string; receivedBy: string; candidates: LabBoxCandidate[] } | null;
  open: LabReceiptSummary[];
  recent: LabReceiptSummary[];
};

export type LabPageOptions = {
  lang: DashboardLang;
  posted?: string | undefined;
  /** The tube or box the notice is about. */
  tube?: string | undefined;
  box?: string | undefined;
  /** The name the box form is filled with (the last receiver). */
  by?: string | undefined;
};

function fill(text: string, values: Record<string, string>): string {
  return esc(text).replace(/\{(\w+)\}/g, (m, name: string) => (name in values ? esc(values[name]!) : m));
}

function statusWord(t: Text, status: LabTubeStatus | null): string {
  return status === null ? t.counts.pending! : (t.statuses[status] ?? status);
}

const STATUS_CLASS: Record<LabTubeStatus, string> = { received: 'ok', missing: 'bad', extra: 'warn', broken: 'bad' };

function countsLine(t: Text, c: LabReceipt['counts']): string {
  const item = (field: string, label: string, value: number, cls = '') => `<span class="${cls}">${esc(label)} <strong data-count="${field}">${value}</strong></span>`;
  return `<p class="counts">${item('expected', t.expected, c.expected)}${item('received', t.counts.received!, c.received, 'good')}${item('missing', t.counts.missing!, c.missing, c.missing > 0 ? 'bad' : '')}${item(
    'extra',
    t.counts.extra!,
    c.extra,
    c.extra > 0 ? 'bad' : '',
  )}${item('broken', t.counts.broken!, c.broken, c.broken > 0 ? 'bad' : '')}${item('pending', t.counts.pending!, c.pending)}</p>`;
}

function receiptSection(r: LabReceipt, t: Text, lang: DashboardLang): string {
  const open = r.finishedAt === null;
  const hidden = `<input type="hidden" name="receiptId" value="${esc(r.receiptId)}">`;
  const warn =
    r.boxState !== 'handedOver' ? `<p class="alert" data-not-handed-over="${esc(r.boxState)}">${fill(t.notHandedOver, { state: t.boxStates[r.boxState] ?? r.boxState })}</p>` : '';
  const head = `<h2>${esc(t.boxCode)} <code data-box="${esc(r.boxCode)}">${esc(r.boxCode)}</code> · <span data-receipt-state="${open ? 'open' : 'finished'}">${esc(open ? t.inProgress : t.finished)}</span></h2>
<p>${esc(t.site)}: ${esc(r.siteName)} · ${esc(t.station)}: ${esc(`${r.stationNumber} · ${r.stationName}`)} · ${esc(t.state)}: ${esc(t.boxStates[r.boxStateNow] ?? r.boxStateNow)}${
    r.handedOverAt ? ` · ${esc(t.handedOverAt)} ${siteTime(r.handedOverAt, lang)}` : ''
  } · ${esc(t.receivedBy)}: ${esc(r.receivedBy)} · ${esc(t.receivedAt)} ${siteTime(r.receivedAt, lang)}${r.finishedAt ? ` · ${esc(t.finishedAt)} ${siteTime(r.finishedAt, lang)}` : ''}</p>${warn}`;
  const forms = open
    ? `<form method="post" action="/dashboard/lab/scan?lang=${lang}" class="result" data-form="lab-scan">${hidden}<label>${esc(t.scanTube)} <input name="tubeCode" maxlength="128" required autofocus autocomplete="off"></label><button type="submit">${esc(t.scan)}</button></form>
<form method="post" action="/dashboard/lab/broken?lang=${lang}" class="result" data-form="lab-broken">${hidden}<label>${esc(t.tubeCode)} <input name="tubeCode" maxlength="128" required autocomplete="off"></label>
<label>${esc(t.reason)} <input name="reason" maxlength="200" required></label><button type="submit" class="secondary">${esc(t.markBroken)}</button></form>
<form method="post" action="/dashboard/lab/finish?lang=${lang}" class="result" data-form="lab-finish">${hidden}<span>${fill(t.finishHint, { n: String(r.counts.pending) })}</span><button type="submit">${esc(t.finish)}</button></form>`
    : `<form method="post" action="/dashboard/lab/correct?lang=${lang}" class="result" data-form="lab-correct">${hidden}<strong>${esc(t.correct)}</strong>
<label>${esc(t.tubeCode)} <input name="tubeCode" maxlength="128" required autocomplete="off"></label><label>${esc(t.status)} <select name="status">${(['received', 'missing', 'extra', 'broken'] as const)
        .map((s) => `<option value="${s}">${esc(t.counts[s] ?? s)}</option>`)
        .join('')}</select></label>
<label>${esc(t.reason)} <input name="reason" maxlength="200" required></label><label>${esc(t.by)} <input name="by" maxlength="50" required value="${esc(r.receivedBy)}"></label><button type="submit">${esc(t.save)}</button></form>`;
  const tubeRows = r.tubes
    .map((x) => {
      const where = x.expected
        ? ''
        : x.elsewhere
          ? fill(t.elsewhere, { station: `${x.elsewhere.siteName} ${x.elsewhere.stationNumber} · ${x.elsewhere.stationName}`, box: x.elsewhere.boxCode ? t.inBox.replace('{box}', x.elsewhere.boxCode) : t.notBoxed })
          : esc(t.unknownTube);
      return `<tr class="${x.status ? STATUS_CLASS[x.status] : ''}" data-tube="${esc(x.tubeCode)}" data-status="${x.status ?? 'pending'}"><td><code>${esc(x.tubeCode)}</code></td><td>${esc(statusWord(t, x.status))}</td>
<td class="wrap">${esc(x.reason)}</td><td>${x.at ? siteTime(x.at, lang) : ''}</td><td class="wrap">${where}</td></tr>`;
    })
    .join('');
  const stepRows = r.steps
    .map(
      (s) =>
        `<tr data-step="${s.n}"><td class="n">${s.n}</td><td>${siteTime(s.at, lang)}</td><td>${esc(t.kinds[s.kind as LabStepKind] ?? s.kind)}</td><td>${s.tubeCode ? `<code>${esc(s.tubeCode)}</code>` : ''}</td>
<td>${s.status ? esc(t.counts[s.status] ?? s.status) : ''}</td><td class="wrap">${esc(s.reason)}</td><td>${esc(s.by)}</td></tr>`,
    )
    .join('');
  return `<section class="wide" data-section="lab-receipt" data-receipt="${esc(r.receiptId)}">${head}${countsLine(t, r.counts)}${forms}
<h2>${esc(t.tubes)}</h2><table><thead><tr><th>${esc(t.tubeCode)}</th><th>${esc(t.status)}</th><th>${esc(t.reason)}</th><th>${esc(t.at)}</th><th></th></tr></thead>
<tbody>${tubeRows || `<tr><td colspan="5" class="empty">${esc(t.none)}</td></tr>`}</tbody></table>
<h2>${esc(t.steps)}</h2><table><thead><tr><th>No.</th><th>${esc(t.at)}</th><th></th><th>${esc(t.tubeCode)}</th><th>${esc(t.status)}</th><th>${esc(t.reason)}</th><th>${esc(t.receivedBy)}</th></tr></thead>
<tbody>${stepRows}</tbody></table></section>`;
}

function listSection(title: string, section: string, rows: LabReceiptSummary[], t: Text, lang: DashboardLang): string {
  const body = rows
    .map((r) => {
      const c = r.counts;
      const bad = c.missing + c.extra + c.broken > 0;
      return `<tr class="${bad ? 'bad' : ''}" data-listed="${esc(r.receiptId)}"><td><a href="/dashboard/lab?receipt=${encodeURIComponent(r.receiptId)}&lang=${lang}">${esc(r.boxCode)}</a></td>
<td>${esc(r.siteName)}</td><td>${esc(`${r.stationNumber} · ${r.stationName}`)}</td><td>${siteTime(r.receivedAt, lang)}</td><td>${esc(r.receivedBy)}</td>
<td class="n">${c.expected}</td><td class="n">${c.received}</td><td class="n">${c.missing}</td><td class="n">${c.extra}</td><td class="n">${c.broken}</td><td class="n">${c.pending}</td></tr>`;
    })
    .join('');
  return `<section class="wide" data-section="${section}"><h2>${esc(title)}</h2><table><thead><tr><th>${esc(t.boxCode)}</th><th>${esc(t.site)}</th><th>${esc(t.station)}</th><th>${esc(t.receivedAt)}</th>
<th>${esc(t.receivedBy)}</th><th>${esc(t.expected)}</th><th>${esc(t.counts.received!)}</th><th>${esc(t.counts.missing!)}</th><th>${esc(t.counts.extra!)}</th><th>${esc(t.counts.broken!)}</th><th>${esc(t.counts.pending!)}</th></tr></thead>
<tbody>${body || `<tr><td colspan="11" class="empty">${esc(t.none)}</td></tr>`}</tbody></table></section>`;
}

function chooseSection(c: NonNullable<LabPageData['choose']>, t: Text, lang: DashboardLang): string {
  const rows = c.candidates
    .map(
      (b) => `<tr data-candidate="${esc(b.stationId)}"><td>${esc(b.siteName)}</td><td>${esc(`${b.stationNumber} · ${b.stationName}`)}</td><td>${esc(t.boxStates[b.state as LabBoxState] ?? b.state)}</td>
<td class="n">${b.tubeCount}</td><td>${b.handedOverAt ? siteTime(b.handedOverAt, lang) : ''}</td><td><form method="post" action="/dashboard/lab/receive?lang=${lang}" class="inline">
<input type="hidden" name="boxCode" value="${esc(c.boxCode)}"><input type="hidden" name="receivedBy" value="${esc(c.receivedBy)}"><input type="hidden" name="stationId" value="${esc(b.stationId)}">
<button type="submit">${esc(t.chooseThis)}</button></form></td></tr>`,
    )
    .join('');
  return `<section class="wide" data-section="lab-choose"><h2>${fill(t.choose, { code: c.boxCode })}</h2><table><thead><tr><th>${esc(t.site)}</th><th>${esc(t.station)}</th><th>${esc(t.state)}</th>
<th>${esc(t.tubeCount)}</th><th>${esc(t.handedOverAt)}</th><th></th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

export function renderLab(data: LabPageData, opts: LabPageOptions): string {
  const { lang } = opts;
  const t = LAB_TEXT[lang];
  const other = lang === 'en' ? 'zh-CN' : 'en';
  const postedKey = opts.posted ? (`posted.${opts.posted}` as keyof Text) : null;
  const scanned = data.receipt?.tubes.find((x) => x.tubeCode === opts.tube);
  const good = ['lab.opened', 'lab.resumed', 'lab.received', 'lab.finished', 'lab.corrected'].includes(opts.posted ?? '');
  const notice =
    postedKey && postedKey in t
      ? `<p class="notice ${good ? 'good' : 'bad'}" data-posted="${esc(opts.posted ?? '')}">${fill(String(t[postedKey]), {
          tube: opts.tube ?? '',
          box: opts.box ?? data.receipt?.boxCode ?? '',
          status: statusWord(t, scanned?.status ?? null),
        })}</p>`
      : '';
  const receiving = data.receipt !== null && data.receipt.finishedAt === null;
  const boxForm = `<section class="wide" data-section="lab-receive"><form method="post" action="/dashboard/lab/receive?lang=${lang}" class="result" data-form="lab-receive"><strong>${esc(t.receiveBox)}</strong>
<label>${esc(t.receivedBy)} <input name="receivedBy" maxlength="50" required value="${esc(opts.by ?? data.receipt?.receivedBy ?? '')}"></label>
<label>${esc(t.boxCode)} <input name="boxCode" maxlength="128" required autocomplete="off"${receiving || data.choose ? '' : ' autofocus'}></label><button type="submit">${esc(t.receive)}</button></form></section>`;
  const link = data.receipt ? `receipt=${encodeURIComponent(data.receipt.receiptId)}&` : '';
  const head = `<header><h1>${esc(t.title)}</h1><a href="/dashboard?lang=${lang}">${esc(t.back)}</a><a href="/dashboard/boxes?lang=${lang}" data-link="boxes">${esc(t.boxes)}</a>
<a href="/dashboard/lab?${link}lang=${other}">${esc(t.other)}</a></header>`;
  const body = `${head}<main>${notice}${data.choose ? chooseSection(data.choose, t, lang) : ''}${data.receipt ? receiptSection(data.receipt, t, lang) : ''}${boxForm}
${listSection(t.openReceipts, 'lab-open', data.open, t, lang)}${listSection(t.recentReceipts, 'lab-recent', data.recent, t, lang)}</main>`;
  // No refresh of its own: a scan being typed would be lost.
  return shell(lang, data.receipt ? `${t.title} · ${data.receipt.boxCode}` : t.title, body, false);
}

/**
 * What HQ says of a lab's result file or request, row by row and as a whole, in Simplified Chinese
 * (the users' language) and English: on the dashboard's import page, in the admin API's and the
 * lab endpoint's answers, and at HQ's console (`station hq results import`).
 */
import type { DashboardLang } from './dashboard';

export const RESULT_ROW_ERROR_CODES = [
  'row.tubeCodeMissing',
  'row.tubeCodeInvalid',
  'row.tubeUnknown',
  'row.tubeAmbiguous',
  'row.resultMissing',
  'row.resultInvalid',
  'row.timeMissing',
  'row.timeInvalid',
  'row.timeFuture',
  'row.timeTooOld',
  'row.labMissing',
  'row.labTooLong',
  'row.duplicateDiffers',
  'row.resultDiffers',
] as const;
export type ResultRowErrorCode = (typeof RESULT_ROW_ERROR_CODES)[number];

export const RESULT_FILE_ERROR_CODES = [
  'file.unsupported',
  'file.xls',
  'file.encoding',
  'file.csvMalformed',
  'file.empty',
  'file.noHeader',
  'file.columns',
  'file.tooLarge',
  'file.tooManyRows',
] as const;
export type ResultFileErrorCode = (typeof RESULT_FILE_ERROR_CODES)[number];

export type ResultColumn = 'tubeCode' | 'result' | 'time' | 'lab';

type Words = Record<DashboardLang, string>;

/** `{detail}` is filled in with the error's detail (other row numbers, stations, the result HQ holds). */
export const RESULT_ROW_WORDS: Record<ResultRowErrorCode, Words> = {
  'row.tubeCodeMissing': { 'zh-CN': '缺少试管编码', en: 'No tube code' },
  'row.tubeCodeInvalid': { 'zh-CN': '不是试管编码（应为字母、数字或符号，无空格，最多 128 个）', en: 'Not a tube code (letters, digits or symbols, no spaces, at most 128)' },
  'row.tubeUnknown': { 'zh-CN': '总部没有这支管（从未有采样台开过这个管码，是否抄错？）', en: 'HQ has no such tube (no station ever opened this code: mistyped?)' },
  'row.tubeAmbiguous': {
    'zh-CN': '该管码在多个采样台使用过（{detail}），请先在看板“重复管码”中认定是哪一支管',
    en: 'This code was opened at several stations ({detail}): say which tube it means under “Duplicate tube codes” first',
  },
  'row.resultMissing': { 'zh-CN': '缺少检测结果', en: 'No result' },
  'row.resultInvalid': { 'zh-CN': '检测结果只能是 阴性、阳性 或 无效', en: 'A result is negative, positive or invalid (阴性, 阳性, 无效)' },
  'row.timeMissing': { 'zh-CN': '缺少检测时间', en: 'No time' },
  'row.timeInvalid': {
    'zh-CN': '检测时间不是日期时间（如 2026-12-01 14:30，北京时间）',
    en: 'Not a date and time (such as 2026-12-01 14:30, Beijing time, or ISO 8601 with an offset)',
  },
  'row.timeFuture': { 'zh-CN': '检测时间晚于现在', en: 'The time is later than now' },
  'row.timeTooOld': { 'zh-CN': '检测时间早于一年前，是否写错了年份？', en: 'The time is more than a year ago: a wrong year?' },
  'row.labMissing': { 'zh-CN': '缺少检测机构', en: 'No lab' },
  'row.labTooLong': { 'zh-CN': '检测机构名称超过 100 个字', en: 'The lab’s name is longer than 100 characters' },
  'row.duplicateDiffers': {
    'zh-CN': '文件中该试管还有结果不同或无法识别的行（第 {detail} 行），这些行都不导入',
    en: 'The file has this tube again with another or unreadable result (row {detail}): none of these rows is imported',
  },
  'row.resultDiffers': {
    'zh-CN': '总部已有该管的另一结果（{detail}）；如需更正，请在看板“录入检测结果”中单独录入',
    en: 'HQ already holds another result for this tube ({detail}); a correction is posted on its own (“Post a result” on the dashboard)',
  },
};

export const RESULT_FILE_WORDS: Record<ResultFileErrorCode, Words> = {
  'file.unsupported': { 'zh-CN': '无法读取：请上传 .xlsx 或 .csv 文件', en: 'Cannot be read: upload an .xlsx or .csv file' },
  'file.xls': { 'zh-CN': '这是旧版 .xls 文件：请在 Excel 或 WPS 中另存为 .xlsx 后再上传', en: 'An old .xls file: save it as .xlsx in Excel or WPS, then upload it' },
  'file.encoding': { 'zh-CN': '第 {detail} 行有无法识别的字符：请另存为 UTF-8 编码的 CSV', en: 'Row {detail} has characters that cannot be read: save the CSV as UTF-8' },
  'file.csvMalformed': { 'zh-CN': 'CSV 格式错误（第 {detail} 行附近，可能是引号不成对）', en: 'Malformed CSV (near row {detail}; an unpaired quote?)' },
  'file.empty': { 'zh-CN': '文件中没有结果', en: 'The file holds no results' },
  'file.noHeader': {
    'zh-CN': '找不到表头：需要“试管编码”“检测结果”“检测时间”“检测机构”四列',
    en: 'No header row: the columns tube code, result, time and lab (试管编码, 检测结果, 检测时间, 检测机构) are needed',
  },
  'file.columns': { 'zh-CN': '缺少列：{detail}', en: 'Missing columns: {detail}' },
  'file.tooLarge': { 'zh-CN': '文件太大（最多 {detail}）', en: 'The file is too large (at most {detail})' },
  'file.tooManyRows': { 'zh-CN': '行数太多（最多 {detail} 行），请分成几个文件', en: 'Too many rows (at most {detail}): split it into several files' },
};

export const RESULT_COLUMN_WORDS: Record<ResultColumn, Words> = {
  tubeCode: { 'zh-CN': '试管编码', en: 'tube code' },
  result: { 'zh-CN': '检测结果', en: 'result' },
  time: { 'zh-CN': '检测时间', en: 'time' },
  lab: { 'zh-CN': '检测机构', en: 'lab' },
};

export const RESULT_VALUE_WORDS: Record<string, Words> = {
  negative: { 'zh-CN': '阴性', en: 'negative' },
  positive: { 'zh-CN': '阳性', en: 'positive' },
  invalid: { 'zh-CN': '无效', en: 'invalid' },
};

function fill(text: string, detail: string): string {
  return text.replace(/\{detail\}/g, detail);
}

/** A row error's words in both languages; `detail` is put in as it is (escape it for HTML). */
export function rowErrorWords(code: ResultRowErrorCode, detail: string): Words {
  const w = RESULT_ROW_WORDS[code];
  const d = code === 'row.resultDiffers' ? (RESULT_VALUE_WORDS[detail] ?? { 'zh-CN': detail, en: detail }) : { 'zh-CN': detail, en: detail };
  return { 'zh-CN': fill(w['zh-CN'], d['zh-CN']), en: fill(w.en, d.en) };
}

/** A file error's words; for `file.columns` the detail is the missing columns' keys, comma-separated. */
export function fileErrorWords(code: ResultFileErrorCode, detail: string): Words {
  const w = RESULT_FILE_WORDS[code];
  if (code === 'file.columns') {
    const names = (lang: DashboardLang) =>
      detail
        .split(',')
        .map((c) => RESULT_COLUMN_WORDS[c as ResultColumn]?.[lang] ?? c)
        .join(lang === 'en' ? ', ' : '、');
    return { 'zh-CN': fill(w['zh-CN'], names('zh-CN')), en: fill(w.en, names('en')) };
  }
  return { 'zh-CN': fill(w['zh-CN'], detail), en: fill(w.en, detail) };
}

import { z } from 'zod';

/**
 * The columns of a resident ledger (台账) and how a file's headers map onto them.
 * Ledgers come from many hands (street offices, property managers, WPS templates), so headers
 * are recognised from a fixed table of the words real ledgers use; whatever the table does not
 * know, an admin maps once and the mapping is saved. Matching is exact after normalisation, never
 * "contains": "紧急联系人电话" must not quietly become the resident's phone.
 */

export const ROSTER_FIELDS = ['name', 'idNumber', 'phone', 'building', 'unit', 'room', 'tags'] as const;
export type RosterField = (typeof ROSTER_FIELDS)[number];

export const RESIDENT_TAGS = ['elderly', 'bedridden', 'isolation', 'keyPerson'] as const;
export type ResidentTag = (typeof RESIDENT_TAGS)[number];

export const REQUIRED_FIELDS: readonly RosterField[] = ['name', 'idNumber'];
export const HOUSEHOLD_FIELDS: readonly RosterField[] = ['building', 'unit', 'room'];

/** Keys are normalised with `normalizeHeader`. */
const HEADER_WORDS: Record<RosterField, readonly string[]> = {
  name: ['姓名', '名字', '居民姓名', '人员姓名', '住户姓名', '被检测人姓名', 'name', 'fullname', 'xm'],
  idNumber: [
    '身份证号', '身份证号码', '身份证', '证件号码', '证件号', '身份证件号码', '公民身份号码', '公民身份证号码',
    '居民身份证号码', '居民身份证号', 'idnumber', 'id', 'idcard', 'idno', 'sfzh', 'zjhm',
  ],
  phone: [
    '手机号', '手机号码', '手机', '联系电话', '电话', '电话号码', '联系方式', '联系号码', '移动电话',
    'phone', 'mobile', 'tel', 'telephone', 'phonenumber', 'mobilephone', 'sjh', 'sjhm', 'lxdh',
  ],
  building: ['楼栋', '楼号', '楼', '栋', '幢', '楼栋号', '栋号', '幢号', '楼幢', '楼幢号', '所在楼栋', 'building', 'bldg', 'buildingno'],
  unit: ['单元', '单元号', '所在单元', 'unit', 'unitno'],
  room: ['房号', '房间号', '门牌号', '室', '户号', '房间', '门牌', '室号', '房屋号', 'room', 'roomno'],
  tags: ['标签', '人员类别', '类别', '人员标签', '人员类型', '人群类别', 'tags', 'tag', 'category'],
};

const HEADER_TABLE: ReadonlyMap<string, RosterField> = new Map(
  ROSTER_FIELDS.flatMap((field) => HEADER_WORDS[field].map((word) => [word, field] as const)),
);

// Annotations templates put in headers: "身份证号(必填)", "手机号码【选填】", "姓名*", "房号:".
const ANNOTATION = /\([^)]*\)|\[[^\]]*\]|【[^】]*】|[*:：#]/g;
const INVISIBLE = /[\s\u200b-\u200d\u2060\ufeff_-]/g;

/** Header text as compared: NFKC (full-width brackets, letters, digits to half-width), no annotations or spaces, lower case. */
export function normalizeHeader(text: string): string {
  return text.normalize('NFKC').replace(INVISIBLE, '').replace(ANNOTATION, '').toLowerCase();
}

export function recognizeHeader(text: string): RosterField | null {
  return HEADER_TABLE.get(normalizeHeader(text)) ?? null;
}

const TAG_WORDS: ReadonlyMap<string, ResidentTag> = new Map([
  ...['老人', '老年人', '高龄', '高龄老人', '独居老人', '空巢老人', '孤寡老人', 'elderly'].map((w) => [w, 'elderly'] as const),
  ...['卧床', '长期卧床', '卧床老人', '行动不便', '失能', '半失能', '失能老人', '瘫痪', 'bedridden'].map((w) => [w, 'bedridden'] as const),
  ...['隔离', '居家隔离', '居家观察', '居家医学观察', '居家健康监测', 'isolation'].map((w) => [w, 'isolation'] as const),
  ...['重点人员', '重点', '重点人群', 'keyperson'].map((w) => [w, 'keyPerson'] as const),
]);

const TAG_SEPARATORS = /[、,，;；/／\s]+/;

/** Tag words of one cell, e.g. "独居老人、行动不便"; words the table does not know are returned for the report. */
export function parseTags(cell: string): { tags: ResidentTag[]; unknown: string[] } {
  const tags: ResidentTag[] = [];
  const unknown: string[] = [];
  if (cell.trim() === '') return { tags, unknown };
  for (const word of cell.split(TAG_SEPARATORS)) {
    if (word === '') continue;
    const tag = TAG_WORDS.get(word.toLowerCase());
    if (tag === undefined) unknown.push(word);
    else if (!tags.includes(tag)) tags.push(tag);
  }
  return { tags, unknown };
}

/** An admin's saved answer for headers the table does not know; key: the header text as it appears, trimmed. */
export type HeaderMapping = Record<string, RosterField | 'ignore'>;

export const headerMappingSchema = z.record(z.string().max(200), z.enum([...ROSTER_FIELDS, 'ignore']));

export type ColumnPlan = {
  /** The field each column fills; null for ignored, unmapped and header-less columns. */
  columns: (RosterField | null)[];
  /** Headers neither recognised nor in the saved mapping: the admin has to say what they are. */
  unmapped: { index: number; header: string }[];
  missingRequired: RosterField[];
  /** Two or more columns for one field: the first one is read; the import should not go on until the admin resolves it. */
  duplicated: { field: RosterField; headers: string[] }[];
};

/**
 * Which field each column fills. A saved mapping wins over recognition, so an admin can also
 * correct a recognised header. Columns without a header text are skipped silently: they cannot be
 * mapped by name, and Excel's trailing empty columns are the common case.
 */
export function resolveColumns(headers: readonly string[], saved: HeaderMapping): ColumnPlan {
  const columns: (RosterField | null)[] = [];
  const unmapped: { index: number; header: string }[] = [];
  const headersOf = new Map<RosterField, string[]>();
  headers.forEach((raw, index) => {
    const header = raw.trim();
    let field: RosterField | 'ignore' | null = null;
    if (header !== '') {
      field = Object.hasOwn(saved, header) ? saved[header]! : recognizeHeader(header);
      if (field === null) unmapped.push({ index, header });
    }
    if (field === null || field === 'ignore') {
      columns.push(null);
      return;
    }
    columns.push(field);
    const list = headersOf.get(field);
    if (list) list.push(header);
    else headersOf.set(field, [header]);
  });
  const missingRequired = REQUIRED_FIELDS.filter((field) => !headersOf.has(field));
  const duplicated = ROSTER_FIELDS.flatMap((field) => {
    const list = headersOf.get(field);
    return list && list.length > 1 ? [{ field, headers: list }] : [];
  });
  return { columns, unmapped, missingRequired, duplicated };
}

import { maskIdNumber } from '../person/mask';
import { writeResidentsCsv, writeResidentsXlsx, type ExportColumn, type ExportRow } from '../roster/export';
import { bitsToTags } from '../roster/file';

/**
 * The not-yet-sampled list volunteers take door to door, the same file from a desk and from HQ:
 * household first, as they walk it; the ID number masked; the phone in full, to call ahead; an
 * empty column for what they found at the door.
 */

const TAG_WORDS: Record<string, string> = { elderly: '老人', bedridden: '卧床', isolation: '隔离', keyPerson: '重点人员' };

const COLUMNS: ExportColumn[] = [
  { key: 'building', header: '楼栋', width: 8 },
  { key: 'unit', header: '单元', width: 8 },
  { key: 'room', header: '房号', width: 10 },
  { key: 'name', header: '姓名', width: 14 },
  { key: 'id', header: '身份证号', width: 22 },
  { key: 'phone', header: '手机号', width: 16 },
  { key: 'tags', header: '标签', width: 14 },
  { key: 'done', header: '入户结果', width: 16 },
];

export type UntestedResident = {
  building: string;
  unit: string;
  room: string;
  name: string;
  idNumber: string;
  phone: string | null;
  tags: number;
};

export type UntestedListFormat = 'csv' | 'xlsx';

export function untestedListRow(r: UntestedResident): ExportRow {
  return {
    building: r.building,
    unit: r.unit,
    room: r.room,
    name: r.name,
    id: maskIdNumber(r.idNumber),
    phone: r.phone ?? '',
    tags: bitsToTags(r.tags).map((t) => TAG_WORDS[t] ?? t).join('、'),
    done: '',
  };
}

export function writeUntestedList(rows: ExportRow[], format: UntestedListFormat): Promise<Buffer> {
  return format === 'csv' ? writeResidentsCsv(rows, COLUMNS) : writeResidentsXlsx(rows, COLUMNS, '未采样');
}

/** 未采样名单-<round>-<building>栋<unit>单元.<format>, with what Windows refuses in a file name replaced. */
export function untestedListFileName(roundName: string, building: string | null | undefined, unit: string | null | undefined, format: UntestedListFormat): string {
  const where = `${building ? `${building}栋` : '全部'}${unit ? `${unit}单元` : ''}`;
  return `未采样名单-${roundName}-${where}.${format}`.replace(/[\\/:*?"<>|\s]+/g, '_');
}

export const UNTESTED_LIST_MIME: Record<UntestedListFormat, string> = {
  csv: 'text/csv;charset=utf-8',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

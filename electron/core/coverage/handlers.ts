import type { ArgsOf, ValueOf } from '../../api/contract';
import type { CoverageHandlers } from '../../api/coverage';
import type { Writer } from '../db/writer';
import { writeResidentsCsv, writeResidentsXlsx, type ExportColumn } from '../roster/export';
import { bitsToTags } from '../roster/file';
import { DomainError } from '../errors';
import { maskIdNumber } from '../person/mask';
import type { Coverage } from './coverage';

type Impl = { [M in keyof CoverageHandlers]: (args: ArgsOf<M>) => Promise<ValueOf<M>> };

/** The most rows one export holds: a street office's whole list; per building it is a few hundred. */
const MAX_EXPORT_ROWS = 200_000;

const TAG_WORDS: Record<string, string> = { elderly: '老人', bedridden: '卧床', isolation: '隔离', keyPerson: '重点人员' };

/** The door-to-door list: household first, as volunteers walk it; the phone in full, to call ahead. */
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

export type CoverageHost = {
  writer: Writer;
  now: () => Date;
  /** When HQ's feed was last read, and whether the station is enrolled at all. */
  sync(): { asOf: string | null; enrolled: boolean };
  changed(roundId: string): void;
};

/** The coverage part of the API, backed by the core's Coverage. */
export function coverageHandlers(coverage: Coverage, host: CoverageHost): Impl {
  const fresh = async (roundId: string | undefined): Promise<string> => {
    const id = coverage.resolveRound(roundId);
    if (!coverage.fresh(id)) await host.writer.run(() => coverage.recount(id, host.now().toISOString()));
    return id;
  };
  return {
    'coverage.view': async ({ roundId }) => {
      const id = await fresh(roundId);
      const { asOf, enrolled } = host.sync();
      return coverage.view(id, asOf, enrolled);
    },
    'coverage.residents': async (args) =>
      coverage.residents({ ...args, state: args.state ?? 'all', offset: args.offset ?? 0, limit: args.limit ?? 200 }),
    'coverage.exempt': async ({ roundId, ref, reason, note }) => {
      const value = await host.writer.run(() => coverage.exempt(roundId, ref, reason, note ?? '', host.now().toISOString()));
      host.changed(roundId);
      return value;
    },
    'coverage.unexempt': async ({ roundId, ref }) => {
      const value = await host.writer.run(() => coverage.unexempt(roundId, ref, host.now().toISOString()));
      host.changed(roundId);
      return value;
    },
    'coverage.export': async ({ roundId, building, unit, format }) => {
      const id = coverage.resolveRound(roundId);
      const rows: Record<string, string>[] = [];
      for (const r of coverage.untested(id, building, unit)) {
        if (rows.length >= MAX_EXPORT_ROWS) throw new DomainError('coverage.tooMany', { max: MAX_EXPORT_ROWS });
        rows.push({
          building: r.building,
          unit: r.unit,
          room: r.room,
          name: r.name,
          id: maskIdNumber(r.idNumber),
          phone: r.phone ?? '',
          tags: bitsToTags(r.tags).map((t) => TAG_WORDS[t] ?? t).join('、'),
          done: '',
        });
      }
      const where = [building ? `${building}栋` : '全部', unit ? `${unit}单元` : ''].join('');
      const base = `未采样名单-${coverage.roundName(id)}-${where}`.replace(/[\\/:*?"<>|\s]+/g, '_');
      const bytes = format === 'csv' ? await writeResidentsCsv(rows, COLUMNS) : await writeResidentsXlsx(rows, COLUMNS, '未采样');
      return {
        fileName: `${base}.${format}`,
        mimeType: format === 'csv' ? 'text/csv;charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        base64: bytes.toString('base64'),
        rows: rows.length,
      };
    },
  };
}

import type { ArgsOf, ValueOf } from '../../api/contract';
import type { ReportHandlers } from '../../api/reports';
import { Reports } from './reports';
import { reportWorkbook, XLSX_MIME } from './xlsx';

type Impl = { [M in keyof ReportHandlers]: (args: ArgsOf<M>) => Promise<ValueOf<M>> };

export type ReportApiHost = {
  now: () => Date;
  /** When this station last pulled HQ's feed (null: never). */
  syncedAt: () => string | null;
};

/** The reports part of the API: reads only, so no writer job. */
export function reportHandlers(reports: Reports, host: ReportApiHost): Impl {
  const dayOf = (day: string | undefined) => day ?? Reports.today(host.now());
  return {
    'report.day': async ({ day }) => reports.day(dayOf(day), host.syncedAt()),
    'report.export': async ({ day, lang }) => {
      const report = reports.day(dayOf(day), host.syncedAt());
      const bytes = await reportWorkbook(report, lang);
      return { fileName: `report-${report.day}.xlsx`, mimeType: XLSX_MIME, base64: bytes.toString('base64') };
    },
  };
}

/**
 * The reports part of the typed API (composed into contract.ts): a site day's counts per hour at
 * this station (read from its own tables) and at the whole site as HQ last told it, and the same
 * as an XLSX workbook. Counts only: a report carries no personal data.
 */
import { z } from 'zod';

/** The measures of an hour (and of the day's totals). */
export const REPORT_MEASURES = [
  'people',
  'tubesOpened',
  'tubesSealed',
  'tubesVoided',
  'boxesSealed',
  'boxesHandedOver',
  'gateIn',
  'gateOut',
  'fevers',
  'visitsSampled',
  'visitsNotHome',
  'visitsRefused',
] as const;
export type ReportMeasure = (typeof REPORT_MEASURES)[number];
export type ReportCounts = Record<ReportMeasure, number>;
export type ReportHour = ReportCounts & { hour: number };

export type ReportScope = {
  hours: ReportHour[];
  totals: ReportCounts & { households: number };
};

export type DayReport = {
  day: string;
  site: string;
  station: string;
  /** This station's own records of the day. */
  here: ReportScope;
  /**
   * The whole site as HQ counted it at its last answer (`asOf`), or null when HQ never answered
   * for this day. Households come from the door visits this station holds (its own and those HQ
   * relayed), as of the same sync.
   */
  siteScope: (ReportScope & { asOf: string }) | null;
  /** When this station last heard from HQ at all (null: never). */
  syncedAt: string | null;
};

export const SITE_DAY = /^\d{4}-\d{2}-\d{2}$/;
const day = z
  .string()
  .regex(SITE_DAY)
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d));

export const reportArgs = {
  'report.day': z.object({ day: day.optional() }).strict(),
  /** The day's report as an XLSX workbook, headers in the screen's language. */
  'report.export': z.object({ day: day.optional(), lang: z.enum(['zh-CN', 'en']) }).strict(),
} as const;

type Args<K extends keyof typeof reportArgs> = z.infer<(typeof reportArgs)[K]>;

export type ReportHandlers = {
  'report.day': { args: Args<'report.day'>; value: DayReport };
  'report.export': { args: Args<'report.export'>; value: { fileName: string; mimeType: string; base64: string } };
};

export type ReportEvents = {
  /** HQ answered with the site's figures of a day (after a feed pull): a report on screen asks again. */
  'report.siteChanged': { day: string; asOf: string };
};

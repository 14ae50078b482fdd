import type { BoxReceiptView, BoxSummary, ReceiptTubeStatus } from '../../../../electron/api/boxes';

/** Sites keep one clock (UTC+8, no daylight saving): the screen says the times the label and manifest print. */
const SITE_OFFSET_MS = 8 * 3600_000;

/** A time as the site reads it: `2026-12-02 10:30`. */
export function siteTime(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : new Date(ms + SITE_OFFSET_MS).toISOString().slice(0, 16).replace('T', ' ');
}

/** Words with their i18n key (boxes.json) and what they name. */
export type Words = { key: string; params?: Record<string, string | number> };

/** The statuses the lab reports a tube as other than received, in the order the screen lists them. */
export const DISCREPANCY_ORDER: readonly Exclude<ReceiptTubeStatus, 'received'>[] = ['missing', 'broken', 'extra'];

export type ReceiptShown = {
  /** `ok`: the lab received the box as handed over; `bad`: a tube missing, broken or extra. */
  tone: 'ok' | 'bad';
  heading: Words;
  /** Who received it and when. */
  by: Words;
  /** Received, and each kind of discrepancy there is (a zero is left out, received always shows). */
  counts: { status: ReceiptTubeStatus; count: number; words: Words }[];
  /** One row per tube not as handed over: missing first, then broken, then extra; by tube code within. */
  rows: { tubeCode: string; status: Exclude<ReceiptTubeStatus, 'received'>; statusWords: Words; reason: string }[];
};

/**
 * What the screen shows of the lab's receipt of a box (from HQ's feed): when and by whom, how many
 * tubes it received, and every tube that was not as handed over with the lab's reason.
 */
export function receiptShown(receipt: BoxReceiptView): ReceiptShown {
  const bad = receipt.missing + receipt.extra + receipt.broken > 0 || receipt.discrepancies.length > 0;
  const counts = (['received', 'missing', 'broken', 'extra'] as const)
    .map((status) => ({ status, count: receipt[status], words: { key: `receipt.count.${status}`, params: { count: receipt[status] } } }))
    .filter((c) => c.status === 'received' || c.count > 0);
  const rows = [...receipt.discrepancies]
    .sort((a, b) => DISCREPANCY_ORDER.indexOf(a.status) - DISCREPANCY_ORDER.indexOf(b.status) || a.tubeCode.localeCompare(b.tubeCode))
    .map((d) => ({ tubeCode: d.tubeCode, status: d.status, statusWords: { key: `receipt.status.${d.status}` }, reason: d.reason }));
  return {
    tone: bad ? 'bad' : 'ok',
    heading: { key: bad ? 'receipt.headingDiscrepancies' : 'receipt.headingMatched' },
    by: { key: 'receipt.by', params: { time: siteTime(receipt.receivedAt), name: receipt.receivedBy } },
    counts,
    rows,
  };
}

/** A box in a list, in words: its state, and once the lab has it, whether it matched. */
export function boxListWords(box: BoxSummary): Words[] {
  const words: Words[] = [{ key: 'list.counts', params: { tubes: box.tubeCount, capacity: box.capacity, people: box.personCount } }];
  if (box.receivedAt) words.push(box.discrepancyCount > 0 ? { key: 'list.receivedWithDiscrepancies', params: { count: box.discrepancyCount } } : { key: 'list.received' });
  return words;
}

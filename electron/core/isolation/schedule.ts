import { DEFAULT_ISOLATION_SAMPLING_DAYS, type IsolationSlot, type IsolationTaskKind, type IsolationTaskStatus } from '../../api/isolation';
import type { SiteConfig } from '../site/config';

const DAY_MS = 86_400_000;
/** A morning temperature task not done by noon (site time) is overdue; an evening one when its day is over. */
export const MORNING_DUE_HOUR = 12;

/** The site's sampling days for isolations started from now on. */
export function isolationSamplingDays(config: SiteConfig): number[] {
  return [...(config.isolation?.samplingDays ?? DEFAULT_ISOLATION_SAMPLING_DAYS)].sort((a, b) => a - b);
}

/** A site day `n` days after `day` (YYYY-MM-DD). */
export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) + n * DAY_MS).toISOString().slice(0, 10);
}

/** Which day of an isolation `day` is (1 = its first). */
export function dayNumberOf(startDay: string, day: string): number {
  return Math.round((Date.parse(`${day}T00:00:00.000Z`) - Date.parse(`${startDay}T00:00:00.000Z`)) / DAY_MS) + 1;
}

export type ScheduledTask = { personId: string; day: string; dayNumber: number; kind: IsolationTaskKind; status: IsolationTaskStatus; doneAt: string | null; celsius: number | null };

/**
 * An active isolation's tasks from its first day to `today` (site days; `hour` the site's hour
 * now), the same at a station and at HQ: sampling on the sampling days, done by a sampling that
 * site day (`sampled`: person → day → when); temperature morning and evening every day, done by a
 * reading (`readings`: `person|day|slot` → the latest). A task of a day gone by not done is
 * overdue, a morning's from noon on.
 */
export function scheduleOf(
  i: { startDay: string; untilDay: string; samplingDays: readonly number[]; personIds: readonly string[] },
  now: { today: string; hour: number },
  sampled: (personId: string) => ReadonlyMap<string, string>,
  readings: ReadonlyMap<string, { celsius: number; at: string }>,
): ScheduledTask[] {
  const tasks: ScheduledTask[] = [];
  const last = now.today < i.untilDay ? now.today : i.untilDay;
  const samplingDays = new Set(i.samplingDays);
  const status = (done: boolean, due: boolean): IsolationTaskStatus => (done ? 'done' : due ? 'overdue' : 'pending');
  for (const personId of i.personIds) {
    const days = sampled(personId);
    for (let day = i.startDay; day <= last; day = addDays(day, 1)) {
      const dayNumber = dayNumberOf(i.startDay, day);
      if (samplingDays.has(dayNumber)) {
        const at = days.get(day) ?? null;
        tasks.push({ personId, day, dayNumber, kind: 'sampling', status: status(at !== null, day < now.today), doneAt: at, celsius: null });
      }
      for (const [slot, kind] of [
        ['morning', 'temperatureMorning'],
        ['evening', 'temperatureEvening'],
      ] as [IsolationSlot, IsolationTaskKind][]) {
        const r = readings.get(`${personId}|${day}|${slot}`);
        const due = day < now.today || (slot === 'morning' && now.hour >= MORNING_DUE_HOUR);
        tasks.push({ personId, day, dayNumber, kind, status: status(r !== undefined, due), doneAt: r?.at ?? null, celsius: r?.celsius ?? null });
      }
    }
  }
  return tasks;
}

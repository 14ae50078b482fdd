import type { DoorArea, DoorHousehold } from '../../../../electron/api/doors';

/** A household as staff say it: 3-2-502 (a ledger without units: 3-502). */
export function householdName(h: DoorHousehold): string {
  return [h.building, h.unit, h.room].filter((x) => x !== '').join('-');
}

export function sameHousehold(a: DoorHousehold | null, b: DoorHousehold): boolean {
  return a !== null && a.building === b.building && a.unit === b.unit && a.room === b.room;
}

/** Hour and minute, with the month and day when it is not today. */
export function shortTime(iso: string, language: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const time = date.toLocaleTimeString(language, { hour: '2-digit', minute: '2-digit', hour12: false });
  if (date.toDateString() === new Date().toDateString()) return time;
  return `${date.toLocaleDateString(language, { month: 'numeric', day: 'numeric' })} ${time}`;
}

/** A group's area in words (doors.json `group.building` / `group.unit`). */
export function areaWords(t: (key: string, params?: Record<string, string>) => string, a: DoorArea): string {
  return a.unit === null ? t('group.building', { building: a.building }) : t('group.unit', { building: a.building, unit: a.unit });
}

/** A temperature typed at the door: undefined when none, NaN when it is not a number. */
export function typedTemperature(text: string): number | undefined {
  const trimmed = text.trim().replace(',', '.');
  if (trimmed === '') return undefined;
  return /^\d{2}(\.\d)?\d*$/.test(trimmed) ? Number(trimmed) : Number.NaN;
}

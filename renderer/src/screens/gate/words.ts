import type { GatePassageView, GateReason, GateVerdict } from '../../../../electron/api/gate';
import type { Message, Tone } from '../../feedback/feedback';
import type { Sound } from '../../feedback/sound';

/**
 * The verdict as the screen shows it: the core's level, except that a pass still waiting for its
 * reading is shown as `wait` (blue, "take their temperature first"), never green before it is final.
 */
export type ShownLevel = GateVerdict['level'] | 'wait';

export function shownLevel(verdict: GateVerdict): ShownLevel {
  return verdict.level === 'pass' && !verdict.final ? 'wait' : verdict.level;
}

/** A verdict's colour as the banner shows it: pass green, check amber, stop red, waiting blue. */
export const VERDICT_TONE: Record<ShownLevel, Tone> = { pass: 'accepted', check: 'confirm', stop: 'rejected', wait: 'full' };

/** What a passage sounds like: the key-person and fever alarms before the verdict's own tone. */
export function verdictSound(p: GatePassageView): Sound {
  const reasons = p.verdict.reasons;
  if (reasons.includes('keyPerson')) return 'keyPerson';
  if (reasons.includes('temperature.fever') || reasons.includes('temperature.remeasure')) return 'fever';
  const level = shownLevel(p.verdict);
  return level === 'wait' ? 'info' : VERDICT_TONE[level];
}

/** The words of a reason (`gate.json` `reasons.<code>`) with what they name: the threshold, the rule's hours. */
export function reasonMessage(p: GatePassageView, reason: GateReason): { key: string; params: Record<string, string | number> } {
  const params: Record<string, string | number> = { thresholdC: p.temperature.thresholdC };
  if (p.rule.kind === 'sampledWithin') params.hours = p.rule.hours;
  return { key: `gate:reasons.${reason}`, params };
}

/** The reasons worth saying: a verdict shown as `wait` already says "take their temperature". */
export function shownReasons(verdict: GateVerdict): GateReason[] {
  return shownLevel(verdict) === 'wait' ? verdict.reasons.filter((r) => r !== 'temperature.awaiting') : verdict.reasons;
}

/** The verdict as the banner says it: "张三：请通行", then each reason. */
export function verdictMessages(p: GatePassageView): [Message, ...Message[]] {
  return [{ key: `gate:outcome.${shownLevel(p.verdict)}`, params: { label: p.person.label } }, ...shownReasons(p.verdict).map((r) => reasonMessage(p, r))];
}

/** Whether the verdict changed: the gate keeper hears it again then, and only then. */
export function verdictKey(p: GatePassageView): string {
  return `${p.verdict.level}|${p.verdict.reasons.join(',')}|${p.verdict.final ? 'final' : 'open'}`;
}

/** How much a view of a passage knows: of two views of one passage, the one that knows more is the newer. */
export function weight(p: GatePassageView): number {
  return p.temperature.readings.length * 100 + p.keyPersonActions.length * 10 + (p.referral ? 1 : 0);
}

/** One decimal, as a thermometer shows it. */
export function celsiusText(c: number): string {
  return `${c.toFixed(1)} ℃`;
}

/** A typed reading: 32.0 to 43.0 °C, at most one decimal; null when it is not one. */
export function parseCelsius(text: string): number | null {
  const t = text.trim().replace(',', '.');
  if (!/^\d{2}(\.\d)?$/.test(t)) return null;
  const value = Number(t);
  return value >= 32 && value <= 43 ? value : null;
}

/** A day and a time of day, for what may be days old (the last sampling, HQ's result). */
export function formatDateTime(iso: string, language: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(language, { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false });
}

/** A day as the site counts it (UTC+8, YYYY-MM-DD): a pass's last valid day. */
export function siteDate(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? iso : new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);
}

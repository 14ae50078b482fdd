import type { GateSettings } from '../../api/gate';
import type { SiteConfig } from '../site/config';

/** What a site gets without a `gate` section in its configuration: the demo site works with these. */
export const DEFAULT_GATE_SETTINGS: GateSettings = {
  // The threshold the source documents give for a referral (≥ 37.3 °C).
  feverC: 37.3,
  entryRule: { kind: 'sampledWithin', hours: 72 },
  reading: { beforeScanSeconds: 2, afterScanSeconds: 8 },
  measureOnExit: false,
};

/** The site's gate settings, each one HQ left out taking its default. */
export function gateSettings(config: SiteConfig): GateSettings {
  const gate = config.gate ?? {};
  return {
    feverC: gate.feverC ?? DEFAULT_GATE_SETTINGS.feverC,
    entryRule: gate.entryRule ?? DEFAULT_GATE_SETTINGS.entryRule,
    reading: gate.reading ?? DEFAULT_GATE_SETTINGS.reading,
    measureOnExit: gate.measureOnExit ?? DEFAULT_GATE_SETTINGS.measureOnExit,
  };
}

/** Sites keep one clock (UTC+8, no daylight saving), as HQ's `siteDay` does: "today" and "8 o'clock" are theirs. */
const SITE_UTC_OFFSET_MS = 8 * 3600_000;

/** The site day (YYYY-MM-DD) and hour (0–23) of a moment. */
export function siteHour(ms: number): { day: string; hour: number } {
  const local = new Date(ms + SITE_UTC_OFFSET_MS).toISOString();
  return { day: local.slice(0, 10), hour: Number(local.slice(11, 13)) };
}

/** The first moment (ISO, UTC) of a site day. */
export function siteDayStart(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00.000Z`) - SITE_UTC_OFFSET_MS).toISOString();
}

/** A moment as staff read it in a message: the site's month, day, hour and minute ("11-20 10:05"). */
export function siteMinute(ms: number): string {
  return new Date(ms + SITE_UTC_OFFSET_MS).toISOString().slice(5, 16).replace('T', ' ');
}

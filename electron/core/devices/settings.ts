import { deviceSettingsSchema, type DeviceSettings } from '../../api/devices';
import type { StationDatabase } from '../db/database';
import { createLogger } from '../log';

const log = createLogger('devices');

export const DEVICES_SETTING = 'devices';

/** The stored device settings; a missing or unreadable value reads as "no devices". */
export function readDeviceSettings(db: StationDatabase): DeviceSettings {
  const row = db.prepare(`SELECT value FROM setting WHERE key = ?`).get(DEVICES_SETTING) as { value: string } | undefined;
  if (!row) return deviceSettingsSchema.parse({});
  try {
    const parsed = deviceSettingsSchema.safeParse(JSON.parse(row.value));
    if (parsed.success) return parsed.data;
    log.error({ issue: parsed.error.issues[0]?.path.join('.') }, 'stored device settings invalid; ignoring them');
  } catch {
    log.error('stored device settings are not JSON; ignoring them');
  }
  return deviceSettingsSchema.parse({});
}

/** Runs inside the writer's transaction. */
export function writeDeviceSettings(db: StationDatabase, settings: DeviceSettings): void {
  db.prepare(`INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(
    DEVICES_SETTING,
    JSON.stringify(deviceSettingsSchema.parse(settings)),
  );
}

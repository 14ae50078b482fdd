import os from 'node:os';
import path from 'node:path';

/**
 * The station's data folder when none is given: the same place Electron's
 * `app.getPath('userData')` points at for an app named Station, plus `data`, so the desktop app
 * and `station serve` on the same machine share one database.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const home = os.homedir();
  let appData: string;
  if (platform === 'win32') appData = env.APPDATA ?? path.join(home, 'AppData', 'Roaming');
  else if (platform === 'darwin') appData = path.join(home, 'Library', 'Application Support');
  else appData = env.XDG_CONFIG_HOME ?? path.join(home, '.config');
  return path.join(appData, 'Station', 'data');
}

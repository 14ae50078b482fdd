import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { launchOptionsFrom } from '../../../electron/main/launch-options.main';

const userData = path.join(path.sep, 'home', 'staff', '.config', 'Station');
const cwd = path.join(path.sep, 'work');
const defaults = { dataDir: path.join(userData, 'data') };

describe('desktop app command line', () => {
  it('uses data/ in the user-data folder and the stored settings by default', () => {
    expect(launchOptionsFrom(['station'], userData, cwd)).toEqual(defaults);
    expect(launchOptionsFrom(['electron', 'dist/electron/main/main.js', '--no-sandbox'], userData, cwd)).toEqual(defaults);
  });

  it('takes --data DIR or --data=DIR, resolved against the working directory', () => {
    expect(launchOptionsFrom(['station', '--data', 'desk1'], userData, cwd).dataDir).toBe(path.join(cwd, 'desk1'));
    expect(launchOptionsFrom(['station', '--inspect=9229', '--data=/srv/desk2'], userData, cwd).dataDir).toBe(path.resolve('/srv/desk2'));
    expect(launchOptionsFrom(['station', '--data'], userData, cwd)).toEqual(defaults);
    expect(launchOptionsFrom(['station', '--data='], userData, cwd)).toEqual(defaults);
  });

  it('takes --devices and --hq like station serve, ignoring values it cannot use', () => {
    expect(launchOptionsFrom(['station', '--devices', 'simulated', '--hq', 'https://hq.example:8443/'], userData, cwd)).toEqual({
      ...defaults,
      devices: 'simulated',
      hqUrl: 'https://hq.example:8443/',
    });
    expect(launchOptionsFrom(['station', '--devices', 'imaginary', '--hq', 'ftp://hq.example/'], userData, cwd)).toEqual(defaults);
  });
});

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataDirFrom } from '../../../electron/main/paths.main';

const userData = path.join(path.sep, 'home', 'staff', '.config', 'Station');
const cwd = path.join(path.sep, 'work');

describe('data folder', () => {
  it('is data/ in the user-data folder by default', () => {
    expect(dataDirFrom(['station'], userData, cwd)).toBe(path.join(userData, 'data'));
    expect(dataDirFrom(['electron', 'dist/electron/main/main.js', '--no-sandbox'], userData, cwd)).toBe(path.join(userData, 'data'));
  });

  it('is --data DIR or --data=DIR when given, resolved against the working directory', () => {
    expect(dataDirFrom(['station', '--data', 'desk1'], userData, cwd)).toBe(path.join(cwd, 'desk1'));
    expect(dataDirFrom(['station', '--inspect=9229', '--data=/srv/desk2'], userData, cwd)).toBe(path.resolve('/srv/desk2'));
  });

  it('falls back to the default when --data has no value', () => {
    expect(dataDirFrom(['station', '--data'], userData, cwd)).toBe(path.join(userData, 'data'));
    expect(dataDirFrom(['station', '--data='], userData, cwd)).toBe(path.join(userData, 'data'));
  });
});

import Ajv, { type ValidateFunction } from 'ajv';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(__dirname, '../../..');
const schemaFile = path.join(root, 'node_modules/app-builder-lib/scheme.json');

type Target = string | { target: string; arch?: string[] };
type BuilderConfig = {
  appId?: string;
  productName?: string;
  directories?: { output?: string };
  files?: string[];
  extraResources?: { from: string; to: string }[];
  asar?: boolean;
  asarUnpack?: string[];
  npmRebuild?: boolean;
  buildDependenciesFromSource?: boolean;
  win?: { target?: Target[]; icon?: string };
  nsis?: { oneClick?: boolean; perMachine?: boolean; allowToChangeInstallationDirectory?: boolean; deleteAppDataOnUninstall?: boolean };
  linux?: { target?: Target[]; category?: string; maintainer?: string; icon?: string };
  deb?: { depends?: string[] };
  electronFuses?: Record<string, boolean>;
};

let validate: ValidateFunction;
let config: BuilderConfig;

beforeAll(() => {
  // electron-builder's schema is draft-07 and uses its own keywords (e.g. "tsType"), hence strict: false.
  const ajv = new Ajv({ strict: false, allErrors: true });
  validate = ajv.compile(JSON.parse(fs.readFileSync(schemaFile, 'utf8')));
  config = parse(fs.readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')) as BuilderConfig;
});

const targetNames = (targets: Target[] | undefined): string[] => (targets ?? []).map((t) => (typeof t === 'string' ? t : t.target));

describe('electron-builder.yml', () => {
  it('is valid against electron-builder’s own schema', () => {
    const valid = validate(config);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('passes the check the electron-builder command itself runs', async () => {
    const { validateConfiguration } = await import('app-builder-lib/out/util/config/config.js');
    const { DebugLogger } = await import('builder-util');
    await expect(validateConfiguration(structuredClone(config) as never, new DebugLogger(false))).resolves.toBeUndefined();
    const misspelt = { ...structuredClone(config), linux: { ...config.linux, categroy: 'Office' } };
    await expect(validateConfiguration(misspelt as never, new DebugLogger(false))).rejects.toThrow(/linux/);
  });

  it('the schema check catches a wrong key and a wrong value', () => {
    expect(validate({ ...config, nsis: { ...config.nsis, oneClik: false } })).toBe(false);
    expect(validate({ ...config, asar: 'yes' })).toBe(false);
  });

  it('names the app and writes packages to release/', () => {
    expect(config.appId).toMatch(/^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$/);
    expect(config.productName).toBe('Station');
    expect(config.directories?.output).toBe('release');
  });

  it('builds an NSIS installer for x64 that can go per-machine into a chosen folder and keeps data on uninstall', () => {
    const nsis = config.win?.target?.find((t) => (typeof t === 'string' ? t : t.target) === 'nsis');
    expect(nsis).toBeDefined();
    expect(typeof nsis === 'object' ? nsis.arch : undefined).toContain('x64');
    expect(config.nsis).toMatchObject({ oneClick: false, perMachine: false, allowToChangeInstallationDirectory: true, deleteAppDataOnUninstall: false });
  });

  it('builds AppImage and deb for Linux, with the USB library the devices need', () => {
    expect(targetNames(config.linux?.target)).toEqual(expect.arrayContaining(['AppImage', 'deb']));
    expect(config.linux?.category).toBeTruthy();
    expect(config.linux?.maintainer).toMatch(/<[^@\s]+@[^>\s]+>/);
    expect(config.deb?.depends).toEqual(expect.arrayContaining(['libusb-1.0-0', 'libgtk-3-0', 'libnss3']));
  });

  it('packs the app into asar but keeps the native modules unpacked, rebuilt for Electron', () => {
    expect(config.asar).toBe(true);
    expect(config.asarUnpack).toEqual(
      expect.arrayContaining(['**/*.node', '**/node_modules/better-sqlite3-multiple-ciphers/**', '**/node_modules/@serialport/bindings-cpp/**', '**/node_modules/node-hid/**']),
    );
    expect(config.npmRebuild).not.toBe(false);
    expect(config.buildDependenciesFromSource).toBe(true);
  });

  it('locks the shipped Electron binary down with fuses', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
    });
  });

  it('ships the compiled app and the runtime resources, not sources or tests', () => {
    const files = config.files ?? [];
    expect(files).toEqual(expect.arrayContaining(['package.json', 'dist/**/*']));
    expect(files.some((f) => /^(electron|renderer|test|native|hq)\//.test(f))).toBe(false);
    expect(config.extraResources).toEqual(expect.arrayContaining([expect.objectContaining({ from: 'resources', to: 'resources' })]));
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { main: string };
    expect(pkg.main.startsWith('dist/')).toBe(true);
  });

  it('uses an icon that exists and is at least 512×512', () => {
    for (const icon of [config.win?.icon, config.linux?.icon]) {
      expect(icon).toBeDefined();
      const png = fs.readFileSync(path.join(root, icon!));
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
      expect(png.readUInt32BE(16)).toBeGreaterThanOrEqual(512);
      expect(png.readUInt32BE(20)).toBeGreaterThanOrEqual(512);
    }
  });
});

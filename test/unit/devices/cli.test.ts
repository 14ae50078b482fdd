import fs from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { devices } from '../../../electron/cli/commands/devices';
import { StationCore } from '../../../electron/core/core';
import { dataKeyOf, ok, signInAdmin, tempDir } from '../../helpers/core';

const savedPath = process.env.PATH;
afterEach(() => {
  process.env.PATH = savedPath;
  vi.restoreAllMocks();
});

async function runCli(argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  const code = await devices.run(argv);
  vi.restoreAllMocks();
  return { code, out };
}

describe('station devices', () => {
  it('lists ports and the configured devices without udevadm on PATH', async () => {
    const dataDir = tempDir();
    const core = await signInAdmin(new StationCore({ dataDir, dataKey: dataKeyOf(dataDir), devices: 'off' }));
    await ok(core, 'devices.save', { device: { id: 'gate-thermo', name: 'Gate', enabled: true, kind: 'thermometer', driver: 'serial', path: '/dev/ttyUSB3', baudRate: 9600, protocol: 'modbus', offsetC: 0.3, toleranceC: 0.2, samples: 3, gapMs: 1500 } });
    await core.devices.stop();
    core.close();

    process.env.PATH = '/nonexistent';
    const text = await runCli(['--data', dataDir]);
    expect(text.code).toBe(0);
    expect(text.out).toContain('Serial ports:');
    expect(text.out).toContain('gate-thermo');
    expect(text.out).toContain('/dev/ttyUSB3 9600 baud, modbus, offset 0.3 °C');
    expect(text.out).toMatch(/warning: serial\.listFailed/);

    const json = JSON.parse((await runCli(['--data', dataDir, '--json'])).out) as { configured: { id: string }[]; mode: string; warnings: string[] };
    expect(json.configured.map((d) => d.id)).toEqual(['gate-thermo']);
    expect(json.mode).toBe('real');
  });

  it('does not create a station when there is none', async () => {
    const dataDir = tempDir();
    const { code, out } = await runCli(['--data', dataDir]);
    expect(code).toBe(0);
    expect(out).not.toContain('Configured devices');
    expect(fs.existsSync(`${dataDir}/station.db`)).toBe(false);
  });
});

import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesPerRow } from '../../native/label/bitmap';
import { pngToBitmap } from '../../native/label/png';
import { renderZpl } from '../../native/printer/zpl-render';
import { openCore, tempDir } from '../helpers/core';
import { tubeCode } from '../helpers/ids';
import { labelPng, zbarDecode } from '../helpers/printer-sim';
import { ROOT, STATION_BIN } from '../helpers/station-process';

function station(args: string[]): { status: number | null; stdout: string; stderr: string } {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'electron', 'cli', 'station.js'))) throw new Error('dist/ is missing: run "npm run build" first (npm test does)');
  const r = spawnSync(process.execPath, [STATION_BIN, ...args], { encoding: 'utf8', env: { ...process.env, STATION_LOG_LEVEL: 'warn' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('station label (built CLI)', () => {
  it.each([203, 300] as const)('--format png and zpl at %i dpi both decode to the tube code', (dpi) => {
    const dir = tempDir();
    const code = tubeCode(7000 + dpi);
    const png = path.join(dir, 'tube.png');
    const zpl = path.join(dir, 'tube.zpl');
    expect(station(['label', '--tube', code, '--format', 'png', '--out', png, '--dpi', String(dpi)]).status).toBe(0);
    expect(station(['label', '--tube', code, '--format', 'zpl', '--out', zpl, '--dpi', String(dpi), '--mode', 'native']).status).toBe(0);
    const bitmap = pngToBitmap(fs.readFileSync(png));
    expect(bitmap.width).toBe(dpi === 203 ? 400 : 591);
    expect(zbarDecode(labelPng(bitmap))).toEqual([code]);
    const [printed] = renderZpl(fs.readFileSync(zpl, 'latin1'));
    expect(zbarDecode(labelPng(printed!))).toEqual([code]);
  });

  it('tspl, epl and escpos files carry one raster of the label size', () => {
    const dir = tempDir();
    const width = bytesPerRow(400);
    for (const [format, header] of [
      ['tspl', `BITMAP 0,0,${width},200,0,`],
      ['epl', `GW0,0,${width},200,`],
      ['escpos', Buffer.from([0x1d, 0x76, 0x30, 0, width, 0, 200, 0]).toString('latin1')],
    ] as const) {
      const out = path.join(dir, `tube.${format}`);
      expect(station(['label', '--tube', tubeCode(1), '--format', format, '--out', out]).status).toBe(0);
      expect(fs.readFileSync(out, 'latin1')).toContain(header);
    }
  });

  it('uses the station\'s site and the tube\'s pool size with --data', async () => {
    const dataDir = tempDir();
    const core = await openCore(dataDir);
    const opened = await core.invoke('scan.submit', { text: tubeCode(77), source: 'manual' });
    expect(opened.ok).toBe(true);
    core.close();
    const out = path.join(dataDir, 'tube.png');
    expect(station(['label', '--tube', tubeCode(77), '--format', 'png', '--out', out, '--data', dataDir]).status).toBe(0);
    // The demo site's name makes the top line wider than the code-only label's.
    const withSite = pngToBitmap(fs.readFileSync(out));
    const bare = path.join(dataDir, 'bare.png');
    station(['label', '--tube', tubeCode(77), '--format', 'png', '--out', bare]);
    const rowInk = (b: ReturnType<typeof pngToBitmap>) => b.pixels.subarray(0, b.width * 30).reduce((n, p) => n + p, 0);
    expect(rowInk(withSite)).toBeGreaterThan(0);
    expect(rowInk(pngToBitmap(fs.readFileSync(bare)))).toBe(0);
  });

  it('refuses a bad format or a missing code with the usage line and exit code 1', () => {
    const r = station(['label', '--tube', tubeCode(1), '--format', 'pdf', '--out', '-']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('usage: station label');
    expect(station(['label', '--format', 'zpl', '--out', '-']).status).toBe(1);
  });

  it('writes to standard output with --out -', () => {
    const zpl = execFileSync(process.execPath, [STATION_BIN, 'label', '--tube', tubeCode(3), '--format', 'zpl', '--out', '-'], { encoding: 'latin1' });
    expect(zpl.startsWith('~SD15\n^XA')).toBe(true);
  });
});

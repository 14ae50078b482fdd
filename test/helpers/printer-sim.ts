import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Bitmap } from '../../native/label/bitmap';
import { bitmapToPng, withMargin } from '../../native/label/png';

/**
 * Decodes every barcode in a PNG with Debian's zbarimg (an independent reader, not our encoder).
 * Returns the decoded texts; an image with no readable code gives [].
 */
export function zbarDecode(png: Buffer): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'station-zbar-'));
  const file = path.join(dir, 'label.png');
  fs.writeFileSync(file, png);
  try {
    const out = execFileSync('zbarimg', ['--raw', '-q', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out.split('\n').filter((line) => line.length > 0);
  } catch (err) {
    // zbarimg exits 4 when it found no symbol.
    if ((err as { status?: number }).status === 4) return [];
    throw err;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A label bitmap as a PNG with a white border, as paper around a label would be. */
export function labelPng(bitmap: Bitmap): Buffer {
  return bitmapToPng(withMargin(bitmap, 20));
}

/** Saves a PNG under test-artifacts/ so a person can look at what a test printed. */
export function saveArtifact(name: string, png: Buffer): string {
  const dir = path.resolve(__dirname, '../../test-artifacts/labels');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  fs.writeFileSync(file, png);
  return file;
}

/** Run-length of black dots along one row: [start, length] pairs. */
export function blackRuns(bitmap: Bitmap, row: number): [number, number][] {
  const runs: [number, number][] = [];
  let start = -1;
  for (let x = 0; x <= bitmap.width; x++) {
    const black = x < bitmap.width && bitmap.pixels[row * bitmap.width + x] === 1;
    if (black && start < 0) start = x;
    if (!black && start >= 0) {
      runs.push([start, x - start]);
      start = -1;
    }
  }
  return runs;
}

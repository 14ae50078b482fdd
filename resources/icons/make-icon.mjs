// Draws Station's app icon (a labelled sample tube on a teal tile) into icon.png, 512×512 RGBA.
// Run `node resources/icons/make-icon.mjs` after changing the drawing; the PNG is committed.
import fs from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';

const SIZE = 512;
const SAMPLES = 4; // per axis: 16 samples per pixel smooth the edges

const TEAL = [15, 118, 110];
const WHITE = [255, 255, 255];
const CAP = [245, 158, 11];
const INK = [17, 24, 39];

function inRoundedRect(x, y, left, top, right, bottom, radius) {
  if (x < left || x > right || y < top || y > bottom) return false;
  const cx = Math.min(Math.max(x, left + radius), right - radius);
  const cy = Math.min(Math.max(y, top + radius), bottom - radius);
  return (x - cx) ** 2 + (y - cy) ** 2 <= radius ** 2;
}

function inTube(x, y) {
  const inBody = x >= 208 && x <= 304 && y >= 132 && y <= 372;
  return inBody || (x - 256) ** 2 + (y - 372) ** 2 <= 48 ** 2;
}

// Bar widths (in 3 px units) of the label's barcode, alternating bar and space.
const BARS = [2, 1, 1, 1, 3, 1, 1, 2, 2, 1, 1, 1, 3];
function inBarcode(x, y) {
  if (y < 196 || y > 316) return false;
  let left = 226;
  for (let i = 0; i < BARS.length; i++) {
    const right = left + BARS[i] * 3;
    if (i % 2 === 0 && x >= left && x < right) return true;
    left = right;
  }
  return false;
}

/** The colour at one sample point, painted back to front; null is transparent. */
function colourAt(x, y) {
  let colour = null;
  if (inRoundedRect(x, y, 32, 32, 480, 480, 96)) colour = TEAL;
  if (inTube(x, y)) colour = WHITE;
  if (inRoundedRect(x, y, 192, 84, 320, 144, 14)) colour = CAP;
  if (inBarcode(x, y)) colour = INK;
  return colour;
}

const png = new PNG({ width: SIZE, height: SIZE });
for (let py = 0; py < SIZE; py++) {
  for (let px = 0; px < SIZE; px++) {
    const sum = [0, 0, 0];
    let covered = 0;
    for (let sy = 0; sy < SAMPLES; sy++) {
      for (let sx = 0; sx < SAMPLES; sx++) {
        const colour = colourAt(px + (sx + 0.5) / SAMPLES, py + (sy + 0.5) / SAMPLES);
        if (!colour) continue;
        covered++;
        for (let c = 0; c < 3; c++) sum[c] += colour[c];
      }
    }
    const i = (py * SIZE + px) * 4;
    for (let c = 0; c < 3; c++) png.data[i + c] = covered ? Math.round(sum[c] / covered) : 0;
    png.data[i + 3] = Math.round((covered / (SAMPLES * SAMPLES)) * 255);
  }
}

fs.writeFileSync(path.join(import.meta.dirname, 'icon.png'), PNG.sync.write(png));

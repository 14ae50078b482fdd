import fs from 'node:fs';
import bwipjs from 'bwip-js';
import { createBitmap, type Bitmap } from './bitmap';
import { woffToSfnt } from './woff';

/**
 * Label text, Chinese included, drawn without native code: GNU Unifont (UnifontEX, from npm)
 * is a 16-dot pixel font covering the whole BMP, so 采样点 and 10混1 render on any host. Its
 * outlines are loaded into bwip-js's font library (stb_truetype) and filled here at pixel
 * centres: at a whole number of printer dots per font pixel the result is crisp 1-bit text,
 * which an anti-aliased rasteriser followed by a threshold is not.
 */
export const FONT_CELL = 16;
/** Unifont's baseline sits 14 of the 16 rows down. */
const BASELINE_ROWS = 14;
const FONT_NAME = 'STATION-UNIFONT';
const REPLACEMENT = 0xfffd;

type Glyph = { bitmap: Bitmap; advance: number };

let fontId: number | null = null;
/** getpaths size that gives one path unit per dot at one dot per font pixel. */
let unitSize = 0;
const glyphs = new Map<string, Glyph>();

function font(): number {
  if (fontId !== null) return fontId;
  const file = require.resolve('@fontsource/unifontex/files/unifontex-latin-400-normal.woff');
  const id = bwipjs.FontLib.loadFont(FONT_NAME, 100, woffToSfnt(fs.readFileSync(file))) as unknown as number;
  // Every Unifont half-width glyph is 8 font pixels wide: measure how big a font pixel is.
  const probe = 64;
  const advance = bwipjs.FontLib.getpaths(id, 'A'.codePointAt(0)!, probe, probe).advance;
  unitSize = (probe * 8) / advance;
  fontId = id;
  return id;
}

type Point = { x: number; y: number };

/** Flattens the glyph outline into closed polygons (dot coordinates, y down from the cell top). */
function outline(codePoint: number, scale: number): { polygons: Point[][]; advance: number } {
  const id = font();
  const size = unitSize * scale;
  // A character the font lacks (a rare name outside the BMP…) prints as U+FFFD, never crashes.
  const paths = bwipjs.FontLib.getpaths(id, codePoint, size, size) ?? bwipjs.FontLib.getpaths(id, REPLACEMENT, size, size);
  if (!paths) return { polygons: [], advance: 8 * scale };
  const baseline = BASELINE_ROWS * scale;
  const polygons: Point[][] = [];
  let current: Point[] = [];
  let last: Point = { x: 0, y: 0 };
  const to = (x: number, y: number): Point => ({ x, y: baseline - y });
  for (const step of paths) {
    if (step.type === 'M') {
      if (current.length > 2) polygons.push(current);
      last = to(step.x, step.y);
      current = [last];
    } else if (step.type === 'L') {
      last = to(step.x, step.y);
      current.push(last);
    } else {
      const end = to(step.x, step.y);
      const c1 = step.type === 'Q' ? to(step.cx, step.cy) : to(step.cx1, step.cy1);
      const c2 = step.type === 'Q' ? c1 : to(step.cx2, step.cy2);
      const start = last;
      for (let i = 1; i <= 8; i++) {
        const t = i / 8;
        const u = 1 - t;
        current.push({
          x: u * u * u * start.x + 3 * u * u * t * c1.x + 3 * u * t * t * c2.x + t * t * t * end.x,
          y: u * u * u * start.y + 3 * u * u * t * c1.y + 3 * u * t * t * c2.y + t * t * t * end.y,
        });
      }
      last = end;
    }
  }
  if (current.length > 2) polygons.push(current);
  return { polygons, advance: Math.round(paths.advance) };
}

/** Non-zero winding fill, sampled at dot centres. */
function fill(polygons: Point[][], width: number, height: number): Bitmap {
  const bitmap = createBitmap(Math.max(1, width), height);
  for (let row = 0; row < height; row++) {
    const yc = row + 0.5;
    const crossings: { x: number; dir: number }[] = [];
    for (const poly of polygons) {
      for (let i = 0; i < poly.length; i++) {
        const a = poly[i]!;
        const b = poly[(i + 1) % poly.length]!;
        if (a.y === b.y) continue;
        const [lo, hi] = a.y < b.y ? [a, b] : [b, a];
        if (yc < lo.y || yc >= hi.y) continue;
        crossings.push({ x: lo.x + ((yc - lo.y) * (hi.x - lo.x)) / (hi.y - lo.y), dir: b.y > a.y ? 1 : -1 });
      }
    }
    crossings.sort((p, q) => p.x - q.x);
    let winding = 0;
    for (let i = 0; i < crossings.length - 1; i++) {
      winding += crossings[i]!.dir;
      if (winding === 0) continue;
      const from = Math.max(0, Math.ceil(crossings[i]!.x - 0.5));
      const until = Math.min(bitmap.width, Math.ceil(crossings[i + 1]!.x - 0.5));
      if (until > from) bitmap.pixels.fill(1, row * bitmap.width + from, row * bitmap.width + until);
    }
  }
  return bitmap;
}

function glyph(codePoint: number, scale: number): Glyph {
  const key = `${codePoint}:${scale}`;
  let g = glyphs.get(key);
  if (!g) {
    const { polygons, advance } = outline(codePoint, scale);
    g = { bitmap: fill(polygons, advance, FONT_CELL * scale), advance };
    glyphs.set(key, g);
  }
  return g;
}

/** Width in dots of `text` at `scale` dots per font pixel. */
export function measureText(text: string, scale: number): number {
  let width = 0;
  for (const ch of text) width += glyph(ch.codePointAt(0)!, scale).advance;
  return width;
}

/** One line of text as a bitmap, 16 × scale dots tall. */
export function renderText(text: string, scale: number): Bitmap {
  if (!Number.isInteger(scale) || scale < 1) throw new RangeError('text scale must be a whole number of dots');
  const out = createBitmap(Math.max(1, measureText(text, scale)), FONT_CELL * scale);
  let x = 0;
  for (const ch of text) {
    const g = glyph(ch.codePointAt(0)!, scale);
    for (let y = 0; y < g.bitmap.height; y++) {
      for (let gx = 0; gx < g.bitmap.width && x + gx < out.width; gx++) {
        if (g.bitmap.pixels[y * g.bitmap.width + gx]) out.pixels[y * out.width + x + gx] = 1;
      }
    }
    x += g.advance;
  }
  return out;
}

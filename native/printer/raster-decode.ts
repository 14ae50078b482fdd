import { blit, createBitmap, unpackRows, type Bitmap } from '../label/bitmap';
import { renderZpl } from './zpl-render';

type Placed = { x: number; y: number; bitmap: Bitmap };

function compose(placed: Placed[], width?: number, height?: number): Bitmap {
  const w = width ?? Math.max(1, ...placed.map((p) => p.x + p.bitmap.width));
  const h = height ?? Math.max(1, ...placed.map((p) => p.y + p.bitmap.height));
  const label = createBitmap(w, h);
  for (const p of placed) blit(label, p.bitmap, p.x, p.y);
  return label;
}

function inverted(data: Buffer): Buffer {
  return Buffer.from(data.map((b) => ~b & 0xff));
}

/** `BITMAP x,y,widthBytes,height,mode,<bytes>`: 0 bits are black. */
function decodeTspl(job: Buffer): Bitmap[] {
  const placed: Placed[] = [];
  const header = /BITMAP (\d+),(\d+),(\d+),(\d+),\d,/g;
  const text = job.toString('latin1');
  for (let m = header.exec(text); m; m = header.exec(text)) {
    const [x, y, wb, h] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
    const start = m.index + m[0].length;
    placed.push({ x, y, bitmap: unpackRows(inverted(job.subarray(start, start + wb * h)), wb, h) });
    header.lastIndex = start + wb * h;
  }
  return placed.length ? [compose(placed)] : [];
}

/** `GWx,y,widthBytes,height,<bytes>`: 0 bits are black; q and Q give the label size. */
function decodeEpl(job: Buffer): Bitmap[] {
  const text = job.toString('latin1');
  const width = /(?:^|\n)q(\d+)/.exec(text);
  const height = /(?:^|\n)Q(\d+),/.exec(text);
  const placed: Placed[] = [];
  const header = /(?:^|\n)GW(\d+),(\d+),(\d+),(\d+),/g;
  for (let m = header.exec(text); m; m = header.exec(text)) {
    const [x, y, wb, h] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
    const start = m.index + m[0].length;
    placed.push({ x, y, bitmap: unpackRows(inverted(job.subarray(start, start + wb * h)), wb, h) });
    header.lastIndex = start + wb * h;
  }
  return placed.length ? [compose(placed, width ? Number(width[1]) : undefined, height ? Number(height[1]) : undefined)] : [];
}

/** `GS v 0 m xL xH yL yH <bytes>` bands, printed one under the other; 1 bits are black. */
function decodeEscPos(job: Buffer): Bitmap[] {
  const placed: Placed[] = [];
  let y = 0;
  for (let i = job.indexOf(Buffer.from([0x1d, 0x76, 0x30])); i >= 0; i = job.indexOf(Buffer.from([0x1d, 0x76, 0x30]), i)) {
    const wb = job[i + 4]! | (job[i + 5]! << 8);
    const h = job[i + 6]! | (job[i + 7]! << 8);
    const start = i + 8;
    placed.push({ x: 0, y, bitmap: unpackRows(job.subarray(start, start + wb * h), wb, h) });
    y += h;
    i = start + wb * h;
  }
  return placed.length ? [compose(placed)] : [];
}

/**
 * What a job would print, for the simulator and tests: ZPL as far as zpl-render covers it, and
 * the raster graphics of TSPL, EPL and ESC/POS jobs (their resident-font text and barcodes are
 * not drawn). Empty when the job has nothing this can draw.
 */
export function renderJobBytes(job: Buffer): Bitmap[] {
  const text = job.toString('latin1');
  if (text.includes('^XA')) return renderZpl(text);
  if (/(?:^|\n)CLS\r?\n/.test(text)) return decodeTspl(job);
  if (/(?:^|\n)N\r?\n/.test(text) && text.includes('GW')) return decodeEpl(job);
  if (job.includes(Buffer.from([0x1d, 0x76, 0x30]))) return decodeEscPos(job);
  return [];
}

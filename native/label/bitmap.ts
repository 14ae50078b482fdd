/**
 * A 1-bit label image: one byte per dot (1 = black, 0 = white) while composing, packed to
 * rows of bits (MSB = leftmost dot) for printers and PNG. The one raster that both the screen
 * preview and every printer language's graphic command come from.
 */
export type Bitmap = { width: number; height: number; pixels: Uint8Array };

export function createBitmap(width: number, height: number): Bitmap {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`bitmap size must be positive whole dots, got ${width}x${height}`);
  }
  return { width, height, pixels: new Uint8Array(width * height) };
}

/** Blackens a rectangle, clipped to the bitmap. */
export function fillRect(bitmap: Bitmap, x: number, y: number, w: number, h: number): void {
  const x0 = Math.max(0, Math.round(x));
  const y0 = Math.max(0, Math.round(y));
  const x1 = Math.min(bitmap.width, Math.round(x + w));
  const y1 = Math.min(bitmap.height, Math.round(y + h));
  for (let row = y0; row < y1; row++) bitmap.pixels.fill(1, row * bitmap.width + x0, row * bitmap.width + Math.max(x0, x1));
}

/** Copies the black dots of `source` onto `target` at (x, y), clipped. */
export function blit(target: Bitmap, source: Bitmap, x: number, y: number): void {
  for (let sy = 0; sy < source.height; sy++) {
    const ty = y + sy;
    if (ty < 0 || ty >= target.height) continue;
    for (let sx = 0; sx < source.width; sx++) {
      const tx = x + sx;
      if (tx < 0 || tx >= target.width) continue;
      if (source.pixels[sy * source.width + sx]) target.pixels[ty * target.width + tx] = 1;
    }
  }
}

export function bytesPerRow(width: number): number {
  return Math.ceil(width / 8);
}

/**
 * Packs to rows of bytes, MSB first, padded to whole bytes. `blackBit` is what a black dot is
 * in the target language: ZPL ^GF and ESC/POS GS v 0 print 1 bits, TSPL BITMAP and EPL GW print
 * 0 bits (padding is always white).
 */
export function packRows(bitmap: Bitmap, blackBit: 0 | 1 = 1): Uint8Array {
  const stride = bytesPerRow(bitmap.width);
  const out = new Uint8Array(stride * bitmap.height);
  for (let y = 0; y < bitmap.height; y++) {
    const row = y * bitmap.width;
    for (let x = 0; x < bitmap.width; x++) {
      if (bitmap.pixels[row + x]) out[y * stride + (x >> 3)]! |= 0x80 >> (x & 7);
    }
  }
  if (blackBit === 0) for (let i = 0; i < out.length; i++) out[i] = ~out[i]! & 0xff;
  return out;
}

/** The inverse of `packRows` with black = 1 (used to decode ^GF and GS v 0 back to dots). */
export function unpackRows(data: Uint8Array, widthBytes: number, height: number, width = widthBytes * 8): Bitmap {
  const bitmap = createBitmap(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const byte = data[y * widthBytes + (x >> 3)] ?? 0;
      if (byte & (0x80 >> (x & 7))) bitmap.pixels[y * width + x] = 1;
    }
  }
  return bitmap;
}

/** The smallest rectangle holding every black dot, or null for a blank bitmap. */
export function inkBounds(bitmap: Bitmap): { x: number; y: number; width: number; height: number } | null {
  let minX = bitmap.width;
  let minY = bitmap.height;
  let maxX = -1;
  let maxY = -1;
  for (let y = 0; y < bitmap.height; y++) {
    for (let x = 0; x < bitmap.width; x++) {
      if (!bitmap.pixels[y * bitmap.width + x]) continue;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
  }
  return maxX < 0 ? null : { x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1 };
}

import { PNG } from 'pngjs';
import { crc32, deflateSync } from 'node:zlib';
import { bytesPerRow, createBitmap, packRows, type Bitmap } from './bitmap';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * A 1-bit greyscale PNG of the label bitmap (white paper, black dots). Written here because
 * pngjs only writes 8-bit images; a 1-bit PNG is the printed raster bit for bit, and small.
 */
export function bitmapToPng(bitmap: Bitmap): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(bitmap.width, 0);
  ihdr.writeUInt32BE(bitmap.height, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  const packed = packRows(bitmap, 0); // PNG greyscale: 0 = black
  const stride = bytesPerRow(bitmap.width);
  const filtered = Buffer.alloc((stride + 1) * bitmap.height);
  for (let y = 0; y < bitmap.height; y++) {
    filtered[y * (stride + 1)] = 0; // filter type None
    filtered.set(packed.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  // Padding bits past the last dot come out as 1 (white) from the inversion, as PNG expects.
  return Buffer.concat([PNG_SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(filtered, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

/** Any PNG back to dots: darker than mid-grey is black (for tests and the printer simulator). */
export function pngToBitmap(data: Buffer): Bitmap {
  const png = PNG.sync.read(data);
  const bitmap = createBitmap(png.width, png.height);
  for (let i = 0; i < png.width * png.height; i++) {
    const r = png.data[i * 4]!;
    const g = png.data[i * 4 + 1]!;
    const b = png.data[i * 4 + 2]!;
    if (r * 0.299 + g * 0.587 + b * 0.114 < 128) bitmap.pixels[i] = 1;
  }
  return bitmap;
}

export function pngDataUrl(png: Buffer): string {
  return `data:image/png;base64,${png.toString('base64')}`;
}

/** The bitmap inside a white margin: decoders want quiet zones around codes at the paper edge. */
export function withMargin(bitmap: Bitmap, margin: number): Bitmap {
  const out = createBitmap(bitmap.width + 2 * margin, bitmap.height + 2 * margin);
  for (let y = 0; y < bitmap.height; y++) {
    out.pixels.set(bitmap.pixels.subarray(y * bitmap.width, (y + 1) * bitmap.width), (y + margin) * out.width + margin);
  }
  return out;
}

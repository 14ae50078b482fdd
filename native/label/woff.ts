import { inflateSync } from 'node:zlib';

/**
 * WOFF 1.0 to a plain sfnt (TrueType/OpenType) font: the font npm package ships WOFF, the
 * rasteriser (bwip-js's stb_truetype port) reads sfnt. WOFF 1.0 is a table directory plus
 * zlib-compressed tables, so node:zlib does the work; no maintained library does only this.
 */
export function woffToSfnt(woff: Uint8Array): Uint8Array {
  const src = Buffer.from(woff.buffer, woff.byteOffset, woff.byteLength);
  if (src.toString('latin1', 0, 4) !== 'wOFF') throw new Error('not a WOFF 1.0 font');
  const flavor = src.readUInt32BE(4);
  const numTables = src.readUInt16BE(12);
  const tables = Array.from({ length: numTables }, (_, i) => {
    const o = 44 + i * 20;
    return {
      tag: src.readUInt32BE(o),
      offset: src.readUInt32BE(o + 4),
      compLength: src.readUInt32BE(o + 8),
      origLength: src.readUInt32BE(o + 12),
      checksum: src.readUInt32BE(o + 16),
    };
  });
  const headerSize = 12 + 16 * numTables;
  const padded = (n: number) => (n + 3) & ~3;
  const out = Buffer.alloc(tables.reduce((size, t) => size + padded(t.origLength), headerSize));
  out.writeUInt32BE(flavor, 0);
  out.writeUInt16BE(numTables, 4);
  const entrySelector = Math.floor(Math.log2(numTables));
  out.writeUInt16BE(16 * 2 ** entrySelector, 6);
  out.writeUInt16BE(entrySelector, 8);
  out.writeUInt16BE(numTables * 16 - 16 * 2 ** entrySelector, 10);
  let offset = headerSize;
  tables.forEach((t, i) => {
    const raw = src.subarray(t.offset, t.offset + t.compLength);
    const data = t.compLength < t.origLength ? inflateSync(raw) : raw;
    if (data.length !== t.origLength) throw new Error('WOFF table length mismatch');
    const entry = 12 + 16 * i;
    out.writeUInt32BE(t.tag, entry);
    out.writeUInt32BE(t.checksum, entry + 4);
    out.writeUInt32BE(offset, entry + 8);
    out.writeUInt32BE(t.origLength, entry + 12);
    data.copy(out, offset);
    offset += padded(t.origLength);
  });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

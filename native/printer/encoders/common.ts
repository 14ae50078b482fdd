import { bytesPerRow, packRows, type Bitmap } from '../../label/bitmap';
import type { LabelPlan, PlanElement } from '../../label/layout';
import { renderElement, renderLabel } from '../../label/raster';

/**
 * `native`: text and Code 128 in the printer's own commands (sharp, small jobs), everything the
 * language cannot say (Chinese text, 2D symbols) as graphics. `raster`: the whole label as the
 * one bitmap the preview shows, so paper and screen match dot for dot.
 */
export type EncodeMode = 'native' | 'raster';

export type EncodeOptions = {
  mode: EncodeMode;
  /** Print darkness, 0–30 (ZPL ~SD); scaled to 0–15 for TSPL DENSITY and EPL D. */
  darkness: number;
  copies: number;
};

export const DEFAULT_ENCODE_OPTIONS: EncodeOptions = { mode: 'raster', darkness: 15, copies: 1 };

export type LabelEncoder = (plan: LabelPlan, options: EncodeOptions) => Uint8Array;

/** Text a printer's resident fonts can print as is. */
export function isPrintableAscii(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text);
}

export function ascii(text: string): Uint8Array {
  return Buffer.from(text, 'latin1');
}

export function concat(parts: (Uint8Array | string)[]): Uint8Array {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p)));
}

export type PackedGraphic = { x: number; y: number; widthBytes: number; height: number; data: Uint8Array };

export function packGraphic(bitmap: Bitmap, x: number, y: number, blackBit: 0 | 1): PackedGraphic {
  return { x, y, widthBytes: bytesPerRow(bitmap.width), height: bitmap.height, data: packRows(bitmap, blackBit) };
}

/** The whole label as one graphic at the origin. */
export function labelGraphic(plan: LabelPlan, blackBit: 0 | 1): PackedGraphic {
  return packGraphic(renderLabel(plan), 0, 0, blackBit);
}

/** One element as a graphic at its own position. */
export function elementGraphic(el: Exclude<PlanElement, { kind: 'rect' }>, blackBit: 0 | 1): PackedGraphic {
  return packGraphic(renderElement(el), el.x, el.y, blackBit);
}

export function density15(darkness: number): number {
  return Math.max(0, Math.min(15, Math.round(darkness / 2)));
}

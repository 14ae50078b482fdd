import { createBitmap } from '../../label/bitmap';
import type { LabelPlan, PlanElement } from '../../label/layout';
import { drawElement, renderLabel } from '../../label/raster';
import { concat, isPrintableAscii, packGraphic, type EncodeOptions, type PackedGraphic } from './common';

const ESC = 0x1b;
const GS = 0x1d;

/** `GS v 0 m xL xH yL yH d…`: raster image, x in bytes per row, y in dots, 1 bits print. */
export function escposRaster(g: PackedGraphic): Uint8Array {
  const header = Uint8Array.from([GS, 0x76, 0x30, 0, g.widthBytes & 0xff, g.widthBytes >> 8, g.height & 0xff, g.height >> 8]);
  return concat([header, g.data]);
}

/** An element as a raster band that keeps its left offset (raster images start at the margin). */
function band(el: PlanElement): Uint8Array {
  const bitmap = createBitmap(el.x + el.width, el.height);
  drawElement(bitmap, { ...el, y: 0 });
  return escposRaster(packGraphic(bitmap, 0, 0, 1));
}

/** ESC $ nL nH: absolute horizontal position in motion units (dots on label printers). */
function position(x: number): Uint8Array {
  return Uint8Array.from([ESC, 0x24, x & 0xff, x >> 8]);
}

function nativeElement(el: PlanElement): Uint8Array {
  if (el.kind === 'text' && isPrintableAscii(el.text)) {
    const m = Math.max(1, Math.min(8, Math.round(el.height / 24)));
    return concat([position(el.x), Uint8Array.from([GS, 0x21, ((m - 1) << 4) | (m - 1)]), el.text, '\n', Uint8Array.from([GS, 0x21, 0])]);
  }
  if (el.kind === 'code128') {
    // GS k 73: Code 128 with explicit code set; "{B" starts subset B, "{{" is a literal "{".
    const data = Buffer.from(`{B${el.value.replace(/\{/g, '{{')}`, 'latin1');
    return concat([
      position(el.x),
      Uint8Array.from([GS, 0x68, Math.min(255, el.height)]), // GS h: bar height
      Uint8Array.from([GS, 0x77, Math.max(2, Math.min(6, el.module))]), // GS w: module width
      Uint8Array.from([GS, 0x48, 0]), // GS H 0: no human-readable line
      Uint8Array.from([GS, 0x6b, 73, data.length]),
      data,
      '\n',
    ]);
  }
  return band(el);
}

/**
 * ESC/POS. Receipt-style heads print line by line, so native jobs print elements top to bottom
 * (vertical gaps between them are not kept); raster jobs keep the label exactly.
 */
export function encodeEscPos(plan: LabelPlan, options: EncodeOptions): Uint8Array {
  const init = Uint8Array.from([ESC, 0x40]);
  const body =
    options.mode === 'raster'
      ? [escposRaster(packGraphic(renderLabel(plan), 0, 0, 1))]
      : [...plan.elements].sort((a, b) => a.y - b.y || a.x - b.x).map(nativeElement);
  const feed = Uint8Array.from([ESC, 0x64, 3]); // ESC d 3: feed past the tear bar
  const one = concat([...body, feed]);
  return concat([init, ...Array.from({ length: options.copies }, () => one)]);
}

/** `DLE EOT n`: real-time status, n = 1 printer, 2 offline cause, 4 paper sensor. */
export function escposStatusQuery(n: 1 | 2 | 3 | 4): Uint8Array {
  return Uint8Array.from([0x10, 0x04, n]);
}

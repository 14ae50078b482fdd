import type { LabelPlan, PlanElement } from '../../label/layout';
import { elementGraphic, isPrintableAscii, labelGraphic, type EncodeOptions, type PackedGraphic } from './common';

/**
 * ZPL II. Graphics go as `^GFA,b,c,d,data`: b = c = total bytes, d = bytes per row, data in
 * uppercase hex, 1 bits black. Field data goes through `^FH` so ^ and ~ in data can never end a
 * field early.
 */
export function zplGraphicField(g: PackedGraphic): string {
  const total = g.widthBytes * g.height;
  return `^FO${g.x},${g.y}^GFA,${total},${total},${g.widthBytes},${Buffer.from(g.data).toString('hex').toUpperCase()}^FS`;
}

function fieldData(text: string): string {
  return text.replace(/[_^~]/g, (c) => `_${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function nativeElement(el: PlanElement): string {
  switch (el.kind) {
    case 'text':
      if (!isPrintableAscii(el.text)) return zplGraphicField(elementGraphic(el, 1));
      // Font 0 (scalable): the cell height matches the pixel font's line height.
      return `^FO${el.x},${el.y}^A0N,${el.height},${Math.round(el.height * 0.55)}^FH^FD${fieldData(el.text)}^FS`;
    case 'code128':
      // Mode A: the printer picks subsets B/C itself; no human-readable line (the template has its own).
      return `^FO${el.x},${el.y}^BY${el.module}^BCN,${el.height},N,N,N,A^FH^FD${fieldData(el.value)}^FS`;
    case 'matrix':
      return zplGraphicField(elementGraphic(el, 1));
    case 'rect':
      return `^FO${el.x},${el.y}^GB${el.width},${el.height},${Math.min(el.width, el.height)}^FS`;
  }
}

export function encodeZpl(plan: LabelPlan, options: EncodeOptions): Uint8Array {
  const darkness = String(Math.max(0, Math.min(30, Math.round(options.darkness)))).padStart(2, '0');
  const body = options.mode === 'raster' ? [zplGraphicField(labelGraphic(plan, 1))] : plan.elements.map(nativeElement);
  const lines = [`~SD${darkness}`, '^XA', '^CI28', `^PW${plan.width}`, `^LL${plan.height}`, '^LH0,0', ...body, `^PQ${options.copies}`, '^XZ'];
  return Buffer.from(`${lines.join('\n')}\n`, 'latin1');
}

/** `~HS` host status; `~HQES` also answers while paper is out or the head is open. */
export const ZPL_HOST_STATUS = Buffer.from('~HS', 'latin1');
export const ZPL_HOST_QUERY_STATUS = Buffer.from('~HQES', 'latin1');

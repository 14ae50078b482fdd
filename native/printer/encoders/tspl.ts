import type { LabelPlan, PlanElement } from '../../label/layout';
import { concat, density15, elementGraphic, isPrintableAscii, labelGraphic, type EncodeOptions, type PackedGraphic } from './common';

/**
 * TSPL (TSC and most Chinese label printers). `BITMAP x,y,widthBytes,height,0,` is followed
 * by raw bytes in which a 0 bit prints (the opposite of ZPL), then CR LF.
 */
export function tsplBitmap(g: PackedGraphic): Uint8Array {
  return concat([`BITMAP ${g.x},${g.y},${g.widthBytes},${g.height},0,`, g.data, '\r\n']);
}

/** Resident bitmap fonts at 203 dpi: "2" is 12×20, "3" 16×24, "4" 24×32, "5" 32×48 dots. */
function residentFont(height: number): string {
  if (height <= 20) return '2';
  if (height <= 28) return '3';
  if (height <= 40) return '4';
  return '5';
}

function quote(text: string): string {
  return `"${text.replace(/"/g, '\\["]')}"`;
}

function nativeElement(el: PlanElement): Uint8Array | string {
  switch (el.kind) {
    case 'text':
      if (!isPrintableAscii(el.text)) return tsplBitmap(elementGraphic(el, 0));
      return `TEXT ${el.x},${el.y},"${residentFont(el.height)}",0,1,1,${quote(el.text)}\r\n`;
    case 'code128':
      // "128" selects subsets automatically; readable 0 (the template prints its own text line).
      return `BARCODE ${el.x},${el.y},"128",${el.height},0,0,${el.module},${el.module},${quote(el.value)}\r\n`;
    case 'matrix':
      return tsplBitmap(elementGraphic(el, 0));
    case 'rect':
      return `BAR ${el.x},${el.y},${el.width},${el.height}\r\n`;
  }
}

function mm(dots: number, dpi: number): string {
  return (Math.round(((dots * 25.4) / dpi) * 10) / 10).toString();
}

export function encodeTspl(plan: LabelPlan, options: EncodeOptions): Uint8Array {
  const head = [
    `SIZE ${mm(plan.width, plan.dpi)} mm,${mm(plan.height, plan.dpi)} mm\r\n`,
    `GAP ${mm(plan.gap, plan.dpi)} mm,0 mm\r\n`,
    `DENSITY ${density15(options.darkness)}\r\n`,
    'REFERENCE 0,0\r\n',
    'CLS\r\n',
  ];
  const body = options.mode === 'raster' ? [tsplBitmap(labelGraphic(plan, 0))] : plan.elements.map(nativeElement);
  return concat([...head, ...body, `PRINT ${options.copies},1\r\n`]);
}

/** `<ESC>!?`: one status byte, answered even while the printer is in error. */
export const TSPL_STATUS_QUERY = Buffer.from([0x1b, 0x21, 0x3f]);

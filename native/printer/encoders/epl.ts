import type { LabelPlan, PlanElement } from '../../label/layout';
import { concat, density15, elementGraphic, isPrintableAscii, labelGraphic, type EncodeOptions, type PackedGraphic } from './common';

/**
 * EPL2 (older Zebra/Eltron). `GWx,y,widthBytes,height,` is followed by raw bytes in which a 0
 * bit prints. EPL2 has no status query in the protocol this driver uses, so `status()` reports
 * what the transport knows (see index.ts).
 */
export function eplGraphic(g: PackedGraphic): Uint8Array {
  return concat([`GW${g.x},${g.y},${g.widthBytes},${g.height},`, g.data, '\r\n']);
}

/** Resident fonts at 203 dpi: 1 = 8×12, 2 = 10×16, 3 = 12×20, 4 = 14×24, 5 = 32×48 dots. */
function residentFont(height: number): number {
  if (height <= 14) return 1;
  if (height <= 18) return 2;
  if (height <= 22) return 3;
  if (height <= 36) return 4;
  return 5;
}

function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function nativeElement(el: PlanElement): Uint8Array | string {
  switch (el.kind) {
    case 'text':
      if (!isPrintableAscii(el.text)) return eplGraphic(elementGraphic(el, 0));
      return `A${el.x},${el.y},0,${residentFont(el.height)},1,1,N,${quote(el.text)}\r\n`;
    case 'code128':
      // Barcode type 1: Code 128 with automatic A/B/C subsets (the wide bar width is ignored for
      // it but must be in range); N = no human-readable line.
      return `B${el.x},${el.y},0,1,${el.module},${Math.max(4, el.module * 2)},${el.height},N,${quote(el.value)}\r\n`;
    case 'matrix':
      return eplGraphic(elementGraphic(el, 0));
    case 'rect':
      return `LO${el.x},${el.y},${el.width},${el.height}\r\n`;
  }
}

export function encodeEpl(plan: LabelPlan, options: EncodeOptions): Uint8Array {
  // The leading blank line ends any command a previous job left half sent.
  const head = ['\r\n', 'N\r\n', `q${plan.width}\r\n`, `Q${plan.height},${plan.gap}\r\n`, `D${density15(options.darkness)}\r\n`];
  const body = options.mode === 'raster' ? [eplGraphic(labelGraphic(plan, 0))] : plan.elements.map(nativeElement);
  return concat([...head, ...body, `P${options.copies}\r\n`]);
}

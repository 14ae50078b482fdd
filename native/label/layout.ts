import bwipjs from 'bwip-js';
import { FONT_CELL, measureText } from './font';
import { fillPattern, type LabelData, type LabelElement, type LabelTemplate } from './template';

export const DPIS = [203, 300] as const;
export type Dpi = (typeof DPIS)[number];

/**
 * A label laid out in printer dots: every position, module and font size is a whole number of
 * dots for this head. The raster renderer and the native encoders all start from this, so a
 * native ZPL label and its preview share their geometry.
 */
export type PlanElement =
  | { kind: 'text'; x: number; y: number; text: string; scale: number; width: number; height: number }
  | {
      kind: 'code128';
      x: number;
      y: number;
      value: string;
      /** Narrow bar width in dots. */
      module: number;
      height: number;
      /** Bar, space, bar, … widths in modules, from bwip-js's encoder. */
      widths: number[];
      width: number;
    }
  | {
      kind: 'matrix';
      symbology: 'qrcode' | 'datamatrix';
      x: number;
      y: number;
      value: string;
      module: number;
      columns: number;
      rows: number;
      cells: number[];
      width: number;
      height: number;
    }
  | { kind: 'rect'; x: number; y: number; width: number; height: number };

export type LabelPlan = { template: string; dpi: Dpi; width: number; height: number; gap: number; elements: PlanElement[] };

export function mmToDots(mm: number, dpi: Dpi): number {
  return Math.round((mm * dpi) / 25.4);
}

/** Dots per narrow bar: the wanted size rounded to whole dots, never below one. */
export function moduleDots(moduleMm: number, dpi: Dpi): number {
  return Math.max(1, Math.round((moduleMm * dpi) / 25.4));
}

function place(align: 'left' | 'center' | 'right', x: number, width: number, labelWidth: number): number {
  if (align === 'center') return Math.max(0, Math.floor((labelWidth - width) / 2));
  if (align === 'right') return Math.max(0, labelWidth - x - width);
  return x;
}

/** The largest scale (dots per font pixel) near the wanted height that fits, then an ellipsis. */
function fitText(text: string, heightDots: number, maxWidth: number): { text: string; scale: number } {
  let scale = Math.max(1, Math.round(heightDots / FONT_CELL));
  while (scale > 1 && measureText(text, scale) > maxWidth) scale--;
  let fitted = text;
  while (fitted.length > 1 && measureText(fitted, scale) > maxWidth) fitted = `${[...fitted].slice(0, -2).join('')}…`;
  return { text: fitted, scale };
}

function code128Widths(value: string): number[] {
  const [symbol] = bwipjs.raw({ bcid: 'code128', text: value });
  if (!symbol || !('sbs' in symbol)) throw new Error('code128 encoder returned no bars');
  return symbol.sbs;
}

function layoutElement(el: LabelElement, data: LabelData, dpi: Dpi, labelWidth: number): PlanElement[] {
  const x = mmToDots(el.x, dpi);
  const y = mmToDots(el.y, dpi);
  switch (el.type) {
    case 'text': {
      const fitted = fitText(fillPattern(el.value, data), mmToDots(el.heightMm, dpi), labelWidth - 2 * Math.min(x, labelWidth / 4));
      if (!fitted.text) return [];
      const width = measureText(fitted.text, fitted.scale);
      return [{ kind: 'text', x: place(el.align, x, width, labelWidth), y, text: fitted.text, scale: fitted.scale, width, height: FONT_CELL * fitted.scale }];
    }
    case 'barcode': {
      const text = fillPattern(el.value, data);
      if (!text) return [];
      let module = moduleDots(el.moduleMm, dpi);
      if (el.symbology === 'code128') {
        const widths = code128Widths(text);
        const modules = widths.reduce((a, b) => a + b, 0);
        // Narrow the bars (still whole dots) rather than run off the label.
        while (module > 1 && modules * module > labelWidth - 2 * x) module--;
        const width = modules * module;
        return [{ kind: 'code128', x: place(el.align, x, width, labelWidth), y, value: text, module, height: mmToDots(el.heightMm, dpi), widths, width }];
      }
      const [symbol] = bwipjs.raw({ bcid: el.symbology, text });
      if (!symbol || !('pixs' in symbol)) throw new Error(`${el.symbology} encoder returned no modules`);
      const width = symbol.pixx * module;
      return [
        {
          kind: 'matrix',
          symbology: el.symbology,
          x: place(el.align, x, width, labelWidth),
          y,
          value: text,
          module,
          columns: symbol.pixx,
          rows: symbol.pixy,
          cells: symbol.pixs,
          width,
          height: symbol.pixy * module,
        },
      ];
    }
    case 'rect':
      return [{ kind: 'rect', x, y, width: Math.max(1, mmToDots(el.widthMm, dpi)), height: Math.max(1, mmToDots(el.heightMm, dpi)) }];
    case 'list': {
      const entries = data[el.field];
      const items = typeof entries === 'string' ? [entries] : (entries ?? []);
      const line = mmToDots(el.heightMm, dpi);
      const columnWidth = mmToDots(el.columnWidthMm, dpi);
      const out: PlanElement[] = [];
      items.slice(0, el.maxRows * el.columns).forEach((item, i) => {
        const column = Math.floor(i / el.maxRows);
        const row = i % el.maxRows;
        const fitted = fitText(item, line, columnWidth);
        const width = measureText(fitted.text, fitted.scale);
        const lineHeight = Math.max(line, FONT_CELL * fitted.scale);
        out.push({ kind: 'text', x: x + column * columnWidth, y: y + row * lineHeight, text: fitted.text, scale: fitted.scale, width, height: FONT_CELL * fitted.scale });
      });
      return out;
    }
  }
}

export function layoutLabel(template: LabelTemplate, data: LabelData, dpi: Dpi): LabelPlan {
  const width = mmToDots(template.widthMm, dpi);
  return {
    template: template.name,
    dpi,
    width,
    height: mmToDots(template.heightMm, dpi),
    gap: mmToDots(template.gapMm, dpi),
    elements: template.elements.flatMap((el) => layoutElement(el, data, dpi, width)),
  };
}

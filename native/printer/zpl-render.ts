import bwipjs from 'bwip-js';
import { blit, createBitmap, fillRect, unpackRows, type Bitmap } from '../label/bitmap';
import { FONT_CELL, renderText } from '../label/font';

/**
 * Renders ZPL to bitmaps, for the printer simulator and for tests that decode what was "printed".
 * It covers the subset Station emits: ^XA ^XZ ^PW ^LL ^LH ^FO ^A0 ^FH ^FD ^FS ^BY ^BC ^GB ^GFA
 * (uncompressed hex); other commands are ignored. Resident font text is drawn with the label
 * pixel font at the nearest size, which is what a preview needs, not a font-exact rendering.
 */
type Field = { x: number; y: number; font: { height: number } | null; code128: { height: number } | null; hex: boolean };

const DEFAULT_WIDTH = 812;
const DEFAULT_LENGTH = 1218;

function fieldText(data: string, hex: boolean): string {
  if (!hex) return data;
  return Buffer.from(data.replace(/_([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16))), 'latin1').toString('utf8');
}

/** Splits ZPL into commands: `^XX` / `~XX` with the text up to the next command (or ^FS for data). */
function tokens(zpl: string): { cmd: string; args: string }[] {
  const out: { cmd: string; args: string }[] = [];
  let i = zpl.search(/[\^~]/);
  while (i >= 0 && i < zpl.length) {
    const code = zpl.slice(i + 1, i + 3).toUpperCase();
    const isFieldData = code === 'FD';
    // Field data runs to ^FS; everything else to the next caret or tilde.
    const end = isFieldData ? zpl.indexOf('^FS', i + 3) : zpl.slice(i + 1).search(/[\^~]/) + i + 1;
    const stop = end <= i ? zpl.length : end;
    if (code.startsWith('A') && code !== 'A@') out.push({ cmd: 'A', args: zpl.slice(i + 2, stop) });
    else out.push({ cmd: `${zpl[i]}${code}`, args: zpl.slice(i + 3, stop) });
    i = stop;
  }
  return out;
}

function drawCode128(label: Bitmap, value: string, x: number, y: number, module: number, height: number): void {
  const [symbol] = bwipjs.raw({ bcid: 'code128', text: value });
  if (!symbol || !('sbs' in symbol)) return;
  let cx = x;
  symbol.sbs.forEach((w, i) => {
    if (i % 2 === 0) fillRect(label, cx, y, w * module, height);
    cx += w * module;
  });
}

function drawBox(label: Bitmap, x: number, y: number, w: number, h: number, t: number): void {
  if (t * 2 >= Math.min(w, h)) return fillRect(label, x, y, w, h);
  fillRect(label, x, y, w, t);
  fillRect(label, x, y + h - t, w, t);
  fillRect(label, x, y, t, h);
  fillRect(label, x + w - t, y, t, h);
}

/** Every label (^XA … ^XZ) in the job, rendered. */
export function renderZpl(zpl: string): Bitmap[] {
  const labels: Bitmap[] = [];
  let width = DEFAULT_WIDTH;
  let length = DEFAULT_LENGTH;
  let home = { x: 0, y: 0 };
  let module = 2;
  let ops: ((label: Bitmap) => void)[] = [];
  let field: Field = { x: 0, y: 0, font: null, code128: null, hex: false };
  let data: string | null = null;
  const num = (v: string | undefined, fallback: number) => {
    const n = Number.parseInt(v ?? '', 10);
    return Number.isFinite(n) ? n : fallback;
  };
  for (const { cmd, args } of tokens(zpl)) {
    const p = args.split(',');
    switch (cmd) {
      case '^XA':
        ops = [];
        home = { x: 0, y: 0 };
        break;
      case '^PW':
        width = num(p[0], width);
        break;
      case '^LL':
        length = num(p[0], length);
        break;
      case '^LH':
        home = { x: num(p[0], 0), y: num(p[1], 0) };
        break;
      case '^FO':
        field = { ...field, x: home.x + num(p[0], 0), y: home.y + num(p[1], 0) };
        break;
      case 'A':
        field = { ...field, font: { height: num(p[1], FONT_CELL) } };
        break;
      case '^FH':
        field = { ...field, hex: true };
        break;
      case '^BY':
        module = num(p[0], module);
        break;
      case '^BC':
        field = { ...field, code128: { height: num(p[1], 10 * module) } };
        break;
      case '^FD':
        data = args;
        break;
      case '^GB': {
        const f = field;
        const [w, h, t] = [num(p[0], 1), num(p[1], 1), num(p[2], 1)];
        ops.push((label) => drawBox(label, f.x, f.y, w, h, t));
        break;
      }
      case '^GF': {
        const f = field;
        const total = num(p[2], 0);
        const perRow = num(p[3], 1);
        const hex = (p[4] ?? '').replace(/[^0-9A-Fa-f]/g, '');
        const bytes = Buffer.from(hex.slice(0, total * 2), 'hex');
        const graphic = unpackRows(bytes, perRow, Math.floor(total / perRow));
        ops.push((label) => blit(label, graphic, f.x, f.y));
        break;
      }
      case '^FS': {
        const f = field;
        const m = module;
        if (data !== null) {
          const text = fieldText(data, f.hex);
          if (f.code128) {
            const height = f.code128.height;
            ops.push((label) => drawCode128(label, text, f.x, f.y, m, height));
          } else {
            const scale = Math.max(1, Math.round((f.font?.height ?? FONT_CELL) / FONT_CELL));
            ops.push((label) => blit(label, renderText(text, scale), f.x, f.y));
          }
        }
        data = null;
        field = { x: field.x, y: field.y, font: field.font, code128: null, hex: false };
        break;
      }
      case '^XZ': {
        const label = createBitmap(Math.max(1, width), Math.max(1, length));
        for (const op of ops) op(label);
        labels.push(label);
        ops = [];
        break;
      }
      default:
        break;
    }
  }
  return labels;
}

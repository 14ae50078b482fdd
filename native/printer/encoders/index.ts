import type { LabelPlan } from '../../label/layout';
import { DEFAULT_ENCODE_OPTIONS, type EncodeOptions, type LabelEncoder } from './common';
import { encodeEpl } from './epl';
import { encodeEscPos } from './escpos';
import { encodeTspl } from './tspl';
import { encodeZpl } from './zpl';

export const PRINTER_LANGUAGES = ['zpl', 'tspl', 'epl', 'escpos'] as const;
export type PrinterLanguage = (typeof PRINTER_LANGUAGES)[number];

export const ENCODERS: Record<PrinterLanguage, LabelEncoder> = { zpl: encodeZpl, tspl: encodeTspl, epl: encodeEpl, escpos: encodeEscPos };

export function encodeLabel(language: PrinterLanguage, plan: LabelPlan, options: Partial<EncodeOptions> = {}): Uint8Array {
  return ENCODERS[language](plan, { ...DEFAULT_ENCODE_OPTIONS, ...options });
}

export { DEFAULT_ENCODE_OPTIONS, isPrintableAscii } from './common';
export type { EncodeMode, EncodeOptions } from './common';
export { escposRaster, escposStatusQuery } from './escpos';
export { eplGraphic } from './epl';
export { TSPL_STATUS_QUERY, tsplBitmap } from './tspl';
export { ZPL_HOST_QUERY_STATUS, ZPL_HOST_STATUS, zplGraphicField } from './zpl';

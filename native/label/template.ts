import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * Label templates: JSON files in resources/labels/, positions and sizes in millimetres so one
 * template serves 203 and 300 dpi heads. Text values are patterns with `{field}` placeholders
 * filled from the label's data; a list prints an array field one entry a line.
 */
const mm = z.number().min(0).max(1000);
const align = z.enum(['left', 'center', 'right']).default('left');
const value = z.string().min(1).max(200);

export const labelElementSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('text'),
      x: mm,
      y: mm,
      /** Wanted cap height of the line; the pixel font snaps it to whole dots per font pixel. */
      heightMm: z.number().min(1).max(50),
      value,
      align,
    })
    .strict(),
  z
    .object({
      type: z.literal('barcode'),
      symbology: z.enum(['code128', 'qrcode', 'datamatrix']),
      x: mm,
      y: mm,
      /** Bar height for Code 128; ignored for 2D symbols (square modules). */
      heightMm: z.number().min(1).max(100),
      /** Wanted narrow bar / module size; rounded to whole printer dots. */
      moduleMm: z.number().min(0.1).max(2),
      value,
      align,
    })
    .strict(),
  z.object({ type: z.literal('rect'), x: mm, y: mm, widthMm: mm, heightMm: mm }).strict(),
  z
    .object({
      type: z.literal('list'),
      x: mm,
      y: mm,
      heightMm: z.number().min(1).max(50),
      /** The array field to print, one entry a line. */
      field: z.string().min(1).max(64),
      columns: z.number().int().min(1).max(6).default(1),
      columnWidthMm: mm,
      maxRows: z.number().int().min(1).max(200),
    })
    .strict(),
]);
export type LabelElement = z.infer<typeof labelElementSchema>;

export const labelTemplateSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/),
    description: z.string().max(200).default(''),
    /** What the label is for: which data it expects. */
    subject: z.enum(['tube', 'box', 'pass']),
    widthMm: z.number().min(10).max(300),
    heightMm: z.number().min(10).max(500),
    /** Gap between labels on the liner (TSPL GAP, EPL Q). */
    gapMm: z.number().min(0).max(20).default(3),
    elements: z.array(labelElementSchema).min(1).max(100),
  })
  .strict();
export type LabelTemplate = z.infer<typeof labelTemplateSchema>;

export type LabelData = Record<string, string | readonly string[]>;

/** Where the shipped templates live, from the source tree or from dist/. */
export function defaultTemplateDir(): string {
  const candidates = [path.resolve(__dirname, '../../resources/labels'), path.resolve(__dirname, '../../../resources/labels')];
  return candidates.find((dir) => fs.existsSync(dir)) ?? candidates[0]!;
}

export function parseTemplate(json: unknown): LabelTemplate {
  return labelTemplateSchema.parse(json);
}

/** Every `*.json` template in `dir`, by name. A file that fails validation is an error, not skipped. */
export function loadTemplates(dir = defaultTemplateDir()): Map<string, LabelTemplate> {
  const templates = new Map<string, LabelTemplate>();
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const template = parseTemplate(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')));
    templates.set(template.name, template);
  }
  return templates;
}

/** Fills `{field}` placeholders; a missing field prints as nothing. */
export function fillPattern(pattern: string, data: LabelData): string {
  return pattern.replace(/\{([a-zA-Z][a-zA-Z0-9]*)\}/g, (_, key: string) => {
    const v = data[key];
    return v === undefined ? '' : typeof v === 'string' ? v : v.join(' ');
  });
}

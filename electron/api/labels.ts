/**
 * The labels part of the typed API (composed into contract.ts): previews that are the printed
 * raster, printing, reprinting, and whether a tube label prints by itself when a tube opens.
 * A failed print is not a refusal: the value says what the printer reported, in fault codes the
 * renderer words (labels.json, `printer.fault.<fault>`), so staff see it and can reprint.
 */
import { z } from 'zod';

export const LABEL_TEMPLATES = ['tube', 'box', 'box-sealed', 'box-manifest', 'pass'] as const;
export type LabelTemplateName = (typeof LABEL_TEMPLATES)[number];

/** The printer-side faults (native/printer PRINTER_FAULTS) plus `no-printer` when none is configured. */
export type LabelFault =
  | 'no-printer'
  | 'paper-out'
  | 'head-open'
  | 'cover-open'
  | 'ribbon-out'
  | 'paper-jam'
  | 'paused'
  | 'offline'
  | 'over-temperature'
  | 'buffer-full'
  | 'printer-error'
  | 'no-answer'
  | 'disconnected'
  | 'permission-denied'
  | 'busy'
  | 'transport-error'
  | 'not-a-printer';

export type PrinterStatusView = {
  state: 'ready' | 'fault' | 'unknown';
  faults: LabelFault[];
  printing: boolean;
  checkedAt: string;
};

export type LabelPreview = {
  code: string;
  template: LabelTemplateName;
  dpi: 203 | 300;
  widthMm: number;
  heightMm: number;
  /** `data:image/png;base64,…` of the 1-bit raster exactly as a raster job prints it. */
  png: string;
};

export type LabelPrintResult = {
  code: string;
  template: LabelTemplateName;
  printed: boolean;
  /** Why it did not print (null when it did). */
  fault: LabelFault | null;
  /** The printer's status asked right after the job (null when there is no status channel). */
  status: PrinterStatusView | null;
};

export type LabelSettings = { printOnOpen: boolean; hasPrinter: boolean };

const code = z.string().trim().min(1).max(64).regex(/^[\x21-\x7e]+$/, 'printable ASCII');
const template = z.enum(LABEL_TEMPLATES);

const target = z
  .object({ tubeCode: code.optional(), boxCode: code.optional(), template: template.optional() })
  .strict()
  .refine((a) => (a.tubeCode === undefined) !== (a.boxCode === undefined), 'either tubeCode or boxCode');

export const labelArgs = {
  'label.preview': z
    .object({ tubeCode: code.optional(), boxCode: code.optional(), template: template.optional(), dpi: z.union([z.literal(203), z.literal(300)]).optional() })
    .strict()
    .refine((a) => (a.tubeCode === undefined) !== (a.boxCode === undefined), 'either tubeCode or boxCode'),
  'label.print': target,
  /** Prints again whatever label `code` had: a tube's tube label, a box's box label. */
  'label.reprint': z.object({ code }).strict(),
  'label.printerStatus': z.object({}).strict(),
  /** What the desk shows: whether tube labels print on open, and whether there is a printer. */
  'label.settings': z.object({}).strict(),
  /** The `labels.printOnOpen` setting. */
  'label.setPrintOnOpen': z.object({ enabled: z.boolean() }).strict(),
} as const;

type Args<K extends keyof typeof labelArgs> = z.infer<(typeof labelArgs)[K]>;

export type LabelHandlers = {
  'label.preview': { args: Args<'label.preview'>; value: LabelPreview };
  'label.print': { args: Args<'label.print'>; value: LabelPrintResult };
  'label.reprint': { args: Args<'label.reprint'>; value: LabelPrintResult };
  'label.printerStatus': { args: Args<'label.printerStatus'>; value: PrinterStatusView | null };
  'label.settings': { args: Args<'label.settings'>; value: LabelSettings };
  'label.setPrintOnOpen': { args: Args<'label.setPrintOnOpen'>; value: { enabled: boolean } };
};

export type LabelEvents = {
  /** A label job finished, printed or not (tube labels printed on open included). */
  'label.job': LabelPrintResult & { at: string; trigger: 'tube.opened' | 'request' };
};

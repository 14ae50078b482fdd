import type { ScanOutcome } from '../../api/contract';
import type { LabelFault, LabelPreview, LabelPrintResult, LabelTemplateName, PrinterStatusView } from '../../api/labels';
import { bitmapToPng, layoutLabel, loadTemplates, pngDataUrl, renderLabel, type Dpi, type LabelData, type LabelPlan, type LabelTemplate } from '../../../native/label';
import { faultOf, openPrinter, printerConfigSchema, type Printer, type PrinterConfig, type PrinterStatus } from '../../../native/printer';
import type { StationDatabase } from '../db/database';
import { DomainError } from '../errors';
import { createLogger } from '../log';
import type { StationIdentity } from '../site/bootstrap';

const log = createLogger('labels');

/** Setting keys: `labels.printOnOpen` ('true' | 'false'), `labels.printer` (printer config JSON). */
export const PRINT_ON_OPEN_SETTING = 'labels.printOnOpen';
export const PRINTER_SETTING = 'labels.printer';

/** What a box holds, for its labels (boxes are kept by the boxing module); `sealedAt` null while it is open. */
export type BoxContents = { tubes: { code: string; count: number }[]; sealedAt: string | null };

export type LabelServiceOptions = {
  db: StationDatabase;
  identity: StationIdentity;
  now: () => Date;
  /** Reports each finished job (the core emits `label.job`). */
  onJob: (result: LabelPrintResult & { at: string; trigger: 'tube.opened' | 'request' }) => void;
  /** The box's tubes and when it was sealed (null: no box has this code yet; its plain label lists none). */
  boxContents?: (boxCode: string) => BoxContents | null;
  /** The device manager's printer (configured devices, or the simulated one in training mode). */
  devicePrinter?: () => Printer | null;
  templateDir?: string;
};

function statusView(s: PrinterStatus): PrinterStatusView {
  return { state: s.state, faults: s.faults, printing: s.printing, checkedAt: s.checkedAt };
}

/** 10混1 for pooled tubes; a single-person tube reads 单管. */
export function poolText(capacity: number): string {
  return capacity === 1 ? '单管' : `${capacity}混1`;
}

/** Sites keep one clock (UTC+8, no daylight saving): a sealed box's label says when in it, as its manifest does. */
const SITE_UTC_OFFSET_MS = 8 * 3600_000;
function siteMinute(iso: string): string {
  return new Date(Date.parse(iso) + SITE_UTC_OFFSET_MS).toISOString().slice(0, 16).replace('T', ' ');
}

/** The local calendar date (labels are read at the desk, in local time). */
function localDate(at: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${p(at.getMonth() + 1)}-${p(at.getDate())}`;
}

/**
 * Labels in the core: previews, printing and reprinting, and the tube label printed after a
 * tube opens. Printing happens after the opening is committed and never blocks or undoes it: a
 * failure is reported (`label.job` with the fault) and the label can be reprinted.
 */
export class LabelService {
  private readonly templates: Map<string, LabelTemplate>;
  private opened: { key: string; printer: Printer } | null = null;

  constructor(private readonly options: LabelServiceOptions) {
    this.templates = loadTemplates(options.templateDir);
  }

  private setting(key: string): string | null {
    const row = this.options.db.prepare('SELECT value FROM setting WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value ?? null;
  }

  /** The `labels.printer` setting, for a station whose device list has no printer. */
  private ownConfig(): PrinterConfig | null {
    const own = this.setting(PRINTER_SETTING);
    if (!own) return null;
    try {
      const parsed = printerConfigSchema.safeParse(JSON.parse(own));
      if (parsed.success) return parsed.data;
      log.warn({ issue: parsed.error.issues[0]?.path.join('.') }, 'labels.printer setting invalid');
    } catch {
      log.warn('labels.printer setting is not JSON');
    }
    return null;
  }

  /**
   * The printer labels go to: the device manager's (so one driver owns a serial port or a
   * device file), else one opened here from `labels.printer`.
   */
  private printer(): Printer | null {
    const device = this.options.devicePrinter?.() ?? null;
    if (device) return device;
    const config = this.ownConfig();
    if (!config) return null;
    const key = JSON.stringify(config);
    if (this.opened?.key !== key) {
      const previous = this.opened?.printer;
      void previous?.close().catch(() => undefined);
      this.opened = { key, printer: openPrinter(config) };
    }
    return this.opened.printer;
  }

  printerConfig(): PrinterConfig | null {
    return this.printer()?.config ?? null;
  }

  printOnOpen(): boolean {
    const stored = this.setting(PRINT_ON_OPEN_SETTING);
    if (stored !== null) return stored === 'true';
    return this.printer() !== null;
  }

  setPrintOnOpen(enabled: boolean): { enabled: boolean } {
    this.options.db
      .prepare(`INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`)
      .run(PRINT_ON_OPEN_SETTING, String(enabled));
    return { enabled };
  }

  private template(name: LabelTemplateName, subject: LabelTemplate['subject']): LabelTemplate {
    const t = this.templates.get(name);
    if (!t || t.subject !== subject) throw new DomainError('request.invalid', { method: 'label', field: 'template', detail: `${name} is not a ${subject} label` });
    return t;
  }

  private tubeData(code: string): LabelData {
    const row = this.options.db
      .prepare('SELECT t.code, t.capacity, t.opened_at AS openedAt, s.name AS station FROM tube t JOIN station s ON s.id = t.station_id WHERE t.code = ?')
      .get(code) as { code: string; capacity: number; openedAt: string; station: string } | undefined;
    if (!row) throw new DomainError('tube.notFound', { code });
    return {
      code: row.code,
      siteName: this.options.identity.site.name,
      stationName: row.station,
      date: localDate(new Date(row.openedAt)),
      pool: poolText(row.capacity),
    };
  }

  /** A box's label data; `sealed`: the sealed box's label, which needs the box sealed (its counts are final then). */
  private boxData(code: string, sealed: boolean): LabelData {
    if (!new RegExp(this.options.identity.site.config.box.pattern, 'u').test(code)) {
      throw new DomainError('scan.unrecognized', { preview: code.slice(0, 16), length: code.length });
    }
    const found = this.options.boxContents?.(code) ?? null;
    if (sealed && !found) throw new DomainError('box.notFound', { code });
    if (sealed && !found?.sealedAt) throw new DomainError('box.stillOpen', { code });
    const contents = found ?? { tubes: [], sealedAt: null };
    return {
      sealedAt: contents.sealedAt ? siteMinute(contents.sealedAt) : '',
      code,
      siteName: this.options.identity.site.name,
      stationName: this.options.identity.station.name,
      date: localDate(this.options.now()),
      tubeCount: String(contents.tubes.length),
      personCount: String(contents.tubes.reduce((sum, t) => sum + t.count, 0)),
      tubes: contents.tubes.map((t) => `${t.code}  ${t.count}人`),
    };
  }

  /** The template sized to the printer's labels when it says what they are. */
  private fitted(t: LabelTemplate): LabelTemplate {
    const size = this.printerConfig()?.labelSize;
    return size ? { ...t, widthMm: size.widthMm, heightMm: size.heightMm } : t;
  }

  /**
   * Another domain's label (a resident pass) laid out from the data it gives, at the printer's
   * (or the given) resolution, with the template of that subject.
   */
  planOf(subject: 'pass', data: LabelData, dpi?: Dpi): { plan: LabelPlan; template: LabelTemplateName } {
    const resolution: Dpi = dpi ?? this.printerConfig()?.dpi ?? 203;
    return { plan: layoutLabel(this.fitted(this.template(subject, subject)), data, resolution), template: subject };
  }

  /** What a preview shows of a laid-out label: the raster as printed. */
  static previewOf(plan: LabelPlan): { dpi: Dpi; widthMm: number; heightMm: number; png: string } {
    return {
      dpi: plan.dpi,
      widthMm: Math.round(((plan.width * 25.4) / plan.dpi) * 10) / 10,
      heightMm: Math.round(((plan.height * 25.4) / plan.dpi) * 10) / 10,
      png: pngDataUrl(bitmapToPng(renderLabel(plan))),
    };
  }

  /** The laid-out label for a tube or box code, at the printer's (or the given) resolution. */
  plan(target: { tubeCode?: string; boxCode?: string; template?: LabelTemplateName }, dpi?: Dpi): { plan: LabelPlan; code: string; template: LabelTemplateName } {
    const config = this.printerConfig();
    const resolution: Dpi = dpi ?? config?.dpi ?? 203;
    const fit = (t: LabelTemplate): LabelTemplate => this.fitted(t);
    if (target.tubeCode !== undefined) {
      const name = target.template ?? 'tube';
      return { plan: layoutLabel(fit(this.template(name, 'tube')), this.tubeData(target.tubeCode), resolution), code: target.tubeCode, template: name };
    }
    const code = target.boxCode ?? '';
    const name = target.template ?? 'box';
    const template = fit(this.template(name, 'box'));
    return { plan: layoutLabel(template, this.boxData(code, name === 'box-sealed'), resolution), code, template: name };
  }

  preview(target: { tubeCode?: string; boxCode?: string; template?: LabelTemplateName }, dpi?: Dpi): LabelPreview {
    const { plan, code, template } = this.plan(target, dpi);
    return { code, template, ...LabelService.previewOf(plan) };
  }

  async print(
    target: { tubeCode?: string; boxCode?: string; template?: LabelTemplateName },
    trigger: 'tube.opened' | 'request' = 'request',
  ): Promise<LabelPrintResult> {
    const { plan, code, template } = this.plan(target);
    const result = await this.send(plan, code, template);
    this.options.onJob({ ...result, at: this.options.now().toISOString(), trigger });
    return result;
  }

  /**
   * Prints a laid-out label of another domain (a resident pass); `code` is what the result names
   * it by. Not reported as a `label.job`: the desk's print strip is for tubes and boxes.
   */
  printPlan(plan: LabelPlan, code: string, template: LabelTemplateName): Promise<LabelPrintResult> {
    return this.send(plan, code, template);
  }

  /** Sends a laid-out label to the printer and says what happened, fault included. */
  private async send(plan: LabelPlan, code: string, template: LabelTemplateName): Promise<LabelPrintResult> {
    const printer = this.printer();
    let result: LabelPrintResult;
    if (!printer) {
      result = { code, template, printed: false, fault: 'no-printer', status: null };
    } else {
      let fault: LabelFault | null = null;
      try {
        await printer.print({ label: plan });
      } catch (err) {
        fault = faultOf(err);
        log.warn({ fault, template }, 'label not printed');
      }
      const status = await printer.status();
      const shown = status.state === 'unknown' ? null : statusView(status);
      // A job the transport took but a printer that reports paper out did not print it either.
      fault ??= status.state === 'fault' ? (status.faults[0] ?? null) : null;
      result = { code, template, printed: fault === null, fault, status: shown };
    }
    return result;
  }

  /** Reprints a tube's tube label, or a box's box label (a sealed box's with its counts and seal time). */
  reprint(code: string): Promise<LabelPrintResult> {
    const isTube = this.options.db.prepare('SELECT 1 FROM tube WHERE code = ?').get(code) !== undefined;
    if (isTube) return this.print({ tubeCode: code });
    if (new RegExp(this.options.identity.site.config.box.pattern, 'u').test(code)) {
      return this.print({ boxCode: code, template: this.options.boxContents?.(code)?.sealedAt ? 'box-sealed' : 'box' });
    }
    throw new DomainError('tube.notFound', { code });
  }

  async printerStatus(): Promise<PrinterStatusView | null> {
    const printer = this.printer();
    return printer ? statusView(await printer.status()) : null;
  }

  /**
   * Called with a desk outcome after its transaction committed: a newly opened tube gets its
   * label in the background. Returns the outcome untouched, whatever the printer does.
   */
  afterScan<T extends ScanOutcome>(outcome: T): T {
    if (outcome.kind === 'tube.opened' && this.printOnOpen()) {
      this.print({ tubeCode: outcome.tubeCode }, 'tube.opened').catch((err: unknown) => {
        log.error({ err }, 'tube label failed');
        this.options.onJob({
          code: outcome.tubeCode,
          template: 'tube',
          printed: false,
          fault: 'printer-error',
          status: null,
          at: this.options.now().toISOString(),
          trigger: 'tube.opened',
        });
      });
    }
    return outcome;
  }

  async close(): Promise<void> {
    const p = this.opened?.printer;
    this.opened = null;
    await p?.close().catch(() => undefined);
  }
}

import fs from 'node:fs';
import path from 'node:path';
import { StationCore } from '../../core/core';
import { DomainError } from '../../core/errors';
import { bitmapToPng, layoutLabel, loadTemplates, renderLabel, type Dpi, type LabelPlan } from '../../../native/label';
import { encodeLabel, PRINTER_LANGUAGES, type PrinterLanguage } from '../../../native/printer';
import { parseOptions } from '../args';
import { dataKeyForCli, KEY_OPTIONS, KEY_USAGE, type KeyValues } from '../data-key';
import type { CliCommand } from './types';

const FORMATS = [...PRINTER_LANGUAGES, 'png'] as const;
type Format = (typeof FORMATS)[number];

function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/**
 * The tube label for `code`: with a station's data folder, its site and desk names and, when the
 * tube is known there, its pool size and opening date; without one, the code and today's date.
 */
async function tubePlan(code: string, dpi: Dpi, dataDir: string | undefined, keyValues: KeyValues): Promise<LabelPlan> {
  if (dataDir && fs.existsSync(path.join(dataDir, 'station.db'))) {
    const core = new StationCore({ dataDir, dataKey: await dataKeyForCli(dataDir, keyValues), devices: 'off' });
    try {
      return core.labels.plan({ tubeCode: code }, dpi).plan;
    } catch (err) {
      if (!(err instanceof DomainError && err.code === 'tube.notFound')) throw err;
      const template = loadTemplates().get('tube')!;
      return layoutLabel(template, { code, siteName: core.identity.site.name, stationName: core.identity.station.name, date: today(), pool: '' }, dpi);
    } finally {
      core.close();
    }
  }
  return layoutLabel(loadTemplates().get('tube')!, { code, date: today() }, dpi);
}

export const label: CliCommand = {
  name: 'label',
  summary: 'write a tube label as printer commands (ZPL, TSPL, EPL, ESC/POS) or as the PNG preview',
  usage: `station label --tube CODE --format zpl|tspl|epl|escpos|png --out FILE [--dpi 203|300] [--mode raster|native] [--data DIR] ${KEY_USAGE}`,
  async run(argv) {
    const { values } = parseOptions(
      argv,
      { tube: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' }, dpi: { type: 'string' }, mode: { type: 'string' }, data: { type: 'string' }, ...KEY_OPTIONS },
      this.usage,
    );
    const code = values.tube ?? '';
    if (!/^[\x21-\x7e]{1,64}$/.test(code)) throw new Error(`--tube must be a tube code (1–64 printable ASCII characters)\nusage: ${this.usage}`);
    const format = FORMATS.find((f) => f === values.format);
    if (!format) throw new Error(`--format must be one of ${FORMATS.join(', ')}\nusage: ${this.usage}`);
    if (!values.out) throw new Error(`--out FILE is required ("-" writes to standard output)\nusage: ${this.usage}`);
    const dpi = Number(values.dpi ?? 203);
    if (dpi !== 203 && dpi !== 300) throw new Error('--dpi must be 203 or 300');
    const mode = values.mode ?? 'raster';
    if (mode !== 'raster' && mode !== 'native') throw new Error('--mode must be raster or native');

    const plan = await tubePlan(code, dpi, values.data ? path.resolve(values.data) : undefined, values);
    const bytes = (format as Format) === 'png' ? bitmapToPng(renderLabel(plan)) : Buffer.from(encodeLabel(format as PrinterLanguage, plan, { mode }));
    if (values.out === '-') {
      process.stdout.write(bytes);
    } else {
      fs.writeFileSync(values.out, bytes);
      process.stdout.write(`station: tube label ${code} (${format}${format === 'png' ? '' : `, ${mode}`}, ${dpi} dpi, ${plan.width}×${plan.height} dots, ${bytes.length} bytes) written to ${values.out}\n`);
    }
    return 0;
  },
};

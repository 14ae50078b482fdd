import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layoutLabel, type Dpi } from '../../native/label/layout';
import { renderLabel } from '../../native/label/raster';
import { loadTemplates } from '../../native/label/template';
import { openPrinter } from '../../native/printer';
import { PrinterSimulator } from '../../native/printer/simulator';
import { labelPng, saveArtifact, zbarDecode } from '../helpers/printer-sim';
import { tubeCode } from '../helpers/ids';

/**
 * A printed tube label, read back by an independent barcode reader (zbarimg), gives exactly the
 * tube code: through the TCP 9100 simulator (ZPL rendered back to dots) and through the PNG path.
 */
const template = loadTemplates().get('tube')!;
let sim: PrinterSimulator;
beforeAll(async () => {
  sim = await PrinterSimulator.start();
});
afterAll(async () => {
  await sim.close();
});

function data(code: string) {
  return { code, siteName: '演示社区采样点', stationName: '采样台 1', date: '2026-11-22', pool: '10混1' };
}

describe.each([203, 300] as const)('tube label at %i dpi', (dpi: Dpi) => {
  it.each(['raster', 'native'] as const)('ZPL (%s) sent to the TCP 9100 simulator, rendered to PNG, decodes to the tube code', async (mode) => {
    const code = tubeCode(dpi * 10 + (mode === 'raster' ? 1 : 2));
    const printer = openPrinter({ language: 'zpl', dpi, mode, transport: { kind: 'tcp', host: '127.0.0.1', port: sim.port } });
    const before = sim.jobs.length;
    await printer.print({ label: layoutLabel(template, data(code), dpi) });
    const jobs = await sim.waitForJobs(before + 1);
    const [png] = PrinterSimulator.renderJobPng(jobs[before]!);
    expect(png).toBeDefined();
    saveArtifact(`tube-zpl-${mode}-${dpi}.png`, png!);
    expect(zbarDecode(png!)).toEqual([code]);
    await printer.close();
  });

  it.each(['tspl', 'epl', 'escpos'] as const)('%s raster job through the simulator decodes to the tube code', async (language) => {
    const code = tubeCode(dpi * 100 + language.length);
    const printer = openPrinter({ language, dpi, transport: { kind: 'tcp', host: '127.0.0.1', port: sim.port } });
    const before = sim.jobs.length;
    await printer.print({ label: layoutLabel(template, data(code), dpi) });
    const jobs = await sim.waitForJobs(before + 1);
    const [png] = PrinterSimulator.renderJobPng(jobs[before]!);
    expect(png).toBeDefined();
    saveArtifact(`tube-${language}-raster-${dpi}.png`, png!);
    expect(zbarDecode(png!)).toEqual([code]);
    await printer.close();
  });

  it('the PNG preview decodes to the tube code', () => {
    const code = tubeCode(dpi * 10 + 3);
    const png = labelPng(renderLabel(layoutLabel(template, data(code), dpi)));
    saveArtifact(`tube-preview-${dpi}.png`, png);
    expect(zbarDecode(png)).toEqual([code]);
  });

  it('a label without a code decodes to nothing (the reader is not guessing)', () => {
    const png = labelPng(renderLabel(layoutLabel(template, { ...data(''), code: '' }, dpi)));
    expect(zbarDecode(png)).toEqual([]);
  });
});

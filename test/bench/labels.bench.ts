import { it } from 'vitest';
import { bitmapToPng, layoutLabel, loadTemplates, renderLabel, type Dpi } from '../../native/label';
import { encodeLabel } from '../../native/printer';
import { tubeCode } from '../helpers/ids';
import { ms, report, summarize } from '../helpers/stats';

/**
 * Label build time per tube label (layout included, a new code each time): ZPL with native
 * commands, ZPL as one ^GF raster, TSPL raster and the PNG preview. Figures only, no assertions.
 */
it('labels: build time per tube label, native and raster', () => {
  const template = loadTemplates().get('tube')!;
  const data = (n: number) => ({ code: tubeCode(n), siteName: '演示社区采样点', stationName: '采样台 1', date: '2026-11-22', pool: '10混1' });
  const builds: [string, (n: number, dpi: Dpi) => Uint8Array][] = [
    ['ZPL native', (n, dpi) => encodeLabel('zpl', layoutLabel(template, data(n), dpi), { mode: 'native' })],
    ['ZPL raster (^GFA)', (n, dpi) => encodeLabel('zpl', layoutLabel(template, data(n), dpi), { mode: 'raster' })],
    ['TSPL raster (BITMAP)', (n, dpi) => encodeLabel('tspl', layoutLabel(template, data(n), dpi), { mode: 'raster' })],
    ['PNG preview', (n, dpi) => bitmapToPng(renderLabel(layoutLabel(template, data(n), dpi)))],
  ];
  for (const dpi of [203, 300] as const) {
    const rows: [string, string][] = [];
    for (const [name, build] of builds) {
      for (let i = 0; i < 20; i++) build(900_000 + i, dpi); // warm the glyph cache and the JIT
      const samples: number[] = [];
      let bytes = 0;
      for (let i = 0; i < 300; i++) {
        const start = performance.now();
        bytes = build(i, dpi).length;
        samples.push(performance.now() - start);
      }
      const s = summarize(samples);
      rows.push([name, `p50 ${ms(s.p50)}  p99 ${ms(s.p99)}  max ${ms(s.max)}  (${bytes} bytes)`]);
    }
    report(`tube label 50 × 25 mm at ${dpi} dpi (${300} labels each)`, rows);
  }
});

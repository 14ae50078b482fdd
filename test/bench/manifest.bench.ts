import { it } from 'vitest';
import { renderManifest, type ManifestInput } from '../../electron/core/boxes/manifest';
import { tubeCode } from '../helpers/ids';
import { ms, percentile, report } from '../helpers/stats';

/**
 * Box manifest build time: a 100-tube manifest (3 A4 pages, the Chinese font subset and embedded,
 * the box code as Code 128) from input to PDF bytes, a new box code each time. Figures only.
 */
it('manifest: build time of a 100-tube box manifest PDF', async () => {
  const input = (n: number): ManifestInput => ({
    site: '演示社区采样点',
    station: '采样台 1',
    boxCode: `BX${String(n).padStart(10, '0')}`,
    sealedAt: '2026-12-02T02:30:00.000Z',
    sealedBy: { name: '张三', code: 'OP0001' },
    tubes: Array.from({ length: 100 }, (_, i) => ({ code: tubeCode(n * 100 + i), poolSize: 10, people: 10 })),
    language: 'zh-CN',
  });
  const first = performance.now();
  await renderManifest(input(0)); // loads and parses the font once per process
  const cold = performance.now() - first;
  for (let i = 1; i <= 5; i++) await renderManifest(input(i)); // warm the JIT
  const samples: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 50; i++) {
    const start = performance.now();
    bytes = (await renderManifest(input(100 + i))).length;
    samples.push(performance.now() - start);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  report('box manifest, 100 tubes, A4 PDF (50 builds)', [
    ['first build (font load)', ms(cold)],
    ['warm', `p50 ${ms(percentile(sorted, 50))}  p95 ${ms(percentile(sorted, 95))}  max ${ms(sorted[sorted.length - 1]!)}  (${bytes} bytes)`],
  ]);
});

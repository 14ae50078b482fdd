import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderManifest, type ManifestInput } from '../../../electron/core/boxes/manifest';
import { tempDir } from '../../helpers/core';
import { tubeCode } from '../../helpers/ids';
import { zbarDecode } from '../../helpers/printer-sim';

/** The box manifest PDF read back by independent tools: poppler's pdftotext/pdfinfo/pdftoppm and zbarimg. */
const BOX = 'BX0000000123';

function input(tubes: number): ManifestInput {
  return {
    site: '演示社区采样点',
    station: '采样台 1',
    boxCode: BOX,
    sealedAt: '2026-12-02T02:30:00.000Z',
    sealedBy: { name: '张三', code: 'OP0001' },
    // Pools of 10, the last one short (7 people): the totals must add people, not pool sizes.
    tubes: Array.from({ length: tubes }, (_, i) => ({ code: tubeCode(i + 1), poolSize: 10, people: i === tubes - 1 ? 7 : 10 })),
    language: 'zh-CN',
  };
}

let dir: string;
beforeAll(() => {
  dir = tempDir('manifest-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, pdf: Uint8Array): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, pdf);
  return file;
}
const text = (file: string, page?: number) =>
  execFileSync('pdftotext', ['-enc', 'UTF-8', ...(page ? ['-f', String(page), '-l', String(page)] : []), file, '-'], { encoding: 'utf8' });
const pages = (file: string) => Number(/^Pages:\s+(\d+)/m.exec(execFileSync('pdfinfo', [file], { encoding: 'utf8' }))?.[1]);

describe('box manifest PDF', () => {
  it('a 100-tube manifest: Chinese headings, every tube once, totals, signatures, three A4 pages', async () => {
    const pdf = await renderManifest(input(100));
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const file = write('m100.pdf', pdf);
    expect(pages(file)).toBe(3);
    expect(execFileSync('pdfinfo', [file], { encoding: 'utf8' })).toMatch(/Page size:\s+595\.28 x 841\.89 pts \(A4\)/);

    const all = text(file);
    for (const words of ['装箱单', '样本转运交接单', '演示社区采样点', '采样台 1', '张三', 'OP0001', '封箱人', '转运人', '接收人', '日期时间']) {
      expect(all).toContain(words);
    }
    // Sealed at 02:30 UTC is 10:30 at the site (UTC+8).
    expect(all).toContain('2026-12-02 10:30');
    for (let n = 1; n <= 100; n++) {
      expect(all.split(tubeCode(n)).length - 1, tubeCode(n)).toBe(1);
    }
    expect(all).toContain('合计：100 管，997 人');

    // The table's heading and the page number on every page; the tubes run on in order.
    const perPage = [1, 2, 3].map((p) => text(file, p));
    perPage.forEach((page, i) => {
      for (const heading of ['序号', '管码', '混采数', '人数']) expect(page).toContain(heading);
      expect(page).toContain(`第 ${i + 1} 页 / 共 3 页`);
      expect(page).toContain(BOX);
    });
    expect(perPage[0]).toContain(tubeCode(1));
    expect(perPage[2]).toContain(tubeCode(100));
    expect(perPage[2]).toContain('合计');
    expect(perPage[0]).not.toContain('合计');

    // The Chinese font is embedded as a subset: nothing is left to the reader's fonts.
    const fonts = execFileSync('pdffonts', [file], { encoding: 'utf8' }).split('\n').slice(2).filter(Boolean);
    expect(fonts.length).toBeGreaterThan(0);
    for (const line of fonts) expect(line).toMatch(/^[A-Z]{6}\+\S+.*\byes\s+yes\s+yes\b/);
  });

  it('page 1 rendered to an image carries the box code as a Code 128 barcode that zbarimg reads', async () => {
    const file = write('m-bar.pdf', await renderManifest(input(100)));
    execFileSync('pdftoppm', ['-r', '150', '-png', '-f', '1', '-l', '1', '-singlefile', file, path.join(dir, 'page1')]);
    expect(zbarDecode(fs.readFileSync(path.join(dir, 'page1.png')))).toEqual([BOX]);
  });

  it('a short box fits on one page; an empty one still prints its totals and signatures', async () => {
    const short = write('m3.pdf', await renderManifest(input(3)));
    expect(pages(short)).toBe(1);
    expect(text(short)).toContain('合计：3 管，27 人');
    const empty = write('m0.pdf', await renderManifest(input(0)));
    expect(pages(empty)).toBe(1);
    expect(text(empty)).toContain('合计：0 管，0 人');
    expect(text(empty)).toContain('接收人');
  });

  it('when the last tubes fill a page the totals and signatures move to the next page together', async () => {
    // 33 rows fill page 1 and 40 rows page 2; 73 tubes leave no room for the signatures on page 2.
    const file = write('m73.pdf', await renderManifest(input(73)));
    expect(pages(file)).toBe(3);
    expect(text(file, 2)).toContain(tubeCode(73));
    expect(text(file, 2)).not.toContain('合计');
    expect(text(file, 3)).toContain('合计：73 管，727 人');
    expect(text(file, 3)).toContain('封箱人');
  });

  it('one font parsed per process, a subset per document: a later manifest shows its own characters', async () => {
    await renderManifest(input(2));
    const later = write('m-later.pdf', await renderManifest({ ...input(2), site: '东城区第二采样点', sealedBy: { name: '李四', code: 'OP0002' } }));
    const words = text(later);
    expect(words).toContain('东城区第二采样点');
    expect(words).toContain('李四（OP0002）');
    expect(words).not.toContain('张三');
  });

  it('a site name too long for its line is set smaller, then cut with an ellipsis, clear of the barcode', async () => {
    const site = '北京市东城区某某街道某某社区第一核酸采样点（临时）备用备用备用备用';
    const file = write('m-long.pdf', await renderManifest({ ...input(1), site }));
    const words = text(file);
    expect(words).toContain('北京市东城区');
    expect(words).toContain('…');
    expect(words).not.toContain(site);
    execFileSync('pdftoppm', ['-r', '150', '-png', '-singlefile', file, path.join(dir, 'long')]);
    expect(zbarDecode(fs.readFileSync(path.join(dir, 'long.png')))).toEqual([BOX]);
  });

  it('refuses input that is not a manifest', async () => {
    await expect(renderManifest({ ...input(1), sealedAt: 'yesterday' })).rejects.toThrow();
    await expect(renderManifest({ ...input(1), boxCode: '' })).rejects.toThrow();
    await expect(renderManifest({ ...input(1), tubes: [{ code: 'SY1', poolSize: 0, people: 1 }] })).rejects.toThrow();
  });
});

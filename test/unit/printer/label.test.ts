import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inkBounds } from '../../../native/label/bitmap';
import { FONT_CELL, measureText, renderText } from '../../../native/label/font';
import { layoutLabel } from '../../../native/label/layout';
import { pngToBitmap, bitmapToPng } from '../../../native/label/png';
import { renderLabel } from '../../../native/label/raster';
import { loadTemplates, parseTemplate } from '../../../native/label/template';
import { woffToSfnt } from '../../../native/label/woff';
import { blackRuns, labelPng, zbarDecode } from '../../helpers/printer-sim';

describe('WOFF to sfnt', () => {
  it('unpacks the shipped font into a TrueType font and refuses anything else', () => {
    const woff = fs.readFileSync(require.resolve('@fontsource/unifontex/files/unifontex-latin-400-normal.woff'));
    const sfnt = Buffer.from(woffToSfnt(woff));
    expect(sfnt.readUInt32BE(0)).toBe(woff.readUInt32BE(4));
    expect(sfnt.length).toBe(woff.readUInt32BE(16)); // WOFF header: totalSfntSize
    expect(() => woffToSfnt(Buffer.from('not a font at all, not at all'))).toThrow(/WOFF/);
  });
});

describe('pixel font text', () => {
  it('renders Chinese text with ink, one 16-dot cell per character at scale 1', () => {
    const text = renderText('采样点', 1);
    expect(text.height).toBe(FONT_CELL);
    expect(text.width).toBe(3 * FONT_CELL);
    expect(inkBounds(text)).not.toBeNull();
    expect(measureText('SY01', 1)).toBe(4 * 8);
  });

  it('at scale 2 every stroke is whole font pixels: runs start and end on even dots', () => {
    const text = renderText('10混1 采样', 2);
    for (let row = 0; row < text.height; row += 1) {
      for (const [start, length] of blackRuns(text, row)) {
        expect(start % 2).toBe(0);
        expect(length % 2).toBe(0);
      }
    }
  });

  it('different characters give different bitmaps (no tofu for CJK)', () => {
    const a = renderText('采', 1).pixels.join('');
    const b = renderText('样', 1).pixels.join('');
    const missing = renderText('\u{10FFFD}', 1).pixels.join('');
    expect(a).not.toBe(b);
    expect(a).not.toBe(missing);
    // A name with a character the font lacks still prints (as U+FFFD), it does not fail the label.
    expect(renderText('张\u{2A6D6}三', 1).width).toBeGreaterThanOrEqual(2 * FONT_CELL + 8);
  });
});

describe('templates and layout', () => {
  const tube = loadTemplates().get('tube')!;

  it('rejects a template with an unknown element or out-of-range size', () => {
    expect(() => parseTemplate({ ...tube, elements: [{ type: 'circle', x: 1, y: 1 }] })).toThrow();
    expect(() => parseTemplate({ ...tube, widthMm: 5 })).toThrow();
    expect(() => parseTemplate({ ...tube, name: 'Bad Name' })).toThrow();
  });

  it('a site name too long for the label shrinks, then ends in an ellipsis, and stays on the label', () => {
    const plan = layoutLabel(tube, { code: 'SY0000000001', siteName: '某某市某某区某某街道某某社区第一百二十三号核酸采样点' }, 203);
    const site = plan.elements.find((e) => e.kind === 'text' && e.y === Math.round((1.2 * 203) / 25.4));
    expect(site?.kind).toBe('text');
    if (site?.kind !== 'text') return;
    expect(site.text.endsWith('…')).toBe(true);
    expect(site.x + site.width).toBeLessThanOrEqual(plan.width);
  });

  it('QR codes from bwip-js are drawn module for module and read back by zbarimg', () => {
    const qr = parseTemplate({
      name: 'qr-test',
      subject: 'tube',
      widthMm: 30,
      heightMm: 30,
      elements: [{ type: 'barcode', symbology: 'qrcode', x: 3, y: 3, heightMm: 20, moduleMm: 0.5, value: '{code}', align: 'center' }],
    });
    for (const dpi of [203, 300] as const) {
      const plan = layoutLabel(qr, { code: 'SY0000000099' }, dpi);
      const el = plan.elements[0]!;
      expect(el.kind === 'matrix' && Number.isInteger(el.module)).toBe(true);
      expect(zbarDecode(labelPng(renderLabel(plan)))).toEqual(['SY0000000099']);
    }
  });

  it('the box manifest lists tubes in columns and stops at its row limit', () => {
    const manifest = loadTemplates().get('box-manifest')!;
    const tubes = Array.from({ length: 60 }, (_, i) => `SY${String(i).padStart(10, '0')}  10人`);
    const plan = layoutLabel(manifest, { code: 'BX00000001', tubes }, 203);
    const listed = plan.elements.filter((e) => e.kind === 'text' && e.text.startsWith('SY'));
    expect(listed).toHaveLength(52);
    expect(new Set(listed.map((e) => e.x)).size).toBe(2);
    for (const e of listed) expect(e.y + e.height).toBeLessThanOrEqual(plan.height);
  });
});

describe('1-bit PNG', () => {
  it('round-trips the label bitmap exactly and is a 1-bit greyscale image', () => {
    const plan = layoutLabel(loadTemplates().get('tube')!, { code: 'SY0000000001', siteName: '采样点' }, 300);
    const bitmap = renderLabel(plan);
    const png = bitmapToPng(bitmap);
    expect(png[24]).toBe(1); // IHDR bit depth
    expect(png[25]).toBe(0); // greyscale
    expect(Buffer.from(pngToBitmap(png).pixels).equals(Buffer.from(bitmap.pixels))).toBe(true);
  });
});

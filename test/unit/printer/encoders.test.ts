import { describe, expect, it } from 'vitest';
import { bytesPerRow, packRows, unpackRows } from '../../../native/label/bitmap';
import { layoutLabel, type Dpi, type LabelPlan } from '../../../native/label/layout';
import { renderLabel } from '../../../native/label/raster';
import { loadTemplates } from '../../../native/label/template';
import { encodeLabel } from '../../../native/printer/encoders';
import { renderZpl } from '../../../native/printer/zpl-render';
import { blackRuns } from '../../helpers/printer-sim';

const templates = loadTemplates();
const tubeData = { code: 'SY0000000042', siteName: '演示社区采样点', stationName: '采样台 1', date: '2026-11-22', pool: '10混1' };

function tubePlan(dpi: Dpi): LabelPlan {
  return layoutLabel(templates.get('tube')!, tubeData, dpi);
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('latin1');
}

describe('templates', () => {
  it('ships tube, box, sealed box, box-manifest and pass templates that validate', () => {
    expect([...templates.keys()].sort()).toEqual(['box', 'box-manifest', 'box-sealed', 'pass', 'tube']);
  });
});

describe('Code 128 module widths', () => {
  for (const [dpi, dots] of [
    [203, 2],
    [300, 3],
  ] as const) {
    it(`are whole dots at ${dpi} dpi (0.25 mm → ${dots} dots) in the plan and in the raster`, () => {
      const plan = tubePlan(dpi);
      const code = plan.elements.find((e) => e.kind === 'code128');
      expect(code?.kind).toBe('code128');
      if (code?.kind !== 'code128') return;
      expect(code.module).toBe(dots);
      const bitmap = renderLabel(plan);
      const runs = blackRuns(bitmap, code.y + Math.floor(code.height / 2));
      const bars = runs.filter(([x]) => x >= code.x && x < code.x + code.width);
      expect(bars.length).toBe(Math.ceil(code.widths.length / 2));
      for (const [, length] of bars) expect(length % dots).toBe(0);
      // Spaces too: each gap between bars is a whole number of modules.
      for (let i = 1; i < bars.length; i++) expect((bars[i]![0] - bars[i - 1]![0] - bars[i - 1]![1]) % dots).toBe(0);
    });
  }
});

describe('ZPL', () => {
  it('raster: one ^GFA whose byte counts match bytes-per-row × rows and whose data is the label bitmap', () => {
    const plan = tubePlan(203);
    const zpl = latin1(encodeLabel('zpl', plan, { mode: 'raster' }));
    expect(zpl.startsWith('~SD15\n^XA\n^CI28\n^PW400\n^LL200\n^LH0,0\n')).toBe(true);
    expect(zpl.endsWith('^PQ1\n^XZ\n')).toBe(true);
    const m = /\^FO0,0\^GFA,(\d+),(\d+),(\d+),([0-9A-F]+)\^FS/.exec(zpl);
    expect(m).not.toBeNull();
    const [total, field, perRow, hex] = [Number(m![1]), Number(m![2]), Number(m![3]), m![4]!];
    expect(perRow).toBe(bytesPerRow(plan.width));
    expect(total).toBe(perRow * plan.height);
    expect(field).toBe(total);
    expect(hex.length).toBe(total * 2);
    expect(Buffer.from(hex, 'hex').equals(Buffer.from(packRows(renderLabel(plan), 1)))).toBe(true);
  });

  it('native: Code 128 with ^BY module dots, ASCII text in font 0, Chinese text as a graphic field', () => {
    for (const [dpi, module] of [
      [203, 2],
      [300, 3],
    ] as const) {
      const zpl = latin1(encodeLabel('zpl', tubePlan(dpi), { mode: 'native', darkness: 20, copies: 2 }));
      expect(zpl).toMatch(new RegExp(`\\^BY${module}\\^BCN,\\d+,N,N,N,A\\^FH\\^FDSY0000000042\\^FS`));
      expect(zpl).toMatch(/\^A0N,\d+,\d+\^FH\^FDSY0000000042\^FS/);
      // 演示社区采样点 and 10混1 cannot be said in a resident font: two graphic fields at least.
      expect((zpl.match(/\^GFA,/g) ?? []).length).toBeGreaterThanOrEqual(2);
      expect(zpl).toContain('~SD20');
      expect(zpl).toContain('^PQ2');
    }
  });

  it('escapes ^ ~ and _ in field data so they cannot end a field', () => {
    const plan: LabelPlan = { template: 't', dpi: 203, width: 100, height: 50, gap: 0, elements: [{ kind: 'text', x: 0, y: 0, text: 'a^b~c_d', scale: 1, width: 56, height: 16 }] };
    const zpl = latin1(encodeLabel('zpl', plan, { mode: 'native' }));
    expect(zpl).toContain('^FDa_5Eb_7Ec_5Fd^FS');
  });

  it('our renderer reads the raster job back to the same bitmap', () => {
    const plan = tubePlan(300);
    const [label] = renderZpl(latin1(encodeLabel('zpl', plan, { mode: 'raster' })));
    expect(label?.width).toBe(plan.width);
    expect(Buffer.from(label!.pixels).equals(Buffer.from(renderLabel(plan).pixels))).toBe(true);
  });
});

describe('TSPL', () => {
  it('raster: SIZE/GAP/DENSITY/CLS, one BITMAP with width in bytes and inverted bits, PRINT', () => {
    const plan = tubePlan(203);
    const bytes = Buffer.from(encodeLabel('tspl', plan, { mode: 'raster', darkness: 16 }));
    const text = bytes.toString('latin1');
    expect(text.startsWith('SIZE 50 mm,25 mm\r\nGAP 3 mm,0 mm\r\nDENSITY 8\r\nREFERENCE 0,0\r\nCLS\r\n')).toBe(true);
    const header = `BITMAP 0,0,${bytesPerRow(plan.width)},${plan.height},0,`;
    const at = bytes.indexOf(header);
    expect(at).toBeGreaterThan(0);
    const dataStart = at + header.length;
    const size = bytesPerRow(plan.width) * plan.height;
    const data = bytes.subarray(dataStart, dataStart + size);
    expect(bytes.subarray(dataStart + size).toString('latin1')).toBe('\r\nPRINT 1,1\r\n');
    // 0 bits print in TSPL: inverting gives back the label.
    const inverted = Uint8Array.from(data, (b) => ~b & 0xff);
    const back = unpackRows(inverted, bytesPerRow(plan.width), plan.height, plan.width);
    expect(Buffer.from(back.pixels).equals(Buffer.from(renderLabel(plan).pixels))).toBe(true);
  });

  it('native: BARCODE "128" with the module in dots, TEXT for ASCII, BITMAP for Chinese', () => {
    const text = latin1(encodeLabel('tspl', tubePlan(300), { mode: 'native' }));
    expect(text).toMatch(/BARCODE \d+,\d+,"128",\d+,0,0,3,3,"SY0000000042"\r\n/);
    expect(text).toMatch(/TEXT \d+,\d+,"\d",0,1,1,"SY0000000042"\r\n/);
    expect(text).toMatch(/BITMAP \d+,\d+,\d+,\d+,0,/);
  });
});

describe('EPL', () => {
  it('raster: N, q width, Q height,gap, GW with width in bytes and inverted bits, P1', () => {
    const plan = tubePlan(203);
    const bytes = Buffer.from(encodeLabel('epl', plan, { mode: 'raster' }));
    expect(bytes.toString('latin1').startsWith(`\r\nN\r\nq${plan.width}\r\nQ${plan.height},${plan.gap}\r\nD8\r\n`)).toBe(true);
    const header = `GW0,0,${bytesPerRow(plan.width)},${plan.height},`;
    const at = bytes.indexOf(header);
    const size = bytesPerRow(plan.width) * plan.height;
    expect(bytes.subarray(at + header.length + size).toString('latin1')).toBe('\r\nP1\r\n');
    const first = bytes.subarray(at + header.length, at + header.length + size);
    expect(Buffer.from(Uint8Array.from(first, (b) => ~b & 0xff)).equals(Buffer.from(packRows(renderLabel(plan), 1)))).toBe(true);
  });

  it('native: B command with Code 128 (type 1) and module dots', () => {
    expect(latin1(encodeLabel('epl', tubePlan(203), { mode: 'native' }))).toMatch(/B\d+,\d+,0,1,2,4,\d+,N,"SY0000000042"\r\n/);
  });
});

describe('ESC/POS', () => {
  it('raster: ESC @, GS v 0 with bytes per row and rows little-endian, 1 bits print', () => {
    const plan = tubePlan(300);
    const bytes = Buffer.from(encodeLabel('escpos', plan, { mode: 'raster' }));
    const perRow = bytesPerRow(plan.width);
    expect([...bytes.subarray(0, 10)]).toEqual([0x1b, 0x40, 0x1d, 0x76, 0x30, 0, perRow & 0xff, perRow >> 8, plan.height & 0xff, plan.height >> 8]);
    const data = bytes.subarray(10, 10 + perRow * plan.height);
    expect(data.equals(Buffer.from(packRows(renderLabel(plan), 1)))).toBe(true);
    expect([...bytes.subarray(10 + perRow * plan.height)]).toEqual([0x1b, 0x64, 3]);
  });

  it('native: GS k 73 with {B and the code, GS w module width', () => {
    const bytes = Buffer.from(encodeLabel('escpos', tubePlan(203), { mode: 'native' }));
    const value = Buffer.from('{BSY0000000042', 'latin1');
    const at = bytes.indexOf(Buffer.concat([Buffer.from([0x1d, 0x6b, 73, value.length]), value]));
    expect(at).toBeGreaterThan(0);
    expect(bytes.includes(Buffer.from([0x1d, 0x77, 2]))).toBe(true);
  });
});

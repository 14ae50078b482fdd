import fs from 'node:fs';
import bwipjs from 'bwip-js';
// fontkit (pdfkit's own font engine, the same version): opens the font once per process; handing
// the parsed font to each document makes a 100-tube manifest about 6 times faster than letting
// pdfkit parse the 3 MB font for every document.
import * as fontkit from 'fontkit';
// pdfkit: actively kept, and its font engine is upstream fontkit 2.x, whose subsetter writes
// correct TrueType and CFF subsets of CJK fonts (pdf-lib's @pdf-lib/fontkit is a stale fork that
// silently corrupts CJK subsets). Only the glyphs a manifest uses are embedded, with a ToUnicode
// map, so the Chinese text stays searchable and extractable.
import PDFDocument from 'pdfkit';
import { z } from 'zod';
import { woffToSfnt } from '../../../native/label/woff';

/** What a sealed box's manifest shows; totals are counted here, never taken from the caller. */
export const manifestInputSchema = z.object({
  site: z.string().min(1).max(100),
  station: z.string().min(1).max(100),
  boxCode: z.string().min(1).max(64),
  sealedAt: z.iso.datetime({ offset: true }),
  sealedBy: z.object({ name: z.string().min(1).max(100), code: z.string().min(1).max(64) }),
  tubes: z
    .array(z.object({ code: z.string().min(1).max(64), poolSize: z.number().int().min(1).max(100), people: z.number().int().min(0).max(100) }))
    .max(10_000),
  language: z.literal('zh-CN'),
});
export type ManifestInput = z.infer<typeof manifestInputSchema>;

// A4 in points, margins of 15 mm.
const PAGE_W = 595.28;
const PAGE_H = 841.89;
const MARGIN = 42.5;
const CONTENT_W = PAGE_W - 2 * MARGIN;
const FOOTER_H = 24;
const ROW_H = 17;
const TABLE_FONT = 10.5;
/** Column widths (points) and headings of the tube table. */
const COLUMNS: { title: string; width: number; align: 'left' | 'center' | 'right' }[] = [
  { title: '序号', width: 60, align: 'center' },
  { title: '管码', width: CONTENT_W - 60 - 110 - 110, align: 'left' },
  { title: '混采数', width: 110, align: 'center' },
  { title: '人数', width: 110, align: 'center' },
];
const SIGN_BLOCK_H = 150;

/** Sites keep one clock (UTC+8, no daylight saving): the manifest prints the seal time in it. */
const SITE_UTC_OFFSET_MS = 8 * 3600_000;
function siteTime(iso: string): string {
  return new Date(Date.parse(iso) + SITE_UTC_OFFSET_MS).toISOString().slice(0, 16).replace('T', ' ');
}

/**
 * The font the app already ships for labels (GNU Unifont as UnifontEX, npm @fontsource/unifontex,
 * SIL OFL / GPL with font exception): it covers the whole BMP, so any site, station or name
 * prints; no OS font is needed at run time. Unpacked from WOFF once and kept.
 */
let parsedFont: fontkit.Font | null = null;
function font(): fontkit.Font {
  if (!parsedFont) {
    const file = require.resolve('@fontsource/unifontex/files/unifontex-latin-400-normal.woff');
    const opened = fontkit.create(Buffer.from(woffToSfnt(fs.readFileSync(file))));
    if (!('layout' in opened)) throw new Error('the manifest font is a collection, not a font');
    parsedFont = opened;
  }
  return parsedFont;
}

/**
 * Text on one line within `width`: smaller type down to 70 % of `size`, then cut with an ellipsis
 * (a long site name must never run into the barcode or onto the next line).
 */
function fitLine(doc: PDFKit.PDFDocument, text: string, x: number, y: number, width: number, size: number, align: 'left' | 'center' | 'right' = 'left'): void {
  let fontSize = size;
  doc.fontSize(fontSize);
  while (doc.widthOfString(text) > width && fontSize > size * 0.7) doc.fontSize((fontSize -= 0.5));
  let shown = text;
  if (doc.widthOfString(shown) > width) {
    const chars = [...text];
    while (chars.length > 0 && doc.widthOfString(chars.join('') + '…') > width) chars.pop();
    shown = chars.join('') + '…';
  }
  const w = doc.widthOfString(shown);
  const dx = align === 'left' ? 0 : align === 'center' ? (width - w) / 2 : width - w;
  doc.text(shown, x + dx, y + (size - fontSize) / 2, { lineBreak: false });
  doc.fontSize(size);
}

/** Code 128 as vector bars (bwip-js encodes; each bar a filled rectangle, so it prints sharp). */
function drawCode128(doc: PDFKit.PDFDocument, text: string, x: number, y: number, width: number, height: number): void {
  const [symbol] = bwipjs.raw({ bcid: 'code128', text }) as unknown as [{ sbs: number[] }];
  const modules = symbol.sbs.reduce((a, b) => a + b, 0);
  const quiet = 10; // quiet zone each side, in modules
  const module = width / (modules + 2 * quiet);
  let at = x + quiet * module;
  symbol.sbs.forEach((w, i) => {
    if (i % 2 === 0) doc.rect(at, y, w * module, height);
    at += w * module;
  });
  doc.fillColor('black').fill();
}

/** Rows that fit between `top` and the page's bottom, leaving `reserve` points free. */
function rowsFitting(top: number, reserve = 0): number {
  return Math.max(0, Math.floor((PAGE_H - MARGIN - FOOTER_H - reserve - top) / ROW_H));
}

function tableHeader(doc: PDFKit.PDFDocument, y: number): number {
  doc.rect(MARGIN, y, CONTENT_W, ROW_H).fillColor('#e6e6e6').fill();
  doc.fillColor('black').fontSize(TABLE_FONT);
  let x = MARGIN;
  for (const col of COLUMNS) {
    doc.text(col.title, x + 4, y + 3.5, { width: col.width - 8, align: col.align, lineBreak: false });
    x += col.width;
  }
  doc.moveTo(MARGIN, y + ROW_H).lineTo(MARGIN + CONTENT_W, y + ROW_H).lineWidth(0.8).stroke();
  return y + ROW_H;
}

function tableRow(doc: PDFKit.PDFDocument, y: number, cells: string[], shade: boolean): number {
  if (shade) doc.rect(MARGIN, y, CONTENT_W, ROW_H).fillColor('#f5f5f5').fill();
  doc.fillColor('black').fontSize(TABLE_FONT);
  let x = MARGIN;
  COLUMNS.forEach((col, i) => {
    fitLine(doc, cells[i] ?? '', x + 4, y + 3.5, col.width - 8, TABLE_FONT, col.align);
    x += col.width;
  });
  return y + ROW_H;
}

/**
 * The box manifest (装箱单 / 样本转运交接单) as an A4 PDF: header with the box code as Code 128,
 * one line per tube (the table's heading repeated on every page), totals and the three signatures
 * (sealer, transporter, receiver). A pure function of its input.
 */
export async function renderManifest(raw: ManifestInput): Promise<Buffer> {
  const input = manifestInputSchema.parse(raw);
  const totalPeople = input.tubes.reduce((n, t) => n + t.people, 0);
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    bufferPages: true,
    autoFirstPage: true,
    compress: true,
    info: { Title: `装箱单 ${input.boxCode}`, Creator: 'Station', CreationDate: new Date(Date.parse(input.sealedAt)) },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  // pdfkit takes a fontkit font as it is (its types list only bytes); each document keeps its own subset.
  doc.registerFont('cjk', font() as unknown as Buffer);
  doc.font('cjk');

  // Page 1: title, the box and who sealed it.
  doc.fontSize(20).text('装箱单 / 样本转运交接单', MARGIN, MARGIN, { width: CONTENT_W, align: 'center', lineBreak: false });
  let y = MARGIN + 36;
  const info: [string, string][] = [
    ['采样点', input.site],
    ['采样台', input.station],
    ['箱码', input.boxCode],
    ['封箱时间', `${siteTime(input.sealedAt)}（北京时间 UTC+8）`],
    ['封箱人', `${input.sealedBy.name}（${input.sealedBy.code}）`],
  ];
  const labelW = 64;
  const infoW = CONTENT_W - 230;
  doc.fontSize(12);
  for (const [label, value] of info) {
    doc.text(`${label}：`, MARGIN, y, { width: labelW, lineBreak: false });
    fitLine(doc, value, MARGIN + labelW, y, infoW - labelW, 12);
    y += 20;
  }
  const barW = 220;
  const barX = MARGIN + CONTENT_W - barW;
  drawCode128(doc, input.boxCode, barX, MARGIN + 38, barW, 60);
  fitLine(doc, input.boxCode, barX, MARGIN + 102, barW, 12, 'center');
  y += 8;
  doc.moveTo(MARGIN, y).lineTo(MARGIN + CONTENT_W, y).lineWidth(1).stroke();
  y += 10;

  // The tube table, page after page; every continuation page says whose box it is.
  y = tableHeader(doc, y);
  input.tubes.forEach((tube, i) => {
    if (rowsFitting(y) < 1) {
      doc.addPage();
      doc.font('cjk');
      fitLine(doc, `装箱单（续） 箱码：${input.boxCode}`, MARGIN, MARGIN, CONTENT_W, 12);
      y = tableHeader(doc, MARGIN + 22);
    }
    y = tableRow(doc, y, [String(i + 1), tube.code, String(tube.poolSize), String(tube.people)], i % 2 === 1);
  });
  doc.moveTo(MARGIN, y).lineTo(MARGIN + CONTENT_W, y).lineWidth(0.8).stroke();

  // Totals and signatures stay together: on a new page if they do not fit.
  if (PAGE_H - MARGIN - FOOTER_H - y < SIGN_BLOCK_H + 34) {
    doc.addPage();
    doc.font('cjk');
    fitLine(doc, `装箱单（续） 箱码：${input.boxCode}`, MARGIN, MARGIN, CONTENT_W, 12);
    y = MARGIN + 22;
  }
  y += 10;
  doc.fontSize(12).text(`合计：${input.tubes.length} 管，${totalPeople} 人`, MARGIN, y, { width: CONTENT_W, lineBreak: false });
  y += 30;
  const signW = CONTENT_W / 3;
  ['封箱人', '转运人', '接收人'].forEach((role, i) => {
    const x = MARGIN + i * signW;
    doc.fontSize(11).text(`${role}（签字）：`, x, y, { width: signW - 12, lineBreak: false });
    doc.moveTo(x, y + 44).lineTo(x + signW - 16, y + 44).lineWidth(0.6).stroke();
    doc.fontSize(11).text('日期时间：', x, y + 58, { width: signW - 12, lineBreak: false });
    doc.moveTo(x, y + 100).lineTo(x + signW - 16, y + 100).lineWidth(0.6).stroke();
  });

  // Footers once the page count is known.
  const range = doc.bufferedPageRange();
  for (let p = 0; p < range.count; p++) {
    doc.switchToPage(range.start + p);
    doc.page.margins.bottom = 0; // the footer sits in the bottom margin: no new page for it
    doc.font('cjk').fontSize(9).fillColor('#444444');
    const fy = PAGE_H - MARGIN - 10;
    fitLine(doc, `箱码 ${input.boxCode}`, MARGIN, fy, CONTENT_W / 2, 9);
    doc.text(`第 ${p + 1} 页 / 共 ${range.count} 页`, MARGIN + CONTENT_W / 2, fy, { width: CONTENT_W / 2, align: 'right', lineBreak: false });
    doc.fillColor('black');
  }
  doc.end();
  return done;
}

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StationCore } from '../../../electron/core/core';
import { printPdf } from '../../../electron/core/boxes/print';
import { DomainError } from '../../../electron/core/errors';
import { pngToBitmap } from '../../../native/label/png';
import { PrinterSimulator } from '../../../native/printer/simulator';
import { ok, openCore, refused, tempDir } from '../../helpers/core';
import { idNumber, tubeCode } from '../../helpers/ids';
import { labelPng, saveArtifact, zbarDecode } from '../../helpers/printer-sim';

/**
 * A sealed box's label on the label printer, its manifest as a PDF through the API, and the
 * manifest sent to the OS print queue through a fake `lp` on PATH that records its arguments
 * and the document it was given.
 */
let core: StationCore;
let sim: PrinterSimulator;
let dir: string;
const originalPath = process.env.PATH;

beforeEach(async () => {
  dir = tempDir('box-print-');
  core = await openCore(tempDir());
  sim = await PrinterSimulator.start();
});
afterEach(async () => {
  process.env.PATH = originalPath;
  core.close();
  await sim.close();
});

const BOX = 'BX00000031';
const scan = (text: string) => ({ text, source: 'manual' as const });

/** Tubes 1..3 sealed at this desk (pools of 10 holding 3, 5 and 2 people), boxed and the box sealed. */
async function sealedBox(): Promise<void> {
  let person = 1;
  for (const [i, people] of [[1, 3], [2, 5], [3, 2]] as const) {
    await ok(core, 'scan.submit', scan(tubeCode(i)));
    for (let k = 0; k < people; k++) await ok(core, 'scan.submit', scan(idNumber(person++)));
  }
  await ok(core, 'tube.seal', {});
  await ok(core, 'box.open', { code: BOX });
  for (let i = 1; i <= 3; i++) await ok(core, 'box.addTube', { boxCode: BOX, tubeCode: tubeCode(i) });
  await ok(core, 'box.seal', { code: BOX });
}

function useLabelPrinter(): void {
  core.db
    .prepare('INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value')
    .run('labels.printer', JSON.stringify({ language: 'zpl', dpi: 203, transport: { kind: 'tcp', host: '127.0.0.1', port: sim.port }, statusTimeoutMs: 500 }));
}

/** A fake `lp` first on PATH running `script` (sh); returns where it records. */
function fakeLp(script: string): { args: string; job: string } {
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, 'lp'), `#!/bin/sh\n${script}\n`, { mode: 0o755 });
  process.env.PATH = `${bin}:${originalPath}`;
  return { args: path.join(dir, 'args'), job: path.join(dir, 'job.pdf') };
}

const recordingLp = () => fakeLp(`printf '%s\\n' "$@" > "${dir}/args"; cat > "${dir}/job.pdf"; echo "request id is Manifest_Printer-17 (1 file(s))"`);

const pdfText = (file: string) => execFileSync('pdftotext', ['-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });

describe('the sealed box label', () => {
  it('prints the box code as a barcode with its counts; an open or unknown box has none and nothing prints', async () => {
    useLabelPrinter();
    // Only box labels here: tubes opening print none.
    await ok(core, 'label.setPrintOnOpen', { enabled: false });
    await ok(core, 'scan.submit', scan(tubeCode(9)));
    await ok(core, 'scan.submit', scan(idNumber(99)));
    await ok(core, 'tube.seal', {});
    await ok(core, 'box.open', { code: 'BX00000032' });
    await ok(core, 'box.addTube', { boxCode: 'BX00000032', tubeCode: tubeCode(9) });
    expect(await refused(core, 'box.printLabel', { code: 'BX00000032' })).toBe('box.stillOpen');
    expect(await refused(core, 'box.printLabel', { code: 'BX00000099' })).toBe('box.notFound');
    expect(await refused(core, 'box.printLabel', { code: 'NOT-A-BOX' })).toBe('scan.unrecognized');
    expect(sim.jobs).toHaveLength(0);

    await sealedBox();
    const printed = await ok(core, 'box.printLabel', { code: BOX });
    expect(printed).toMatchObject({ code: BOX, template: 'box-sealed', printed: true, fault: null });
    const [job] = await sim.waitForJobs(1);
    const png = PrinterSimulator.renderJobPng(job!)[0]!;
    saveArtifact('box-sealed.png', png);
    expect(zbarDecode(png)).toEqual([BOX]);

    // The preview is the same label; a reprint of a sealed box's code prints the sealed label again.
    const preview = await ok(core, 'label.preview', { boxCode: BOX, template: 'box-sealed' });
    expect(zbarDecode(labelPng(pngToBitmap(Buffer.from(preview.png.split(',')[1]!, 'base64'))))).toEqual([BOX]);
    expect(await ok(core, 'label.reprint', { code: BOX })).toMatchObject({ template: 'box-sealed', printed: true });
    expect(await ok(core, 'label.reprint', { code: 'BX00000032' })).toMatchObject({ template: 'box', printed: true });
  });

  it('without a label printer says so, as a fault', async () => {
    await sealedBox();
    expect(await ok(core, 'box.printLabel', { code: BOX })).toMatchObject({ printed: false, fault: 'no-printer' });
  });

  it('is refused to a transporter, who does not box', async () => {
    await sealedBox();
    await ok(core, 'operator.create', { name: '钱转运', code: 'Y001', role: 'transporter', badge: 'OP0701', pin: '582039' });
    await ok(core, 'operator.signIn', { code: 'Y001', pin: '582039' });
    expect(await refused(core, 'box.printLabel', { code: BOX })).toBe('operator.forbidden');
    // The manifest goes with the box: a transporter may save it.
    expect((await ok(core, 'box.manifest', { code: BOX })).fileName).toBe(`装箱单_${BOX}.pdf`);
  });
});

describe('the manifest through the API', () => {
  it('is the sealed box as an A4 PDF: site, station, sealer, a line per tube with pool size and people, totals', async () => {
    await sealedBox();
    const file = await ok(core, 'box.manifest', { code: BOX });
    expect(file.fileName).toBe(`装箱单_${BOX}.pdf`);
    const pdf = Buffer.from(file.pdfBase64, 'base64');
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const saved = path.join(dir, file.fileName);
    fs.writeFileSync(saved, pdf);
    const text = pdfText(saved);
    const { site, station } = core.identity;
    for (const words of [site.name, `${station.name}（${station.number}号）`, BOX, '测试管理员', 'T001', tubeCode(1), tubeCode(2), tubeCode(3), '合计：3 管，10 人']) {
      expect(text, words).toContain(words);
    }
    // Each tube's line: its number, code, pool size (the desk's 10) and people.
    expect(text).toMatch(new RegExp(`${tubeCode(2)}\\s+10\\s+5`));
    // A handed-over box keeps its manifest.
    await ok(core, 'box.handOver', { code: BOX, confirmCode: BOX, transporter: { name: '李师傅', phone: '13800138000' }, tubeCount: 3, coldChainNote: '' });
    expect((await ok(core, 'box.manifest', { code: BOX })).code).toBe(BOX);
  });

  it('is refused for an open box and an unknown code', async () => {
    await ok(core, 'box.open', { code: BOX });
    expect(await refused(core, 'box.manifest', { code: BOX })).toBe('box.stillOpen');
    expect(await refused(core, 'box.printManifest', { code: BOX })).toBe('box.stillOpen');
    expect(await refused(core, 'box.manifest', { code: 'BX00000099' })).toBe('box.notFound');
  });
});

describe('the manifest on the OS print queue', () => {
  it('goes to the default queue through lp, A4, with the PDF on stdin', async () => {
    await sealedBox();
    const rec = recordingLp();
    expect(await ok(core, 'box.printManifest', { code: BOX })).toEqual({ code: BOX, queue: null, requestId: 'Manifest_Printer-17' });
    expect(fs.readFileSync(rec.args, 'utf8').trim().split('\n')).toEqual(['-t', `装箱单 ${BOX}`, '-o', 'media=A4']);
    expect(fs.readFileSync(rec.job).subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdfText(rec.job)).toContain('合计：3 管，10 人');
  });

  it('goes to the station\'s manifest queue once a site admin sets one; null goes back to the default', async () => {
    await sealedBox();
    const rec = recordingLp();
    expect(await ok(core, 'box.setManifestQueue', { queue: 'Office_A4' })).toMatchObject({ manifestQueue: 'Office_A4', boxPattern: '^BX\\d{8}$', capacity: 50 });
    expect(await ok(core, 'box.printManifest', { code: BOX })).toMatchObject({ queue: 'Office_A4' });
    expect(fs.readFileSync(rec.args, 'utf8').trim().split('\n').slice(0, 2)).toEqual(['-d', 'Office_A4']);
    // A name lp would take for an option, or with a space, is refused before it is kept.
    expect(await refused(core, 'box.setManifestQueue', { queue: '-o evil' })).toBe('request.invalid');
    expect((await ok(core, 'box.settings', {})).manifestQueue).toBe('Office_A4');
    expect((await ok(core, 'box.setManifestQueue', { queue: null })).manifestQueue).toBeNull();
    await ok(core, 'box.printManifest', { code: BOX });
    expect(fs.readFileSync(rec.args, 'utf8')).not.toContain('-d');
  });

  it('says in words why it did not print: no print system, no default queue, no such queue, the queue refusing', async () => {
    await sealedBox();
    // No lp anywhere on PATH.
    process.env.PATH = path.join(dir, 'empty');
    expect(await refused(core, 'box.printManifest', { code: BOX })).toBe('box.printSystemMissing');

    fakeLp(`cat > /dev/null; echo "lp: Error - no default destination available." >&2; exit 1`);
    expect(await refused(core, 'box.printManifest', { code: BOX })).toBe('box.printNoDefaultQueue');

    await ok(core, 'box.setManifestQueue', { queue: 'Gone' });
    fakeLp(`cat > /dev/null; echo "lp: Error - The printer or class does not exist." >&2; exit 1`);
    expect(await refused(core, 'box.printManifest', { code: BOX })).toBe('box.printQueueUnknown');

    fakeLp(`cat > /dev/null; echo 'lp: Error - Destination "Gone" is not accepting jobs.' >&2; exit 1`);
    const result = await core.invoke('box.printManifest', { code: BOX });
    expect(result).toEqual({ ok: false, error: { code: 'box.printRefused', params: { queue: 'Gone', detail: 'lp: Error - Destination "Gone" is not accepting jobs.' } } });
  });

  it('runs lp in the C locale, so its messages are the ones recognised whatever the desktop\'s language', async () => {
    fakeLp(`cat > /dev/null; echo "$LC_ALL" > "${dir}/locale"`);
    await printPdf(Buffer.from('%PDF-1.3'), { queue: null, title: 't' });
    expect(fs.readFileSync(path.join(dir, 'locale'), 'utf8').trim()).toBe('C');
  });

  it('is refused on Windows, where no print path is built: the screen offers Save', async () => {
    const err = await printPdf(Buffer.from('%PDF-1.3'), { queue: null, title: 't', platform: 'win32' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).code).toBe('box.printNotSupported');
  });
});

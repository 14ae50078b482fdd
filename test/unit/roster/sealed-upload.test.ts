/**
 * A ledger uploaded from the screen is never on disk in the clear: sealed as each chunk arrives,
 * under a key of its own held in memory, and read through a handle that decrypts at any position.
 * The bytes on disk are searched for every name, ID number and phone (UTF-8 and GB18030) while the
 * ledger is being read and while it waits for its headers to be mapped; the import still yields
 * the right residents from CSV (UTF-8, GB18030) and XLSX.
 */
import ExcelJS from 'exceljs';
import fc from 'fast-check';
import iconv from 'iconv-lite';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { WireEvent } from '../../../electron/api/wire';
import type { StationCore } from '../../../electron/core/core';
import { openStationFile, openCore, ok, tempDir } from '../../helpers/core';
import { benchId, ledgerRow } from '../../helpers/bench-ledger';
import { SealedLedger } from '../../../electron/core/roster/sealed';
import { readAll } from './fixtures';

const SURNAMES = '赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张';
const GIVEN = '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂';

type Resident = { name: string; idNumber: string; phone: string; building: string; unit: string; room: string };
/**
 * Resident `n`: a three-character name (six bytes in GB18030, nine in UTF-8: a chance match in a
 * few hundred KB of noise is out of the question), unique below 13,824.
 */
function resident(n: number): Resident {
  const [, , , building, unit, room] = ledgerRow(n);
  return {
    name: `${SURNAMES[n % 24]}${GIVEN[Math.floor(n / 24) % 24]}${GIVEN[Math.floor(n / 576) % 24]}`,
    idNumber: benchId(n),
    phone: `139${String(10_000_000 + n * 7919).slice(-8)}`,
    building: building!,
    unit: unit!,
    room: room!,
  };
}
/** More than 4,096 rows: the read reports progress (and the test looks at the disk) before it ends. */
const RESIDENTS = Array.from({ length: 5000 }, (_, n) => resident(n));
const HEADER = ['姓名', '身份证号', '手机号', '楼栋', '单元', '房号'];
const UNKNOWN_HEADER = ['居民名', '证件', '联系方式', '楼栋', '单元', '房号'];
const MAPPING = { 居民名: 'name', 证件: 'idNumber', 联系方式: 'phone' } as const;
const cells = (r: Resident) => [r.name, r.idNumber, r.phone, r.building, r.unit, r.room];

function csv(header: string[]): string {
  return `${header.join(',')}\n${RESIDENTS.map((r) => cells(r).join(',')).join('\n')}\n`;
}

/**
 * As Excel saves it: the worksheet before the shared strings in the ZIP, phones typed as numbers
 * (so they are in the worksheet itself, not the shared strings).
 */
async function xlsx(): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('居民台账');
  sheet.addRow(HEADER);
  for (const r of RESIDENTS) sheet.addRow([r.name, r.idNumber, Number(r.phone), r.building, r.unit, r.room]);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** As many exporters write it: no shared strings, every cell's text in the worksheet. */
async function xlsxInlineStrings(): Promise<Buffer> {
  const file = path.join(tempDir('xlsx-'), 'inline.xlsx');
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useSharedStrings: false, useStyles: false });
  const sheet = workbook.addWorksheet('居民台账');
  sheet.addRow(HEADER).commit();
  for (const r of RESIDENTS) sheet.addRow(cells(r)).commit();
  sheet.commit();
  await workbook.commit();
  return fs.readFileSync(file);
}

/** Every name, ID number and phone of the ledger found in `bytes`, as UTF-8 or as GB18030. */
function personalDataIn(bytes: Buffer): string[] {
  const found = new Set<string>();
  for (const r of RESIDENTS) {
    for (const value of [r.name, r.idNumber, r.phone]) {
      if (bytes.includes(Buffer.from(value, 'utf8')) || bytes.includes(iconv.encode(value, 'gb18030'))) found.add(value);
    }
  }
  return [...found];
}

/** Every upload's bytes as they are on disk now. */
function uploadsOnDisk(c: StationCore): Buffer[] {
  const dir = path.join(c.roster['deps'].dataDir, 'roster', 'uploads');
  return fs.readdirSync(dir).map((name) => fs.readFileSync(path.join(dir, name)));
}

/** Every file in `dir` (the OS's temp folder for the read), with its bytes. */
function filesIn(dir: string): Buffer[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile()).map((f) => fs.readFileSync(path.join(f.parentPath, f.name)));
}

/**
 * Uploads `bytes` as the screen does (in chunks), sends `read`, and takes the bytes of the uploads
 * and of the temp folder at the read's first progress event (the temp folder is one of the test's
 * own for the read: exceljs would park worksheets there).
 */
async function uploadAndRead(c: StationCore, fileName: string, bytes: Buffer, read: { mapping?: Record<string, 'name' | 'idNumber' | 'phone'>; encoding?: 'gb18030' } = {}) {
  const { uploadId, chunkBytes } = await ok(c, 'roster.upload', { fileName, size: bytes.length });
  // Small chunks: many seals at many offsets, none on a 16-byte boundary.
  const step = Math.min(chunkBytes, 4093);
  for (let offset = 0; offset < bytes.length; offset += step) {
    await ok(c, 'roster.uploadChunk', { uploadId, offset, data: bytes.subarray(offset, offset + step).toString('base64') });
  }
  let midRead: { uploads: Buffer[]; temp: Buffer[] } | null = null;
  const temp = tempDir('os-tmp-');
  const stop = c.subscribe((e: WireEvent) => {
    if (midRead === null && e.event === 'roster.progress' && e.payload.progress.phase === 'reading' && e.payload.progress.rows > 0 && e.payload.progress.rows < RESIDENTS.length) {
      midRead = { uploads: uploadsOnDisk(c), temp: filesIn(temp) };
    }
  });
  const tmpdir = process.env.TMPDIR;
  process.env.TMPDIR = temp;
  try {
    const started = await ok(c, 'roster.read', { uploadId, ...read });
    await c.roster.idle();
    return { uploadId, midRead: midRead as { uploads: Buffer[]; temp: Buffer[] } | null, view: await ok(c, 'roster.import', { importId: started.id }) };
  } finally {
    stop();
    if (tmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = tmpdir;
  }
}

/** The residents of a read version's own roster file, as the ledger had them. */
function residentsOf(c: StationCore, importId: string): Resident[] {
  const dataDir = c.roster['deps'].dataDir;
  const db = openStationFile(path.join(dataDir, 'roster', `${importId}.sqlite`), { readonly: true }, dataDir);
  try {
    return db.prepare('SELECT name, id_number AS idNumber, phone, building, unit, room FROM resident ORDER BY row_no').all() as Resident[];
  } finally {
    db.close();
  }
}

let core: StationCore | undefined;
afterEach(() => core?.close());

describe('a sealed upload', () => {
  it('reads back, at any position and length, exactly what was written in any chunks; its file is not the ledger', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 5000 }),
        fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 600 })), { maxLength: 20 }),
        async (data, cuts, reads) => {
          const plain = Buffer.from(data);
          const ledger = SealedLedger.create(path.join(tempDir('sealed-'), 'upload.part'));
          for (let offset = 0, i = 0; offset < plain.length; offset += cuts[i++ % cuts.length]!) {
            ledger.write(offset, plain.subarray(offset, offset + cuts[i % cuts.length]!));
          }
          expect(ledger.size()).toBe(plain.length);
          if (plain.length >= 32) expect(fs.readFileSync(ledger.file).equals(plain)).toBe(false);
          const handle = await ledger.open();
          for (const [at, length] of reads) {
            const position = at % plain.length;
            const buffer = Buffer.alloc(length + 3);
            const { bytesRead } = await handle.read(buffer, 3, length, position);
            expect(buffer.subarray(3, 3 + bytesRead).equals(plain.subarray(position, position + length))).toBe(true);
          }
          // Reads at `null` go on from where the last such read ended, whatever was read at a position in between.
          const sequential: Buffer[] = [];
          for (;;) {
            const buffer = Buffer.alloc(37);
            const { bytesRead } = await handle.read(buffer, 0, 37, null);
            if (bytesRead === 0) break;
            sequential.push(buffer.subarray(0, bytesRead));
            await handle.read(Buffer.alloc(5), 0, 5, 0);
          }
          expect(Buffer.concat(sequential).equals(plain)).toBe(true);
          await handle.close();
          ledger.remove();
          expect(fs.existsSync(ledger.file)).toBe(false);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('reads as the same ledger as the plain file, CSV and XLSX', async () => {
    for (const bytes of [iconv.encode(csv(HEADER), 'gb18030'), await xlsx(), await xlsxInlineStrings()]) {
      const ledger = SealedLedger.create(path.join(tempDir('sealed-'), 'upload.part'));
      ledger.write(0, bytes);
      const plainFile = path.join(tempDir('plain-'), 'ledger');
      fs.writeFileSync(plainFile, bytes);
      const sealed = await readAll(ledger);
      const plain = await readAll(plainFile);
      expect(sealed.rows).toEqual(plain.rows);
      // Every character whole: exceljs alone cuts one in a few thousand where its chunks end.
      expect(sealed.rows.map((r) => r.cells.slice(0, 3))).toEqual(RESIDENTS.map((r) => [r.name, r.idNumber, r.phone]));
      expect({ ...sealed.file, rows: null }).toEqual({ ...plain.file, rows: null });
    }
  });
});

describe('a ledger uploaded from the screen', () => {
  const cases = [
    { kind: 'CSV, UTF-8', fileName: '台账.csv', bytes: async () => Buffer.from(csv(HEADER)) },
    { kind: 'CSV, GB18030', fileName: '台账.csv', bytes: async () => iconv.encode(csv(HEADER), 'gb18030') },
    { kind: 'XLSX, shared strings after the worksheet', fileName: '台账.xlsx', bytes: xlsx },
    { kind: 'XLSX, inline strings', fileName: '台账.xlsx', bytes: xlsxInlineStrings },
  ];
  for (const { kind, fileName, bytes } of cases) {
    it(`${kind}: holds no name, ID number or phone on disk while it is read, and yields every resident`, async () => {
      core = await openCore();
      const ledger = await bytes();
      // The search finds what a plain copy would show: every value of the ledger (XLSX zips its text).
      if (!kind.startsWith('XLSX')) expect(personalDataIn(ledger)).toHaveLength(RESIDENTS.length * 3);
      const { midRead, view } = await uploadAndRead(core, fileName, ledger);
      expect(midRead!.uploads).toHaveLength(1);
      expect(midRead!.uploads[0]!.length).toBe(ledger.length);
      expect(personalDataIn(midRead!.uploads[0]!)).toEqual([]);
      // Nothing of it anywhere else either: exceljs parks no worksheet in a temporary file.
      expect(midRead!.temp).toEqual([]);
      expect(view).toMatchObject({ state: 'ready', residents: RESIDENTS.length, refused: 0 });
      expect(residentsOf(core, view.id)).toEqual(RESIDENTS);
      // Read, the upload is gone.
      expect(uploadsOnDisk(core)).toEqual([]);
    });
  }

  it('holds no name, ID number or phone on disk while it waits for its headers; read again once mapped; a stop leaves it unreadable, and the next start removes it', async () => {
    const dataDir = tempDir();
    core = await openCore(dataDir);
    const ledger = iconv.encode(csv(UNKNOWN_HEADER), 'gb18030');
    expect(personalDataIn(ledger)).toHaveLength(RESIDENTS.length * 3);
    const first = await uploadAndRead(core, '台账.csv', ledger);
    expect(first.view).toMatchObject({ state: 'needsMapping', missingRequired: ['name', 'idNumber'] });
    const waiting = uploadsOnDisk(core);
    expect(waiting).toHaveLength(1);
    expect(waiting[0]!.length).toBe(ledger.length);
    expect(personalDataIn(waiting[0]!)).toEqual([]);

    const started = await ok(core, 'roster.read', { uploadId: first.uploadId, mapping: MAPPING, encoding: 'gb18030' });
    await core.roster.idle();
    const view = await ok(core, 'roster.import', { importId: started.id });
    expect(view).toMatchObject({ state: 'ready', residents: RESIDENTS.length });
    expect(residentsOf(core, view.id)).toEqual(RESIDENTS);
    expect(uploadsOnDisk(core)).toEqual([]);

    // Waiting for its mapping when the station stops: the key went with the process.
    const other = await uploadAndRead(core, '其他.csv', Buffer.from(`甲,乙\n${RESIDENTS[0]!.name},${RESIDENTS[0]!.idNumber}\n`));
    expect(other.view.state).toBe('needsMapping');
    expect(uploadsOnDisk(core)).toHaveLength(1);
    expect(personalDataIn(uploadsOnDisk(core)[0]!)).toEqual([]);
    core.close();
    core = await openCore(dataDir);
    expect(uploadsOnDisk(core)).toEqual([]);
  });
});

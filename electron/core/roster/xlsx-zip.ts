import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import type { LedgerHandle } from './read';

/**
 * An XLSX file's ZIP entries handed to exceljs's streaming reader in the order it needs them.
 *
 * exceljs reads a ZIP front to back, and a worksheet that comes before the shared strings (Excel's
 * own order) or in a workbook without them (inline strings, as many exporters write) is parked in a
 * temporary file in the clear (exceljs's `tmp` in the OS's temp folder) until the end: names, ID
 * numbers and phones on disk in plain text for as long as the read takes, whatever the ledger was
 * (an upload sealed as it arrived, `sealed.ts`), and left there by a crash. So the ZIP's central
 * directory is read first (yauzl, through the ledger's handle: a sealed upload opens at any
 * position) and exceljs gets, byte for byte as they are in the file, the workbook's relationships,
 * the workbook, its styles and its shared strings, then the worksheets; nothing else (themes,
 * document properties) is needed. Missing relationships or shared strings are given as empty
 * entries, so exceljs never waits for them and never parks a worksheet. The workbook coming before
 * the sheets also tells which sheet the admin sees first before any sheet is read.
 */

/** Entries exceljs reads before the worksheets, in this order; the first and last made empty when missing. */
const BEFORE_SHEETS = ['xl/_rels/workbook.xml.rels', 'xl/workbook.xml', 'xl/styles.xml', 'xl/sharedStrings.xml'] as const;
const SYNTHETIC: Partial<Record<(typeof BEFORE_SHEETS)[number], string>> = {
  'xl/_rels/workbook.xml.rels': '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>',
  'xl/sharedStrings.xml': '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="0" uniqueCount="0"/>',
};
/** The worksheets exceljs reads (its own pattern). */
const WORKSHEET = /^xl\/worksheets\/sheet\d+\.xml$/;
/** A workbook has a few dozen entries; a ZIP with more is not one, and its directory is not read to the end. */
const MAX_ENTRIES = 10_000;
const READ_BYTES = 64 * 1024;
const LOCAL_HEADER = 0x04034b50;
const DATA_DESCRIPTOR = 0x08074b50;
const END_OF_DIRECTORY = 0x06054b50;
/** General purpose flag bit 3: sizes and CRC follow the data, in a data descriptor. */
const HAS_DATA_DESCRIPTOR = 0x08;
const ZIP64_EXTRA = 0x0001;

/** The file is not a ZIP that can be read this way (damaged, truncated, not a workbook). */
export class NotAWorkbook extends Error {
  constructor(readonly detail: string) {
    super(detail);
    this.name = 'NotAWorkbook';
  }
}

export type OrderedWorkbook = { stream: Readable; bytesRead: () => number };

/** The workbook's entries for exceljs, in reading order, as one ZIP stream; the handle stays open (the caller closes it). */
export async function workbookInReadingOrder(handle: LedgerHandle, size: number): Promise<OrderedWorkbook> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.fromRandomAccessReaderPromise(new HandleReader(handle), size, { lazyEntries: true, autoClose: false, decodeStrings: true, validateEntrySizes: false });
  } catch (error) {
    throw notAWorkbook(error);
  }
  const before = new Map<string, yauzl.Entry>();
  const sheets: yauzl.Entry[] = [];
  let count = 0;
  try {
    for await (const entry of zip.eachEntry()) {
      if (++count > MAX_ENTRIES) throw new NotAWorkbook('zipEntries');
      if ((BEFORE_SHEETS as readonly string[]).includes(entry.fileName)) before.set(entry.fileName, entry);
      else if (WORKSHEET.test(entry.fileName)) sheets.push(entry);
    }
    const parts: (Buffer | [number, number])[] = [];
    for (const name of BEFORE_SHEETS) {
      const entry = before.get(name);
      if (entry) parts.push(await extentOf(zip, handle, size, entry));
      else if (SYNTHETIC[name] !== undefined) parts.push(storedEntry(name, SYNTHETIC[name]));
    }
    for (const sheet of sheets) parts.push(await extentOf(zip, handle, size, sheet));
    // An end-of-directory record ends exceljs's parser where the entries end.
    const end = Buffer.alloc(22);
    end.writeUInt32LE(END_OF_DIRECTORY, 0);
    parts.push(end);
    let bytesRead = 0;
    const stream = Readable.from(
      (async function* () {
        for (const part of parts) {
          if (Buffer.isBuffer(part)) {
            yield part;
            continue;
          }
          for await (const chunk of range(handle, part[0], part[1])) {
            bytesRead += chunk.length;
            yield chunk;
          }
        }
      })(),
    );
    return { stream, bytesRead: () => bytesRead };
  } catch (error) {
    throw notAWorkbook(error);
  }
}

function notAWorkbook(error: unknown): Error {
  if (error instanceof NotAWorkbook) return error;
  // yauzl's messages say what is wrong with the ZIP; a failing read of the file itself is passed on.
  if (error instanceof Error && !('code' in error && typeof error.code === 'string' && error.code.startsWith('E'))) return new NotAWorkbook('zip');
  return error instanceof Error ? error : new Error(String(error));
}

/** Where an entry lies in the file: its local header, its data, and its data descriptor if it has one. */
async function extentOf(zip: yauzl.ZipFile, handle: LedgerHandle, size: number, entry: yauzl.Entry): Promise<[number, number]> {
  const { fileDataStart } = await zip.readLocalFileHeaderPromise(entry, { minimal: true });
  let end = fileDataStart + entry.compressedSize;
  if (entry.generalPurposeBitFlag & HAS_DATA_DESCRIPTOR) {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, end);
    const signed = bytesRead === 4 && head.readUInt32LE(0) === DATA_DESCRIPTOR;
    const zip64 = entry.extraFields.some((field) => field.id === ZIP64_EXTRA);
    end += (signed ? 4 : 0) + 4 + (zip64 ? 16 : 8);
  }
  if (end > size) throw new NotAWorkbook('zipTruncated');
  return [entry.relativeOffsetOfLocalHeader, end];
}

/** A stored (uncompressed) entry with `text` in it: local header, name, data. */
function storedEntry(name: string, text: string): Buffer {
  const fileName = Buffer.from(name, 'utf8');
  const data = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(30);
  header.writeUInt32LE(LOCAL_HEADER, 0);
  header.writeUInt16LE(20, 4);
  header.writeUInt32LE(crc32(data), 14);
  header.writeUInt32LE(data.length, 18);
  header.writeUInt32LE(data.length, 22);
  header.writeUInt16LE(fileName.length, 26);
  return Buffer.concat([header, fileName, data]);
}

async function* range(handle: LedgerHandle, start: number, end: number): AsyncGenerator<Buffer> {
  for (let at = start; at < end; ) {
    const buffer = Buffer.allocUnsafe(Math.min(READ_BYTES, end - at));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, at);
    if (bytesRead === 0) throw new NotAWorkbook('zipTruncated');
    at += bytesRead;
    yield buffer.subarray(0, bytesRead);
  }
}

/** yauzl reads the directory and local headers through the ledger's own handle. */
class HandleReader extends yauzl.RandomAccessReader {
  constructor(private readonly handle: LedgerHandle) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return Readable.from(range(this.handle, start, end));
  }
}

import fc from 'fast-check';
import { stringify } from 'csv-stringify/sync';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { readAll, writeTemp } from './fixtures';

const HEADER = ['姓名', '身份证号', '手机号', '楼栋', '单元'];
// What ledgers hold and what trips CSV up: separators, quotes, line breaks, CJK, four-byte characters.
const PIECES = ['a', 'Z', '0', '9', ',', '"', '""', '\n', '\r\n', '张', '三', '𠀀', '€', ' ', ';', "'", '\t', '、', '，', '号楼'];

// Cells as the reader gives them back: trimmed.
const cell = fc.array(fc.constantFrom(...PIECES), { maxLength: 8 }).map((pieces) => pieces.join('').trim());
const rows = fc.array(fc.array(cell, { minLength: 1, maxLength: 6 }), { maxLength: 25 });
const encoding = fc.constantFrom('utf-8' as const, 'utf-8-bom' as const, 'gb18030' as const);

function bytesOf(text: string, as: 'utf-8' | 'utf-8-bom' | 'gb18030'): Buffer {
  if (as === 'gb18030') return iconv.encode(text, 'gb18030');
  return Buffer.concat([Buffer.from(as === 'utf-8-bom' ? [0xef, 0xbb, 0xbf] : []), Buffer.from(text)]);
}

describe('roster CSV round trip (property)', () => {
  it('reads back exactly what csv-stringify wrote, in every encoding, line end and read size', async () => {
    await fc.assert(
      fc.asyncProperty(rows, encoding, fc.constantFrom('unix' as const, 'windows' as const), fc.option(fc.integer({ min: 1, max: 48 })), async (data, as, lineEnd, chunkSize) => {
        // Cells with line breaks quoted, as Excel writes them (csv-stringify alone quotes only its own line end).
        const text = stringify([HEADER, ...data], { record_delimiter: lineEnd, quoted_match: [/[\r\n]/] });
        const file = writeTemp('roundtrip.csv', bytesOf(text, as));
        const read = await readAll(file, chunkSize === null ? {} : { chunkSize });
        expect(read.file.encoding).toBe(as === 'gb18030' ? 'gb18030' : 'utf-8');
        expect(read.file.header.cells).toEqual(HEADER);
        const expected = data.flatMap((cells, i) => (cells.some((c) => c !== '') ? [{ rowNo: i + 2, cells }] : []));
        expect(read.rows).toEqual(expected);
      }),
      { numRuns: 150 },
    );
  });
});

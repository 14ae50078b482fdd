import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../../electron/api/contract';
import type { StationCore } from '../../../electron/core/core';
import { isValidIdNumber } from '../../../electron/core/person/gb11643';
import { ScanRouter } from '../../../electron/core/scan/router';
import { DEMO_SITE_CONFIG } from '../../../electron/core/site/config';
import { openCore } from '../../helpers/core';
import { tubeCode } from '../../helpers/ids';
import { anyText, COMMON_PIECES, databaseDigest, fuzzOptions, fuzzTimeout, idNumber, piecesText, UNMASKED_DIGITS } from './arbitraries';

const SCAN_REFUSALS: readonly ErrorCode[] = ['scan.empty', 'scan.tooLong', 'scan.controlCharacters', 'scan.unrecognized', 'scan.idCheckFailed', 'scan.personWithoutIdentity'];
/** Codes that say nothing to staff: a scan must never produce them. */
const UNCLEAR: readonly string[] = ['internal', 'storage.full', 'storage.readonly', 'storage.corrupt', 'storage.busy', 'host.unreachable'];

const FIELD_KEYS = ['idNumber', 'idCard', 'sfzh', 'id', 'code', 'regCode', 'name', 'xm', 'phone', 'tel', 'other', '__proto__', 'constructor'];
const fieldValue = fc.oneof(idNumber, anyText(20), fc.integer(), fc.double(), fc.constant(null), fc.boolean(), fc.array(fc.string(), { maxLength: 2 }), fc.string({ maxLength: 200 }));

/** Pre-registration payloads of every format the demo site reads, with odd values in their fields. */
const jsonPayload = fc.dictionary(fc.constantFrom(...FIELD_KEYS), fieldValue, { maxKeys: 6 }).map((o) => JSON.stringify(o));
const urlPayload = fc
  .tuple(
    fc.constantFrom('http://', 'https://', 'HTTPS://', 'https://[::1', 'http:///'),
    fc.constantFrom('app.example.cn', 'xn--fiqs8s.cn', '', 'a b', '%', '例子.中国'),
    fc.constantFrom('/reg?', '/#/pre?', '?', '/#?', '/'),
    fc.array(fc.tuple(fc.constantFrom(...FIELD_KEYS), fc.oneof(idNumber, anyText(12), fc.constantFrom('%', '%E5', '%zz', '+'))), { maxLength: 5 }),
  )
  .map(([scheme, host, path, params]) => `${scheme}${host}${path}${params.map(([k, v]) => `${k}=${v}`).join('&')}`);
const vcardPayload = fc
  .array(
    fc.oneof(
      fc.constantFrom('VERSION:3.0', 'N:张;三;;;', 'N:;;;;', 'N:', ':', ';', 'FN:', ' folded', '\tfolded'),
      fc.tuple(fc.constantFrom('FN', 'N', 'TEL', 'NOTE', 'UID', 'X-ID-NUMBER', 'X-REG-CODE', 'TEL;TYPE=CELL', 'fn'), fc.oneof(idNumber, anyText(30))).map(([k, v]) => `${k}:${v}`),
    ),
    { maxLength: 8 },
  )
  .chain((lines) => fc.constantFrom('\r\n', '\n', '\r').map((eol) => ['BEGIN:VCARD', ...lines, 'END:VCARD'].join(eol)));

/** Whatever a scanner, a keyboard wedge or a misconfigured device may hand over. */
const scanText = fc.oneof(
  anyText(300),
  piecesText(COMMON_PIECES),
  idNumber,
  idNumber.map((id) => `${id.slice(0, 17)}${id[17] === '0' ? '1' : '0'}`),
  jsonPayload,
  urlPayload,
  vcardPayload,
  fc.string({ unit: 'grapheme', minLength: 2040, maxLength: 2100 }),
);

function paramsAreMasked(params: Record<string, string | number> | undefined): boolean {
  return Object.values(params ?? {}).every((v) => typeof v !== 'string' || !UNMASKED_DIGITS.test(v));
}

describe('scan payloads (fuzz)', () => {
  const router = new ScanRouter(DEMO_SITE_CONFIG);

  it('classifies any text: a scan of one kind, or a refusal with its code and the scan masked', () => {
    fc.assert(
      fc.property(scanText, (text) => {
        const result = router.classify(text);
        if (!result.ok) {
          expect(SCAN_REFUSALS).toContain(result.error.code);
          expect(paramsAreMasked(result.error.params)).toBe(true);
          return;
        }
        const scan = result.scan;
        if (scan.kind !== 'person') {
          expect(scan.code).toBe(scan.code.trim());
          return;
        }
        const p = scan.person;
        expect(p.idNumber !== null || p.regCode !== null || p.phone !== null).toBe(true);
        if (p.idNumber !== null) expect(isValidIdNumber(p.idNumber)).toBe(true);
        for (const v of [p.regCode, p.name, p.phone]) if (v !== null) expect(v.length).toBeLessThanOrEqual(128);
      }),
      fuzzOptions(1500),
    );
  });

  describe('through the core', () => {
    let core: StationCore | undefined;
    afterEach(() => core?.close());

    it(
      'answers every scan with an outcome or a clear refusal, and a refusal writes nothing',
      async () => {
        core = openCore();
        const c = core;
        const scans = fc.array(fc.oneof({ weight: 4, arbitrary: scanText }, fc.integer({ min: 1, max: 40 }).map(tubeCode), fc.constantFrom('OP0001', 'OP9999', 'BX00000001', 'SY12')), {
          minLength: 1,
          maxLength: 8,
        });
        await fc.assert(
          fc.asyncProperty(scans, async (texts) => {
            for (const text of texts) {
              const before = databaseDigest(c.db);
              const result = await c.invoke('scan.submit', { text, source: 'serial' });
              if (result.ok) continue;
              expect(UNCLEAR).not.toContain(result.error.code);
              expect(paramsAreMasked(result.error.params)).toBe(true);
              expect(databaseDigest(c.db)).toBe(before);
            }
          }),
          fuzzOptions(40),
        );
      },
      fuzzTimeout(),
    );
  });
});

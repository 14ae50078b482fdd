import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENROLLMENT_CODE_ALPHABET, ENROLLMENT_CODE_SYMBOLS, FINGERPRINT_SYMBOLS, formatEnrollmentCode, splitEnrollmentCode } from '../../../hq/protocol';
import type { StationCore } from '../../../electron/core/core';
import { DomainError } from '../../../electron/core/errors';
import { enrollAtHq } from '../../../electron/core/upload/enroll';
import { keyPath } from '../../../electron/core/upload/keys';
import { openCore, tempDir } from '../../helpers/core';
import { hqSigner } from '../../helpers/hq-signer';
import { anyText, fuzzOptions, fuzzTimeout } from './arbitraries';

/**
 * The enrollment code as staff type it: 12 symbols of the one-time part, then the 20-symbol
 * fingerprint of HQ's key (`ABCD-EFGH-JKMN-12345-…`). Read back whatever the case, separators and
 * look-alikes (O for 0, I or L for 1) in the fingerprint; any other change to the fingerprint
 * names another HQ, and enrolls nothing: refused with `enroll.codeWithoutKey` before anything is
 * sent, or `enroll.wrongHq` once HQ's answer is not signed by the key it names.
 */

const FINGERPRINT_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const symbols = (alphabet: string, n: number) => fc.array(fc.constantFrom(...alphabet), { minLength: n, maxLength: n }).map((a) => a.join(''));
const oneTime = symbols(ENROLLMENT_CODE_ALPHABET, ENROLLMENT_CODE_SYMBOLS);
const fingerprint = symbols(FINGERPRINT_ALPHABET, FINGERPRINT_SYMBOLS);

/** The same code as staff may type it: other separators, lower case, look-alikes in the fingerprint. */
function typed(code: string, style: { sep: string; lower: boolean; lookAlikes: boolean; around: string }): string {
  const groups = code.split('-').map((g, i) => (style.lookAlikes && i >= 3 ? g.replace(/0/g, 'O').replace(/1/g, 'l') : g));
  const text = groups.join(style.sep);
  return `${style.around}${style.lower ? text.toLowerCase() : text}${style.around}`;
}
const typingStyle = fc.record({ sep: fc.constantFrom('-', ' ', '', '--', ' - ', '\t'), lower: fc.boolean(), lookAlikes: fc.boolean(), around: fc.constantFrom('', ' ', '\n') });

/** A change to a code that makes its fingerprint another's (a look-alike is not one: it reads the same). */
const typo = fc.record({ how: fc.constantFrom('replace', 'drop', 'add', 'swap'), at: fc.nat(), symbol: fc.constantFrom(...FINGERPRINT_ALPHABET, 'U', 'Z', '-', '张', 'ß', 'ı') });

function withTypo(fp: string, t: { how: string; at: number; symbol: string }): string {
  const i = t.at % fp.length;
  if (t.how === 'drop') return fp.slice(0, i) + fp.slice(i + 1);
  if (t.how === 'add') return fp.slice(0, i) + t.symbol + fp.slice(i);
  if (t.how === 'swap') return fp.slice(0, i) + (fp[i + 1] ?? '') + fp[i] + fp.slice(i + 2);
  return fp.slice(0, i) + t.symbol + fp.slice(i + 1);
}

/** How a typed fingerprint reads (Crockford: O is 0, I and L are 1, any case, separators ignored). */
const reads = (fp: string) => fp.replace(/[\s-]/g, '').toUpperCase().replace(/O/g, '0').replace(/[IL]/g, '1');

describe('enrollment codes (fuzz)', () => {
  it('splits any text without throwing, into a one-time part of at most 12 symbols and the rest', () => {
    fc.assert(
      fc.property(fc.oneof(anyText(120), fc.constantFrom('', '-', ' '.repeat(40), `${'A'.repeat(12)}-${'ß'.repeat(30)}`, 'ﬀ'.repeat(50))), (text) => {
        const { oneTime: once, fingerprint: fp } = splitEnrollmentCode(text);
        expect(once.length).toBeLessThanOrEqual(ENROLLMENT_CODE_SYMBOLS);
        expect(fp === null || fp.length > 0).toBe(true);
        if (fp !== null) expect(once.length).toBe(ENROLLMENT_CODE_SYMBOLS);
      }),
      fuzzOptions(2000),
    );
    // A megabyte of it: one pass, as a scanner stuck on its trigger could type.
    expect(splitEnrollmentCode('A-'.repeat(1 << 19)).fingerprint?.length).toBe((1 << 19) - ENROLLMENT_CODE_SYMBOLS);
  });

  it('reads a code back however it is typed: case, separators, look-alikes in the fingerprint', () => {
    fc.assert(
      fc.property(oneTime, fingerprint, typingStyle, (once, fp, style) => {
        expect(splitEnrollmentCode(typed(formatEnrollmentCode(once, fp), style))).toEqual({ oneTime: once, fingerprint: fp });
      }),
      fuzzOptions(1000),
    );
  });

  it('reads any fingerprint with a typo in it as another one', () => {
    fc.assert(
      fc.property(oneTime, fingerprint, typo, (once, fp, t) => {
        const changed = withTypo(fp, t);
        fc.pre(reads(changed) !== fp);
        expect(splitEnrollmentCode(formatEnrollmentCode(once, changed)).fingerprint).not.toBe(fp);
      }),
      fuzzOptions(1000),
    );
  });

  describe('enrolling with it', () => {
    const signer = hqSigner();
    let server: http.Server;
    let url: string;
    let requests = 0;

    beforeAll(async () => {
      // A stand-in for HQ that enrolls whoever asks, signed with its key: what is fuzzed is the code alone.
      server = http.createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          requests++;
          const body = Buffer.from(JSON.stringify({ type: 'station.enrolled', stationId: `hq-st-${requests}`, siteId: 'site-1', siteName: '社区', stationNumber: 2, stationName: '2号' }));
          res.writeHead(200, { ...signer.headers({ headers: req.headers, body: Buffer.concat(chunks) }, 200, body), 'content-type': 'application/json' }).end(body);
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    /** The code as typed: HQ's own, typed otherwise, with a typo in its fingerprint, or anything at all. */
    const code = fc.oneof(
      fc.tuple(oneTime, typingStyle).map(([once, style]) => typed(signer.code(once), style)),
      fc.tuple(oneTime, typo).map(([once, t]) => formatEnrollmentCode(once, withTypo(signer.fingerprint, t))),
      fc.tuple(oneTime, fingerprint).map(([once, fp]) => formatEnrollmentCode(once, fp)),
      oneTime,
      anyText(80),
    );

    it(
      'enrolls only with the fingerprint of the HQ that answers; any other code keeps no key, and one without a whole fingerprint sends nothing',
      async () => {
        await fc.assert(
          fc.asyncProperty(code, async (text) => {
            const dataDir = tempDir('enroll-code-fuzz-');
            const before = requests;
            const named = splitEnrollmentCode(text).fingerprint;
            try {
              const done = await enrollAtHq({ dataDir, hqUrl: url, code: text, stationName: '采样台', localStationId: 'local-1', timeoutMs: 2000 });
              expect(named, text).toBe(signer.fingerprint);
              expect(done.hqPublicKey).toBe(signer.header);
              expect(fs.existsSync(keyPath(dataDir))).toBe(true);
            } catch (err) {
              expect(err).toBeInstanceOf(DomainError);
              const refusal = (err as DomainError).code;
              expect(named).not.toBe(signer.fingerprint);
              expect(['enroll.codeWithoutKey', 'enroll.wrongHq']).toContain(refusal);
              if (named === null || named.length !== FINGERPRINT_SYMBOLS) expect(refusal).toBe('enroll.codeWithoutKey');
              if (refusal === 'enroll.codeWithoutKey') expect(requests).toBe(before);
              expect(fs.existsSync(keyPath(dataDir))).toBe(false);
            }
            expect(fs.existsSync(`${keyPath(dataDir)}.pending`)).toBe(false);
          }),
          fuzzOptions(150),
        );
      },
      fuzzTimeout(),
    );

    describe('through the station’s API', () => {
      let core: StationCore;
      beforeAll(async () => {
        core = await openCore();
      });
      afterAll(() => core?.close());

      it(
        'refuses any code not naming the HQ that answers with a code staff have words for, and the station stays unenrolled',
        async () => {
          await fc.assert(
            fc.asyncProperty(code, async (text) => {
              fc.pre(splitEnrollmentCode(text).fingerprint !== signer.fingerprint);
              const result = await core.invoke('upload.enroll', { hqUrl: url, code: text });
              expect(result.ok, text).toBe(false);
              if (!result.ok) expect(['request.invalid', 'enroll.codeWithoutKey', 'enroll.wrongHq']).toContain(result.error.code);
              expect((await core.invoke('upload.status', {})).ok && core.upload.status().enrolled).toBe(false);
            }),
            fuzzOptions(60),
          );
          // HQ's own code, typed as staff type it, still enrolls.
          expect((await core.invoke('upload.enroll', { hqUrl: url, code: typed(signer.code(), { sep: ' ', lower: true, lookAlikes: true, around: ' ' }) })).ok).toBe(true);
          expect(core.upload.status()).toMatchObject({ enrolled: true, hqFingerprint: signer.fingerprint });
        },
        fuzzTimeout(),
      );
    });
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkPlate, normalizePlate, PLATE_PROVINCES, requirePlate, type PlateProblem } from '../../../electron/core/gate/plate';
import { DomainError } from '../../../electron/core/errors';

/** Letters plates use: A–Z without I and O. */
const LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const DIGITS = '0123456789';

const pick = (chars: string) => fc.constantFrom(...chars.split(''));
const string = (chars: string, length: number) => fc.array(pick(chars), { minLength: length, maxLength: length }).map((a) => a.join(''));
const province = fc.constantFrom(...[...PLATE_PROVINCES]);

const standardPlate = fc.tuple(province, pick(LETTERS), string(LETTERS + DIGITS, 5)).map((p) => p.join(''));
const smallNewEnergy = fc.tuple(province, pick(LETTERS), pick('DABCEFGHJK'), pick(LETTERS + DIGITS), string(DIGITS, 4)).map((p) => p.join(''));
const largeNewEnergy = fc.tuple(province, pick(LETTERS), string(DIGITS, 5), pick('DF')).map((p) => p.join(''));

/** As people type plates: lower case, full-width, a middle dot or spaces here and there. */
function typed(plate: string, how: { lower: boolean; fullWidth: boolean; dot: boolean; spaces: boolean }): string {
  let text = [...plate].map((c) => (how.fullWidth && /[A-Z0-9]/.test(c) ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c)).join('');
  if (how.lower) text = text.toLowerCase();
  const chars = [...text];
  if (how.dot) chars.splice(2, 0, '·');
  text = chars.join('');
  return how.spaces ? ` ${text.replace(/(.)(.)/u, '$1 $2')}  ` : text;
}
const typing = fc.record({ lower: fc.boolean(), fullWidth: fc.boolean(), dot: fc.boolean(), spaces: fc.boolean() });

describe('plate numbers: real examples', () => {
  const good: [string, string, 'standard' | 'newEnergy' | 'other', string][] = [
    ['京A12345', '京A12345', 'standard', '京A·12345'],
    ['沪AB123C', '沪AB123C', 'standard', '沪A·B123C'],
    ['川A·9K7P2', '川A9K7P2', 'standard', '川A·9K7P2'],
    ['粤B·D12345', '粤BD12345', 'newEnergy', '粤B·D12345'],
    ['沪AF12345', '沪AF12345', 'newEnergy', '沪A·F12345'],
    ['京AD00001', '京AD00001', 'newEnergy', '京A·D00001'],
    ['苏EA12345', '苏EA12345', 'newEnergy', '苏E·A12345'],
    ['浙AKQ1234', '浙AKQ1234', 'newEnergy', '浙A·KQ1234'],
    ['鲁B12345D', '鲁B12345D', 'newEnergy', '鲁B·12345D'],
    ['粤Z·1234港', '粤Z1234港', 'other', '粤Z·1234港'],
    ['粤Z1A23澳', '粤Z1A23澳', 'other', '粤Z·1A23澳'],
    ['沪A1234领', '沪A1234领', 'other', '沪A·1234领'],
    ['京B1234学', '京B1234学', 'other', '京B·1234学'],
    ['冀F1234挂', '冀F1234挂', 'other', '冀F·1234挂'],
    ['京A0123警', '京A0123警', 'other', '京A·0123警'],
    ['使014578', '使014578', 'other', '使014578'],
    ['WJ京12345', 'WJ京12345', 'other', 'WJ京12345'],
    ['ＶＡ１２３４５', 'VA12345', 'other', 'VA12345'],
    [' 京a-12345 ', '京A12345', 'standard', '京A·12345'],
    ['京Ａ１２３４５', '京A12345', 'standard', '京A·12345'],
  ];
  it.each(good)('%s is %s, kind %s', (text, plate, kind, display) => {
    expect(checkPlate(text)).toEqual({ ok: true, plate, kind, display });
  });

  const bad: [string, PlateProblem][] = [
    ['', 'empty'],
    ['  · ', 'empty'],
    ['京A123456789', 'tooLong'],
    ['京A12#45', 'characters'],
    ['京A12挂45', 'characters'],
    ['港A12345', 'province'],
    ['XA12345', 'province'],
    ['1A12345', 'province'],
    ['京', 'length'],
    ['京I12345', 'office'],
    ['京O12345', 'office'],
    ['京112345', 'office'],
    ['京A1234O', 'letterIO'],
    ['京AI2345', 'letterIO'],
    ['京A1234', 'length'],
    ['京A12挂', 'length'],
    ['粤BX12345', 'newEnergy'],
    ['粤BDA123B', 'newEnergy'],
    ['粤B12345A', 'newEnergy'],
  ];
  it.each(bad)('%s is refused: %s', (text, problem) => {
    expect(checkPlate(text)).toMatchObject({ ok: false, problem });
  });

  it('refuses in the core with gate.plateInvalid and what is wrong', () => {
    expect(() => requirePlate('京I12345')).toThrow(DomainError);
    try {
      requirePlate('京I12345');
    } catch (err) {
      expect((err as DomainError).toApiError()).toEqual({ code: 'gate.plateInvalid', params: { problem: 'office', plate: '京I12345' } });
    }
    expect(requirePlate('粤B·D12345')).toEqual({ plate: '粤BD12345', kind: 'newEnergy' });
  });
});

describe('plate numbers: properties', () => {
  it('takes every standard and new-energy plate, however it is typed, as itself', () => {
    fc.assert(
      fc.property(fc.oneof(standardPlate.map((p) => [p, 'standard'] as const), smallNewEnergy.map((p) => [p, 'newEnergy'] as const), largeNewEnergy.map((p) => [p, 'newEnergy'] as const)), typing, ([plate, kind], how) => {
        const checked = checkPlate(typed(plate, how));
        expect(checked).toMatchObject({ ok: true, plate, kind });
        if (checked.ok) expect(normalizePlate(checked.display)).toBe(plate);
      }),
      { numRuns: 2000 },
    );
  });

  it('normalising twice changes nothing, and a plate taken is taken again as it is kept', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 14 }), fc.oneof(standardPlate, smallNewEnergy, largeNewEnergy), fc.boolean(), (noise, plate, useNoise) => {
        const text = useNoise ? noise : plate;
        expect(normalizePlate(normalizePlate(text))).toBe(normalizePlate(text));
        const checked = checkPlate(text);
        if (checked.ok) expect(checkPlate(checked.plate)).toEqual(checked);
        else expect(checked.plate).toBe(normalizePlate(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('never takes a plate with I or O in its serial, or without a province first (military plates aside: two letters, five digits)', () => {
    fc.assert(
      fc.property(fc.oneof(standardPlate, smallNewEnergy, largeNewEnergy), fc.integer({ min: 2, max: 7 }), pick('IO'), (plate, at, letter) => {
        const chars = [...plate];
        if (at >= chars.length) return;
        chars[at] = letter;
        expect(checkPlate(chars.join('')).ok).toBe(false);
      }),
    );
    fc.assert(
      fc.property(fc.oneof(standardPlate, smallNewEnergy, largeNewEnergy), pick('港台澳中国ADFMPQRTUXY0123456789'), (plate, first) => {
        const refused = checkPlate(first + plate.slice(1));
        expect(refused).toMatchObject({ ok: false });
      }),
    );
  });

  it('takes 8-character plates only by the new-energy rules', () => {
    fc.assert(
      fc.property(province, pick(LETTERS), string(LETTERS + DIGITS, 6), (p, office, serial) => {
        const checked = checkPlate(p + office + serial);
        const small = /^[DABCEFGHJK][A-HJ-NP-Z0-9]\d{4}$/.test(serial);
        const large = /^\d{5}[DF]$/.test(serial);
        expect(checked.ok).toBe(small || large);
        if (checked.ok) expect(checked.kind).toBe('newEnergy');
        else expect(checked).toMatchObject({ problem: 'newEnergy' });
      }),
      { numRuns: 2000 },
    );
  });
});

import { describe, expect, it } from 'vitest';
import { checkCharacter, isValidIdNumber } from '../../electron/core/person/gb11643';
import { maskIdNumber } from '../../electron/core/person/mask';

describe('GB 11643 check character', () => {
  it('accepts the reference number 11010519491231002X', () => {
    expect(checkCharacter('11010519491231002')).toBe('X');
    expect(isValidIdNumber('11010519491231002X')).toBe(true);
    expect(isValidIdNumber('11010519491231002x')).toBe(true);
  });

  it('computes every check character from the weights', () => {
    // Recompute independently: weight_i = 2^(17-i) mod 11 (ISO 7064 MOD 11-2).
    for (let n = 0; n < 500; n++) {
      const first17 = `4403051990${String(n).padStart(7, '0')}`;
      let sum = 0;
      for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (2 ** (17 - i) % 11);
      const expected = '10X98765432'[sum % 11];
      expect(checkCharacter(first17)).toBe(expected);
    }
  });

  it('rejects a wrong check character, wrong length and letters', () => {
    expect(isValidIdNumber('110105194912310021')).toBe(false);
    expect(isValidIdNumber('11010519491231002')).toBe(false);
    expect(isValidIdNumber('11010519491231002XX')).toBe(false);
    expect(isValidIdNumber('A1010519491231002X')).toBe(false);
  });

  it('masks for the screen as 110105********002X', () => {
    expect(maskIdNumber('11010519491231002X')).toBe('110105********002X');
  });
});

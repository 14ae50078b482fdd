import { describe, expect, it } from 'vitest';
import { checkSymbol, maskPassCode, newPassCode, readPassCode } from '../../../electron/core/passes/code';
import { ScanRouter } from '../../../electron/core/scan/router';
import { DEMO_SITE_CONFIG } from '../../../electron/core/site/config';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const SHAPE = /^CRZ-(\d{3})-[0-9A-HJKMNP-TV-Z]{27}$/;

describe('resident pass codes', () => {
  it('carry the prefix, the station number and 26 random symbols, never the same twice, and read back whole', () => {
    const codes = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const code = newPassCode(7);
      expect(code).toMatch(SHAPE);
      expect(code.slice(4, 7)).toBe('007');
      expect(readPassCode(code)).toEqual({ code, intact: true });
      codes.add(code);
    }
    expect(codes.size).toBe(2000);
    // Every symbol of the alphabet turns up in every random position: the bits are spread, none fixed.
    const seen = Array.from({ length: 26 }, () => new Set<string>());
    for (const code of codes) for (let i = 0; i < 26; i++) seen[i]!.add(code[8 + i]!);
    for (const s of seen) expect(s.size).toBe(32);
  });

  it('tells every single wrong symbol from a whole code (the check symbol changes)', () => {
    for (let n = 0; n < 20; n++) {
      const code = newPassCode(n + 1);
      for (let i = 4; i < code.length; i++) {
        if (code[i] === '-') continue;
        const symbols = i < 7 ? '0123456789' : ALPHABET;
        for (const s of symbols) {
          if (s === code[i]) continue;
          const wrong = code.slice(0, i) + s + code.slice(i + 1);
          expect(readPassCode(wrong).intact, wrong).toBe(false);
        }
      }
    }
  });

  it('catches most swaps of neighbouring symbols, and codes cut short or too long', () => {
    let swaps = 0;
    let caught = 0;
    for (let n = 0; n < 50; n++) {
      const code = newPassCode(3);
      for (let i = 8; i < code.length - 1; i++) {
        if (code[i] === code[i + 1]) continue;
        swaps++;
        if (!readPassCode(code.slice(0, i) + code[i + 1] + code[i] + code.slice(i + 2)).intact) caught++;
      }
      expect(readPassCode(code.slice(0, -1)).intact).toBe(false);
      expect(readPassCode(`${code}0`).intact).toBe(false);
    }
    expect(caught / swaps).toBeGreaterThan(0.9);
  });

  it('reads a code typed by hand: lower case, O for 0, I and L for 1, spaces around', () => {
    const code = `CRZ-012-${'0'.repeat(10)}${'1'.repeat(10)}ABCDEF`;
    const whole = code + checkSymbol(code.slice(4, 7) + code.slice(8));
    const typed = ` ${whole.toLowerCase().replace(/0/g, 'o').replace(/1/g, (_, i: number) => (i % 2 ? 'l' : 'i'))} `;
    expect(readPassCode(typed)).toEqual({ code: whole.replace('CRZ-o', 'CRZ-0'), intact: true });
  });

  it('is shown masked: prefix, station, four symbols and the last two', () => {
    const code = newPassCode(42);
    expect(maskPassCode(code)).toBe(`CRZ-042-${code.slice(8, 12)}…${code.slice(-2)}`);
  });

  it('is recognised by the scan router before anything the site configures, damaged or not', () => {
    const router = new ScanRouter({ ...DEMO_SITE_CONFIG, operatorBadge: { pattern: '^[A-Z]{3}-.*$' } });
    const code = newPassCode(1);
    expect(router.classify(`${code}\r\n`)).toEqual({ ok: true, scan: { kind: 'pass', code, intact: true } });
    expect(router.classify(code.slice(0, 20))).toEqual({ ok: true, scan: { kind: 'pass', code: code.slice(0, 20), intact: false } });
    expect(router.classify('OPQ-1')).toEqual({ ok: true, scan: { kind: 'badge', code: 'OPQ-1' } });
  });
});

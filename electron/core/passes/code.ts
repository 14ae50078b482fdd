import { randomBytes } from 'node:crypto';

/**
 * Resident pass codes (出入证), what a pass's QR holds: `CRZ-NNN-` (a fixed prefix, then the number
 * of the station that issued it, so two stations never make the same code), 26 random symbols
 * (130 random bits: unguessable, a code is never derived from who holds it) and one check symbol.
 *
 * Symbols are Crockford's base32 (digits and capitals without I, L, O, U), so a QR holds the code in
 * its compact alphanumeric mode and a code typed by hand reads back: lower case is taken as upper,
 * O as 0, I and L as 1. The check symbol is ISO 7064's hybrid system over the 32 symbols' values
 * (MOD 33,32: 33 is odd, so doubling is one-to-one and every single wrong symbol changes the
 * check), so a mistyped or damaged code is told apart from a well-formed code no pass has.
 */
export const PASS_PREFIX = 'CRZ-';
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const M = ALPHABET.length;
const RANDOM_SYMBOLS = 26;
const SHAPE = /^CRZ-(\d{3})-([0-9A-HJKMNP-TV-Z]{26})([0-9A-HJKMNP-TV-Z])$/;

function value(symbol: string): number {
  return ALPHABET.indexOf(symbol);
}

/** The check symbol of `body` (symbols of the alphabet only). */
export function checkSymbol(body: string): string {
  let p = M;
  for (const c of body) {
    let s = (p + value(c)) % M;
    if (s === 0) s = M;
    p = (2 * s) % (M + 1);
  }
  return ALPHABET[(M + 1 - p) % M]!;
}

function randomSymbols(count: number): string {
  const bytes = randomBytes(Math.ceil((count * 5) / 8));
  let out = '';
  for (let i = 0; i < count; i++) {
    const bit = i * 5;
    // Five bits starting at `bit`, across a byte boundary when they must.
    const word = ((bytes[bit >> 3]! << 8) | (bytes[(bit >> 3) + 1] ?? 0)) >> (11 - (bit & 7));
    out += ALPHABET[word & 31];
  }
  return out;
}

/** A new code for a pass issued at station `stationNumber` (1–999). */
export function newPassCode(stationNumber: number): string {
  const station = String(stationNumber).padStart(3, '0');
  const random = randomSymbols(RANDOM_SYMBOLS);
  return `${PASS_PREFIX}${station}-${random}${checkSymbol(station + random)}`;
}

/** Whether a scan is meant as a pass (its prefix), whatever state the rest is in. */
export function looksLikePass(text: string): boolean {
  return text.trim().toUpperCase().startsWith(PASS_PREFIX);
}

/**
 * A scanned or typed pass code read: its canonical form when it is whole (`intact`), or not
 * intact when its shape or check symbol is wrong (misread, mistyped, cut short).
 */
export function readPassCode(text: string): { code: string; intact: boolean } {
  const upper = text.trim().toUpperCase();
  const rest = upper.slice(PASS_PREFIX.length).replace(/O/g, '0').replace(/[IL]/g, '1');
  const code = PASS_PREFIX + rest;
  const m = SHAPE.exec(code);
  if (!m) return { code, intact: false };
  return { code, intact: checkSymbol(m[1]! + m[2]!) === m[3] };
}

/** A code as the screen shows it: prefix and station, the first four and last two symbols; enough to tell passes apart, not to copy one. */
export function maskPassCode(code: string): string {
  const m = SHAPE.exec(code);
  if (!m) return `${code.slice(0, 8)}…`;
  const tail = m[2]! + m[3]!;
  return `${PASS_PREFIX}${m[1]}-${tail.slice(0, 4)}…${tail.slice(-2)}`;
}

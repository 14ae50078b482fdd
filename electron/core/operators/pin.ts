import { hash, verify, type Algorithm, type Options } from '@node-rs/argon2';
import { PIN_MAX_DIGITS, PIN_MIN_DIGITS } from '../../api/operators';
import { DomainError } from '../errors';
import { pinHashSchema } from '../../../hq/protocol';
import { COMMON_PINS } from './common-pins';

/**
 * OWASP's Password Storage Cheat Sheet, Argon2id at its first (lowest-memory) setting: m = 19 MiB,
 * t = 2, p = 1. Set explicitly, never left to the library's defaults, so a new version of it
 * cannot change what a stored PIN costs to guess.
 */
export const PIN_HASH_OPTIONS = {
  // `Algorithm.Argon2id`; the enum is declared `const` by the package, so its value is written here.
  algorithm: 2 as Algorithm.Argon2id,
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
} as const satisfies Options;

/** A PHC string this station will check a PIN against (from here, HQ's feed or a journal): see `pinHashSchema`. */
export function isPinHash(text: string): boolean {
  return pinHashSchema.safeParse(text).success;
}

/** Why a PIN is refused, or null when it may be used. */
export function pinProblem(pin: string): { code: 'pin.notDigits' | 'pin.tooShort' | 'pin.tooLong' | 'pin.tooCommon'; rule?: string } | null {
  if (!/^\d*$/.test(pin)) return { code: 'pin.notDigits' };
  if (pin.length < PIN_MIN_DIGITS) return { code: 'pin.tooShort' };
  if (pin.length > PIN_MAX_DIGITS) return { code: 'pin.tooLong' };
  const digits = [...pin].map(Number);
  if (digits.every((d) => d === digits[0])) return { code: 'pin.tooCommon', rule: 'repeat' };
  const steps = digits.slice(1).map((d, i) => (d - digits[i]! + 10) % 10);
  // 123456, 987654, 890123 (a straight line, wrapping past 9 or 0).
  if (steps.every((s) => s === 1) || steps.every((s) => s === 9)) return { code: 'pin.tooCommon', rule: 'sequence' };
  // 121212, 123123, 520520: a block of 2 or 3 digits over and over.
  for (const block of [2, 3]) {
    if (pin.length % block === 0 && pin === pin.slice(0, block).repeat(pin.length / block)) return { code: 'pin.tooCommon', rule: 'pattern' };
  }
  // 112233, 445566: every digit doubled.
  if (pin.length % 2 === 0 && [...pin].every((c, i) => i % 2 === 0 || c === pin[i - 1])) return { code: 'pin.tooCommon', rule: 'pattern' };
  if (COMMON_PINS.has(pin)) return { code: 'pin.tooCommon', rule: 'list' };
  return null;
}

/** Refuses a PIN a new or reset operator may not have. */
export function checkNewPin(pin: string): void {
  const problem = pinProblem(pin);
  if (problem) throw new DomainError(problem.code, problem.rule ? { rule: problem.rule } : undefined);
}

/** The PIN's Argon2id PHC string; the PIN itself is never stored, logged or journalled. */
export function hashPin(pin: string): Promise<string> {
  return hash(pin, PIN_HASH_OPTIONS);
}

/** Whether the PIN matches; a malformed hash is a mismatch, never an exception. */
export async function verifyPin(pinHash: string, pin: string): Promise<boolean> {
  if (!isPinHash(pinHash)) return false;
  try {
    return await verify(pinHash, pin);
  } catch {
    return false;
  }
}

/**
 * How long to wait after `wrong` wrong PINs in a row before the next try is checked: none for
 * the first two slips, then 1, 2, 4 … seconds up to a minute; at MAX_WRONG_PINS the operator is
 * locked until a site admin unlocks them.
 */
export function waitAfterWrongPins(wrong: number): number {
  if (wrong < 3) return 0;
  return Math.min(2 ** (wrong - 3), 60) * 1000;
}

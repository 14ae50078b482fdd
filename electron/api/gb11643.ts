/**
 * GB 11643 resident ID numbers: 17 digits and an ISO 7064 MOD 11-2 check character. Pure, so the
 * core, HQ and the screens (which check as staff type) share it.
 * Written here rather than taken from a library: it is eight lines and the libraries around
 * it bundle region tables and birthday rules this check does not need.
 */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARACTERS = '10X98765432';

export const ID_NUMBER_SHAPE = /^\d{17}[\dXx]$/;

export function checkCharacter(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new Error('checkCharacter needs exactly 17 digits');
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * WEIGHTS[i]!;
  return CHECK_CHARACTERS[sum % 11]!;
}

/** True when `value` has the shape of an 18-character ID number (check not verified). */
export function looksLikeIdNumber(value: string): boolean {
  return ID_NUMBER_SHAPE.test(value);
}

export function isValidIdNumber(value: string): boolean {
  if (!looksLikeIdNumber(value)) return false;
  return checkCharacter(value.slice(0, 17)) === value[17]!.toUpperCase();
}

export function normalizeIdNumber(value: string): string {
  return value.trim().toUpperCase();
}

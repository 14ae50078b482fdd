import { checkCharacter } from '../../electron/core/person/gb11643';

/** A valid resident ID number for test person `n` (born 1980-01-01, region 110105). */
export function idNumber(n: number): string {
  const first17 = `110105198001${String(1 + (n % 28)).padStart(2, '0')}${String(n % 1000).padStart(3, '0')}`;
  return first17 + checkCharacter(first17);
}

export function tubeCode(n: number): string {
  return `SY${String(n).padStart(10, '0')}`;
}

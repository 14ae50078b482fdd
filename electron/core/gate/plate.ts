/**
 * Plate numbers at the gate's vehicle lane. The rules themselves live in `electron/api/plate.ts`
 * (pure, no dependencies), so the screen checks a plate while it is typed with exactly the rules
 * the core refuses by, and HQ can import them from either place.
 */
import { checkPlate, type PlateKind } from '../../api/plate';
import { DomainError } from '../errors';

export { checkPlate, normalizePlate, PLATE_PROVINCES, type PlateCheck, type PlateKind, type PlateProblem } from '../../api/plate';

/** The plate as kept, and its kind; refused with `gate.plateInvalid` and what is wrong. */
export function requirePlate(text: string): { plate: string; kind: PlateKind } {
  const checked = checkPlate(text);
  if (!checked.ok) throw new DomainError('gate.plateInvalid', { problem: checked.problem, plate: checked.plate.slice(0, 16) });
  return { plate: checked.plate, kind: checked.kind };
}

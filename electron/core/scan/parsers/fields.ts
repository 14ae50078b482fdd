import { isValidIdNumber, looksLikeIdNumber, normalizeIdNumber } from '../../person/gb11643';
import { maskIdNumber } from '../../person/mask';
import type { PersonParse, PersonPayload } from './types';

type FieldNames = { idNumber: string[]; regCode: string[]; name: string[]; phone: string[] };

const MAX_FIELD = 128;

function pick(lookup: (key: string) => unknown, keys: string[]): string | null {
  for (const key of keys) {
    const value = lookup(key);
    if (typeof value === 'string' || typeof value === 'number') {
      const text = String(value).trim();
      if (text.length > 0 && text.length <= MAX_FIELD) return text;
    }
  }
  return null;
}

/** Builds a person from named fields, checking the ID number's check character when present. */
export function personFromFields(lookup: (key: string) => unknown, fields: FieldNames): PersonParse {
  const rawId = pick(lookup, fields.idNumber);
  const person: PersonPayload = {
    idNumber: null,
    regCode: pick(lookup, fields.regCode),
    name: pick(lookup, fields.name),
    phone: pick(lookup, fields.phone),
  };
  if (rawId !== null) {
    const id = normalizeIdNumber(rawId);
    if (looksLikeIdNumber(id)) {
      if (!isValidIdNumber(id)) return { match: true, error: { code: 'scan.idCheckFailed', params: { masked: maskIdNumber(id) } } };
      person.idNumber = id;
    } else if (person.regCode === null) {
      // Some provinces put a document number that is not a resident ID in the id field.
      person.regCode = rawId;
    }
  }
  if (person.idNumber === null && person.regCode === null && person.phone === null) {
    return { match: true, error: { code: 'scan.personWithoutIdentity' } };
  }
  return { match: true, person };
}

import { isValidIdNumber, looksLikeIdNumber, normalizeIdNumber } from '../../person/gb11643';
import { maskIdNumber } from '../../person/mask';
import { NO_MATCH, type PersonParser } from './types';

/** A plain 18-character resident ID number (GB 11643), as ID-card readers and some codes give. */
export const parseId18: PersonParser = (text) => {
  const id = normalizeIdNumber(text);
  if (!looksLikeIdNumber(id)) return NO_MATCH;
  if (!isValidIdNumber(id)) return { match: true, error: { code: 'scan.idCheckFailed', params: { masked: maskIdNumber(id) } } };
  return { match: true, person: { idNumber: id, regCode: null, name: null, phone: null } };
};

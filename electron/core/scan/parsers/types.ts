import type { ApiError } from '../../../api/contract';

/** What a person payload may carry; the parsers fill what their format has. */
export type PersonPayload = {
  idNumber: string | null;
  regCode: string | null;
  name: string | null;
  phone: string | null;
};

export type PersonParse =
  | { match: false }
  | { match: true; person: PersonPayload }
  | { match: true; error: ApiError };

export type PersonParser = (text: string) => PersonParse;

export const NO_MATCH: PersonParse = { match: false };

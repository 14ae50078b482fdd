import type { PersonPayload } from '../scan/parsers/types';

/** A name as it identifies someone: trimmed, inner whitespace collapsed; empty counts as no name. */
export function normalizeName(name: string | null | undefined): string | null {
  if (!name) return null;
  const n = name.normalize('NFKC').trim().replace(/\s+/gu, ' ');
  return n.length > 0 ? n : null;
}

/**
 * Who a scanned person is, as one string: the resident ID number when the code carries one.
 * Otherwise a registration code or a phone number never identifies a person alone: families
 * share a phone and codes get borrowed, so the name is part of the key and a second name under
 * the same phone or code is another person, never merged into the first.
 */
export function personKey(p: Pick<PersonPayload, 'idNumber' | 'regCode' | 'phone' | 'name'>): string | null {
  if (p.idNumber) return `id:${p.idNumber}`;
  const name = normalizeName(p.name) ?? '';
  if (p.regCode) return `reg:${p.regCode}#${name}`;
  if (p.phone) return `tel:${p.phone}#${name}`;
  return null;
}

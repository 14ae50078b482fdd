import { personFromFields } from './fields';
import { NO_MATCH, type PersonParser } from './types';

/**
 * vCard (2.1/3.0/4.0) payloads: FN or N for the name, TEL, and the ID number or registration
 * code in NOTE / UID / X-ID-NUMBER / X-REG-CODE. Hand-written: the vCard libraries on npm
 * parse whole address books and pull in far more than the five properties read here.
 */
export const parseVcard: PersonParser = (text) => {
  const trimmed = text.trim();
  if (!/^BEGIN:VCARD/i.test(trimmed) || !/END:VCARD$/i.test(trimmed)) return NO_MATCH;
  // Unfold continuation lines (RFC 6350 §3.2), then read `NAME;params:value`.
  const lines = trimmed.replace(/\r?\n[ \t]/g, '').split(/\r?\n|\r/);
  const props = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).split(';')[0]!.toUpperCase();
    const value = line.slice(colon + 1).trim();
    if (!props.has(name) && value.length > 0) props.set(name, value);
  }
  const [family = '', given = ''] = (props.get('N') ?? '').split(';');
  // Chinese names read family name first with no space; others given name first.
  const structuredName = /[\u3400-\u9fff]/u.test(family + given) ? family + given : `${given} ${family}`.trim();
  const note = props.get('NOTE');
  const idInNote = note?.match(/\d{17}[\dXx]/)?.[0];
  const values: Record<string, string | undefined> = {
    idNumber: props.get('X-ID-NUMBER') ?? idInNote,
    regCode: props.get('X-REG-CODE') ?? props.get('UID'),
    name: props.get('FN') ?? (structuredName || undefined),
    phone: props.get('TEL')?.replace(/[^\d+]/g, ''),
  };
  return personFromFields((key) => values[key], {
    idNumber: ['idNumber'],
    regCode: ['regCode'],
    name: ['name'],
    phone: ['phone'],
  });
};

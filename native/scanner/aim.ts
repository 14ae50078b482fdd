/**
 * AIM symbology identifiers (ISO/IEC 15424): `]` + code character + modifier, e.g. `]C0`
 * (Code 128), `]Q1` (QR), `]d2` (Data Matrix). They say what was scanned, not what it says.
 */
const AIM = /^\]([A-Za-z])([0-9A-Za-z])/;

/** What a scanner read: the text, and the AIM identifier when the scanner sent one. */
export type DecodedScan = { text: string; aim: string | null };

/** Splits a leading AIM identifier off a decoded payload. */
export function splitAim(text: string): DecodedScan {
  const m = AIM.exec(text);
  return m ? { text: text.slice(3), aim: m[0] } : { text, aim: null };
}

export function isAim(id: string): boolean {
  return id.length === 3 && AIM.test(id);
}

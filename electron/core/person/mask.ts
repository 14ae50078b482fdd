/** Masking for the screen (PIPL Art. 51, GB/T 35273): enough to tell people apart, no more. */

export function maskIdNumber(idNumber: string): string {
  if (idNumber.length < 10) return '*'.repeat(idNumber.length);
  return `${idNumber.slice(0, 6)}${'*'.repeat(idNumber.length - 10)}${idNumber.slice(-4)}`;
}

export function maskCode(code: string): string {
  if (code.length <= 4) return '*'.repeat(code.length);
  const keep = Math.min(3, Math.floor(code.length / 4));
  return `${code.slice(0, keep)}${'*'.repeat(code.length - 2 * keep)}${code.slice(-keep)}`;
}

export function maskPhone(phone: string): string {
  return phone.length === 11 ? `${phone.slice(0, 3)}****${phone.slice(-4)}` : maskCode(phone);
}

/** A short, masked picture of an unrecognised scan, safe to show and to put in a message. */
export function previewScan(text: string): string {
  const flat = text.replace(/[\r\n\t]+/g, ' ');
  if (/\d{15,}/.test(flat)) return maskCode(flat.length > 24 ? `${flat.slice(0, 24)}` : flat);
  return flat.length > 24 ? `${flat.slice(0, 20)}…` : flat;
}

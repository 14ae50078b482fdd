/**
 * Printer status as staff see it. Every fault has words in the renderer (labels namespace,
 * `printer.fault.<fault>`); `no-answer` means the printer did not reply to a status query in
 * time, which is a fault: a silent printer is never taken for a ready one.
 */
export const PRINTER_FAULTS = [
  'paper-out',
  'head-open',
  'cover-open',
  'ribbon-out',
  'paper-jam',
  'paused',
  'offline',
  'over-temperature',
  'buffer-full',
  'printer-error',
  'no-answer',
  'disconnected',
  'permission-denied',
  'busy',
  'transport-error',
  /** The configured path is not a printer device (a file, a link to one, another device). */
  'not-a-printer',
] as const;
export type PrinterFault = (typeof PRINTER_FAULTS)[number];

export type PrinterStatus = {
  /** `unknown`: the language or transport has no status channel (EPL2, OS print queue). */
  state: 'ready' | 'fault' | 'unknown';
  faults: PrinterFault[];
  /** Still printing a previous job (not a fault). */
  printing: boolean;
  checkedAt: string;
};

export function statusFrom(faults: PrinterFault[], printing = false, at = new Date()): PrinterStatus {
  const unique = [...new Set(faults)];
  return { state: unique.length ? 'fault' : 'ready', faults: unique, printing, checkedAt: at.toISOString() };
}

const STX = '\x02';
const ETX = '\x03';

/**
 * A status reply is a few hundred bytes; a device still talking past this is not answering the
 * query, and the query ends there (the reply then reads as no status) instead of collecting bytes
 * until its time is up.
 */
export const MAX_STATUS_REPLY_BYTES = 4096;

/**
 * The `<STX>…<ETX>` frames in a reply: from an STX to the next ETX. Searched by hand in one pass: the
 * regular expression it replaces tried every STX against the rest of the reply, so a reply of STX
 * bytes took time quadratic in its length (80 KB: 16 s with the core's event loop blocked).
 */
function frames(reply: string): string[] {
  const out: string[] = [];
  for (let start = reply.indexOf(STX); start >= 0; ) {
    const end = reply.indexOf(ETX, start + 1);
    if (end < 0) break;
    out.push(reply.slice(start + 1, end));
    start = reply.indexOf(STX, end + 1);
  }
  return out;
}

/** A `~HS` reply is complete when its three framed strings have arrived. */
export function zplHostStatusComplete(reply: Buffer): boolean {
  return reply.length >= MAX_STATUS_REPLY_BYTES || frames(reply.toString('latin1')).length >= 3;
}

/**
 * ZPL `~HS`: string 1 `aaa,b,c,dddd,eee,f,g,h,iii,j,k,l` (b paper out, c pause, f buffer full,
 * k under / l over temperature), string 2 `mmm,n,o,p,q,r,s,t,uuuuuuuu,v,www` (o head up,
 * p ribbon out, uuuuuuuu labels remaining). Null when the reply is not a host status.
 */
export function parseZplHostStatus(reply: string): { faults: PrinterFault[]; printing: boolean } | null {
  const [one, two] = frames(reply);
  if (one === undefined || two === undefined) return null;
  const a = one.split(',');
  const b = two.split(',');
  if (a.length < 12 || b.length < 11) return null;
  const flag = (v: string | undefined) => v?.trim() === '1';
  const faults: PrinterFault[] = [];
  if (flag(a[1])) faults.push('paper-out');
  if (flag(a[2])) faults.push('paused');
  if (flag(a[5])) faults.push('buffer-full');
  if (flag(a[10]) || flag(a[11])) faults.push('over-temperature');
  if (flag(b[2])) faults.push('head-open');
  if (flag(b[3])) faults.push('ribbon-out');
  const remaining = Number.parseInt(b[8] ?? '0', 10);
  const formats = Number.parseInt(a[4] ?? '0', 10);
  return { faults, printing: remaining > 0 || formats > 0 };
}

/** A `~HQES` reply ends with its one ETX. */
export function zplHqesComplete(reply: Buffer): boolean {
  return reply.length >= MAX_STATUS_REPLY_BYTES || reply.includes(0x03);
}

/**
 * ZPL `~HQES`: `ERRORS: f hhhhhhhh llllllll` and `WARNINGS: …`, where f = 1 when any error is
 * set and the low word's bits are 0x1 media out, 0x2 ribbon out, 0x4 head open, 0x8 cutter
 * fault, 0x10/0x20 head/motor over temperature, 0x40+ other hardware errors.
 */
export function parseZplHqes(reply: string): PrinterFault[] | null {
  const m = /ERRORS:\s*(\d)\s+([0-9A-Fa-f]{8})\s+([0-9A-Fa-f]{8})/.exec(reply);
  if (!m) return null;
  const low = Number.parseInt(m[3]!, 16);
  const high = Number.parseInt(m[2]!, 16);
  const faults: PrinterFault[] = [];
  if (low & 0x1) faults.push('paper-out');
  if (low & 0x2) faults.push('ribbon-out');
  if (low & 0x4) faults.push('head-open');
  if (low & 0x30) faults.push('over-temperature');
  if (low & ~0x3f || high || low & 0x8) faults.push('printer-error');
  if (m[1] === '1' && faults.length === 0) faults.push('printer-error');
  return faults;
}

/**
 * TSPL `<ESC>!?` byte: bit 0 head open, 1 paper jam, 2 out of paper, 3 out of ribbon, 4 pause,
 * 5 printing, 6 cover open, 7 temperature out of range.
 */
export function parseTsplStatus(byte: number): { faults: PrinterFault[]; printing: boolean } {
  const faults: PrinterFault[] = [];
  if (byte & 0x01) faults.push('head-open');
  if (byte & 0x02) faults.push('paper-jam');
  if (byte & 0x04) faults.push('paper-out');
  if (byte & 0x08) faults.push('ribbon-out');
  if (byte & 0x10) faults.push('paused');
  if (byte & 0x40) faults.push('cover-open');
  if (byte & 0x80) faults.push('over-temperature');
  return { faults, printing: (byte & 0x20) !== 0 };
}

/**
 * ESC/POS `DLE EOT n` bytes (bits 1 and 4 are fixed on, bit 0 and 7 off in every reply):
 * n=1 bit 3 offline; n=2 bit 2 cover open, bit 5 stopped at paper end, bit 6 error;
 * n=4 bits 5–6 paper end (bits 2–3 near end is only a warning).
 */
export function isEscPosStatusByte(byte: number): boolean {
  return (byte & 0x93) === 0x12;
}

export function parseEscPosStatus(bytes: { printer: number; offline: number; paper: number }): PrinterFault[] {
  const faults: PrinterFault[] = [];
  if (bytes.printer & 0x08) faults.push('offline');
  if (bytes.offline & 0x04) faults.push('cover-open');
  if (bytes.offline & 0x20 || bytes.paper & 0x60) faults.push('paper-out');
  if (bytes.offline & 0x40) faults.push('printer-error');
  return faults;
}

import { describe, expect, it } from 'vitest';
import {
  isEscPosStatusByte,
  parseEscPosStatus,
  parseTsplStatus,
  parseZplHostStatus,
  parseZplHqes,
  statusFrom,
  zplHostStatusComplete,
  zplHqesComplete,
} from '../../../native/printer/status';

const STX = '\x02';
const ETX = '\x03';

function hostStatus(one: string[], two: string[]): string {
  return `${STX}${one.join(',')}${ETX}\r\n${STX}${two.join(',')}${ETX}\r\n${STX}1234,0${ETX}\r\n`;
}
const ONE = ['030', '0', '0', '0200', '000', '0', '0', '0', '000', '0', '0', '0'];
const TWO = ['001', '0', '0', '0', '0', '2', '6', '0', '00000000', '1', '000'];
const set = (base: string[], index: number, value: string) => base.map((v, i) => (i === index ? value : v));

describe('ZPL ~HS', () => {
  it('a clear reply has no faults and is complete only after three frames', () => {
    const reply = hostStatus(ONE, TWO);
    expect(parseZplHostStatus(reply)).toEqual({ faults: [], printing: false });
    expect(zplHostStatusComplete(Buffer.from(reply, 'latin1'))).toBe(true);
    expect(zplHostStatusComplete(Buffer.from(reply.slice(0, reply.lastIndexOf(STX)), 'latin1'))).toBe(false);
  });

  it.each([
    ['paper out (string 1, b)', 1, 'paper-out'],
    ['pause (string 1, c)', 2, 'paused'],
    ['buffer full (string 1, f)', 5, 'buffer-full'],
    ['under temperature (string 1, k)', 10, 'over-temperature'],
    ['over temperature (string 1, l)', 11, 'over-temperature'],
  ] as const)('%s', (_, index, fault) => {
    expect(parseZplHostStatus(hostStatus(set(ONE, index, '1'), TWO))?.faults).toEqual([fault]);
  });

  it.each([
    ['head up (string 2, o)', 2, 'head-open'],
    ['ribbon out (string 2, p)', 3, 'ribbon-out'],
  ] as const)('%s', (_, index, fault) => {
    expect(parseZplHostStatus(hostStatus(ONE, set(TWO, index, '1')))?.faults).toEqual([fault]);
  });

  it('labels remaining in the batch means printing, not a fault', () => {
    expect(parseZplHostStatus(hostStatus(ONE, set(TWO, 8, '00000003')))).toEqual({ faults: [], printing: true });
  });

  it('anything else is not a host status', () => {
    expect(parseZplHostStatus('garbage')).toBeNull();
    expect(parseZplHostStatus(`${STX}1,2${ETX}${STX}3${ETX}`)).toBeNull();
  });
});

describe('ZPL ~HQES', () => {
  const hqes = (flag: string, low: string) => `${STX}\r\n\r\n  PRINTER STATUS\r\n   ERRORS:         ${flag} 00000000 ${low}\r\n   WARNINGS:       0 00000000 00000000\r\n${ETX}\r\n`;
  it.each([
    ['00000001', ['paper-out']],
    ['00000002', ['ribbon-out']],
    ['00000004', ['head-open']],
    ['00000005', ['paper-out', 'head-open']],
    ['00000010', ['over-temperature']],
    ['00000008', ['printer-error']],
  ] as const)('error bits %s', (low, faults) => {
    expect(parseZplHqes(hqes('1', low))).toEqual(faults);
  });
  it('no errors, completeness, and garbage', () => {
    expect(parseZplHqes(hqes('0', '00000000'))).toEqual([]);
    expect(zplHqesComplete(Buffer.from(hqes('0', '00000000'), 'latin1'))).toBe(true);
    expect(zplHqesComplete(Buffer.from(`${STX}  PRINTER STATUS`, 'latin1'))).toBe(false);
    expect(parseZplHqes('PRINTER STATUS')).toBeNull();
  });
});

describe('TSPL <ESC>!?', () => {
  it.each([
    [0x01, ['head-open']],
    [0x02, ['paper-jam']],
    [0x04, ['paper-out']],
    [0x08, ['ribbon-out']],
    [0x10, ['paused']],
    [0x40, ['cover-open']],
    [0x80, ['over-temperature']],
    [0x05, ['head-open', 'paper-out']],
  ] as const)('byte 0x%s', (byte, faults) => {
    expect(parseTsplStatus(byte)).toEqual({ faults, printing: false });
  });
  it('0x00 is ready and 0x20 is printing without a fault', () => {
    expect(parseTsplStatus(0)).toEqual({ faults: [], printing: false });
    expect(parseTsplStatus(0x20)).toEqual({ faults: [], printing: true });
  });
});

describe('ESC/POS DLE EOT', () => {
  const clear = { printer: 0x12, offline: 0x12, paper: 0x12 };
  it('fixed bits identify a status byte', () => {
    expect(isEscPosStatusByte(0x12)).toBe(true);
    expect(isEscPosStatusByte(0x1a)).toBe(true);
    expect(isEscPosStatusByte(0x00)).toBe(false);
    expect(isEscPosStatusByte(0x92)).toBe(false);
  });
  it.each([
    ['n=1 bit 3 offline', { ...clear, printer: 0x1a }, ['offline']],
    ['n=2 bit 2 cover open', { ...clear, offline: 0x16 }, ['cover-open']],
    ['n=2 bit 5 paper end stop', { ...clear, offline: 0x32 }, ['paper-out']],
    ['n=2 bit 6 error', { ...clear, offline: 0x52 }, ['printer-error']],
    ['n=4 bits 5-6 paper end', { ...clear, paper: 0x72 }, ['paper-out']],
    ['n=4 bits 2-3 near end is only a warning', { ...clear, paper: 0x1e }, []],
  ] as const)('%s', (_, bytes, faults) => {
    expect(parseEscPosStatus(bytes)).toEqual(faults);
  });
});

describe('statusFrom', () => {
  it('faults make a fault state, none make ready, duplicates collapse', () => {
    expect(statusFrom([]).state).toBe('ready');
    expect(statusFrom(['no-answer', 'no-answer'])).toMatchObject({ state: 'fault', faults: ['no-answer'] });
  });
});

import fs from 'node:fs';
import { checkCharacter } from '../../electron/core/person/gb11643';

/** A valid ID number for resident `n`, unique for n below 9,000,000: a birth date per (n mod 30000), a region per (n / 30000). */
export function benchId(n: number): string {
  const birth = new Date(Date.UTC(1940, 0, 1) + (n % 30_000) * 86_400_000).toISOString().slice(0, 10).replace(/-/g, '');
  const first17 = `${String(110000 + Math.floor(n / 30_000)).padStart(6, '0')}${birth}${String(n % 1000).padStart(3, '0')}`;
  return first17 + checkCharacter(first17);
}

const NAMES = ['张伟', '王芳', '李娜', '刘洋', '陈静', '杨磊', '赵敏', '黄强'];
export const LEDGER_HEADER = ['姓名', '身份证号', '手机号', '楼栋', '单元', '房号', '标签'];

/** A district: 500 buildings of 2,000 residents, 8 units, 25 floors, 4 flats a floor, 2 to 3 residents a flat. */
export function ledgerRow(n: number): string[] {
  const building = 1 + Math.floor(n / 2000);
  const unit = 1 + (Math.floor(n / 250) % 8);
  const flat = Math.floor((n % 250) / 2.5);
  const room = `${1 + Math.floor(flat / 4)}0${1 + (flat % 4)}`;
  return [`${NAMES[n % 8]}${n % 97}`, benchId(n), `13${String(800_000_000 + n).padStart(9, '0')}`, String(building), String(unit), room, n % 40 === 0 ? '老人' : ''];
}

/** The district's ledger as a CSV of `rows` residents. */
export function writeLedgerCsv(file: string, rows: number): void {
  const fd = fs.openSync(file, 'w');
  let buf = `${LEDGER_HEADER.join(',')}\n`;
  for (let n = 0; n < rows; n++) {
    buf += `${ledgerRow(n).join(',')}\n`;
    if (buf.length > 1 << 20) {
      fs.writeSync(fd, buf);
      buf = '';
    }
  }
  fs.writeSync(fd, buf);
  fs.closeSync(fd);
}

import { z } from 'zod';
import { isValidIdNumber } from '../person/gb11643';
import { maskIdNumber, maskPhone } from '../person/mask';
import type { RosterProblemCode } from '../../api/roster';
import { patternSchema } from '../site/pattern';
import { parseTags, type ColumnPlan, type ResidentTag } from './fields';

/**
 * One ledger row checked and normalised into a resident, or the reasons it cannot be. Runs a
 * million times per import: regular expressions are compiled once, a row that is fine allocates
 * only its resident, and problem values are short and masked (they end up in reports).
 */

/** Regular expressions (anchored) that a normalised building, unit and room must match. */
export type HouseholdRules = { building: string; unit: string; room: string };

/** 3-2-502, 12-1-1502, 5A-1-301. */
export const DEFAULT_HOUSEHOLD_RULES: HouseholdRules = {
  building: '^\\d{1,3}[A-Z]?$',
  unit: '^\\d{1,2}$',
  room: '^\\d{3,4}$',
};

export const householdRulesSchema = z.object({ building: patternSchema, unit: patternSchema, room: patternSchema }).strict();

export type CompiledHouseholdRules = { building: RegExp; unit: RegExp; room: RegExp };

/** Once per import; throws (zod) when a rule does not compile or is not anchored. */
export function compileHouseholdRules(rules: HouseholdRules): CompiledHouseholdRules {
  const checked = householdRulesSchema.parse(rules);
  return { building: new RegExp(checked.building, 'u'), unit: new RegExp(checked.unit, 'u'), room: new RegExp(checked.room, 'u') };
}

/** The reasons a row is refused (or noted), as the API names them for the screen. */
export type RowProblemCode = RosterProblemCode;

/**
 * `value` is what the admin needs to find the cell: ID numbers and phones masked, names cut short.
 * For `household.missing` it names the missing parts ("unit", "building,room"); for `row.duplicate`
 * it is the row number where the ID number first appeared.
 */
export type RowProblem = { code: RowProblemCode; value?: string };

export type ResidentRow = {
  name: string;
  idNumber: string;
  phone: string | null;
  building: string;
  unit: string;
  room: string;
  tags: ResidentTag[];
};

/**
 * A row that has problems is refused whole. `tag.unknown` alone does not refuse a row: the resident
 * is imported with the tags that were understood and the unknown words come back as a warning
 * (a ledger's 人员类别 column often holds words the station has no use for, like 低保户).
 */
export type RowCheck = { ok: true; resident: ResidentRow; warnings: readonly RowProblem[] } | { ok: false; problems: RowProblem[] };

const NO_WARNINGS: readonly RowProblem[] = Object.freeze([]);

/**
 * The longest name and building, unit or room HQ takes (`residentTupleSchema` in hq/protocol.ts),
 * counted as HQ counts them: in UTF-16 code units (a rare character outside the BMP, 𠮷, counts
 * two). A row HQ would refuse is refused here, at import, where the admin can see it: a roster
 * journalled to HQ is never refused there.
 */
export const NAME_MAX_LENGTH = 50;
export const HOUSEHOLD_PART_MAX_LENGTH = 20;

/** Control characters: never in a name or an address, and NUL is refused by HQ's PostgreSQL. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex -- the same, to show them in a report
const CONTROLS = /[\u0000-\u001f\u007f]/g;

const FULL_WIDTH = /[\uff01-\uff5e\u3000]/;
const WHITESPACE = /\s/;
const WHITESPACE_RUNS = /\s+/g;
const PHONE_SEPARATORS = /[\s\-()]/g;
const ID_SHAPE = /^\d{17}[\dX]$/;
const MOBILE = /^1[3-9]\d{9}$/;
const LANDLINE = /^0\d{9,11}$/;
const BUILDING_SUFFIX = /(?:号楼|号栋|号幢|栋楼|#楼|号|栋|幢|楼|座|#)$/;
const UNIT_SUFFIX = /(?:单元|号)$/;
const ROOM_SUFFIX = /(?:号房|室|号|房)$/;
const LEADING_ZEROS = /^0+(?=\d)/;
const CHINESE_UNIT_NUMBERS: ReadonlyMap<string, string> = new Map(
  ['一', '二', '三', '四', '五', '六', '七', '八', '九', '十'].map((numeral, i) => [numeral, String(i + 1)]),
);

/** Full-width digits, letters and signs (what a Chinese IME types) to their ASCII forms. */
export function toHalfWidth(value: string): string {
  if (!FULL_WIDTH.test(value)) return value;
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    out += code === 0x3000 ? ' ' : code >= 0xff01 && code <= 0xff5e ? String.fromCharCode(code - 0xfee0) : value[i];
  }
  return out;
}

/** The common case, "3", "12", "502": nothing to normalise. */
function isPlainNumber(value: string): boolean {
  if (value.length === 0 || value.charCodeAt(0) === 0x30) return false;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x30 || code > 0x39) return false;
  }
  return true;
}

function stripPrefix(value: string): string {
  return value.startsWith('第') ? value.slice(1) : value;
}

function stripSuffix(value: string, suffix: RegExp): string {
  const match = suffix.exec(value);
  return match ? value.slice(0, match.index).trim() : value;
}

/** "3号楼", "第3栋", "3幢", "3#" → "3"; "12a" → "12A"; "03" → "3". */
export function normalizeBuilding(raw: string): string {
  if (isPlainNumber(raw)) return raw;
  const value = stripSuffix(stripPrefix(toHalfWidth(raw).trim().toUpperCase()), BUILDING_SUFFIX);
  return value.replace(LEADING_ZEROS, '');
}

/** "2单元", "二单元", "第2单元", "02" → "2". Chinese numerals only up to 十: units do not go higher. */
export function normalizeUnit(raw: string): string {
  if (isPlainNumber(raw)) return raw;
  const value = stripSuffix(stripPrefix(toHalfWidth(raw).trim().toUpperCase()), UNIT_SUFFIX);
  return (CHINESE_UNIT_NUMBERS.get(value) ?? value).replace(LEADING_ZEROS, '');
}

/** "502室", "502号", "502房" → "502". Leading zeros stay: a room number is a label, not a count. */
export function normalizeRoom(raw: string): string {
  if (isPlainNumber(raw)) return raw;
  return stripSuffix(toHalfWidth(raw).trim().toUpperCase(), ROOM_SUFFIX);
}

/** An apostrophe Excel users type to keep digits as text, kept literally by CSV. */
function stripApostrophe(value: string): string {
  return value.startsWith("'") ? value.slice(1) : value;
}

export function normalizeIdNumberCell(raw: string): string {
  const value = stripApostrophe(toHalfWidth(raw).trim());
  // Spaces inside ("110105 19491231 002X") only matter when the length is off.
  return (value.length !== 18 && WHITESPACE.test(value) ? value.replace(WHITESPACE_RUNS, '') : value).toUpperCase();
}

/** Digits only, "+86"/"0086"/"86" before a mobile number removed; null when empty. Does not judge. */
export function normalizePhone(raw: string): string | null {
  if (raw.length === 11 && MOBILE.test(raw)) return raw;
  let value = stripApostrophe(toHalfWidth(raw).trim()).replace(PHONE_SEPARATORS, '');
  if (value === '') return null;
  if (value.startsWith('+86')) value = value.slice(3);
  else if (value.startsWith('0086')) value = value.slice(4);
  else if (value.length === 13 && value.startsWith('861')) value = value.slice(2);
  return value;
}

export function isValidPhone(phone: string): boolean {
  return MOBILE.test(phone) || LANDLINE.test(phone);
}

function short(value: string, max = 20): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}

/**
 * Checks one data row against the column plan. When several columns carry one field the first is
 * read (the plan reports them as duplicated). Households: a part is required when the file has a
 * column for it. A ledger with building and room but no unit column (villas, single-unit blocks)
 * gets unit "", and a ledger with none of the three (a village list, a workplace) gets no household
 * at all and no household problems.
 */
export function validateRow(cells: readonly string[], plan: ColumnPlan, rules: CompiledHouseholdRules): RowCheck {
  let name = '';
  let idCell = '';
  let phoneCell = '';
  let buildingCell = '';
  let unitCell = '';
  let roomCell = '';
  let tagsCell = '';
  let hasBuilding = false;
  let hasUnit = false;
  let hasRoom = false;
  const columns = plan.columns;
  // Backwards, so that of two columns for one field the first is assigned last and wins.
  for (let i = columns.length - 1; i >= 0; i--) {
    const field = columns[i];
    if (field === null || field === undefined) continue;
    const cell = cells[i] ?? '';
    switch (field) {
      case 'name':
        name = cell;
        break;
      case 'idNumber':
        idCell = cell;
        break;
      case 'phone':
        phoneCell = cell;
        break;
      case 'building':
        buildingCell = cell;
        hasBuilding = true;
        break;
      case 'unit':
        unitCell = cell;
        hasUnit = true;
        break;
      case 'room':
        roomCell = cell;
        hasRoom = true;
        break;
      case 'tags':
        tagsCell = cell;
        break;
    }
  }

  let problems: RowProblem[] | null = null;

  name = name.trim();
  if (WHITESPACE.test(name)) name = name.replace(WHITESPACE_RUNS, ' ');
  if (name === '') (problems ??= []).push({ code: 'name.missing' });
  else if (name.length > NAME_MAX_LENGTH) (problems ??= []).push({ code: 'name.tooLong', value: short(name, 10) });
  else if (CONTROL.test(name)) (problems ??= []).push({ code: 'name.malformed', value: visible(short(name, 10)) });

  const idNumber = normalizeIdNumberCell(idCell);
  if (idNumber === '') (problems ??= []).push({ code: 'id.missing' });
  else if (!isValidIdNumber(idNumber)) {
    if (ID_SHAPE.test(idNumber)) (problems ??= []).push({ code: 'id.checkFailed', value: maskIdNumber(idNumber) });
    else (problems ??= []).push({ code: 'id.malformed', value: maskIdNumber(short(idNumber, 24)) });
  }

  const phone = normalizePhone(phoneCell);
  if (phone !== null && !isValidPhone(phone)) (problems ??= []).push({ code: 'phone.malformed', value: maskPhone(short(phone)) });

  const building = hasBuilding ? normalizeBuilding(buildingCell) : '';
  const unit = hasUnit ? normalizeUnit(unitCell) : '';
  const room = hasRoom ? normalizeRoom(roomCell) : '';
  const missing = (hasBuilding && building === '' ? 'building,' : '') + (hasUnit && unit === '' ? 'unit,' : '') + (hasRoom && room === '' ? 'room,' : '');
  if (missing !== '') (problems ??= []).push({ code: 'household.missing', value: missing.slice(0, -1) });
  if (building !== '') problems = householdPart(problems, 'building', building, rules.building);
  if (unit !== '') problems = householdPart(problems, 'unit', unit, rules.unit);
  if (room !== '') problems = householdPart(problems, 'room', room, rules.room);

  let tags: ResidentTag[] = [];
  let warnings = NO_WARNINGS;
  if (tagsCell !== '') {
    const parsed = parseTags(tagsCell);
    tags = parsed.tags;
    if (parsed.unknown.length > 0) {
      const warning: RowProblem = { code: 'tag.unknown', value: short(parsed.unknown.join('、'), 30) };
      if (problems) problems.push(warning);
      else warnings = [warning];
    }
  }

  if (problems) return { ok: false, problems };
  return { ok: true, resident: { name, idNumber, phone, building, unit, room, tags }, warnings };
}

/** A building, unit or room HQ would refuse (too long), or that does not fit the site's pattern. */
function householdPart(problems: RowProblem[] | null, part: 'building' | 'unit' | 'room', value: string, rule: RegExp): RowProblem[] | null {
  if (value.length > HOUSEHOLD_PART_MAX_LENGTH) (problems ??= []).push({ code: `${part}.tooLong`, value: short(value) });
  else if (CONTROL.test(value) || !rule.test(value)) (problems ??= []).push({ code: `${part}.malformed`, value: visible(short(value)) });
  return problems;
}

/** A value for a report with its control characters shown as such. */
function visible(value: string): string {
  return value.replace(CONTROLS, '\ufffd');
}

/** The problem a repeated ID number gets: `firstRowNo` is where it first appeared. */
export function duplicateProblem(firstRowNo: number): RowProblem {
  return { code: 'row.duplicate', value: String(firstRowNo) };
}

/** Above any packed high part (at most 999,999,999). */
const EMPTY_SLOT = 0xffffffff;
const MIN_SLOTS = 1024;
/** A slot is three numbers side by side (high, low, first row): one cache line per probe. */
const SLOT_WIDTH = 3;

/**
 * ID numbers (normalised, as `validateRow` returns them) seen in one file. An 18-character ID
 * number is packed into two 32-bit numbers (9 digits; 8 digits times 11 plus the check character)
 * in an open-addressing table in one typed array: a million IDs take 24 MB the garbage collector
 * never walks, where a Map of a million strings took 80 MB and, in a 1,000,000-row import, more
 * time than validating the rows. Anything else passed in goes to a plain Map. Only IDs seen again
 * get a list of rows.
 */
export class DuplicateTracker {
  private slots: Uint32Array;
  private packed = 0;
  private readonly other = new Map<string, number>();
  private readonly repeated = new Map<string, number[]>();
  // Results of `pack`, kept here rather than in a returned pair: one call per row.
  private keyHigh = 0;
  private keyLow = 0;

  /** `expectedIds` (e.g. the file size over 50 bytes a row) saves growing the table step by step. */
  constructor(expectedIds = 0) {
    let capacity = MIN_SLOTS;
    while (capacity * 3 < expectedIds * 4) capacity *= 2;
    this.slots = new Uint32Array(capacity * SLOT_WIDTH).fill(EMPTY_SLOT);
  }

  /** The row where `idNumber` first appeared, or null when this is its first time. */
  see(idNumber: string, rowNo: number): number | null {
    let firstRowNo: number;
    if (this.pack(idNumber)) {
      const at = this.find(this.slots, this.keyHigh, this.keyLow);
      if (this.slots[at] === EMPTY_SLOT) {
        this.slots[at] = this.keyHigh;
        this.slots[at + 1] = this.keyLow;
        this.slots[at + 2] = rowNo;
        if (++this.packed * 4 * SLOT_WIDTH > this.slots.length * 3) this.grow();
        return null;
      }
      firstRowNo = this.slots[at + 2]!;
    } else {
      const known = this.other.get(idNumber);
      if (known === undefined) {
        this.other.set(idNumber, rowNo);
        return null;
      }
      firstRowNo = known;
    }
    const rows = this.repeated.get(idNumber);
    if (rows) rows.push(rowNo);
    else this.repeated.set(idNumber, [firstRowNo, rowNo]);
    return firstRowNo;
  }

  /** Every row number of every ID number seen more than once, in the order seen. */
  duplicates(): Map<string, number[]> {
    return new Map([...this.repeated].map(([idNumber, rows]) => [idNumber, [...rows]]));
  }

  get size(): number {
    return this.packed + this.other.size;
  }

  private pack(idNumber: string): boolean {
    if (idNumber.length !== 18) return false;
    let high = 0;
    let low = 0;
    for (let i = 0; i < 17; i++) {
      const digit = idNumber.charCodeAt(i) - 0x30;
      if (digit < 0 || digit > 9) return false;
      if (i < 9) high = high * 10 + digit;
      else low = low * 10 + digit;
    }
    const last = idNumber.charCodeAt(17);
    const check = last === 0x58 ? 10 : last - 0x30;
    if (check < 0 || check > 10) return false;
    this.keyHigh = high;
    this.keyLow = low * 11 + check;
    return true;
  }

  /** Where this key is, or the empty slot where it belongs (linear probing); an index into `slots`. */
  private find(slots: Uint32Array, high: number, low: number): number {
    const mask = slots.length / SLOT_WIDTH - 1;
    let hash = Math.imul(high ^ Math.imul(low, 0x9e3779b1), 0x85ebca6b);
    hash ^= hash >>> 15;
    let slot = hash & mask;
    for (;;) {
      const at = slot * SLOT_WIDTH;
      const stored = slots[at]!;
      if (stored === EMPTY_SLOT || (stored === high && slots[at + 1] === low)) return at;
      slot = (slot + 1) & mask;
    }
  }

  private grow(): void {
    const old = this.slots;
    const slots = new Uint32Array(old.length * 2).fill(EMPTY_SLOT);
    for (let at = 0; at < old.length; at += SLOT_WIDTH) {
      if (old[at] === EMPTY_SLOT) continue;
      const to = this.find(slots, old[at]!, old[at + 1]!);
      slots[to] = old[at]!;
      slots[to + 1] = old[at + 1]!;
      slots[to + 2] = old[at + 2]!;
    }
    this.slots = slots;
  }
}

/**
 * Mainland China motor-vehicle plate numbers (号牌号码, GA 36-2018 and its amendments), as the
 * gate's vehicle lane takes them: normalised, checked and sorted into a kind, or refused with
 * what is wrong. Pure functions, no dependencies: the core refuses with them, the renderer checks
 * while the gate keeper types, and HQ may import them too.
 *
 * - **Standard** (普通号牌, 7 characters): a province's abbreviation, the issuing office's letter
 *   (A–Z without I and O), then 5 letters or digits (letters without I and O): 京A12345, 沪AB123C.
 * - **New energy** (新能源号牌, 8 characters, 6 after the office letter):
 *   small vehicles: the first is D, A, B, C or E (battery electric) or F, G, H, J or K (other new
 *   energy: plug-in hybrid, fuel cell; D and F first, the others added as D and F ran out), the
 *   second a letter or a digit, the last 4 digits: 粤B·D12345, 沪A·F12345, 京A·DA1234;
 *   large vehicles: 5 digits, then D or F: 粤B·12345D.
 * - **Other**: 4 letters or digits and a suffix (挂 trailer, 学 driving school, 警 police, 港 / 澳
 *   Hong Kong / Macao cross-border, 领 consulate, 试 test, 超 oversize, 应急 emergency); embassy
 *   plates (使 and 6 digits); armed police (WJ …) and military plates (two letters, 5 digits).
 *
 * Typed as people type them: upper case, full-width letters and digits made half-width, spaces,
 * the middle dot (粤B·D12345) and dashes dropped.
 */

/** The provinces' abbreviations as plates carry them. */
export const PLATE_PROVINCES = '京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼';
/** Letters a plate uses: A–Z without I and O (they read as 1 and 0). */
const LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const SERIAL = `[${LETTERS}0-9]`;
const PROVINCE = `[${PLATE_PROVINCES}]`;
const OFFICE = `[${LETTERS}]`;
/** Suffixes of 4-character serials (挂, 学, 警, 港, 澳, 领, 试, 超) and 应急. */
const SUFFIXES = '挂学警港澳领试超';

export const PLATE_KINDS = ['standard', 'newEnergy', 'other'] as const;
export type PlateKind = (typeof PLATE_KINDS)[number];

/**
 * What is wrong with a plate; the renderer words each (gateVehicles.json `plate.<problem>`):
 * `empty`, `tooLong` (more than 10 characters), `characters` (characters no plate has),
 * `province` (not a province's abbreviation first), `office` (the second is not a letter, or it is
 * I or O), `letterIO` (I or O in the serial), `length` (not 5 serial characters, nor 6 of a new-energy
 * plate), `newEnergy` (8 characters, but not D/A/B/C/E/F/G/H/J/K + letter or digit + 4 digits, nor 5 digits + D/F).
 */
export const PLATE_PROBLEMS = ['empty', 'tooLong', 'characters', 'province', 'office', 'letterIO', 'length', 'newEnergy'] as const;
export type PlateProblem = (typeof PLATE_PROBLEMS)[number];

export type PlateCheck =
  /** `plate` as it is kept (粤BD12345); `display` as it is shown, the dot after the office letter (粤B·D12345). */
  | { ok: true; plate: string; kind: PlateKind; display: string }
  | { ok: false; problem: PlateProblem; plate: string };

/** The longest plate: a province, a letter, 6 serial characters, and a two-character suffix at most. */
export const PLATE_MAX_LENGTH = 10;

const STANDARD = new RegExp(`^${PROVINCE}${OFFICE}${SERIAL}{5}$`, 'u');
const NEW_ENERGY_SMALL = new RegExp(`^${PROVINCE}${OFFICE}[DABCEFGHJK]${SERIAL}\\d{4}$`, 'u');
const NEW_ENERGY_LARGE = new RegExp(`^${PROVINCE}${OFFICE}\\d{5}[DF]$`, 'u');
const WITH_SUFFIX = new RegExp(`^${PROVINCE}${OFFICE}${SERIAL}{4}(?:[${SUFFIXES}]|应急)$`, 'u');
const EMBASSY = /^使\d{6}$/u;
const ARMED_POLICE = new RegExp(`^WJ(?:${PROVINCE}|\\d{2})?[0-9A-Z]{4}[0-9A-Z消边通森金警电]$`, 'u');
const MILITARY = /^[VKHBSLJNGCEZ][A-Z]\d{5}$/u;
/** Everything a plate may hold, whatever its kind. */
const PLATE_CHARACTERS = new RegExp(`^[${PLATE_PROVINCES}A-Z0-9${SUFFIXES}应急使消边通森金电]+$`, 'u');

/** Upper case, half-width, without spaces, dots or dashes. */
export function normalizePlate(text: string): string {
  return text
    .normalize('NFKC')
    .toUpperCase()
    .replace(/[\s·•・‧∙⋅.\-_—–]/gu, '');
}

/** A plate as typed or scanned: normalised and checked. */
export function checkPlate(text: string): PlateCheck {
  const plate = normalizePlate(text);
  const refuse = (problem: PlateProblem): PlateCheck => ({ ok: false, problem, plate });
  if (plate.length === 0) return refuse('empty');
  if ([...plate].length > PLATE_MAX_LENGTH) return refuse('tooLong');
  if (!PLATE_CHARACTERS.test(plate)) return refuse('characters');
  if (EMBASSY.test(plate) || ARMED_POLICE.test(plate) || MILITARY.test(plate)) return { ok: true, plate, kind: 'other', display: plate };
  const [province = '', office] = [...plate];
  if (!PLATE_PROVINCES.includes(province)) return refuse('province');
  if (office === undefined) return refuse('length');
  if (!LETTERS.includes(office)) return refuse('office');
  const display = `${province}${office}·${plate.slice(2)}`;
  if (STANDARD.test(plate)) return { ok: true, plate, kind: 'standard', display };
  if (NEW_ENERGY_SMALL.test(plate) || NEW_ENERGY_LARGE.test(plate)) return { ok: true, plate, kind: 'newEnergy', display };
  if (WITH_SUFFIX.test(plate)) return { ok: true, plate, kind: 'other', display };
  // Province and office letter are one UTF-16 unit each.
  const serial = plate.slice(2);
  if (/[IO]/.test(serial)) return refuse('letterIO');
  const body = serial.replace(/(?:[挂学警港澳领试超]|应急)$/u, '');
  if (!/^[A-Z0-9]*$/.test(body)) return refuse('characters');
  if (body === serial && serial.length === 6) return refuse('newEnergy');
  return refuse('length');
}

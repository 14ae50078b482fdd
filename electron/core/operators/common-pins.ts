/**
 * Six-digit PINs people choose most, refused on top of the rules in `pin.ts` (repeats, straight
 * sequences, repeated blocks, doubled digits), which already catch most of them.
 *
 * Where they come from:
 * - the ten most common 6-digit PINs reported by Markert, Bailey, Golla, Dürmuth and Aviv, "This
 *   PIN Can Be Easily Guessed: Analyzing the Security of Smartphone Unlock PINs", IEEE Symposium
 *   on Security and Privacy 2020: 000000, 111111, 112233, 121212, 123123, 123456, 159753, 654321,
 *   666666, 789456 (the rules catch all but 159753 and 789456, listed here);
 * - members of the families that paper and Wang, Gu, Huang and Wang, "Understanding Human-Chosen
 *   PINs: Characteristics, Distribution and Security" (ACM AsiaCCS 2017, on Chinese users' PINs)
 *   describe as frequent and the rules do not catch: lines and diagonals on the keypad, "love"
 *   numbers (520, 1314), lucky numbers, mirrored halves, counting patterns. These members were
 *   chosen by hand from those families, not copied from a published list (none ships with a
 *   package this project may use).
 */
export const COMMON_PINS: ReadonlySet<string> = new Set([
  '159753',
  '789456',
  '147258',
  '258369',
  '369258',
  '147369',
  '159357',
  '357159',
  '951753',
  '753951',
  '852456',
  '456852',
  '258456',
  '741852',
  '852963',
  '963852',
  '321654',
  '456789',
  '987456',
  '123654',
  '147852',
  '520131',
  '131452',
  '201314',
  '521314',
  '314520',
  '123321',
  '456654',
  '654456',
  '112358',
  '110110',
  '119119',
  '120120',
  '111222',
  '222333',
  '123789',
  '789123',
  '102030',
  '100200',
  '135790',
  '246810',
  '135246',
  '111000',
  '000111',
  '123000',
  '000123',
  '199010',
  '168168',
  '518518',
]);

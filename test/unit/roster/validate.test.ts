import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { residentTupleSchema } from '../../../hq/protocol';
import { resolveColumns } from '../../../electron/core/roster/fields';
import { tagsToBits } from '../../../electron/core/roster/file';
import {
  compileHouseholdRules,
  DEFAULT_HOUSEHOLD_RULES,
  duplicateProblem,
  DuplicateTracker,
  householdRulesSchema,
  normalizeBuilding,
  normalizePhone,
  normalizeRoom,
  normalizeUnit,
  validateRow,
  type RowCheck,
  type RowProblem,
} from '../../../electron/core/roster/validate';
import { idNumber, readAll, writeTemp } from './fixtures';

const HEADERS = ['姓名', '身份证号', '手机号', '楼栋', '单元', '房号', '标签'];
const PLAN = resolveColumns(HEADERS, {});
const RULES = compileHouseholdRules(DEFAULT_HOUSEHOLD_RULES);
const ID = idNumber(7);
const GOOD = ['张三', ID, '13800138000', '3', '2', '502', ''];

function withCell(field: number, value: string): string[] {
  const cells = [...GOOD];
  cells[field] = value;
  return cells;
}

function problems(check: RowCheck): RowProblem[] {
  return check.ok ? [] : check.problems;
}

describe('roster row validation', () => {
  it('turns a good row into a resident', () => {
    expect(validateRow(GOOD, PLAN, RULES)).toEqual({
      ok: true,
      resident: { name: '张三', idNumber: ID, phone: '13800138000', building: '3', unit: '2', room: '502', tags: [] },
      warnings: [],
    });
  });

  it('produces every problem code from a row that has it', () => {
    const cases: [string[], RowProblem][] = [
      [withCell(0, ''), { code: 'name.missing' }],
      [withCell(0, '张'.repeat(51)), { code: 'name.tooLong', value: `${'张'.repeat(10)}…` }],
      [withCell(1, ''), { code: 'id.missing' }],
      [withCell(1, '1101051949123100'), { code: 'id.malformed', value: '110105******3100' }],
      [withCell(1, '110105194912310021'), { code: 'id.checkFailed', value: '110105********0021' }],
      [withCell(2, '1380013800'), { code: 'phone.malformed', value: '13******00' }],
      [withCell(5, ''), { code: 'household.missing', value: 'room' }],
      [withCell(3, 'A座'), { code: 'building.malformed', value: 'A' }],
      [withCell(4, '123'), { code: 'unit.malformed', value: '123' }],
      [withCell(5, '5'), { code: 'room.malformed', value: '5' }],
    ];
    for (const [cells, problem] of cases) expect(validateRow(cells, PLAN, RULES)).toEqual({ ok: false, problems: [problem] });
    expect(duplicateProblem(12)).toEqual({ code: 'row.duplicate', value: '12' });
  });

  it('reports all of a row’s problems at once', () => {
    const check = validateRow(['', '12345', 'abc', '', '', '', '低保户'], PLAN, RULES);
    expect(problems(check).map((p) => p.code)).toEqual(['name.missing', 'id.malformed', 'phone.malformed', 'household.missing', 'tag.unknown']);
    expect(problems(check).find((p) => p.code === 'household.missing')!.value).toBe('building,unit,room');
  });

  it('imports a row whose only problem is an unknown tag, and warns about the word', () => {
    const check = validateRow(withCell(6, '老人、低保户'), PLAN, RULES);
    expect(check).toMatchObject({ ok: true, resident: { tags: ['elderly'] }, warnings: [{ code: 'tag.unknown', value: '低保户' }] });
  });

  it('never puts a whole ID number or phone in a problem', () => {
    const badIds = ['110105194912310021', '11010519491231002', `${ID}0`, ` ${ID.slice(0, 17)}Y `];
    for (const bad of badIds) {
      const value = problems(validateRow(withCell(1, bad), PLAN, RULES))[0]!.value!;
      expect(value).toContain('*');
      expect(value).not.toContain(bad.trim().slice(6, 14));
    }
    const longJunk = '1'.repeat(200);
    expect(problems(validateRow(withCell(1, longJunk), PLAN, RULES))[0]!.value!.length).toBeLessThanOrEqual(25);
    const phone = problems(validateRow(withCell(2, '1380013800099'), PLAN, RULES))[0]!;
    expect(phone.code).toBe('phone.malformed');
    expect(phone.value).not.toContain('1380013800099');
  });

  it('normalises ID numbers: spaces, full-width digits, lower-case x, a typed apostrophe', () => {
    const withX = '11010519491231002X';
    for (const cell of ['11010519491231002x', ' 110105 19491231 002X ', '１１０１０５１９４９１２３１００２Ｘ', "'11010519491231002X"]) {
      expect(validateRow(withCell(1, cell), PLAN, RULES)).toMatchObject({ ok: true, resident: { idNumber: withX } });
    }
  });

  it('accepts mobiles and landlines in the forms people write them, and no phone at all', () => {
    const accepted: [string, string | null][] = [
      ['138 0013 8000', '13800138000'],
      ['138-0013-8000', '13800138000'],
      ['+86 138 0013 8000', '13800138000'],
      ['8613800138000', '13800138000'],
      ['0086-13800138000', '13800138000'],
      ['010-12345678', '01012345678'],
      ['(0755)12345678', '075512345678'],
      ['１３８００１３８０００', '13800138000'],
      ['', null],
      ['  ', null],
    ];
    for (const [cell, phone] of accepted) expect([cell, validateRow(withCell(2, cell), PLAN, RULES)]).toMatchObject([cell, { ok: true, resident: { phone } }]);
    for (const cell of ['12800138000', '1380013800', '23800138000', '138001380001', '12345678', 'n/a']) {
      expect([cell, problems(validateRow(withCell(2, cell), PLAN, RULES)).map((p) => p.code)]).toEqual([cell, ['phone.malformed']]);
    }
    expect(normalizePhone('+86 138 0013 8000')).toBe('13800138000');
  });

  it('normalises household parts before the rules see them', () => {
    const buildings: [string, string][] = [['3号楼', '3'], ['3栋', '3'], ['3幢', '3'], ['3号', '3'], ['第3栋', '3'], ['３号楼', '3'], ['12a', '12A'], ['3#楼', '3'], ['03', '3'], [' 5 ', '5']];
    for (const [raw, normal] of buildings) expect([raw, normalizeBuilding(raw)]).toEqual([raw, normal]);
    const units: [string, string][] = [['2单元', '2'], ['二单元', '2'], ['十单元', '10'], ['第2单元', '2'], ['02', '2'], ['２', '2']];
    for (const [raw, normal] of units) expect([raw, normalizeUnit(raw)]).toEqual([raw, normal]);
    const rooms: [string, string][] = [['502室', '502'], ['502号', '502'], ['502房', '502'], ['１５０２', '1502'], ['0502', '0502']];
    for (const [raw, normal] of rooms) expect([raw, normalizeRoom(raw)]).toEqual([raw, normal]);
    const check = validateRow(['张三', ID, '', '第12栋', '一单元', '1502室', ''], PLAN, RULES);
    expect(check).toMatchObject({ ok: true, resident: { building: '12', unit: '1', room: '1502' } });
  });

  it('collapses whitespace in names and counts their length as HQ does, in UTF-16 units', () => {
    expect(validateRow(withCell(0, ' 阿卜杜 \t 热合曼 '), PLAN, RULES)).toMatchObject({ ok: true, resident: { name: '阿卜杜 热合曼' } });
    // A rare character (outside the BMP) is two units to HQ: 25 of them fit, 26 do not.
    expect(validateRow(withCell(0, '𠀀'.repeat(25)), PLAN, RULES).ok).toBe(true);
    expect(problems(validateRow(withCell(0, '𠀀'.repeat(26)), PLAN, RULES)).map((p) => p.code)).toEqual(['name.tooLong']);
    expect(validateRow(withCell(0, '张'.repeat(50)), PLAN, RULES).ok).toBe(true);
    expect(problems(validateRow(withCell(0, `张\u0000三`), PLAN, RULES))).toEqual([{ code: 'name.malformed', value: '张\ufffd三' }]);
  });

  it('refuses a building, unit or room longer than HQ takes, whatever the site’s pattern allows', () => {
    const loose = compileHouseholdRules({ building: '^.+$', unit: '^.+$', room: '^.+$' });
    expect(validateRow(['张三', ID, '', 'A'.repeat(20), '东区一单元', '1'.repeat(20), ''], PLAN, loose).ok).toBe(true);
    const long = validateRow(['张三', ID, '', 'A'.repeat(21), 'U'.repeat(21), '1'.repeat(21), ''], PLAN, loose);
    expect(problems(long).map((p) => p.code)).toEqual(['building.tooLong', 'unit.tooLong', 'room.tooLong']);
    expect(problems(validateRow(['张三', ID, '', 'A\u0000', '1', '101', ''], PLAN, loose)).map((p) => p.code)).toEqual(['building.malformed']);
  });

  it('takes no row HQ would refuse (property, against HQ’s own schema)', () => {
    const loose = compileHouseholdRules({ building: '^.+$', unit: '^.+$', room: '^.+$' });
    const cell = fc.oneof(fc.string({ maxLength: 60, size: 'max' }), fc.string({ unit: 'grapheme', maxLength: 60, size: 'max' }), fc.string({ unit: 'binary', maxLength: 60, size: 'max' }));
    fc.assert(
      fc.property(cell, fc.constantFrom(ID, ` ${ID.toLowerCase()} `, '1234'), fc.oneof(fc.constant(''), fc.constant('+86 138 0013 8000'), cell), cell, cell, cell, cell, (name, id, phone, building, unit, room, tags) => {
        const check = validateRow([name, id, phone, building, unit, room, tags], PLAN, loose);
        if (!check.ok) return;
        const r = check.resident;
        const tuple = [r.idNumber, r.name, r.phone, r.building, r.unit, r.room, tagsToBits(r.tags)];
        expect(residentTupleSchema.safeParse(tuple).success).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('requires the household parts the file has columns for, and none when it has none', () => {
    const noHouseholds = resolveColumns(['姓名', '身份证号'], {});
    expect(validateRow(['张三', ID], noHouseholds, RULES)).toMatchObject({ ok: true, resident: { building: '', unit: '', room: '' } });
    const noUnits = resolveColumns(['姓名', '身份证号', '楼栋', '房号'], {});
    expect(validateRow(['张三', ID, '7', '101'], noUnits, RULES)).toMatchObject({ ok: true, resident: { building: '7', unit: '', room: '101' } });
    expect(validateRow(['张三', ID, '7', ''], noUnits, RULES)).toEqual({ ok: false, problems: [{ code: 'household.missing', value: 'room' }] });
  });

  it('reads the first of two columns for one field and tolerates short rows', () => {
    const plan = resolveColumns(['姓名', '身份证号', '手机号', '联系电话'], {});
    expect(validateRow(['张三', ID, '13800138000', 'junk'], plan, RULES)).toMatchObject({ ok: true, resident: { phone: '13800138000' } });
    expect(validateRow(['张三', ID], plan, RULES)).toMatchObject({ ok: true, resident: { phone: null } });
  });

  it('applies a site’s own household rules', () => {
    const villas = compileHouseholdRules({ building: '^[A-Z]$', unit: '^\\d$', room: '^[A-Z]?\\d{3}$' });
    expect(validateRow(['张三', ID, '', 'a座', '1', 'b201', ''], PLAN, villas)).toMatchObject({ ok: true, resident: { building: 'A', room: 'B201' } });
    expect(problems(validateRow(GOOD, PLAN, villas)).map((p) => p.code)).toEqual(['building.malformed']);
  });

  it('refuses household rules that do not compile or are not anchored', () => {
    expect(householdRulesSchema.safeParse(DEFAULT_HOUSEHOLD_RULES).success).toBe(true);
    expect(householdRulesSchema.safeParse({ ...DEFAULT_HOUSEHOLD_RULES, room: '\\d{3,4}' }).success).toBe(false);
    expect(householdRulesSchema.safeParse({ ...DEFAULT_HOUSEHOLD_RULES, room: '^(\\d$' }).success).toBe(false);
    expect(() => compileHouseholdRules({ ...DEFAULT_HOUSEHOLD_RULES, unit: '^[0-9$' })).toThrow();
  });
});

describe('duplicate ID numbers in one file', () => {
  it('answers with the first row and reports every row of every repeated ID', () => {
    const tracker = new DuplicateTracker();
    const [a, b, c] = [idNumber(1), '11010519491231002X', idNumber(3)];
    expect(tracker.see(a, 2)).toBeNull();
    expect(tracker.see(b, 3)).toBeNull();
    expect(tracker.see(a, 5)).toBe(2);
    expect(tracker.see(c, 6)).toBeNull();
    expect(tracker.see(a, 9)).toBe(2);
    expect(tracker.see(b, 10)).toBe(3);
    expect(tracker.duplicates()).toEqual(
      new Map([
        [a, [2, 5, 9]],
        [b, [3, 10]],
      ]),
    );
    expect(tracker.size).toBe(3);
  });

  it('tells apart IDs that differ only in the check character or in one digit, and takes other strings too', () => {
    const tracker = new DuplicateTracker();
    const base = '11010519491231002';
    for (const [i, last] of ['0', '1', '9', 'X'].entries()) expect(tracker.see(base + last, i + 1)).toBeNull();
    expect(tracker.see('21010519491231002X', 5)).toBeNull();
    expect(tracker.see('11010519491231003X', 6)).toBeNull();
    expect(tracker.see('1.10105E+17', 7)).toBeNull();
    expect(tracker.see('11010519491231002x', 8)).toBeNull();
    expect(tracker.see('1.10105E+17', 9)).toBe(7);
    expect(tracker.see(`${base}X`, 10)).toBe(4);
    expect(tracker.size).toBe(8);
    expect([...tracker.duplicates().keys()]).toEqual(['1.10105E+17', `${base}X`]);
  });

  it('agrees with a plain Map over many IDs, through the table growing', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 5000 }), fc.constantFrom('', 'n/a', '123')), { maxLength: 3000 }), fc.nat(4000), (picks, expected) => {
        const tracker = new DuplicateTracker(expected);
        const model = new Map<string, number[]>();
        picks.forEach((pick, i) => {
          const id = typeof pick === 'number' ? `110105${String(pick * 7919).padStart(11, '0')}${'0123456789X'[pick % 11]}` : pick;
          const rowNo = i + 2;
          const rows = model.get(id);
          expect(tracker.see(id, rowNo)).toBe(rows ? rows[0] : null);
          if (rows) rows.push(rowNo);
          else model.set(id, [rowNo]);
        });
        expect(tracker.size).toBe(model.size);
        expect(tracker.duplicates()).toEqual(new Map([...model].filter(([, rows]) => rows.length > 1)));
      }),
      { numRuns: 60 },
    );
  });

  it('marks later rows of a repeated ID number as row.duplicate, also when it is written differently', async () => {
    const withX = '11010519491231002X';
    const lines = [HEADERS.join(','), `张三,${withX},,3,2,502,`, `李四,${idNumber(2)},,3,2,501,`, `张三,11010519491231002x,,3,2,502,`, '', `张 三,"110105 19491231 002X",,3,2,502,`];
    const { file, rows } = await readAll(writeTemp('dups.csv', lines.join('\r\n')));
    const plan = resolveColumns(file.header.cells, {});
    const tracker = new DuplicateTracker();
    const report = rows.map((row) => {
      const check = validateRow(row.cells, plan, RULES);
      if (!check.ok) return [row.rowNo, check.problems];
      const first = tracker.see(check.resident.idNumber, row.rowNo);
      return [row.rowNo, first === null ? [] : [duplicateProblem(first)]];
    });
    expect(report).toEqual([
      [2, []],
      [3, []],
      [4, [{ code: 'row.duplicate', value: '2' }]],
      [6, [{ code: 'row.duplicate', value: '2' }]],
    ]);
    expect(tracker.duplicates()).toEqual(new Map([[withX, [2, 4, 6]]]));
  });

  it('hands out a copy of its lists', () => {
    const tracker = new DuplicateTracker();
    tracker.see('A', 2);
    tracker.see('A', 3);
    tracker.duplicates().get('A')!.push(99);
    expect(tracker.duplicates().get('A')).toEqual([2, 3]);
  });
});

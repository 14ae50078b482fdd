import { describe, expect, it } from 'vitest';
import { headerMappingSchema, parseTags, recognizeHeader, resolveColumns } from '../../../electron/core/roster/fields';

describe('roster headers', () => {
  it('recognises the Chinese headers real ledgers use', () => {
    const cases: [string, string][] = [
      ['姓名', 'name'],
      ['名字', 'name'],
      ['身份证号', 'idNumber'],
      ['身份证号码', 'idNumber'],
      ['身份证', 'idNumber'],
      ['证件号码', 'idNumber'],
      ['公民身份号码', 'idNumber'],
      ['手机号', 'phone'],
      ['手机号码', 'phone'],
      ['联系电话', 'phone'],
      ['电话', 'phone'],
      ['楼栋', 'building'],
      ['楼号', 'building'],
      ['栋', 'building'],
      ['幢', 'building'],
      ['单元', 'unit'],
      ['单元号', 'unit'],
      ['房号', 'room'],
      ['房间号', 'room'],
      ['门牌号', 'room'],
      ['室', 'room'],
      ['户号', 'room'],
      ['标签', 'tags'],
      ['人员类别', 'tags'],
      ['类别', 'tags'],
    ];
    for (const [header, field] of cases) expect([header, recognizeHeader(header)]).toEqual([header, field]);
  });

  it('recognises English headers in any case and spelling of the separator', () => {
    expect(recognizeHeader('Name')).toBe('name');
    expect(recognizeHeader('ID')).toBe('idNumber');
    expect(recognizeHeader('idNumber')).toBe('idNumber');
    expect(recognizeHeader('ID Number')).toBe('idNumber');
    expect(recognizeHeader('id_number')).toBe('idNumber');
    expect(recognizeHeader('PHONE')).toBe('phone');
    expect(recognizeHeader('Building')).toBe('building');
    expect(recognizeHeader('unit')).toBe('unit');
    expect(recognizeHeader('Room')).toBe('room');
    expect(recognizeHeader('tags')).toBe('tags');
  });

  it('sees through spaces, BOMs, zero-width characters, full-width brackets and template annotations', () => {
    expect(recognizeHeader('\ufeff姓名')).toBe('name');
    expect(recognizeHeader(' 身 份 证 号 ')).toBe('idNumber');
    expect(recognizeHeader('房\u200b号')).toBe('room');
    expect(recognizeHeader('手机号码（选填）')).toBe('phone');
    expect(recognizeHeader('身份证号(必填)')).toBe('idNumber');
    expect(recognizeHeader('姓名*')).toBe('name');
    expect(recognizeHeader('楼栋【必填】')).toBe('building');
    expect(recognizeHeader('\u3000单元\u3000')).toBe('unit');
  });

  it('matches whole headers only: 房号 is a room, not a building, and near misses stay unknown', () => {
    expect(recognizeHeader('房号')).toBe('room');
    expect(recognizeHeader('楼')).toBe('building');
    expect(recognizeHeader('紧急联系人电话')).toBeNull();
    expect(recognizeHeader('户主身份证号')).toBeNull();
    expect(recognizeHeader('备注')).toBeNull();
    expect(recognizeHeader('')).toBeNull();
  });
});

describe('roster tags', () => {
  it('splits on the separators people type and maps the words', () => {
    expect(parseTags('独居老人、行动不便')).toEqual({ tags: ['elderly', 'bedridden'], unknown: [] });
    expect(parseTags('老人,居家隔离；重点人员')).toEqual({ tags: ['elderly', 'isolation', 'keyPerson'], unknown: [] });
    expect(parseTags('高龄/卧床 居家观察')).toEqual({ tags: ['elderly', 'bedridden', 'isolation'], unknown: [] });
    expect(parseTags('Elderly;KEYPERSON,isolation，bedridden')).toEqual({ tags: ['elderly', 'keyPerson', 'isolation', 'bedridden'], unknown: [] });
  });

  it('keeps each tag once and returns the words it does not know', () => {
    expect(parseTags('老人、高龄、低保户、老年人')).toEqual({ tags: ['elderly'], unknown: ['低保户'] });
    expect(parseTags('  ')).toEqual({ tags: [], unknown: [] });
    expect(parseTags('')).toEqual({ tags: [], unknown: [] });
  });
});

describe('column plan', () => {
  it('maps recognised headers and reports the ones it does not know', () => {
    const plan = resolveColumns(['序号', '姓名', '身份证号码', '手机', '楼栋', '单元', '房号', '备注'], {});
    expect(plan.columns).toEqual([null, 'name', 'idNumber', 'phone', 'building', 'unit', 'room', null]);
    expect(plan.unmapped).toEqual([
      { index: 0, header: '序号' },
      { index: 7, header: '备注' },
    ]);
    expect(plan.missingRequired).toEqual([]);
    expect(plan.duplicated).toEqual([]);
  });

  it('applies a saved mapping, which also wins over recognition, and skips ignored columns silently', () => {
    const saved = { 户主电话: 'phone', 电话: 'ignore', 序号: 'ignore', 人员情况: 'tags' } as const;
    const plan = resolveColumns([' 序号 ', '姓名', '身份证', '电话', '户主电话', '人员情况'], saved);
    expect(plan.columns).toEqual([null, 'name', 'idNumber', null, 'phone', 'tags']);
    expect(plan.unmapped).toEqual([]);
  });

  it('does not take prototype keys for saved mappings', () => {
    const plan = resolveColumns(['姓名', '身份证号', 'constructor', 'toString'], {});
    expect(plan.columns).toEqual(['name', 'idNumber', null, null]);
    expect(plan.unmapped.map((u) => u.header)).toEqual(['constructor', 'toString']);
  });

  it('reports missing required fields; household columns are optional', () => {
    expect(resolveColumns(['姓名', '手机号'], {}).missingRequired).toEqual(['idNumber']);
    expect(resolveColumns(['楼栋', '房号'], {}).missingRequired).toEqual(['name', 'idNumber']);
    expect(resolveColumns(['姓名', '身份证号'], {}).missingRequired).toEqual([]);
  });

  it('reports two columns for one field, with both headers', () => {
    const plan = resolveColumns(['姓名', '身份证号', '手机号', '联系电话', '证件号码'], {});
    expect(plan.duplicated).toEqual([
      { field: 'idNumber', headers: ['身份证号', '证件号码'] },
      { field: 'phone', headers: ['手机号', '联系电话'] },
    ]);
  });

  it('skips header-less columns without asking about them', () => {
    const plan = resolveColumns(['姓名', '', '身份证号', '  '], {});
    expect(plan.columns).toEqual(['name', null, 'idNumber', null]);
    expect(plan.unmapped).toEqual([]);
  });

  it('validates a saved mapping that comes from outside', () => {
    expect(headerMappingSchema.safeParse({ 户主电话: 'phone', 序号: 'ignore' }).success).toBe(true);
    expect(headerMappingSchema.safeParse({ 户主电话: 'mobile' }).success).toBe(false);
  });
});

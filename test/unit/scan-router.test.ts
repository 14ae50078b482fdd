import { describe, expect, it } from 'vitest';
import { ScanRouter } from '../../electron/core/scan/router';
import { DEMO_SITE_CONFIG, parseSiteConfig, type SiteConfig } from '../../electron/core/site/config';

const router = new ScanRouter(DEMO_SITE_CONFIG);
const ID = '11010519491231002X';

function person(text: string) {
  const r = router.classify(text);
  if (!r.ok || r.scan.kind !== 'person') throw new Error(`not a person: ${JSON.stringify(r)}`);
  return r.scan;
}

describe('scan router', () => {
  it('classifies tube, box and badge codes by the site patterns', () => {
    expect(router.classify('SY0000000001')).toEqual({ ok: true, scan: { kind: 'tube', code: 'SY0000000001' } });
    expect(router.classify('BX00000001\r\n')).toEqual({ ok: true, scan: { kind: 'box', code: 'BX00000001' } });
    expect(router.classify('OP0001')).toEqual({ ok: true, scan: { kind: 'badge', code: 'OP0001' } });
  });

  it('reads a plain ID number, and refuses one with a wrong check character', () => {
    expect(person(ID)).toMatchObject({ format: 'id18', person: { idNumber: ID, name: null } });
    expect(person('11010519491231002x').person.idNumber).toBe(ID);
    expect(router.classify('110105194912310021')).toEqual({ ok: false, error: { code: 'scan.idCheckFailed', params: { masked: '110105********0021' } } });
  });

  it('reads JSON pre-registration codes with the configured field names', () => {
    expect(person(JSON.stringify({ name: '张三', idCard: ID, phone: '13800138000' })).person).toEqual({
      idNumber: ID,
      regCode: null,
      name: '张三',
      phone: '13800138000',
    });
    expect(person('{"code":"REG-778812","xm":"李四"}').person).toMatchObject({ regCode: 'REG-778812', name: '李四', idNumber: null });
    expect(router.classify('{"name":"王五"}')).toEqual({ ok: false, error: { code: 'scan.personWithoutIdentity' } });
  });

  it('reads URL codes, including parameters after a hash route', () => {
    expect(person(`https://hsjc.example.gov.cn/reg?code=A1B2C3&name=%E5%BC%A0%E4%B8%89`).person).toMatchObject({ regCode: 'A1B2C3', name: '张三' });
    expect(person(`https://app.example.cn/#/pre?idNo=${ID}`).person.idNumber).toBe(ID);
    const config: SiteConfig = { ...DEMO_SITE_CONFIG, personParsers: [{ kind: 'url', hosts: ['ok.example.cn'], fields: { idNumber: ['id'], regCode: ['code'], name: ['name'], phone: ['tel'] } }] };
    const strict = new ScanRouter(config);
    expect(strict.classify('https://evil.example.com/?code=1').ok).toBe(false);
    expect(strict.classify('https://ok.example.cn/?code=1').ok).toBe(true);
  });

  it('reads vCards with Chinese structured names and the ID in a note', () => {
    const card = ['BEGIN:VCARD', 'VERSION:3.0', 'N:张;三;;;', 'TEL;TYPE=CELL:138-0013-8000', `NOTE:身份证 ${ID}`, 'END:VCARD'].join('\r\n');
    expect(person(card)).toMatchObject({ format: 'vcard', person: { name: '张三', phone: '13800138000', idNumber: ID } });
    const folded = 'BEGIN:VCARD\nFN:Li\n Si\nX-REG-CODE:R9\nEND:VCARD';
    expect(person(folded).person).toMatchObject({ name: 'LiSi', regCode: 'R9' });
  });

  it('rejects anything else with what was scanned and why', () => {
    expect(router.classify('hello world')).toEqual({ ok: false, error: { code: 'scan.unrecognized', params: { preview: 'hello world', length: 11 } } });
    expect(router.classify('   ')).toEqual({ ok: false, error: { code: 'scan.empty' } });
    expect(router.classify('SY12\u0007')).toMatchObject({ ok: false, error: { code: 'scan.controlCharacters' } });
    expect(router.classify('x'.repeat(5000))).toMatchObject({ ok: false, error: { code: 'scan.tooLong' } });
    expect(router.classify('SY000000000')).toMatchObject({ ok: false, error: { code: 'scan.unrecognized' } });
    // long digit runs are masked in the message
    const r = router.classify('1234567890123456');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(String(r.error.params?.preview)).toContain('*');
  });

  it('refuses a site configuration whose patterns do not compile or do not fit the generator', () => {
    expect(() => parseSiteConfig({ ...DEMO_SITE_CONFIG, tube: { pattern: '^SY[$', generate: { prefix: 'SY', digits: 10 } } })).toThrow();
    expect(() => parseSiteConfig({ ...DEMO_SITE_CONFIG, tube: { pattern: '^GZ\\d{10}$', generate: { prefix: 'SY', digits: 10 } } })).toThrow(/generate/);
    expect(parseSiteConfig(DEMO_SITE_CONFIG)).toEqual(DEMO_SITE_CONFIG);
  });

  it('refuses a pattern that would take exponential time on a long scan, at the box, the badge and the household too', () => {
    // `(\d+)+` against 30 digits and a letter runs for minutes: every desk of the site would freeze on one scan.
    const slow = '^(SY|S)?(\\d+)+$';
    expect(() => parseSiteConfig({ ...DEMO_SITE_CONFIG, tube: { pattern: slow, generate: { prefix: 'SY', digits: 10 } } })).toThrow(/exponential/);
    expect(() => parseSiteConfig({ ...DEMO_SITE_CONFIG, box: { pattern: '^(BX\\d*)*$' } })).toThrow(/exponential/);
    expect(() => parseSiteConfig({ ...DEMO_SITE_CONFIG, operatorBadge: { pattern: '^(OP|\\d+)+$' } })).toThrow(/exponential/);
    expect(() =>
      parseSiteConfig({ ...DEMO_SITE_CONFIG, household: { building: '^(\\d+)+$', unit: '^\\d{1,2}$', room: '^\\d{3,4}$' } }),
    ).toThrow(/exponential/);
    // One level of repetition, an optional group, a class with Chinese characters: kept.
    expect(parseSiteConfig({ ...DEMO_SITE_CONFIG, box: { pattern: '^(?:BX|XB)?\\d{8}(?:-[\\u4e00-\\u9fa5]{1,4})?$' } }).box.pattern).toContain('BX');
  });
});

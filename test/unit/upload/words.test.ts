import i18next from 'i18next';
import { describe, expect, it } from 'vitest';
import zh from '../../../renderer/src/i18n/zh-CN/upload.json';
import en from '../../../renderer/src/i18n/en/upload.json';
import { failureText, rejectionText } from '../../../renderer/src/upload/words';

async function translator(lng: 'zh-CN' | 'en') {
  const i18n = i18next.createInstance();
  await i18n.init({ resources: { 'zh-CN': { upload: zh }, en: { upload: en } }, lng, ns: ['upload'], interpolation: { escapeValue: false }, showSupportNotice: false });
  return i18n.t.bind(i18n) as (k: string | string[], o?: Record<string, unknown>) => string;
}

describe('upload words on screen', () => {
  it('words HQ refusals by HQ code, else by the kind of failure', async () => {
    const t = await translator('zh-CN');
    const at = '2026-11-22T08:00:00.000Z';
    expect(failureText(t, { code: 'upload.hqRefused', hqError: 'station.unknown', at })).toContain('重新接入');
    expect(failureText(t, { code: 'upload.hqRefused', hqError: 'future.code', at })).toBe('总部拒绝了请求（future.code）');
    expect(failureText(t, { code: 'upload.notHq', hqError: null, at })).toContain('不是总部的回复');
    // A revoked desk and a desk over HQ's limits are told what happened, not a code.
    expect(failureText(t, { code: 'upload.hqRefused', hqError: 'station.revoked', at })).toContain('总部已吊销本采样台');
    expect(failureText(t, { code: 'upload.hqBusy', hqError: 'rate.limited', at })).toContain('请求过多');
    expect(failureText(await translator('en'), { code: 'upload.hqRefused', hqError: 'station.revoked', at })).toContain('HQ has revoked this desk');
  });

  it('words each rejected record with its reason, an unknown code by name', async () => {
    const t = await translator('en');
    const row = { seq: 7, kind: 'binding.created', detail: 'x', at: '2026-11-22T08:00:00.000Z' };
    expect(rejectionText(t, { ...row, code: 'record.conflict' })).toBe(
      'Record 7 binding.created: Differs from the record HQ already holds under this number; flagged for HQ to check',
    );
    expect(rejectionText(t, { ...row, code: 'record.someday' })).toBe('Record 7 binding.created: Rejected by HQ (record.someday)');
  });
});

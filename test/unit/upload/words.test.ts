import i18next from 'i18next';
import { describe, expect, it } from 'vitest';
import zh from '../../../renderer/src/i18n/zh-CN/upload.json';
import en from '../../../renderer/src/i18n/en/upload.json';
import type { UploadStatus } from '../../../electron/api/upload';
import { failureText, journalText, rejectionText, trustWarnings } from '../../../renderer/src/upload/words';

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

describe('trust words on screen', () => {
  const at = '2026-11-22T08:00:00.000Z';
  const time = () => '16:00';
  it('words a broken journal chain by where and how, and what to do', async () => {
    const t = await translator('zh-CN');
    expect(journalText(t, null, time)).toBeNull();
    expect(journalText(t, { ok: true, checked: 120, problem: null, at }, time)).toBe('记录链完整：已校验 120 条（16:00）');
    expect(journalText(t, { ok: false, checked: 4, problem: { seq: 5, kind: 'order' }, at }, time)).toBe('本机记录链校验失败：第 5 条顺序被改动，请立即联系技术支持');
  });

  it('lists plain HTTP, refused answers and a broken chain, and nothing when all is well', async () => {
    const t = await translator('en');
    const calm = { insecureTransport: false, refusedAnswers: null, journal: { ok: true, checked: 1, problem: null, at } } as unknown as UploadStatus;
    expect(trustWarnings(t, calm, time)).toEqual([]);
    const alarming = { insecureTransport: true, refusedAnswers: { count: 3, at }, journal: { ok: false, checked: 0, problem: { seq: 1, kind: 'changed' }, at } } as unknown as UploadStatus;
    expect(trustWarnings(t, alarming, time)).toEqual([
      'HQ reached over unencrypted HTTP: what is sent can be read on the way',
      '3 answers in HQ’s name refused: not signed by HQ (last 16:00)',
      'This desk’s record chain does not hold: record 1 was changed. Call technical support now',
    ]);
    expect(failureText(t, { code: 'upload.hqRefused', hqError: 'chain.broken', at })).toContain('record chain does not match');
  });

  it('tells an unknown HQ key (link again if HQ changed it) from a forged key change (call HQ, do not link again), and says when a link must be made again', async () => {
    for (const lang of ['zh-CN', 'en'] as const) {
      const t = await translator(lang);
      const unknown = failureText(t, { code: 'upload.hqKeyUnknown', hqError: null, at });
      const forged = failureText(t, { code: 'upload.hqKeyForged', hqError: null, at });
      expect(unknown).toContain(lang === 'en' ? 're-link code' : '重新接入码');
      expect(forged).toContain(lang === 'en' ? 'pretending to be HQ' : '冒充总部');
      expect(forged).not.toBe(unknown);
      // A revoked desk learns it can be linked again, keeping its records.
      expect(failureText(t, { code: 'upload.hqRefused', hqError: 'station.revoked', at })).toContain(lang === 'en' ? 'records not yet at HQ are kept' : '尚未上传的记录会保留');
    }
    const t = await translator('zh-CN');
    const calm = { insecureTransport: false, refusedAnswers: null, journal: null, relink: null } as unknown as UploadStatus;
    expect(trustWarnings(t, calm, time)).toEqual([]);
    expect(trustWarnings(t, { ...calm, relink: { reason: 'station.revoked', since: at } }, time)).toEqual(['需要重新接入总部（16:00 起）']);
  });
});

import fs from 'node:fs';
import path from 'node:path';
import i18next from 'i18next';
import { describe, expect, it } from 'vitest';
import type { BoxReceiptView, BoxSummary } from '../../../electron/api/boxes';
import { boxListWords, receiptShown, siteTime } from '../../../renderer/src/screens/boxes/words';

/**
 * The lab's receipt of a box as the boxing screen words it, from a receipt built by hand (HQ's
 * feed fills it in a running station): matched, or every tube missing, broken or extra with the
 * lab's reason, in both languages.
 */
const I18N = path.resolve(__dirname, '../../../renderer/src/i18n');

async function translator(lng: 'zh-CN' | 'en') {
  const boxes = JSON.parse(fs.readFileSync(path.join(I18N, lng, 'boxes.json'), 'utf8')) as Record<string, unknown>;
  const i18n = i18next.createInstance();
  await i18n.init({ resources: { [lng]: { boxes } }, lng, ns: ['boxes'], defaultNS: 'boxes', interpolation: { escapeValue: false }, showSupportNotice: false });
  return (w: { key: string; params?: Record<string, string | number> }) => {
    expect(i18n.exists(w.key), w.key).toBe(true);
    return i18n.t(w.key, w.params);
  };
}

const RECEIVED_AT = '2026-12-02T06:05:00.000Z'; // 14:05 at the site (UTC+8)

const withDiscrepancies: BoxReceiptView = {
  receivedAt: RECEIVED_AT,
  receivedBy: '王检验',
  received: 46,
  missing: 1,
  extra: 1,
  broken: 2,
  discrepancies: [
    { tubeCode: 'SY0000000044', status: 'extra', reason: '不在交接清单上' },
    { tubeCode: 'SY0000000031', status: 'broken', reason: '管盖破裂，样本外漏' },
    { tubeCode: 'SY0000000012', status: 'missing', reason: '箱内未找到' },
    { tubeCode: 'SY0000000007', status: 'broken', reason: '管身裂纹' },
  ],
};

describe('the lab\'s receipt on the boxing screen', () => {
  it('with discrepancies: red, counts of each kind, a row per tube (missing, broken, extra) with the lab\'s reason', async () => {
    const shown = receiptShown(withDiscrepancies);
    expect(shown.tone).toBe('bad');
    expect(shown.rows.map((r) => [r.tubeCode, r.status, r.reason])).toEqual([
      ['SY0000000012', 'missing', '箱内未找到'],
      ['SY0000000007', 'broken', '管身裂纹'],
      ['SY0000000031', 'broken', '管盖破裂，样本外漏'],
      ['SY0000000044', 'extra', '不在交接清单上'],
    ]);
    const zh = await translator('zh-CN');
    expect(zh(shown.heading)).toBe('实验室已接收，有差异');
    expect(zh(shown.by)).toBe('2026-12-02 14:05 由 王检验 接收');
    expect(shown.counts.map((c) => zh(c.words))).toEqual(['已接收 46 管', '缺失 1 管', '破损 2 管', '多出 1 管']);
    expect(shown.rows.map((r) => zh(r.statusWords))).toEqual(['缺失', '破损', '破损', '多出']);
    const en = await translator('en');
    expect(en(shown.heading)).toBe('Received by the lab, with discrepancies');
    expect(shown.counts.map((c) => en(c.words))).toEqual(['received 46', 'missing 1', 'broken 2', 'extra 1']);
  });

  it('as handed over: green, the received count only, no rows', async () => {
    const shown = receiptShown({ receivedAt: RECEIVED_AT, receivedBy: '王检验', received: 50, missing: 0, extra: 0, broken: 0, discrepancies: [] });
    expect(shown.tone).toBe('ok');
    expect(shown.rows).toEqual([]);
    const zh = await translator('zh-CN');
    expect(zh(shown.heading)).toBe('实验室已接收，与交接一致');
    expect(shown.counts.map((c) => zh(c.words))).toEqual(['已接收 50 管']);
  });

  it('a box in a list says whether the lab has it and how many tubes differ', async () => {
    const box: BoxSummary = {
      id: 'b',
      code: 'BX00000001',
      state: 'handedOver',
      capacity: 50,
      tubeCount: 48,
      personCount: 460,
      openedAt: RECEIVED_AT,
      sealedAt: RECEIVED_AT,
      handedOverAt: RECEIVED_AT,
      receivedAt: null,
      discrepancyCount: 0,
    };
    const zh = await translator('zh-CN');
    expect(boxListWords(box).map(zh)).toEqual(['48/50 管，460 人']);
    expect(boxListWords({ ...box, receivedAt: RECEIVED_AT }).map(zh)).toEqual(['48/50 管，460 人', '实验室已接收']);
    expect(boxListWords({ ...box, receivedAt: RECEIVED_AT, discrepancyCount: 3 }).map(zh)).toEqual(['48/50 管，460 人', '实验室已接收，差异 3 管']);
    expect(siteTime('not a time')).toBe('not a time');
  });
});

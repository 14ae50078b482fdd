import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LabelFault } from '../../../electron/api/labels';
import { PRINTER_FAULTS } from '../../../native/printer/status';

const dir = path.resolve(__dirname, '../../../renderer/src/i18n');
type Words = { printer: { fault: Record<string, string>; state: Record<string, string> }; template: Record<string, string> };

/** Every fault a printer can report is shown to staff in words, in both languages. */
describe('printer faults in words', () => {
  it.each(['zh-CN', 'en'])('%s has words for every fault, state and template', (lang) => {
    const words = JSON.parse(fs.readFileSync(path.join(dir, lang, 'labels.json'), 'utf8')) as Words;
    const faults: LabelFault[] = ['no-printer', ...PRINTER_FAULTS];
    for (const fault of faults) expect(words.printer.fault[fault], fault).toMatch(/\S/);
    expect(Object.keys(words.printer.fault).sort()).toEqual([...faults].sort());
    for (const state of ['ready', 'fault', 'unknown']) expect(words.printer.state[state]).toMatch(/\S/);
    for (const t of ['tube', 'box', 'box-manifest']) expect(words.template[t]).toMatch(/\S/);
  });
});

import fs from 'node:fs';
import path from 'node:path';
import i18next from 'i18next';
import { describe, expect, it } from 'vitest';
import { PRINTER_FAULTS } from '../../../native/printer';
import { translateError, withFaultWords } from '../../../renderer/src/i18n/errors';
import { deviceReasonText, faultText } from '../../../renderer/src/labels/words';

const I18N_DIR = path.resolve(__dirname, '../../../renderer/src/i18n');

async function translator(lng: string) {
  const resources: Record<string, Record<string, unknown>> = {};
  for (const ns of ['labels', 'devices']) resources[ns] = JSON.parse(fs.readFileSync(path.join(I18N_DIR, lng, `${ns}.json`), 'utf8')) as Record<string, unknown>;
  const i18n = i18next.createInstance();
  await i18n.init({ resources: { [lng]: resources }, lng, ns: ['labels', 'devices'], showSupportNotice: false });
  const generic = i18n.t('labels:printer.fault.printer-error');
  return { t: (key: string | string[], options?: Record<string, unknown>) => i18n.t(key, options), generic };
}

describe('printer faults in staff words', () => {
  for (const lng of ['zh-CN', 'en']) {
    it(`words a printer status reason as the desk does, never as its code (${lng})`, async () => {
      const { t, generic } = await translator(lng);
      for (const fault of PRINTER_FAULTS) {
        const text = faultText(t, fault);
        expect(text, fault).toBe(t(`labels:printer.fault.${fault}`));
        // The Devices screen and the desk give a printer fault the same words.
        expect(deviceReasonText(t, `printer.${fault}`), fault).toBe(text);
      }
      // Reasons of other devices keep their devices.json words.
      expect(deviceReasonText(t, 'port.busy')).toBe(t('devices:reason.port.busy'));
      // A fault this renderer does not know yet still reads as words, not as its code.
      expect(faultText(t, 'future-fault')).toBe(generic);
      // A failed test print names the fault in words, not as the code.
      const printFailed = translateError(t, ['devices', 'labels'], withFaultWords(t, { code: 'device.printFailed', params: { id: 'printer-1', fault: 'paper-out' } }));
      expect(printFailed).toContain(t('labels:printer.fault.paper-out'));
      expect(printFailed).not.toContain('paper-out');
    });
  }
});

/** The slice of i18next's `t` these need. */
export type Translate = (key: string, options?: Record<string, unknown>) => string;

/** Staff words for a printer fault code (labels.json), never the code itself. */
export function faultText(t: Translate, fault: string): string {
  return t(`labels:printer.fault.${fault}`, { defaultValue: t('labels:printer.fault.printer-error') });
}

/**
 * Words for a device status reason: printer faults (`printer.<fault>`) get the same words as
 * at the desk, the rest come from devices.json.
 */
export function deviceReasonText(t: Translate, reason: string): string {
  if (reason.startsWith('printer.')) return faultText(t, reason.slice('printer.'.length));
  return t(`devices:reason.${reason}`, { defaultValue: reason });
}

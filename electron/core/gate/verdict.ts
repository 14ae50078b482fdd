import type { Direction, EntryRuleResult, GatePassageView, GateReason, GateVerdict, Residency, TemperatureState } from '../../api/gate';

/** At or above the threshold, compared in tenths of a degree as thermometers give them (37.3 is 37.3, not 37.29999). */
export function isHigh(celsius: number, thresholdC: number): boolean {
  return Math.round(celsius * 10) >= Math.round(thresholdC * 10);
}

/**
 * A passage's temperature from its readings in the order they were taken, each against the
 * threshold that applied to it: a high reading asks for a re-measure; high again on the
 * re-measure is a fever (a referral is made), and stays one whatever comes after; a normal
 * reading settles it (a normal re-measure clears a high first reading, both kept).
 */
export function temperatureState(readings: readonly { celsius: number; thresholdC: number }[], required: boolean): TemperatureState {
  let state: TemperatureState = required ? 'awaiting' : 'notRequired';
  for (const r of readings) {
    if (state === 'fever') break;
    if (!isHigh(r.celsius, r.thresholdC)) state = 'normal';
    else state = state === 'remeasure' ? 'fever' : 'remeasure';
  }
  return state;
}

/** What the checks at the scan found, before any reading. */
export type ScanFindings = {
  direction: Direction;
  residency: Residency;
  keyPerson: boolean;
  rule: EntryRuleResult;
  results: GatePassageView['results'];
  /** Registered as a visitor (访客登记): an outsider so registered needs no further check for being one. */
  visitor?: boolean;
};

const STOP: readonly GateReason[] = ['keyPerson', 'isolation', 'result.positive', 'retest.open', 'temperature.fever', 'temperature.remeasure'];
const CHECK: readonly GateReason[] = ['rule.notMet', 'outsider', 'residency.unknown'];

/**
 * The verdict in one glance, with every reason for it (the gravest first). Entering, an outsider
 * or someone the roster cannot tell is to be checked (registered as a visitor; one registered is
 * not held for being an outsider again, the entry rule and the rest still apply); leaving, nobody is
 * held for the entry rule. A key person, an isolated resident, a positive result or open re-test,
 * a fever or a re-measure stop the passage either way.
 */
export function verdictOf(findings: ScanFindings, temperature: TemperatureState): GateVerdict {
  const reasons: GateReason[] = [];
  if (findings.keyPerson) reasons.push('keyPerson');
  if (findings.residency.kind === 'resident' && findings.residency.tags.includes('isolation')) reasons.push('isolation');
  if (findings.results.latest?.result === 'positive') reasons.push('result.positive');
  if (findings.results.openRetest) reasons.push('retest.open');
  if (temperature === 'fever') reasons.push('temperature.fever');
  if (temperature === 'remeasure') reasons.push('temperature.remeasure');
  if (findings.rule.kind === 'sampledWithin' && !findings.rule.met) reasons.push('rule.notMet');
  if (findings.direction === 'in' && findings.residency.kind === 'outsider' && !findings.visitor) reasons.push('outsider');
  if (findings.direction === 'in' && findings.residency.kind === 'unknown') reasons.push('residency.unknown');
  if (temperature === 'awaiting') reasons.push('temperature.awaiting');
  const level = reasons.some((r) => STOP.includes(r)) ? 'stop' : reasons.some((r) => CHECK.includes(r)) ? 'check' : 'pass';
  return { level, reasons, final: temperature !== 'awaiting' && temperature !== 'remeasure' };
}

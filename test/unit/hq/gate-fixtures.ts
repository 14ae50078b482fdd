import type { BatchRecord } from '../../../hq/protocol';
import { idNumber } from './fixtures';

/** A moment of a site day in site time (UTC+8), as the ISO UTC time a station journals. */
export function siteAt(day: string, hhmm: string, seconds = 0): string {
  return new Date(Date.parse(`${day}T${hhmm}:00.000Z`) - 8 * 3600_000 + seconds * 1000).toISOString();
}

type Person = { id: string; idNumber: string | null; name: string | null };

/**
 * A gate station's journal as `electron/core/gate` writes it: people registered when first met,
 * passages with what the checks found, readings attached to them, referrals, key-person actions,
 * visitors and vehicles. Entity ids are readable (`A-passage-3`), seqs contiguous from 1.
 */
export class GateJournal {
  readonly records: BatchRecord[] = [];
  private n = 0;

  constructor(
    readonly prefix: string,
    readonly operatorId = `${prefix}-op`,
  ) {}

  private push(kind: string, entityId: string, at: string, payload: Record<string, unknown>): number {
    const seq = this.records.length + 1;
    this.records.push({ seq, kind, entityId, operatorId: this.operatorId, at, payload });
    return seq;
  }

  private id(what: string): string {
    return `${this.prefix}-${what}-${++this.n}`;
  }

  operator(name: string, code: string, at: string): void {
    this.push('operator.created', this.operatorId, at, { code, name, role: 'gatekeeper', badge: null, pinHash: null });
  }

  workplace(workplace: 'desk' | 'gate' | 'sentinel', at: string): void {
    this.push('station.workplaceSet', `${this.prefix}-station`, at, { workplace });
  }

  /** `person.registered`; `n` picks a valid ID number (null: a code without one). */
  person(at: string, opts: { n?: number | null; name?: string | null } = {}): Person {
    const id = this.id('person');
    const number = opts.n === null ? null : idNumber(opts.n ?? 5000 + this.n);
    const name = opts.name === undefined ? `居民${this.n}` : opts.name;
    const key = number ? `id:${number}` : `tel:1390000${String(this.n).padStart(4, '0')}#${name ?? ''}`;
    this.push('person.registered', id, at, { key, idNumber: number, regCode: null, name, phone: null, format: number ? 'id18' : 'healthCode' });
    return { id, idNumber: number, name };
  }

  /** `person.updated`: a later code told what was missing. */
  updated(person: Person, at: string, name: string): void {
    person.name = name;
    this.push('person.updated', person.id, at, { idNumber: person.idNumber, regCode: null, name, phone: null });
  }

  passage(
    person: Person,
    at: string,
    opts: { direction?: 'in' | 'out'; subject?: 'person' | 'visitor' | 'pass'; keyPerson?: string[] | 'roster'; residency?: 'resident' | 'outsider' | 'unknown'; level?: 'pass' | 'check' | 'stop' } = {},
  ): string {
    const id = this.id('passage');
    const residency = opts.residency ?? 'resident';
    this.push('gate.passage', id, at, {
      personId: person.id,
      subject: opts.subject ?? 'person',
      format: 'id18',
      direction: opts.direction ?? 'in',
      residency,
      household: residency === 'resident' ? '3-2-502' : null,
      keyPerson: opts.keyPerson !== undefined,
      keyPersonLists: Array.isArray(opts.keyPerson) ? opts.keyPerson : [],
      ruleMet: (opts.direction ?? 'in') === 'in' ? true : null,
      level: opts.level ?? (opts.keyPerson ? 'check' : 'pass'),
      reasons: opts.keyPerson ? ['keyPerson'] : [],
      thresholdC: 37.3,
    });
    return id;
  }

  /** A reading; `temperature`: the passage's state after it (null for one attached to nobody). */
  reading(passageId: string | null, at: string, celsius: number, temperature: 'normal' | 'remeasure' | 'fever' | null): void {
    this.push('gate.reading', this.id('reading'), at, {
      passageId,
      celsius,
      measuredAt: at,
      source: 'thermometer',
      deviceId: 'thermo-1',
      thresholdC: 37.3,
      high: celsius >= 37.3,
      match: passageId ? 'auto' : 'unmatched',
      temperature,
    });
  }

  referral(passageId: string, at: string, note: string): void {
    this.push('gate.referral', this.id('referral'), at, { passageId, destination: '发热门诊', escort: '王医生', note });
  }

  keyPersonAction(passageId: string, at: string, action: 'admitted' | 'turnedBack' | 'reported' | 'escorted' | 'other', note: string): void {
    this.push('gate.keyPersonAction', this.id('action'), at, { passageId, action, note });
  }

  visitor(passageId: string, person: Person, at: string): string {
    const id = this.id('visit');
    this.push('gate.visitor', id, at, { passageId, personId: person.id, phone: '13900001111', reason: '探亲', household: '5-1-101', expectedUntil: new Date(Date.parse(at) + 2 * 3600_000).toISOString() });
    return id;
  }

  visitorLeft(visitId: string, passageId: string, at: string, stayedMinutes: number): void {
    this.push('gate.visitorLeft', visitId, at, { passageId, stayedMinutes });
  }

  vehicle(at: string, direction: 'in' | 'out', passengers: number, entryId: string | null = null): string {
    const id = this.id('vehicle');
    this.push('gate.vehicle', id, at, { plate: '沪A12345', plateKind: 'standard', direction, driver: '李师傅', driverPhone: '13800002222', passengers, purpose: '送货', entryId });
    return id;
  }

  /** The records from seq `from` through `to` (inclusive). */
  slice(from: number, to = this.records.length): BatchRecord[] {
    return this.records.slice(from - 1, to);
  }
}

/** Every table HQ's migration 14 (`hq-gate`) makes: tests that take an HQ back to an older schema drop them. */
export const HQ_GATE_TABLES = ['gate_passage', 'gate_reading', 'gate_referral', 'gate_key_person_action', 'gate_visit', 'gate_visit_left', 'gate_vehicle', 'station_workplace', 'gate_follow_up'] as const;

/**
 * What undoes HQ's migrations after schema 13 (the gate's, 14; resident passes, 15; boxes and the lab,
 * 16; home isolation, 17; lab results in bulk, 18), in an order both stores take (the latest first; what depends on a table
 * or column before it): a test that takes HQ back to an older schema runs these.
 */
export const HQ_UNDO_AFTER_13 = [
  ...['isolation_reading', 'isolation_person', 'isolation'].map((t) => `DROP TABLE ${t}`),
  ...['result_import_error', 'result_import', 'lab_token'].map((t) => `DROP TABLE ${t}`),
  'DROP INDEX result_of_import',
  'DROP INDEX result_not_received',
  ...['tested_at', 'lab', 'import_id', 'row_no', 'not_received'].map((c) => `ALTER TABLE result DROP COLUMN ${c}`),
  ...[...HQ_GATE_TABLES, 'resident_pass', 'lab_receipt_step', 'lab_receipt_tube', 'lab_receipt', 'box_tube'].map((t) => `DROP TABLE ${t}`),
  'DROP INDEX box_code',
  'DROP INDEX box_site_state',
  ...['person_count', 'handed_over_at', 'handed_over_count', 'state', 'opened_at', 'capacity', 'sealed_at'].map((c) => `ALTER TABLE box DROP COLUMN ${c}`),
] as const;

import type { Statement } from 'better-sqlite3-multiple-ciphers';
import { mainlandMobile, VISIT_MAX_MINUTES, type HouseholdView, type VisitOutcome, type VisitView } from '../../api/gate';
import type { CoreContext } from '../context';
import { DomainError } from '../errors';
import { newId } from '../ids';
import { isValidIdNumber, normalizeIdNumber } from '../person/gb11643';
import { personKey } from '../person/key';
import { maskIdNumber, maskPhone } from '../person/mask';
import { household as householdOf, type Roster } from '../roster/roster';
import { personView } from '../sampling/desk';
import type { Gate } from './gate';
import { GateRecords } from './records';
import { siteHour, siteMinute } from './settings';
import { PreparedStatements } from '../db/statements';

/** The most households `gate.households` answers with. */
const HOUSEHOLDS_LISTED = 20;
/** The most visits a list holds (a busy gate registers about a hundred outsiders a day). */
const VISITS_LISTED = 500;

export type VisitorsHost = {
  /** Whether any screen listens: a visit's view is built for them only. */
  listening(): boolean;
  /** Tells the screens; called only after the change is committed. */
  visitChanged(view: VisitView): void;
};

export type RegisterVisitorArgs = {
  name: string;
  idNumber: string;
  phone: string;
  reason: string;
  household: string;
  stay: { minutes: number } | { until: string };
};

/** A registration checked before anything is written. */
type CheckedVisitor = { name: string; idNumber: string; phone: string; reason: string; household: string; stay: RegisterVisitorArgs['stay'] };

type VisitRow = {
  id: string;
  person_id: string;
  entry_passage_id: string;
  phone: string | null;
  reason: string;
  household: string | null;
  expected_until: string;
  at: string;
  exit_passage_id: string | null;
  left_at: string | null;
  stayed_minutes: number | null;
  id_number: string | null;
  reg_code: string | null;
  name: string | null;
  person_phone: string | null;
};

const VISIT_SELECT = `SELECT v.id, v.person_id, v.entry_passage_id, v.phone, v.reason, v.household, v.expected_until, v.at,
  v.exit_passage_id, v.left_at, v.stayed_minutes, p.id_number, p.reg_code, p.name, p.phone AS person_phone
  FROM gate_visit v JOIN person p ON p.id = v.person_id`;

/**
 * Visitor registration at the gate (访客登记): an outsider is registered on their way in (who they
 * are, their mobile phone, why they come, the household they visit on the roster in use, until when
 * they stay), which makes their `person` row and a passage in with `subject = 'visitor'` through the
 * gate's `present`: the same checks and verdict as a scan, and a thermometer reading attaches to it
 * the same way. They leave picked from the list of visitors on site, or by being scanned out (a
 * follower of every passage): a passage out and the visit ended with how long they stayed. Someone
 * on site already is not registered twice. Every change is journalled (`gate.visitor`,
 * `gate.visitorLeft`, with the passages' own entries).
 */
export class Visitors {
  private prepared: PreparedStatements | null = null;
  private readonly records: GateRecords;

  constructor(
    private readonly ctx: CoreContext,
    private readonly gate: Gate,
    private readonly roster: Roster,
    private readonly host: VisitorsHost,
  ) {
    this.records = gate.records;
    gate.follow((passageId, at) => this.leftThrough(passageId, at));
  }

  private sql(source: string): Statement {
    return (this.prepared ??= new PreparedStatements(this.ctx.db)).get(source);
  }

  // ---- households on the roster -------------------------------------------------------------------

  /**
   * Households of the roster in use by building ("3"), building and unit ("3-2", or building and
   * the start of a room where the roster has no units) or building, unit and the start of a room
   * ("3-2-5"), with how many residents each has. Read from the roster file (prepared each time: the
   * roster in use may be replaced between two calls).
   */
  households(query: string): HouseholdView[] {
    if (this.roster.currentId() === null) throw new DomainError('gate.noRoster');
    const parts = query.normalize('NFKC').trim().toUpperCase().split(/[-\s/]+/u).filter((p) => p !== '');
    const [building, second, third] = parts;
    if (building === undefined || parts.length > 3) return [];
    const select = `SELECT building, unit, room, count(*) AS residents FROM roster.resident WHERE building = ?`;
    const grouped = `GROUP BY building, unit, room ORDER BY length(unit), unit, length(room), room LIMIT ${HOUSEHOLDS_LISTED}`;
    const db = this.ctx.db;
    let rows: { building: string; unit: string; room: string; residents: number }[];
    if (second === undefined) rows = db.prepare(`${select} ${grouped}`).all(building) as typeof rows;
    else if (third === undefined)
      rows = db.prepare(`${select} AND (unit = ? OR (unit = '' AND room >= ? AND room < ?)) ${grouped}`).all(building, second, second, `${second}\uffff`) as typeof rows;
    else rows = db.prepare(`${select} AND unit = ? AND room >= ? AND room < ? ${grouped}`).all(building, second, third, `${third}\uffff`) as typeof rows;
    return rows.map((r) => ({ household: householdOf(r), building: r.building, unit: r.unit, room: r.room, residents: r.residents }));
  }

  /** The household as the roster writes it ("3-2-502"), when the roster in use has it. */
  private requireHousehold(text: string): string {
    if (this.roster.currentId() === null) throw new DomainError('gate.noRoster');
    const parts = text.normalize('NFKC').trim().toUpperCase().split(/[-\s/]+/u).filter((p) => p !== '');
    // Building, unit and room, any of which a roster may leave empty: every way the parts fill them in order.
    const slots: [string, string, string][] = [];
    if (parts.length === 3) slots.push(parts as [string, string, string]);
    if (parts.length === 2) {
      const [a, b] = parts as [string, string];
      slots.push([a, b, ''], [a, '', b], ['', a, b]);
    }
    if (parts.length === 1) {
      const [a] = parts as [string];
      slots.push([a, '', ''], ['', a, ''], ['', '', a]);
    }
    const find = this.ctx.db.prepare('SELECT 1 FROM roster.resident WHERE building = ? AND unit = ? AND room = ? LIMIT 1');
    const found = slots.find((s) => find.get(...s) !== undefined);
    if (!found) throw new DomainError('gate.householdUnknown', { household: text.trim().slice(0, 64) });
    return householdOf({ building: found[0], unit: found[1], room: found[2] });
  }

  // ---- registering and leaving ----------------------------------------------------------------------

  /** Checks what the gate keeper typed; refused before anything is written or presented. */
  private check(args: RegisterVisitorArgs, now: Date): CheckedVisitor {
    const idNumber = normalizeIdNumber(args.idNumber);
    if (!isValidIdNumber(idNumber)) throw new DomainError('gate.idNumberInvalid', { masked: maskIdNumber(idNumber.slice(0, 18)) });
    const phone = mainlandMobile(args.phone);
    if (phone === null) throw new DomainError('gate.phoneInvalid');
    if ('until' in args.stay) {
      const until = Date.parse(args.stay.until);
      if (!(until > now.getTime() && until <= now.getTime() + VISIT_MAX_MINUTES * 60_000)) throw new DomainError('gate.stayInvalid', { max: VISIT_MAX_MINUTES });
    }
    const household = this.requireHousehold(args.household);
    this.refuseOnSite(idNumber);
    return { name: args.name, idNumber, phone, reason: args.reason, household, stay: args.stay };
  }

  /** Someone registered and not yet left is not registered again. */
  private refuseOnSite(idNumber: string): void {
    const key = personKey({ idNumber, regCode: null, phone: null, name: null });
    const open = this.sql(
      `SELECT v.id, v.at FROM gate_visit v JOIN person p ON p.id = v.person_id WHERE p.person_key = ? AND v.left_at IS NULL ORDER BY v.seq DESC LIMIT 1`,
    ).get(key) as { id: string; at: string } | undefined;
    if (open) throw new DomainError('gate.visitorOnSite', { visitId: open.id, since: siteMinute(Date.parse(open.at)) });
  }

  /** A visitor registered on their way in: their passage (with its verdict, a reading to come) and the visit. */
  async register(args: RegisterVisitorArgs): Promise<VisitOutcome> {
    this.gate.requireGate();
    const checked = this.check(args, this.ctx.now());
    const { id: passageId, value: visitId } = await this.gate.present((id, at) => this.recordEntry(checked, id, at));
    return this.outcome(visitId, passageId);
  }

  private recordEntry(v: CheckedVisitor, passageId: string, at: Date): string {
    // Checked again in the transaction: two registrations of one person may be queued together.
    this.refuseOnSite(v.idNumber);
    const household = this.requireHousehold(v.household);
    const expectedUntil = 'minutes' in v.stay ? new Date(at.getTime() + v.stay.minutes * 60_000).toISOString() : new Date(v.stay.until).toISOString();
    const passage = this.records.createPassage({
      id: passageId,
      person: { idNumber: v.idNumber, regCode: null, name: v.name, phone: v.phone },
      format: 'visitor',
      direction: 'in',
      at,
      subject: 'visitor',
    });
    const s = this.records.stamp(at);
    const id = newId();
    const seq = this.ctx.journal.append({
      ...s,
      kind: 'gate.visitor',
      entityId: id,
      payload: { passageId, personId: passage.personId, phone: v.phone, reason: v.reason, household, expectedUntil },
    });
    const { day, hour } = siteHour(at.getTime());
    this.sql(
      `INSERT INTO gate_visit (id, person_id, entry_passage_id, phone, reason, household, expected_until, station_id, operator_id, at, day, hour, seq)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(id, passage.personId, passageId, v.phone, v.reason, household, expectedUntil, s.stationId, GateRecords.operatorColumn(s.operatorId), s.at, day, hour, seq);
    return id;
  }

  /** A visitor on site leaves, picked from the list: their passage out (measured on exit when the site says so). */
  async leave(visitId: string): Promise<VisitOutcome> {
    this.gate.requireGate();
    this.openRow(visitId);
    const { id: passageId } = await this.gate.present((id, at) => {
      const visit = this.openRow(visitId);
      this.records.createPassage({ id, person: { id: visit.person_id }, format: 'visitor', direction: 'out', at, subject: 'visitor' });
      this.recordLeft(visit, id, at);
    });
    return this.outcome(visitId, passageId);
  }

  /** A person who passed out while registered on site left by that passage (the gate's follower). */
  private leftThrough(passageId: string, at: Date): (() => void) | null {
    const passage = this.sql('SELECT person_id, direction FROM gate_passage WHERE id = ?').get(passageId) as { person_id: string; direction: string } | undefined;
    if (passage?.direction !== 'out') return null;
    const visit = this.sql(`${VISIT_SELECT} WHERE v.person_id = ? AND v.left_at IS NULL ORDER BY v.seq DESC LIMIT 1`).get(passage.person_id) as VisitRow | undefined;
    if (!visit) return null;
    this.recordLeft(visit, passageId, at);
    return () => {
      if (this.host.listening()) this.host.visitChanged(this.view(visit.id));
    };
  }

  private recordLeft(visit: VisitRow, passageId: string, at: Date): void {
    const stayedMinutes = Math.max(0, Math.floor((at.getTime() - Date.parse(visit.at)) / 60_000));
    const s = this.records.stamp(at);
    const seq = this.ctx.journal.append({ ...s, kind: 'gate.visitorLeft', entityId: visit.id, payload: { passageId, stayedMinutes } });
    this.sql('UPDATE gate_visit SET exit_passage_id = ?, left_at = ?, stayed_minutes = ?, left_operator_id = ?, left_seq = ? WHERE id = ?').run(
      passageId,
      s.at,
      stayedMinutes,
      GateRecords.operatorColumn(s.operatorId),
      seq,
      visit.id,
    );
  }

  private outcome(visitId: string, passageId: string): VisitOutcome {
    const passage = this.gate.changed(passageId);
    const visit = this.view(visitId);
    if (this.host.listening()) this.host.visitChanged(visit);
    return { visit, passage };
  }

  // ---- reads ----------------------------------------------------------------------------------------

  private row(visitId: string): VisitRow {
    const row = this.sql(`${VISIT_SELECT} WHERE v.id = ?`).get(visitId) as VisitRow | undefined;
    if (!row) throw new DomainError('gate.visitNotFound', { id: visitId });
    return row;
  }

  private openRow(visitId: string): VisitRow {
    const row = this.row(visitId);
    if (row.left_at !== null) throw new DomainError('gate.visitEnded', { leftAt: siteMinute(Date.parse(row.left_at)) });
    return row;
  }

  view(visitId: string): VisitView {
    return this.viewOf(this.row(visitId), this.ctx.now());
  }

  private viewOf(row: VisitRow, now: Date): VisitView {
    const entry = this.records.view(row.entry_passage_id);
    const left = row.left_at !== null && row.exit_passage_id !== null ? { passageId: row.exit_passage_id, at: row.left_at, stayedMinutes: row.stayed_minutes ?? 0 } : null;
    return {
      id: row.id,
      person: personView({ id: row.person_id, id_number: row.id_number, reg_code: row.reg_code, name: row.name, phone: row.person_phone }),
      maskedPhone: row.phone === null ? null : maskPhone(row.phone),
      reason: row.reason,
      household: row.household,
      enteredAt: row.at,
      expectedUntil: row.expected_until,
      overstay: left === null && Date.parse(row.expected_until) < now.getTime(),
      entry: { passageId: row.entry_passage_id, verdict: entry.verdict, temperature: entry.temperature.state },
      left,
    };
  }

  /** Visitors on site now, those past their expected stay first; or every visit of a site day, the latest first. */
  list(state: 'onSite' | 'today', day: string, now: Date): VisitView[] {
    const rows =
      state === 'onSite'
        ? (this.sql(`${VISIT_SELECT} WHERE v.left_at IS NULL ORDER BY v.expected_until, v.seq LIMIT ${VISITS_LISTED}`).all() as VisitRow[])
        : (this.sql(`${VISIT_SELECT} WHERE v.day = ? ORDER BY v.seq DESC LIMIT ${VISITS_LISTED}`).all(day) as VisitRow[]);
    return rows.map((r) => this.viewOf(r, now));
  }

  /** Visitors in on a site day; on site now and, of those, past their expected stay. */
  counts(day: string, now: Date): { in: number; onSiteNow: number; overstaying: number } {
    const count = (source: string, ...params: unknown[]) => (this.sql(source).get(...params) as { n: number }).n;
    return {
      in: count('SELECT count(*) AS n FROM gate_visit WHERE day = ?', day),
      onSiteNow: count('SELECT count(*) AS n FROM gate_visit WHERE left_at IS NULL'),
      overstaying: count('SELECT count(*) AS n FROM gate_visit WHERE left_at IS NULL AND expected_until < ?', now.toISOString()),
    };
  }
}

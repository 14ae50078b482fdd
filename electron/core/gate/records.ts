import type { Statement } from 'better-sqlite3-multiple-ciphers';
import type {
  Direction,
  EntryRuleResult,
  GateCounts,
  GatePassageView,
  GateReadingView,
  GateVerdict,
  KeyPersonAction,
  KeyPersonActionView,
  ReadingMatch,
  ReferralView,
  Residency,
  TemperatureState,
  Workplace,
  WorkplaceView,
} from '../../api/gate';
import type { CoreContext } from '../context';
import { DomainError } from '../errors';
import { newId } from '../ids';
import { NO_OPERATOR } from '../operators/operators';
import type { PersonRegistry, PersonRow } from '../person/registry';
import type { Rounds } from '../rounds/rounds';
import type { Roster } from '../roster/roster';
import { bitsToTags, tagsToBits } from '../roster/file';
import { personView } from '../sampling/desk';
import type { PersonPayload } from '../scan/parsers/types';
import { gateSettings, siteHour } from './settings';
import { isHigh, temperatureState, verdictOf, type ScanFindings } from './verdict';
import { PreparedStatements } from '../db/statements';

const WORKPLACE_KEY = 'station.workplace';
const DIRECTION_KEY = 'gate.direction';
/** "On site now": people whose last passage through this gate within this long was in. */
const ON_SITE_HOURS = 24;

type PassageRow = {
  id: string;
  subject: GatePassageView['subject'];
  pass_id: string | null;
  pass_valid_until: string | null;
  person_id: string;
  direction: Direction;
  residency: Residency['kind'];
  household: string | null;
  resident_tags: number;
  key_person: string | null;
  rule: string;
  results: string;
  temperature: TemperatureState;
  temperature_required: number;
  threshold_c: number;
  at: string;
  id_number: string | null;
  reg_code: string | null;
  name: string | null;
  phone: string | null;
};

type ReadingRow = {
  id: string;
  celsius: number;
  measured_at: string;
  source: 'thermometer' | 'manual';
  device_id: string | null;
  threshold_c: number;
  high: number;
  match: ReadingMatch;
};

/** A passage just made: what followers of the gate's passages look at (a visitor leaving by it). */
export type MadePassage = { id: string; personId: string; direction: Direction; residency: Residency['kind']; verdict: GateVerdict; at: Date };

/** A reading as it is to be recorded: measured by a thermometer (or typed), and where the rule put it. */
export type ReadingToRecord = {
  id: string;
  celsius: number;
  measuredAt: string;
  source: 'thermometer' | 'manual';
  deviceId: string | null;
  passageId: string | null;
  match: ReadingMatch;
};

const PASSAGE_SELECT = `SELECT g.id, g.subject, g.pass_id, rp.valid_until AS pass_valid_until, g.person_id, g.direction, g.residency, g.household, g.resident_tags,
  g.key_person, g.rule, g.results, g.temperature, g.temperature_required, g.threshold_c, g.at, p.id_number, p.reg_code, p.name, p.phone
  FROM gate_passage g JOIN person p ON p.id = g.person_id LEFT JOIN resident_pass rp ON rp.id = g.pass_id`;

/**
 * The gate's records in the station's database: passages, readings, referrals and key-person
 * actions, each journalled in the same transaction; and what the checks at a scan look up (the
 * roster, key-person lists, this desk's bindings, the site's marks, HQ's results). Changes run
 * inside the writer's transaction.
 */
export class GateRecords {
  private prepared: PreparedStatements | null = null;
  private place: WorkplaceView;

  constructor(
    private readonly ctx: CoreContext,
    private readonly people: PersonRegistry,
    private readonly roster: Roster,
    private readonly rounds: Rounds,
  ) {
    this.place = {
      workplace: (this.setting(WORKPLACE_KEY) as Workplace | null) ?? 'desk',
      direction: (this.setting(DIRECTION_KEY) as Direction | null) ?? 'in',
    };
  }

  /** Prepared once, reused: preparing is a large part of a small statement's cost. */
  private sql(source: string): Statement {
    return (this.prepared ??= new PreparedStatements(this.ctx.db)).get(source);
  }

  private setting(key: string): string | null {
    return (this.sql('SELECT value FROM setting WHERE key = ?').get(key) as { value: string } | undefined)?.value ?? null;
  }

  private setSetting(key: string, value: string): void {
    this.sql('INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /** Who, where and when a record of the gate is made. */
  stamp(at: Date) {
    return { stationId: this.ctx.identity.station.id, operatorId: this.ctx.operatorId(), at: at.toISOString() };
  }

  /** The operator column: NULL for what the station wrote on its own. */
  static operatorColumn(operatorId: string): string | null {
    return operatorId === NO_OPERATOR ? null : operatorId;
  }

  settings() {
    return gateSettings(this.ctx.identity.site.config);
  }

  // ---- what the station works as ---------------------------------------------------------------

  workplace(): WorkplaceView {
    return { ...this.place };
  }

  /** A site admin's choice, journalled (HQ sees which stations are gates); the view in memory follows once committed. */
  setWorkplace(workplace: Workplace, at: Date): WorkplaceView {
    const next = { ...this.place, workplace };
    if (workplace === this.place.workplace) return next;
    const s = this.stamp(at);
    this.ctx.journal.append({ ...s, kind: 'station.workplaceSet', entityId: s.stationId, payload: { workplace } });
    this.setSetting(WORKPLACE_KEY, workplace);
    return next;
  }

  setDirection(direction: Direction): WorkplaceView {
    this.setSetting(DIRECTION_KEY, direction);
    return { ...this.place, direction };
  }

  /** After the writer committed a change of `setWorkplace` or `setDirection`. */
  adopt(view: WorkplaceView): void {
    this.place = view;
  }

  // ---- passages ---------------------------------------------------------------------------------

  /**
   * A person through the gate: registered (or found) as a person, looked up on the roster, the
   * key-person lists, their sampling (here and at the site's other desks) and HQ's results, and
   * journalled with what was found and the verdict before any reading. `subject`: how they were
   * identified (a scanned code, a visitor's registration, or a resident pass); a person known
   * already may be named by their `person` row's id (a visitor leaving, picked from the list).
   * With `pass` (subject `pass`): the resident a valid pass names; one the roster in use does not
   * know (yet) is a resident of the household the pass was issued for, the site's own word.
   */
  createPassage(args: {
    id: string;
    person: PersonPayload | { id: string };
    format: string;
    direction: Direction;
    at: Date;
    subject?: 'person' | 'visitor';
    pass?: { id: string; household: string };
  }): MadePassage {
    const settings = this.settings();
    const subject = args.pass ? 'pass' : (args.subject ?? 'person');
    const s = this.stamp(args.at);
    let resident: ReturnType<Roster['residentByIdNumber']>;
    let person: PersonRow;
    if ('id' in args.person) {
      person = this.personById(args.person.id);
      resident = person.id_number ? this.roster.residentByIdNumber(person.id_number) : null;
    } else {
      const payload = args.person;
      resident = payload.idNumber ? this.roster.residentByIdNumber(payload.idNumber) : null;
      // An ID card carries no name: the roster's is shown instead, and kept with the person.
      person = this.people.upsert(resident && !payload.name ? { ...payload, name: resident.name } : payload, args.format, s);
    }
    const residency: Residency = resident
      ? { kind: 'resident', household: resident.household, tags: resident.tags }
      : args.pass
        ? { kind: 'resident', household: args.pass.household, tags: [] }
        : person.id_number
          ? { kind: 'outsider' }
          : { kind: 'unknown' };
    const lists = person.id_number ? (this.sql('SELECT list_id AS listId, reason FROM key_person WHERE id_number = ? ORDER BY list_id').all(person.id_number) as { listId: string; reason: string }[]) : [];
    const onRosterAsKey = resident?.tags.includes('keyPerson') ?? false;
    const keyPerson = lists.length > 0 || onRosterAsKey ? { lists, roster: onRosterAsKey } : null;
    const rule = args.direction === 'in' ? this.entryRule(person.id, args.at.getTime()) : ({ kind: 'none' } as const);
    const results = this.resultsOf(person.id);
    const required = args.direction === 'in' || settings.measureOnExit;
    const temperature: TemperatureState = required ? 'awaiting' : 'notRequired';
    const findings: ScanFindings = { direction: args.direction, residency, keyPerson: keyPerson !== null, rule, results, visitor: subject === 'visitor' };
    const verdict = verdictOf(findings, temperature);
    const seq = this.ctx.journal.append({
      ...s,
      kind: 'gate.passage',
      entityId: args.id,
      payload: {
        personId: person.id,
        subject,
        format: args.format,
        direction: args.direction,
        residency: residency.kind,
        household: residency.kind === 'resident' ? residency.household : null,
        keyPerson: keyPerson !== null,
        keyPersonLists: lists.map((l) => l.listId),
        ruleMet: rule.kind === 'none' ? null : rule.met,
        level: verdict.level,
        reasons: verdict.reasons,
        thresholdC: settings.feverC,
      },
    });
    const { day, hour } = siteHour(args.at.getTime());
    this.sql(
      `INSERT INTO gate_passage (id, subject, pass_id, person_id, format, direction, residency, household, resident_tags, key_person, rule, results,
         temperature, temperature_required, threshold_c, level, station_id, operator_id, at, day, hour, seq)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      args.id,
      subject,
      args.pass?.id ?? null,
      person.id,
      args.format,
      args.direction,
      residency.kind,
      residency.kind === 'resident' ? residency.household : null,
      residency.kind === 'resident' ? tagsToBits(residency.tags) : 0,
      keyPerson ? JSON.stringify(keyPerson) : null,
      JSON.stringify(rule),
      JSON.stringify(results),
      temperature,
      required ? 1 : 0,
      settings.feverC,
      verdict.level,
      s.stationId,
      GateRecords.operatorColumn(s.operatorId),
      s.at,
      day,
      hour,
      seq,
    );
    return { id: args.id, personId: person.id, direction: args.direction, residency: residency.kind, verdict, at: args.at };
  }

  private personById(id: string): PersonRow {
    const row = this.sql('SELECT id, id_number, reg_code, name, phone FROM person WHERE id = ?').get(id) as PersonRow | undefined;
    if (!row) throw new DomainError('gate.passageNotFound', { id });
    return row;
  }

  /**
   * "Sampled within N hours": their latest sampling at this desk (its own bindings, which answer
   * offline too; a voided tube or an undone binding does not count) or at another desk of the site
   * (the marks HQ sent, as of the last sync), whichever is later.
   */
  private entryRule(personId: string, atMs: number): EntryRuleResult {
    const rule = this.settings().entryRule;
    if (rule.kind === 'none') return { kind: 'none' };
    const here = (
      this.sql(
        `SELECT MAX(b.at) AS at FROM binding b JOIN tube t ON t.id = b.tube_id
         WHERE b.person_id = ? AND b.undo_correction_id IS NULL AND t.state != 'voided'`,
      ).get(personId) as { at: string | null }
    ).at;
    const key = (this.sql('SELECT person_key FROM person WHERE id = ?').get(personId) as { person_key: string }).person_key;
    const site = (this.sql('SELECT MAX(at) AS at FROM round_mark WHERE mark = ?').get(this.rounds.mark(key)) as { at: string | null }).at;
    const last = here !== null && (site === null || here >= site) ? { at: here, where: 'here' as const } : site !== null ? { at: site, where: 'site' as const } : null;
    const met = last !== null && Date.parse(last.at) >= atMs - rule.hours * 3600_000;
    return { kind: 'sampledWithin', hours: rule.hours, met, lastSampledAt: last?.at ?? null, where: last?.where ?? null };
  }

  /** What HQ sent back for the tubes they were sampled into here: the latest result, and whether a re-test is still open. */
  private resultsOf(personId: string): GatePassageView['results'] {
    const latest = this.sql(
      `SELECT r.result, r.result_at AS at FROM binding b JOIN tube t ON t.id = b.tube_id
       JOIN hq_result r ON r.tube_code = t.code AND (r.tube_id IS NULL OR r.tube_id = t.id)
       WHERE b.person_id = ? AND b.undo_correction_id IS NULL ORDER BY r.result_at DESC, r.feed_cursor DESC LIMIT 1`,
    ).get(personId) as { result: 'negative' | 'positive' | 'invalid'; at: string } | undefined;
    const openRetest = this.sql(`SELECT 1 FROM retest_task WHERE person_id = ? AND state = 'open' LIMIT 1`).get(personId) !== undefined;
    return { latest: latest ?? null, openRetest };
  }

  exists(passageId: string): boolean {
    return this.sql('SELECT 1 FROM gate_passage WHERE id = ?').get(passageId) !== undefined;
  }

  private row(passageId: string): PassageRow {
    const row = this.sql(`${PASSAGE_SELECT} WHERE g.id = ?`).get(passageId) as PassageRow | undefined;
    if (!row) throw new DomainError('gate.passageNotFound', { id: passageId });
    return row;
  }

  private static findings(row: PassageRow): ScanFindings {
    return {
      direction: row.direction,
      residency: GateRecords.residency(row),
      keyPerson: row.key_person !== null,
      rule: JSON.parse(row.rule) as EntryRuleResult,
      results: JSON.parse(row.results) as GatePassageView['results'],
      visitor: row.subject === 'visitor',
    };
  }

  private static residency(row: PassageRow): Residency {
    if (row.residency === 'resident') return { kind: 'resident', household: row.household ?? '', tags: bitsToTags(row.resident_tags) };
    return { kind: row.residency };
  }

  // ---- readings -----------------------------------------------------------------------------------

  /**
   * A reading the gate took, attached to its passage (`passageId`) or to none, with the site's
   * threshold now; the passage's temperature and verdict follow. A passage that was never made
   * (its scan failed in the writer) takes no reading: it is recorded as unmatched.
   */
  /** Records a reading; with the passage's temperature after it (null when it is attached to none). */
  recordReading(r: ReadingToRecord, at: Date): { reading: GateReadingView; passageId: string | null; temperature: TemperatureState | null } {
    const thresholdC = this.settings().feverC;
    const passage = r.passageId !== null && this.exists(r.passageId) ? this.row(r.passageId) : null;
    const match: ReadingMatch = r.passageId !== null && !passage ? 'unmatched' : r.match;
    const high = isHigh(r.celsius, thresholdC);
    let temperature: TemperatureState | null = null;
    if (passage) {
      const before = this.sql('SELECT celsius, threshold_c AS thresholdC FROM gate_reading WHERE passage_id = ? ORDER BY seq').all(passage.id) as { celsius: number; thresholdC: number }[];
      temperature = temperatureState([...before, { celsius: r.celsius, thresholdC }], passage.temperature_required === 1);
    }
    const s = this.stamp(at);
    const seq = this.ctx.journal.append({
      ...s,
      kind: 'gate.reading',
      entityId: r.id,
      payload: { passageId: passage?.id ?? null, celsius: r.celsius, measuredAt: r.measuredAt, source: r.source, deviceId: r.deviceId, thresholdC, high, match, temperature },
    });
    this.sql(
      `INSERT INTO gate_reading (id, passage_id, celsius, measured_at, source, device_id, threshold_c, high, match, station_id, operator_id, at, seq)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(r.id, passage?.id ?? null, r.celsius, r.measuredAt, r.source, r.deviceId, thresholdC, high ? 1 : 0, match, s.stationId, GateRecords.operatorColumn(s.operatorId), s.at, seq);
    if (passage && temperature) {
      const level = verdictOf(GateRecords.findings(passage), temperature).level;
      this.sql('UPDATE gate_passage SET temperature = ?, level = ? WHERE id = ?').run(temperature, level, passage.id);
    }
    return {
      reading: { id: r.id, celsius: r.celsius, measuredAt: r.measuredAt, source: r.source, deviceId: r.deviceId, thresholdC, high, match },
      passageId: passage?.id ?? null,
      temperature,
    };
  }

  // ---- referrals and key persons ------------------------------------------------------------------

  /** Where a person whose fever a re-measure confirmed was sent, and who took them; once per passage. */
  refer(args: { passageId: string; destination: string; escort: string; note: string }, at: Date): void {
    const passage = this.row(args.passageId);
    if (passage.temperature !== 'fever') throw new DomainError('gate.referralNotNeeded', { temperature: passage.temperature });
    if (this.sql('SELECT 1 FROM gate_referral WHERE passage_id = ?').get(passage.id)) throw new DomainError('gate.alreadyReferred');
    const s = this.stamp(at);
    const id = newId();
    const seq = this.ctx.journal.append({ ...s, kind: 'gate.referral', entityId: id, payload: { passageId: passage.id, destination: args.destination, escort: args.escort, note: args.note } });
    this.sql('INSERT INTO gate_referral (id, passage_id, destination, escort, note, station_id, operator_id, at, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
      id,
      passage.id,
      args.destination,
      args.escort,
      args.note,
      s.stationId,
      GateRecords.operatorColumn(s.operatorId),
      s.at,
      seq,
    );
  }

  /** What the gate keeper did about a key person at this passage (as many records as they make). */
  keyPersonAction(args: { passageId: string; action: KeyPersonAction; note: string }, at: Date): void {
    const passage = this.row(args.passageId);
    if (passage.key_person === null) throw new DomainError('gate.notKeyPerson');
    const s = this.stamp(at);
    const id = newId();
    const seq = this.ctx.journal.append({ ...s, kind: 'gate.keyPersonAction', entityId: id, payload: { passageId: passage.id, action: args.action, note: args.note } });
    this.sql('INSERT INTO gate_key_person_action (id, passage_id, action, note, station_id, operator_id, at, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
      id,
      passage.id,
      args.action,
      args.note,
      s.stationId,
      GateRecords.operatorColumn(s.operatorId),
      s.at,
      seq,
    );
  }

  // ---- reads --------------------------------------------------------------------------------------

  view(passageId: string): GatePassageView {
    return this.viewOf(this.row(passageId));
  }

  recent(limit: number): GatePassageView[] {
    return (this.sql(`${PASSAGE_SELECT} ORDER BY g.seq DESC LIMIT ?`).all(limit) as PassageRow[]).map((r) => this.viewOf(r));
  }

  private viewOf(row: PassageRow): GatePassageView {
    const readings = (
      this.sql('SELECT id, celsius, measured_at, source, device_id, threshold_c, high, match FROM gate_reading WHERE passage_id = ? ORDER BY seq').all(row.id) as ReadingRow[]
    ).map((r) => ({ id: r.id, celsius: r.celsius, measuredAt: r.measured_at, source: r.source, deviceId: r.device_id, thresholdC: r.threshold_c, high: r.high === 1, match: r.match }));
    const referral = this.sql('SELECT id, destination, escort, note, at FROM gate_referral WHERE passage_id = ?').get(row.id) as ReferralView | undefined;
    const actions = this.sql('SELECT id, action, note, at FROM gate_key_person_action WHERE passage_id = ? ORDER BY seq').all(row.id) as KeyPersonActionView[];
    const findings = GateRecords.findings(row);
    return {
      id: row.id,
      at: row.at,
      direction: row.direction,
      subject: row.subject,
      pass: row.pass_id === null ? null : { id: row.pass_id, validUntil: row.pass_valid_until ?? '' },
      person: personView({ id: row.person_id, id_number: row.id_number, reg_code: row.reg_code, name: row.name, phone: row.phone }),
      residency: findings.residency,
      keyPerson: row.key_person === null ? null : (JSON.parse(row.key_person) as GatePassageView['keyPerson']),
      rule: findings.rule,
      results: findings.results,
      temperature: { state: row.temperature, thresholdC: row.threshold_c, readings },
      referral: referral ?? null,
      keyPersonActions: actions,
      verdict: verdictOf(findings, row.temperature),
    };
  }

  /** In, out, fevers, referrals and key persons of a site day, per hour, and who is on site now (visitors and vehicles: their own modules). */
  counts(day: string, now: Date): Omit<GateCounts, 'visitors' | 'vehicles'> {
    const hours = Array.from({ length: 24 }, (_, hour) => ({ hour, in: 0, out: 0, fevers: 0 }));
    const rows = this.sql(
      `SELECT hour, direction, COUNT(*) AS n, SUM(temperature = 'fever') AS fevers FROM gate_passage WHERE day = ? GROUP BY hour, direction`,
    ).all(day) as { hour: number; direction: Direction; n: number; fevers: number }[];
    for (const r of rows) {
      const h = hours[r.hour]!;
      h[r.direction] += r.n;
      h.fevers += r.fevers;
    }
    const count = (source: string, ...params: unknown[]) => (this.sql(source).get(...params) as { n: number }).n;
    return {
      day,
      in: hours.reduce((n, h) => n + h.in, 0),
      out: hours.reduce((n, h) => n + h.out, 0),
      onSiteNow: count(
        `SELECT COUNT(*) AS n FROM (SELECT direction, MAX(at) FROM gate_passage WHERE at >= ? GROUP BY person_id) WHERE direction = 'in'`,
        new Date(now.getTime() - ON_SITE_HOURS * 3600_000).toISOString(),
      ),
      fevers: hours.reduce((n, h) => n + h.fevers, 0),
      referrals: count('SELECT COUNT(*) AS n FROM gate_referral r JOIN gate_passage g ON g.id = r.passage_id WHERE g.day = ?', day),
      keyPersons: count('SELECT COUNT(*) AS n FROM gate_passage WHERE day = ? AND key_person IS NOT NULL', day),
      hours,
    };
  }
}

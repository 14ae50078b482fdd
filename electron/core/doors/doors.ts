import type { Statement } from 'better-sqlite3-multiple-ciphers';
import type { Capacity, ScanOutcome, TubeSummary } from '../../api/contract';
import {
  DOOR_TAGS,
  DOOR_TEMPERATURE,
  type DoorArea,
  type DoorCounts,
  type DoorGroupSummary,
  type DoorHousehold,
  type DoorHouseholdRow,
  type DoorHouseholdStatus,
  type DoorHouseholdView,
  type DoorListView,
  type DoorMode,
  type DoorOutcome,
  type DoorPersonState,
  type DoorResidentView,
  type DoorSampleOutcome,
  type DoorSetupView,
  type DoorTag,
  type DoorVisitView,
} from '../../api/doors';
import type { CoreContext } from '../context';
import { PreparedStatements } from '../db/statements';
import { DomainError } from '../errors';
import { newId } from '../ids';
import { maskIdNumber } from '../person/mask';
import { PersonRegistry, type PersonRow } from '../person/registry';
import { bitsToTags, TAG_BITS } from '../roster/file';
import { household as householdLabel, type Roster } from '../roster/roster';
import type { Rounds } from '../rounds/rounds';
import { personView, type SamplingDesk } from '../sampling/desk';
import type { ClassifiedScan } from '../scan/router';
import type { FeedHandlers } from '../feed/feed';

/** What door to door is given besides the core's context. */
export type DoorsDeps = {
  /** The desk's tubes and bindings: a person sampled at a door is bound exactly as at the desk. */
  desk: SamplingDesk;
  roster: Roster;
  rounds: Rounds;
  /** What the desk does after a binding (a re-test task sampled), done after a door's binding too. */
  afterScan: (outcome: ScanOutcome) => ScanOutcome;
};

type GroupRow = {
  id: string;
  round_id: string;
  created_at: string;
  name: string;
  collector_id: string;
  helper_ids: string;
  areas: string;
  tags: number;
  at: string;
};

type Group = { id: string; roundId: string; createdAt: string; assignedAt: string; name: string; collectorId: string; helperIds: string[]; areas: DoorArea[]; tagBits: number };

type ResidentRow = {
  rowid: number;
  id_number: string;
  name: string;
  phone: string | null;
  building: string;
  unit: string;
  room: string;
  tags: number;
  mark: string;
  tested: number;
  exempt: number;
};

type VisitRow = {
  id: string;
  building: string;
  unit: string;
  room: string;
  person_id: string | null;
  id_number: string | null;
  reg_code: string | null;
  person_name: string | null;
  phone: string | null;
  outcome: DoorOutcome;
  reason: string | null;
  revisit_at: string | null;
  temperature_c: number | null;
  tube_code: string | null;
  at: string;
  seq: number;
  operator_name: string | null;
  /** A visit at another station of the site (relayed by HQ): the person by mark, and the station's name. */
  mark: string | null;
  station_name: string | null;
};

const RESIDENT_COLUMNS = `r.rowid, r.id_number, r.name, r.phone, r.building, r.unit, r.room, r.tags, r.mark,
  EXISTS (SELECT 1 FROM coverage_tested t WHERE t.round_id = @round AND t.mark = r.mark) AS tested,
  EXISTS (SELECT 1 FROM coverage_exempt e WHERE e.round_id = @round AND e.mark = r.mark) AS exempt`;

const VISIT_SELECT = `SELECT v.id, v.building, v.unit, v.room, v.person_id, p.id_number, p.reg_code, p.name AS person_name, p.phone,
    v.outcome, v.reason, v.revisit_at, v.temperature_c, v.tube_code, v.at, v.seq, o.name AS operator_name, NULL AS mark, NULL AS station_name
  FROM door_visit v LEFT JOIN person p ON p.id = v.person_id LEFT JOIN operator o ON o.id = v.operator_id`;

/** Visits at the site's other stations, in the shape of this station's own. */
const REMOTE_SELECT = `SELECT v.id, v.building, v.unit, v.room, NULL AS person_id, NULL AS id_number, NULL AS reg_code, NULL AS person_name, NULL AS phone,
    v.outcome, v.reason, v.revisit_at, NULL AS temperature_c, NULL AS tube_code, v.at, 0 AS seq, NULL AS operator_name, v.mark, v.station_name
  FROM door_visit_remote v`;

/** Visits in the order they were made: by time, then (at this station) by journal order. */
function byTime(a: VisitRow, b: VisitRow): number {
  return a.at < b.at ? -1 : a.at > b.at ? 1 : a.seq - b.seq;
}

const collator = new Intl.Collator('zh-CN', { numeric: true });

function key(h: DoorHousehold): string {
  return `${h.building}\u0000${h.unit}\u0000${h.room}`;
}

function compareHouseholds(a: DoorHousehold, b: DoorHousehold): number {
  return collator.compare(a.building, b.building) || collator.compare(a.unit, b.unit) || collator.compare(a.room, b.room);
}

function inAreas(areas: readonly DoorArea[], h: { building: string; unit: string }): boolean {
  return areas.some((a) => a.building === h.building && (a.unit === null || a.unit === h.unit));
}

function emptyCounts(): DoorCounts {
  return { households: 0, done: 0, revisit: 0, toVisit: 0, residents: 0, sampled: 0, exempt: 0, refused: 0, notHome: 0, due: 0 };
}

/** The later of two visits (by time, then journal order). */
function later(a: VisitRow | undefined, b: VisitRow | undefined): VisitRow | undefined {
  if (!a) return b;
  if (!b) return a;
  return byTime(a, b) > 0 ? a : b;
}

type EvaluatedResident = { row: ResidentRow; targeted: boolean; state: DoorPersonState; last: VisitRow | undefined };
type EvaluatedHousehold = { row: DoorHouseholdRow; residents: EvaluatedResident[]; history: VisitRow[] };

/**
 * Door to door (入户采样) at this station: groups formed for a round with their buildings or units
 * of the roster and whom they sample there, and what each visit found at a household's door. A
 * person sampled at a door is bound by the sampling desk itself (its open tube, its binding, its
 * journal entries), so coverage, "sampled already this round", results, re-tests, boxes and HQ
 * take it as any desk's; the visit record beside it says where and when, and the temperature.
 * Where a resident stands comes from coverage first (sampled or exempt, at whichever station),
 * then from the latest visit of them or of their household (refused, not home). Every change runs
 * inside the writer's transaction, checks everything before its first write, and is journalled.
 */
export class Doors {
  private prepared: PreparedStatements | null = null;
  private readonly people: PersonRegistry;

  constructor(
    private readonly ctx: CoreContext,
    private readonly deps: DoorsDeps,
  ) {
    this.people = new PersonRegistry(ctx.db, ctx.journal);
  }

  private sql(source: string): Statement {
    return (this.prepared ??= new PreparedStatements(this.ctx.db)).get(source);
  }

  private stamp() {
    return { stationId: this.ctx.identity.station.id, operatorId: this.ctx.operatorId(), at: this.ctx.now().toISOString() };
  }

  /** The site's pool size: a pooled tube at a door takes this many people. */
  poolSize(): Capacity {
    return this.ctx.identity.site.config.defaultCapacity;
  }

  private capacityFor(mode: DoorMode): Capacity {
    return mode === 'single' ? 1 : this.poolSize();
  }

  // ---- groups ---------------------------------------------------------------------------------

  private groupRow(groupId: string): GroupRow | undefined {
    return this.sql(
      `SELECT g.id, g.round_id, g.created_at, a.name, a.collector_id, a.helper_ids, a.areas, a.tags, a.at
       FROM door_group g JOIN door_assignment a ON a.group_id = g.id
       WHERE g.id = ? ORDER BY a.seq DESC LIMIT 1`,
    ).get(groupId) as GroupRow | undefined;
  }

  private toGroup(r: GroupRow): Group {
    return {
      id: r.id,
      roundId: r.round_id,
      createdAt: r.created_at,
      assignedAt: r.at,
      name: r.name,
      collectorId: r.collector_id,
      helperIds: JSON.parse(r.helper_ids) as string[],
      areas: JSON.parse(r.areas) as DoorArea[],
      tagBits: r.tags,
    };
  }

  private group(groupId: string): Group {
    const row = this.groupRow(groupId);
    if (!row || this.ctx.db.prepare('SELECT 1 FROM door_group WHERE id = ? AND station_id = ?').get(groupId, this.ctx.identity.station.id) === undefined) {
      throw new DomainError('door.groupUnknown', { groupId });
    }
    return this.toGroup(row);
  }

  /** A group that may still record visits: its round is the one in use (open, started last). */
  private active(groupId: string): Group {
    const g = this.group(groupId);
    if (this.deps.rounds.current()?.id !== g.roundId) throw new DomainError('door.roundClosed', { round: this.deps.rounds.nameOf(g.roundId) });
    return g;
  }

  private operatorName(id: string): string {
    return (this.sql('SELECT name FROM operator WHERE id = ?').get(id) as { name: string } | undefined)?.name ?? '?';
  }

  private summary(g: Group, counts?: DoorCounts): DoorGroupSummary {
    return {
      id: g.id,
      name: g.name,
      round: { id: g.roundId, name: this.deps.rounds.nameOf(g.roundId), closed: this.deps.rounds.current()?.id !== g.roundId },
      collector: { id: g.collectorId, name: this.operatorName(g.collectorId) },
      helpers: g.helperIds.map((id) => ({ id, name: this.operatorName(id) })),
      areas: g.areas,
      tags: DOOR_TAGS.filter((t) => (g.tagBits & TAG_BITS[t]) !== 0),
      createdAt: g.createdAt,
      assignedAt: g.assignedAt,
      progress: counts ?? this.evaluate(g).totals,
    };
  }

  /** This station's groups, newest first: of the round in use, or of every round. */
  groups(all: boolean): DoorGroupSummary[] {
    const current = this.deps.rounds.current()?.id ?? null;
    const ids = this.sql(
      `SELECT id FROM door_group WHERE station_id = ? AND (? = 1 OR round_id = ?) ORDER BY seq DESC LIMIT 100`,
    ).all(this.ctx.identity.station.id, all ? 1 : 0, current) as { id: string }[];
    return ids.map((r) => this.summary(this.group(r.id)));
  }

  /** What the assignment form offers: the roster's buildings and units, the station's staff. */
  setup(): DoorSetupView {
    const round = this.deps.rounds.current();
    const buildings: DoorSetupView['buildings'] = [];
    let residents = 0;
    if (this.deps.roster.currentId() !== null) {
      const rows = this.sql(
        `SELECT building, unit, count(DISTINCT room) AS households, count(*) AS residents,
           sum((tags & 1) != 0) AS elderly, sum((tags & 2) != 0) AS bedridden, sum((tags & 4) != 0) AS isolation
         FROM roster.resident GROUP BY building, unit`,
      ).all() as { building: string; unit: string; households: number; residents: number; elderly: number; bedridden: number; isolation: number }[];
      rows.sort((a, b) => collator.compare(a.building, b.building) || collator.compare(a.unit, b.unit));
      for (const r of rows) {
        residents += r.residents;
        let b = buildings[buildings.length - 1];
        if (b?.building !== r.building) buildings.push((b = { building: r.building, units: [] }));
        b.units.push({ unit: r.unit, households: r.households, residents: r.residents, tagged: { elderly: r.elderly, bedridden: r.bedridden, isolation: r.isolation } });
      }
    }
    const operators = this.sql(
      `SELECT id, name, role FROM operator WHERE disabled = 0 AND role IN ('collector', 'sampler', 'admin') ORDER BY role, name`,
    ).all() as { id: string; name: string; role: string }[];
    return { round: round ? { id: round.id, name: round.name } : null, rosterResidents: residents, buildings, operators, poolSize: this.poolSize() };
  }

  private activeOperator(id: string): { id: string; name: string; role: string } {
    const op = this.sql('SELECT id, name, role, disabled FROM operator WHERE id = ?').get(id) as { id: string; name: string; role: string; disabled: number } | undefined;
    if (!op || op.disabled === 1) throw new DomainError('door.operatorUnknown');
    return op;
  }

  /** The areas as given, each once; a whole building covers its units. Refused when one is not on the roster. */
  private areas(given: readonly DoorArea[]): DoorArea[] {
    const whole = new Set(given.filter((a) => a.unit === null).map((a) => a.building));
    const seen = new Set<string>();
    const areas: DoorArea[] = [];
    for (const a of given) {
      if (a.unit !== null && whole.has(a.building)) continue;
      const k = `${a.building}\u0000${a.unit ?? '\u0001'}`;
      if (seen.has(k)) continue;
      seen.add(k);
      const known =
        a.unit === null
          ? this.sql('SELECT 1 FROM roster.cell WHERE building = ? LIMIT 1').get(a.building)
          : this.sql('SELECT 1 FROM roster.cell WHERE building = ? AND unit = ?').get(a.building, a.unit);
      if (!known) throw new DomainError('door.areaUnknown', { building: a.building, unit: a.unit ?? '' });
      areas.push(a);
    }
    return areas.sort((x, y) => collator.compare(x.building, y.building) || collator.compare(x.unit ?? '', y.unit ?? ''));
  }

  /**
   * Forms a group for the round in use (or gives an existing one of this station other
   * households, staff or people to sample): a new assignment record, journalled; earlier ones stay.
   */
  assign(args: { groupId?: string; name: string; collectorId: string; helperIds: string[]; areas: DoorArea[]; tags: DoorTag[] }): DoorGroupSummary {
    if (this.deps.roster.currentId() === null) throw new DomainError('door.noRoster');
    let roundId: string;
    if (args.groupId !== undefined) {
      roundId = this.active(args.groupId).roundId;
    } else {
      const round = this.deps.rounds.current();
      if (!round) throw new DomainError('round.noneOpen');
      roundId = round.id;
    }
    const collector = this.activeOperator(args.collectorId);
    if (collector.role !== 'collector' && collector.role !== 'admin') throw new DomainError('door.collectorRole', { name: collector.name });
    const helperIds = [...new Set(args.helperIds)].filter((id) => id !== collector.id);
    for (const id of helperIds) this.activeOperator(id);
    const areas = this.areas(args.areas);
    const tags = DOOR_TAGS.filter((t) => args.tags.includes(t));
    const tagBits = tags.reduce((bits, t) => bits | TAG_BITS[t], 0);
    const s = this.stamp();
    const groupId = args.groupId ?? newId();
    const seq = this.ctx.journal.append({
      ...s,
      kind: 'door.groupAssigned',
      entityId: groupId,
      payload: { roundId, name: args.name, collectorId: collector.id, helperIds, areas, tags },
    });
    if (args.groupId === undefined) {
      this.sql('INSERT INTO door_group (id, round_id, station_id, operator_id, created_at, seq) VALUES (?, ?, ?, ?, ?, ?)').run(groupId, roundId, s.stationId, s.operatorId, s.at, seq);
    }
    this.sql(
      `INSERT INTO door_assignment (id, group_id, name, collector_id, helper_ids, areas, tags, operator_id, at, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(newId(), groupId, args.name, collector.id, JSON.stringify(helperIds), JSON.stringify(areas), tagBits, s.operatorId, s.at, seq);
    return this.summary(this.group(groupId));
  }

  // ---- where everyone stands ---------------------------------------------------------------------

  private residentsOfAreas(g: Group): ResidentRow[] {
    if (this.deps.roster.currentId() === null) return [];
    return this.sql(
      `SELECT ${RESIDENT_COLUMNS} FROM json_each(@areas) a JOIN roster.resident r
         ON r.building = json_extract(a.value, '$.building') AND (json_extract(a.value, '$.unit') IS NULL OR r.unit = json_extract(a.value, '$.unit'))`,
    ).all({ round: g.roundId, areas: JSON.stringify(g.areas) }) as ResidentRow[];
  }

  private residentsOfHousehold(g: Group, h: DoorHousehold): ResidentRow[] {
    if (this.deps.roster.currentId() === null) return [];
    return this.sql(`SELECT ${RESIDENT_COLUMNS} FROM roster.resident r WHERE r.building = @building AND r.unit = @unit AND r.room = @room`).all({
      round: g.roundId,
      building: h.building,
      unit: h.unit,
      room: h.room,
    }) as ResidentRow[];
  }

  /** This station's visits of the round and the other stations' (relayed by HQ), in the order they were made. */
  private visitsOfRound(roundId: string): VisitRow[] {
    const here = this.sql(`${VISIT_SELECT} WHERE v.round_id = ?`).all(roundId) as VisitRow[];
    const elsewhere = this.sql(`${REMOTE_SELECT} WHERE v.round_id = ?`).all(roundId) as VisitRow[];
    return [...here, ...elsewhere].sort(byTime);
  }

  private targeted(g: Group, tags: number): boolean {
    return g.tagBits === 0 || (tags & g.tagBits) !== 0;
  }

  /**
   * Where every resident of the given households stands, and so each household: done when nobody
   * the group is to sample is left (sampled, exempt or refusing), to visit again when someone left
   * was not home, else still to visit.
   */
  private evaluate(g: Group, residents: ResidentRow[] = this.residentsOfAreas(g), visits: VisitRow[] = this.visitsOfRound(g.roundId)) {
    // Whom a visit was about: a person of this station's (by ID number) or another's (by mark), else the household.
    const personLast = new Map<string, VisitRow>();
    const markLast = new Map<string, VisitRow>();
    const householdLast = new Map<string, VisitRow>();
    const history = new Map<string, VisitRow[]>();
    for (const v of visits) {
      if (v.mark !== null) markLast.set(v.mark, v);
      else if (v.person_id === null) householdLast.set(key(v), v);
      else if (v.id_number !== null) personLast.set(v.id_number, v);
      let list = history.get(key(v));
      if (!list) history.set(key(v), (list = []));
      list.push(v);
    }
    const byHousehold = new Map<string, ResidentRow[]>();
    for (const r of residents) {
      let list = byHousehold.get(key(r));
      if (!list) byHousehold.set(key(r), (list = []));
      list.push(r);
    }
    const households: EvaluatedHousehold[] = [];
    for (const [k, rows] of byHousehold) {
      const evaluated = rows.map((row): EvaluatedResident => {
        const targeted = this.targeted(g, row.tags);
        const last = later(later(personLast.get(row.id_number), markLast.get(row.mark)), householdLast.get(k));
        let state: DoorPersonState;
        if (row.tested === 1) state = 'sampled';
        else if (row.exempt === 1) state = 'exempt';
        else if (last?.outcome === 'refused') state = 'refused';
        else if (last?.outcome === 'notHome') state = 'notHome';
        else state = targeted ? 'due' : 'notDue';
        return { row, targeted, state, last };
      });
      const aimed = evaluated.filter((e) => e.targeted);
      if (aimed.length === 0) continue;
      const counts = { residents: aimed.length, sampled: 0, exempt: 0, refused: 0, notHome: 0, due: 0 };
      for (const e of aimed) if (e.state !== 'notDue') counts[e.state]++;
      let notHome: VisitRow | undefined;
      for (const e of aimed) if (e.state === 'notHome') notHome = later(notHome, e.last);
      const status: DoorHouseholdStatus = counts.notHome + counts.due === 0 ? 'done' : counts.notHome > 0 ? 'revisit' : 'toVisit';
      const visitsHere = history.get(k) ?? [];
      const lastVisit = visitsHere[visitsHere.length - 1];
      const first = rows[0] as ResidentRow;
      households.push({
        row: {
          building: first.building,
          unit: first.unit,
          room: first.room,
          status,
          counts,
          living: rows.length,
          tags: DOOR_TAGS.filter((t) => rows.some((r) => (r.tags & TAG_BITS[t]) !== 0)),
          visits: visitsHere.length,
          lastVisit: lastVisit ? { at: lastVisit.at, outcome: lastVisit.outcome } : null,
          notHomeAt: notHome?.at ?? null,
          revisitAt: notHome?.revisit_at ?? null,
        },
        residents: evaluated.sort((a, b) => Number(b.targeted) - Number(a.targeted) || collator.compare(a.row.name, b.row.name)),
        history: visitsHere,
      });
    }
    households.sort((a, b) => compareHouseholds(a.row, b.row));
    const totals = emptyCounts();
    const buildings = new Map<string, DoorCounts & { building: string }>();
    for (const h of households) {
      let b = buildings.get(h.row.building);
      if (!b) buildings.set(h.row.building, (b = { building: h.row.building, ...emptyCounts() }));
      for (const c of [totals, b]) {
        c.households++;
        c[h.row.status]++;
        for (const f of ['residents', 'sampled', 'exempt', 'refused', 'notHome', 'due'] as const) c[f] += h.row.counts[f];
      }
    }
    return { totals, buildings: [...buildings.values()], households };
  }

  private tube(): TubeSummary | null {
    const open = this.deps.desk.openTubeSummary();
    if (!open) return null;
    const { roundId: _round, ...summary } = open;
    return summary;
  }

  /** A group's list: progress per building and for the group, every household, the revisit list. */
  list(groupId: string, asOf: string | null): DoorListView {
    const g = this.group(groupId);
    const { totals, buildings, households } = this.evaluate(g);
    const rows = households.map((h) => h.row);
    const revisits = rows
      .filter((h) => h.status === 'revisit')
      .sort((a, b) => (a.revisitAt ?? a.notHomeAt ?? '').localeCompare(b.revisitAt ?? b.notHomeAt ?? '') || compareHouseholds(a, b));
    return { group: this.summary(g, totals), buildings, households: rows, revisits, tube: this.tube(), poolSize: this.poolSize(), asOf };
  }

  private visitView(v: VisitRow, residents: readonly EvaluatedResident[]): DoorVisitView {
    const person: PersonRow | null = v.person_id ? { id: v.person_id, id_number: v.id_number, reg_code: v.reg_code, name: v.person_name, phone: v.phone } : null;
    // Another station's visit names its person by mark: a resident of this household, or someone this station cannot name.
    const marked = v.mark === null ? null : (residents.find((r) => r.row.mark === v.mark)?.row.name ?? '?');
    return {
      id: v.id,
      at: v.at,
      outcome: v.outcome,
      person: person ? personView(person).label : marked,
      reason: v.reason,
      revisitAt: v.revisit_at,
      temperatureC: v.temperature_c,
      tubeCode: v.tube_code,
      operator: v.operator_name ?? '',
      station: v.station_name,
    };
  }

  /** A household of the group's list, with each resident and the visits there; refused when not on the list. */
  private evaluatedHousehold(g: Group, h: DoorHousehold): EvaluatedHousehold {
    const label = householdLabel(h);
    if (!inAreas(g.areas, h)) throw new DomainError('door.householdNotInGroup', { household: label });
    const residents = this.residentsOfHousehold(g, h);
    // The household's visits, and visits of its residents found elsewhere; here and at the site's other stations.
    const params = { round: g.roundId, building: h.building, unit: h.unit, room: h.room };
    const here = this.sql(
      `${VISIT_SELECT} WHERE v.round_id = @round AND ((v.building = @building AND v.unit = @unit AND v.room = @room) OR p.id_number IN (SELECT value FROM json_each(@ids)))`,
    ).all({ ...params, ids: JSON.stringify(residents.map((r) => r.id_number)) }) as VisitRow[];
    const elsewhere = this.sql(
      `${REMOTE_SELECT} WHERE v.round_id = @round AND ((v.building = @building AND v.unit = @unit AND v.room = @room) OR v.mark IN (SELECT value FROM json_each(@marks)))`,
    ).all({ ...params, marks: JSON.stringify(residents.map((r) => r.mark)) }) as VisitRow[];
    const visits = [...here, ...elsewhere].sort(byTime);
    const found = this.evaluate(g, residents, visits).households[0];
    if (!found) throw new DomainError('door.householdNotInGroup', { household: label });
    return found;
  }

  household(groupId: string, h: DoorHousehold): DoorHouseholdView {
    const g = this.group(groupId);
    return this.householdView(g, this.evaluatedHousehold(g, h));
  }

  private householdView(g: Group, e: EvaluatedHousehold): DoorHouseholdView {
    const rosterId = this.deps.roster.currentId() ?? '';
    const residents = e.residents.map(
      (r): DoorResidentView => ({
        ref: `${rosterId}:${r.row.rowid}`,
        name: r.row.name,
        maskedIdNumber: maskIdNumber(r.row.id_number),
        tags: bitsToTags(r.row.tags),
        targeted: r.targeted,
        state: r.state,
        lastVisit: r.last ? { at: r.last.at, outcome: r.last.outcome, reason: r.last.reason, revisitAt: r.last.revisit_at } : null,
      }),
    );
    return { ...e.row, groupId: g.id, residents, history: e.history.map((v) => this.visitView(v, e.residents)).reverse(), tube: this.tube() };
  }

  private refreshed(g: Group, h: DoorHousehold): DoorHouseholdView {
    return this.householdView(g, this.evaluatedHousehold(g, h));
  }

  // ---- the site's other stations ------------------------------------------------------------------

  /**
   * Visits at the site's other stations, as HQ relays them: kept as they come (the same visit
   * twice once), this station's own skipped. Never refused: a visit of a round or household this
   * station does not know is kept and simply matches nothing.
   */
  feedHandlers(): FeedHandlers {
    return {
      'door.visit': (item, effects, at) => {
        const p = item.payload;
        if (p.stationId === this.ctx.identity.station.id || p.siteId !== this.ctx.identity.site.id) return;
        const added = this.sql(
          `INSERT INTO door_visit_remote (id, round_id, station_id, station_name, building, unit, room, mark, outcome, reason, revisit_at, at, feed_cursor, received_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
        ).run(p.visitId, p.roundId, p.stationId, p.stationName, p.building, p.unit, p.room, p.mark, p.outcome, p.reason, p.revisitAt, p.at, item.cursor, at).changes;
        effects.doors += added;
      },
    };
  }

  // ---- at the door -------------------------------------------------------------------------------

  private resident(e: EvaluatedHousehold, ref: string): EvaluatedResident {
    const m = /^([0-9a-f-]{36}):(\d+)$/.exec(ref);
    if (!m || m[1] !== this.deps.roster.currentId()) throw new DomainError('roster.residentUnknown');
    const found = e.residents.find((r) => r.row.rowid === Number(m[2]));
    if (!found) throw new DomainError('door.residentNotInHousehold', { household: householdLabel(e.row) });
    return found;
  }

  private temperature(celsius: number | undefined): number | null {
    if (celsius === undefined) return null;
    if (celsius < DOOR_TEMPERATURE.min || celsius > DOOR_TEMPERATURE.max) throw new DomainError('door.temperatureInvalid', { celsius });
    return Math.round(celsius * 10) / 10;
  }

  /** The tube the next person goes into: open, and of the group's round. */
  private requireTube(g: Group): void {
    const open = this.deps.desk.openTubeSummary();
    if (!open) throw new DomainError('door.tubeNeeded');
    if (open.roundId !== g.roundId) throw new DomainError('door.tubeOtherRound', { code: open.code });
  }

  private recordVisit(
    g: Group,
    h: DoorHousehold,
    v: { personId: string | null; outcome: DoorOutcome; reason: string | null; revisitAt: string | null; temperatureC: number | null; tubeCode: string | null; bindingId: string | null },
  ): void {
    const s = this.stamp();
    const id = newId();
    const seq = this.ctx.journal.append({
      ...s,
      kind: 'door.visit',
      entityId: id,
      payload: { groupId: g.id, roundId: g.roundId, building: h.building, unit: h.unit, room: h.room, ...v },
    });
    this.sql(
      `INSERT INTO door_visit (id, group_id, round_id, building, unit, room, person_id, outcome, reason, revisit_at, temperature_c, binding_id, tube_code, station_id, operator_id, at, seq)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(id, g.id, g.roundId, h.building, h.unit, h.room, v.personId, v.outcome, v.reason, v.revisitAt, v.temperatureC, v.bindingId, v.tubeCode, s.stationId, s.operatorId, s.at, seq);
  }

  /**
   * What the desk's binding step answered, carried through: a question (sampled already this
   * round) asked or, with `confirmRepeat`, answered yes; a binding followed by the desk's own
   * after-step and the visit record with its temperature.
   */
  private afterBind(g: Group, h: DoorHousehold, first: ScanOutcome, confirmRepeat: boolean, temperatureC: number | null, livesAt: string | null): DoorSampleOutcome {
    let outcome = first;
    if (outcome.kind === 'person.needsConfirmation') {
      if (!confirmRepeat) return { kind: 'needsConfirmation', pending: outcome.pending, household: this.refreshed(g, h) };
      outcome = this.deps.desk.confirm(outcome.pending.token);
    }
    if (outcome.kind !== 'person.bound') throw new Error(`a binding step answered ${outcome.kind}`);
    const bound = this.deps.afterScan(outcome);
    if (bound.kind !== 'person.bound') throw new Error(`a binding step answered ${bound.kind}`);
    const bindingId = this.deps.desk.bindingOf(bound.tubeCode, bound.person.id);
    if (!bindingId) throw new Error('the binding just made is not there');
    this.recordVisit(g, h, { personId: bound.person.id, outcome: 'sampled', reason: null, revisitAt: null, temperatureC, tubeCode: bound.tubeCode, bindingId });
    return {
      kind: 'sampled',
      person: bound.person,
      tubeCode: bound.tubeCode,
      count: bound.count,
      capacity: bound.capacity,
      tubeSealed: bound.tubeSealed,
      temperatureC,
      livesAt,
      household: this.refreshed(g, h),
    };
  }

  /** A resident of the household picked from the list, sampled into the open tube. */
  sample(args: { groupId: string; household: DoorHousehold; ref: string; temperatureC?: number; confirmRepeat: boolean }): DoorSampleOutcome {
    const g = this.active(args.groupId);
    const resident = this.resident(this.evaluatedHousehold(g, args.household), args.ref);
    const temperatureC = this.temperature(args.temperatureC);
    this.requireTube(g);
    const r = resident.row;
    const outcome = this.deps.desk.bindResident({ idNumber: r.id_number, name: r.name, phone: r.phone });
    return this.afterBind(g, args.household, outcome, args.confirmRepeat, temperatureC, null);
  }

  /** Opens a tube at the door with the mode's capacity (the open one is sealed, or voided when empty, as at the desk). */
  openTube(args: { groupId: string; household: DoorHousehold; mode: DoorMode; code: string | null }): DoorSampleOutcome {
    const g = this.active(args.groupId);
    this.evaluatedHousehold(g, args.household);
    const code = args.code ?? this.deps.desk.newTubeCode();
    const opened = this.deps.desk.openTube(code, this.capacityFor(args.mode));
    if (opened.kind !== 'tube.opened') throw new Error(`opening a tube answered ${opened.kind}`);
    return { ...opened, kind: 'tube.opened', household: this.refreshed(g, args.household) };
  }

  /** A scan at the door: a tube opens with the mode's capacity; a person (on the roster or not) is sampled where they are found. */
  scan(args: { groupId: string; household: DoorHousehold; mode: DoorMode; temperatureC?: number; confirmRepeat: boolean }, scan: ClassifiedScan): DoorSampleOutcome {
    if (scan.kind === 'tube') return this.openTube({ ...args, code: scan.code });
    if (scan.kind !== 'person') throw new DomainError('door.scanNotPerson');
    const g = this.active(args.groupId);
    this.evaluatedHousehold(g, args.household);
    const temperatureC = this.temperature(args.temperatureC);
    this.requireTube(g);
    // Someone on the roster is sampled under the roster's name (an ID card's code carries only its number).
    const id = scan.person.idNumber;
    const onRoster =
      id && this.deps.roster.currentId() !== null
        ? (this.sql('SELECT name, phone, building, unit, room FROM roster.resident WHERE id_number = ?').get(id) as (DoorHousehold & { name: string; phone: string | null }) | undefined)
        : undefined;
    const livesAt = onRoster && key(onRoster) !== key(args.household) ? householdLabel(onRoster) : null;
    const person = onRoster ? { ...scan.person, name: scan.person.name ?? onRoster.name, phone: scan.person.phone ?? onRoster.phone } : scan.person;
    const outcome = this.deps.desk.scan({ ...scan, person });
    return this.afterBind(g, args.household, outcome, args.confirmRepeat, temperatureC, livesAt);
  }

  /** The person named, registered as the desk registers a resident picked from the roster. */
  private personOf(r: ResidentRow): string {
    return this.people.upsert({ idNumber: r.id_number, regCode: null, name: r.name, phone: r.phone }, 'roster', this.stamp()).id;
  }

  /** Someone to record not home or refusing: a resident not sampled yet, or (no `ref`) the household while someone there is left to visit. */
  private subject(g: Group, e: EvaluatedHousehold, ref: string | undefined): string | null {
    if (ref === undefined) {
      if (!e.residents.some((r) => r.targeted && (r.state === 'due' || r.state === 'notHome'))) {
        throw new DomainError('door.nobodyToVisit', { household: householdLabel(e.row) });
      }
      return null;
    }
    const r = this.resident(e, ref);
    if (r.state === 'sampled') throw new DomainError('door.alreadySampled', { person: r.row.name });
    return this.personOf(r.row);
  }

  notHome(args: { groupId: string; household: DoorHousehold; ref?: string; revisitAt?: string }): DoorHouseholdView {
    const g = this.active(args.groupId);
    const personId = this.subject(g, this.evaluatedHousehold(g, args.household), args.ref);
    const revisitAt = args.revisitAt ? new Date(args.revisitAt).toISOString() : null;
    this.recordVisit(g, args.household, { personId, outcome: 'notHome', reason: null, revisitAt, temperatureC: null, tubeCode: null, bindingId: null });
    return this.refreshed(g, args.household);
  }

  refuse(args: { groupId: string; household: DoorHousehold; ref?: string; reason: string; temperatureC?: number }): DoorHouseholdView {
    const g = this.active(args.groupId);
    const e = this.evaluatedHousehold(g, args.household);
    const temperatureC = this.temperature(args.temperatureC);
    const personId = this.subject(g, e, args.ref);
    this.recordVisit(g, args.household, { personId, outcome: 'refused', reason: args.reason, revisitAt: null, temperatureC, tubeCode: null, bindingId: null });
    return this.refreshed(g, args.household);
  }
}


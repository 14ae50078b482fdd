/**
 * The part of ingest both storage backends share: deciding, for one batch, what is new, what is a
 * re-send, what conflicts and what is invalid, and what the new valid records change in the
 * dashboard's projections. The backends only read what they hold and write what this decides, so
 * they cannot drift apart in behaviour.
 */
import { randomInt } from 'node:crypto';
import { setImmediate } from 'node:timers/promises';
import { entryDigests, entryHash, GENESIS_HASH, hasPersonalFields } from './chain';
import { canonicalJson, inspectRecord, sha256Hex, type InspectedRecord, type PayloadOf, type Rejection, type ValidRecord } from './protocol';
import type { EnrollError } from './store/types';
import type { ResidentTuple } from '../electron/core/roster/file';
import type { ExemptionReason } from '../electron/api/coverage';

/** Sampling sites in China keep one clock (UTC+8, no daylight saving); "today" means their day. */
const SITE_UTC_OFFSET_MS = 8 * 3600_000;

export function siteDay(at: string | number | Date): string {
  const ms = typeof at === 'number' ? at : typeof at === 'string' ? Date.parse(at) : at.getTime();
  return new Date(ms + SITE_UTC_OFFSET_MS).toISOString().slice(0, 10);
}

/** The site day and hour (0-23) of a moment: the gate's counts are per site, day and hour. */
export function siteHour(at: string): { day: string; hour: number } {
  const local = new Date(Date.parse(at) + SITE_UTC_OFFSET_MS).toISOString();
  return { day: local.slice(0, 10), hour: Number(local.slice(11, 13)) };
}

/** The records of a batch share a few hours: their site day is computed once per UTC hour. */
const dayByUtcHour = new Map<string, string>();
function recordDay(at: string): string {
  if (!at.endsWith('Z') || at.length < 13) return siteDay(at);
  const hour = at.slice(0, 13);
  let day = dayByUtcHour.get(hour);
  if (day === undefined) {
    if (dayByUtcHour.size > 10_000) dayByUtcHour.clear();
    day = siteDay(`${hour}:00:00Z`);
    dayByUtcHour.set(hour, day);
  }
  return day;
}

/** A journal record as HQ keeps it: valid or not, it occupies its seq. */
export type StoredRecord = {
  seq: number;
  kind: string;
  entityId: string;
  operatorId: string;
  at: string;
  payload: string;
  digest: string;
  /** Its hash in the station's chain; null for records from before the station chained its journal. */
  chainHash: string | null;
  rejection: Rejection['code'] | null;
  detail: string | null;
};

/** What a backend already holds for the overlapping part of a batch. */
export type HeldRecord = { seq: number; digest: string; rejection: string | null; detail: string | null };

export type ConflictRow = { seq: number; storedDigest: string; receivedDigest: string; received: string };

export type Projection = {
  persons: { personId: string; personKey: string; at: string }[];
  rounds: { roundId: string; siteId: string; name: string; startsOn: string | null; endsOn: string | null; at: string }[];
  roundsClosed: { roundId: string; siteId: string; at: string }[];
  tubesOpened: { tubeId: string; code: string; capacity: number; roundId: string; at: string; day: string }[];
  /** Final state per tube after this batch, in seq order. */
  tubeStates: { tubeId: string; state: 'open' | 'sealed' | 'voided'; count: number | null }[];
  bindings: { bindingId: string; tubeId: string; tubeCode: string; personId: string; roundId: string; at: string; day: string }[];
  bindingsUndone: string[];
  /** What the station did with its boxes, in seq order (`domains/boxes.ts`); who carried a box stays in the journal. */
  boxes: BoxStep[];
  /** Rosters imported at the station: opened by `roster.committed`, filled by `roster.rows`. */
  rosterCommits: { importId: string; siteId: string; rows: number; fileName: string; at: string }[];
  rosterRows: { importId: string; part: number; rows: ResidentTuple[] }[];
  /** Exemptions a site admin set or lifted at the station, in order. */
  exemptions: { roundId: string; idNumber: string; set: { reason: ExemptionReason; note: string } | null; at: string }[];
  /** Operators a site admin made or changed at the station, or locked out by wrong PINs there: their state after it. */
  operators: StationOperatorChange[];
  /** Resident passes issued and revoked at the station, in order (HQ relays them to the site's other stations). */
  passes: StationPassChange[];
  /** Door-to-door visits at the station, in order (HQ relays them to the site's other stations, the person by mark). */
  doorVisits: StationDoorVisit[];
  /** Isolations started and ended at the station, and their readings, in order (relayed to the site's other stations). */
  isolations: StationIsolationChange[];
  /** `bindingId`: the single-tube binding that sampled the member (the record's entity). */
  retests: { originalTubeCode: string; tubeCode: string; personId: string; bindingId: string; at: string; seq: number }[];
  /** What a gate or sentinel journalled (`domains/gate.ts`), without its personal fields. */
  gate: GateProjection;
};

/**
 * The gate's records as HQ counts them: day and hour are the site's (UTC+8), of the record's time
 * (a reading's: when it was measured). Personal fields (a household, a note, a plate, a driver, a
 * visitor's phone and reason) are left in the journal record, found again by `seq`.
 */
export type GateProjection = {
  passages: {
    passageId: string;
    seq: number;
    at: string;
    day: string;
    hour: number;
    operatorId: string;
    personId: string;
    subject: string;
    direction: 'in' | 'out';
    residency: string;
    level: string;
    keyPerson: boolean;
    lists: string[];
    thresholdC: number;
  }[];
  readings: {
    readingId: string;
    seq: number;
    at: string;
    measuredAt: string;
    day: string;
    hour: number;
    passageId: string | null;
    celsius: number;
    thresholdC: number;
    high: boolean;
    source: string;
    match: string;
    temperature: string | null;
  }[];
  referrals: { referralId: string; seq: number; at: string; passageId: string; operatorId: string; destination: string; escort: string }[];
  actions: { actionId: string; seq: number; at: string; passageId: string; operatorId: string; action: string }[];
  visits: { visitId: string; seq: number; at: string; day: string; hour: number; passageId: string; personId: string; expectedUntil: string }[];
  visitsLeft: { visitId: string; seq: number; at: string; day: string; hour: number; passageId: string; stayedMinutes: number }[];
  vehicles: { vehicleId: string; seq: number; at: string; day: string; hour: number; direction: 'in' | 'out'; plateKind: string; passengers: number; entryId: string | null }[];
  /** The station made a desk, a gate or a sentinel; the last of the batch. */
  workplace: { workplace: string; seq: number; at: string } | null;
};

/**
 * A step of a box at its station (`box.opened` … `box.handedOver`), entity the box. `day`: the
 * site day of the step. A hand-over's transporter (an operator's id, or a name and phone) is left
 * in the journal record.
 */
export type BoxStep =
  | { kind: 'opened'; boxId: string; code: string; capacity: number; at: string; day: string }
  | { kind: 'tubeAdded'; boxId: string; entryId: string; tubeId: string; tubeCode: string; at: string }
  | { kind: 'tubeRemoved'; boxId: string; entryId: string; reason: string; at: string }
  | { kind: 'sealed'; boxId: string; code: string; count: number; personCount: number | null; at: string; day: string }
  | { kind: 'handedOver'; boxId: string; code: string; tubeCount: number; personCount: number; at: string; day: string };

export function gateRecords(g: GateProjection): number {
  return g.passages.length + g.readings.length + g.referrals.length + g.actions.length + g.visits.length + g.visitsLeft.length + g.vehicles.length + (g.workplace ? 1 : 0);
}

/** An operator as a station journalled them (`operator.created`, `operator.changed`). */
export type StationOperatorChange = {
  operatorId: string;
  code: string;
  name: string;
  role: string;
  badge: string | null;
  pinHash: string | null;
  disabled: boolean;
  lockedOut: boolean;
  at: string;
};

/** A resident pass as a station journalled it (`pass.issued`, `pass.revoked`); `passId` is the record's entity. */
export type StationPassChange =
  | {
      kind: 'issued';
      passId: string;
      siteId: string;
      code: string;
      household: string;
      idNumber: string;
      name: string;
      validFrom: string;
      validUntil: string;
      at: string;
    }
  | { kind: 'revoked'; passId: string; siteId: string; code: string; reason: string; at: string };

/**
 * A door visit as a station journalled it (`door.visit`); `visitId` is the record's entity. One
 * whose room the station had purged already (sent again after HQ lost it) is not relayed.
 */
export type StationDoorVisit = {
  visitId: string;
  roundId: string;
  building: string;
  unit: string;
  room: string;
  personId: string | null;
  outcome: 'sampled' | 'notHome' | 'refused';
  reason: string | null;
  revisitAt: string | null;
  at: string;
};
/** Home isolation as a station journalled it (`isolation.started`, `.ended`, `.reading`); the id is the record's entity. */
export type StationIsolationChange =
  | ({ kind: 'started'; isolationId: string; at: string } & PayloadOf<'isolation.started'>)
  | { kind: 'ended'; isolationId: string; siteId: string; reason: string; at: string }
  | ({ kind: 'reading'; readingId: string; at: string } & PayloadOf<'isolation.reading'>);

export type IngestPlan = {
  newRecords: StoredRecord[];
  conflicts: ConflictRow[];
  rejections: Rejection[];
  projection: Projection;
  chain: ChainVerdict;
};

/**
 * What HQ holds of a station's chain (`head`: the hash of its record `ackedThrough`, null while the
 * station has sent no chained batch) and what a batch says of it.
 */
export type ChainContext = { head: string | null; prevHash: string | undefined; chainHead: string | undefined };

/**
 * A batch's chain, checked against itself and against what HQ holds. `head` is HQ's chain head
 * once the batch is stored (null: the station is not chained yet). `broken`: the batch is refused
 * whole, nothing stored: an entry changed, removed or moved after it was journalled, or the
 * station's journal no longer continues what HQ holds.
 */
export type ChainVerdict = { ok: true; head: string | null } | { ok: false; seq: number; detail: string };

/** Refusal of a batch whose chain does not hold; `seq`: the first entry where it does not. */
export type ChainBroken = { kind: 'chainBroken'; seq: number; detail: string };

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/**
 * `records` are the batch's records in seq order (the envelope guarantees contiguity); `ackedThrough`
 * is what HQ held before; `held` the stored records for seqs `<= ackedThrough` in this batch;
 * `checks` the records already inspected (`inspectSliced`), when they were.
 */
export function planIngest(
  records: readonly { seq: number }[],
  ackedThrough: number,
  held: readonly HeldRecord[],
  checks: readonly Inspected[] = records.map(inspect),
  chain: ChainContext = { head: null, prevHash: undefined, chainHead: undefined },
): IngestPlan {
  const verdict = checkChain(records, ackedThrough, checks, chain);
  const heldBySeq = new Map(held.map((h) => [h.seq, h]));
  const newRecords: StoredRecord[] = [];
  const conflicts: ConflictRow[] = [];
  const rejections: Rejection[] = [];
  const valid: ValidRecord[] = [];
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as Record<string, unknown> & { seq: number };
    const { check: checked, digest } = checks[i]!;
    if (r.seq <= ackedThrough) {
      const stored = heldBySeq.get(r.seq);
      if (stored && stored.digest === digest) {
        if (stored.rejection) rejections.push({ seq: r.seq, code: stored.rejection as Rejection['code'], detail: stored.detail ?? '' });
      } else {
        conflicts.push({ seq: r.seq, storedDigest: stored?.digest ?? '', receivedDigest: digest, received: canonicalJson(r) });
        rejections.push({ seq: r.seq, code: 'record.conflict', detail: 'HQ holds different content for this sequence number' });
      }
      continue;
    }
    if (checked.ok) valid.push(checked.record);
    else rejections.push({ seq: r.seq, code: 'record.invalid', detail: checked.detail });
    newRecords.push(storedRecord(r, checks[i]!));
  }
  return { newRecords, conflicts, rejections, projection: project(valid), chain: verdict };
}

/**
 * Each record's hash recomputed from the one before it (from the batch's `prevHash`) must be the
 * hash it carries; the hash at `ackedThrough` must be the head HQ holds. A station HQ holds no
 * chain of yet (enrolled before chains, or nothing sent) is anchored by its first chained batch:
 * see hq/README.md ("Trust").
 */
function checkChain(records: readonly { seq: number }[], ackedThrough: number, checks: readonly Inspected[], chain: ChainContext): ChainVerdict {
  const first = records[0]!.seq;
  if (chain.prevHash === undefined) {
    return chain.head === null ? { ok: true, head: null } : { ok: false, seq: first, detail: 'a batch without its chain after chained ones' };
  }
  if (first === 1 && chain.prevHash !== GENESIS_HASH) return { ok: false, seq: 1, detail: 'the first entry does not start the chain' };
  let prev = chain.prevHash;
  let atAcked = first - 1 === ackedThrough ? prev : null;
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as { seq: number; hash?: unknown };
    const { publicPart, personalPart } = checks[i]!;
    const hash = entryHash(prev, r.seq, publicPart, personalPart);
    if (r.hash !== hash) return { ok: false, seq: r.seq, detail: 'entry changed, removed or moved after it was journalled' };
    prev = hash;
    if (r.seq === ackedThrough) atAcked = hash;
  }
  if (prev !== chain.chainHead) return { ok: false, seq: records[records.length - 1]!.seq, detail: 'chain head is not the last entry’s hash' };
  if (chain.head !== null && atAcked !== null && atAcked !== chain.head) {
    return { ok: false, seq: ackedThrough, detail: 'the journal no longer continues what HQ holds' };
  }
  const last = records[records.length - 1]!.seq;
  return { ok: true, head: last > ackedThrough ? prev : (chain.head ?? atAcked) };
}

/** A new record as HQ stores it, from the record as sent and its inspection. */
export function storedRecord(raw: { seq: number }, { check, payload, digest }: Inspected): StoredRecord {
  const r = raw as Record<string, unknown> & { seq: number };
  return {
    seq: r.seq,
    kind: text(r.kind),
    entityId: text(r.entityId),
    operatorId: text(r.operatorId),
    at: text(r.at),
    payload,
    digest,
    chainHash: typeof r.hash === 'string' ? r.hash : null,
    rejection: check.ok ? null : 'record.invalid',
    detail: check.ok ? null : check.detail,
  };
}

/**
 * A record checked, with its canonical payload and its content's digest: the costly part of
 * planning, done once per record. The canonical content itself is not kept: a batch's checks live
 * as long as its request, and only the digest of that text is ever needed.
 */
export type Inspected = { check: InspectedRecord['check']; payload: string; digest: string; publicPart: string; personalPart: string | null };

function inspect(raw: { seq: number }): Inspected {
  const r = raw as Record<string, unknown> & { seq: number };
  const inspected = inspectRecord(r);
  const digest = sha256Hex(inspected.content);
  if (typeof r.kind !== 'string' || !hasPersonalFields(r.kind)) return { check: inspected.check, payload: inspected.payload, digest, publicPart: digest, personalPart: null };
  // Only kinds with personal fields need a second digest: the content without them.
  const salt = typeof r.salt === 'string' ? r.salt : null;
  const kept = typeof r.personalDigest === 'string' ? r.personalDigest : null;
  const { publicPart, personalPart } = entryDigests(r, salt, kept);
  return { check: inspected.check, payload: inspected.payload, digest, publicPart, personalPart };
}

/** Records inspected per turn of the event loop by `inspectSliced` (a few ms). */
const INSPECT_SLICE = 500;

/**
 * `records` inspected a slice at a time, the event loop free in between: a batch being prepared
 * does not hold up the database round trips of the batch before it. `onSlice` sees each slice's
 * records (`from` to `to`, exclusive) as soon as they are inspected.
 */
export async function inspectSliced(
  records: readonly { seq: number }[],
  onSlice?: (from: number, to: number, checks: readonly Inspected[]) => void,
): Promise<Inspected[]> {
  const out: Inspected[] = [];
  for (let from = 0; from < records.length; from += INSPECT_SLICE) {
    if (from > 0) await setImmediate();
    const to = Math.min(records.length, from + INSPECT_SLICE);
    for (let i = from; i < to; i++) out.push(inspect(records[i]!));
    onSlice?.(from, to, out);
  }
  return out;
}

/** What valid new records change in the dashboard's tables. */
export function project(records: readonly ValidRecord[]): Projection {
  const p: Projection = {
    persons: [],
    rounds: [],
    roundsClosed: [],
    tubesOpened: [],
    tubeStates: [],
    bindings: [],
    bindingsUndone: [],
    boxes: [],
    rosterCommits: [],
    rosterRows: [],
    exemptions: [],
    operators: [],
    passes: [],
    doorVisits: [],
    isolations: [],
    retests: [],
    gate: { passages: [], readings: [], referrals: [], actions: [], visits: [], visitsLeft: [], vehicles: [], workplace: null },
  };
  const g = p.gate;
  const tubeStates = new Map<string, Projection['tubeStates'][number]>();
  for (const r of records) {
    switch (r.kind) {
      case 'person.registered':
        p.persons.push({ personId: r.entityId, personKey: r.payload.key, at: r.at });
        break;
      case 'round.started':
        p.rounds.push({ roundId: r.entityId, siteId: r.payload.siteId, name: r.payload.name, startsOn: r.payload.startsOn ?? null, endsOn: r.payload.endsOn ?? null, at: r.at });
        break;
      case 'round.closed':
        p.roundsClosed.push({ roundId: r.entityId, siteId: r.payload.siteId, at: r.at });
        break;
      case 'tube.opened':
        p.tubesOpened.push({ tubeId: r.entityId, code: r.payload.code, capacity: r.payload.capacity, roundId: r.payload.roundId, at: r.at, day: recordDay(r.at) });
        break;
      case 'tube.sealed':
        tubeStates.set(r.entityId, { tubeId: r.entityId, state: 'sealed', count: r.payload.count });
        break;
      case 'tube.reopened':
        tubeStates.set(r.entityId, { tubeId: r.entityId, state: 'open', count: tubeStates.get(r.entityId)?.count ?? null });
        break;
      case 'tube.voided':
        tubeStates.set(r.entityId, { tubeId: r.entityId, state: 'voided', count: r.payload.count });
        break;
      case 'binding.created':
        p.bindings.push({
          bindingId: r.entityId,
          tubeId: r.payload.tubeId,
          tubeCode: r.payload.tubeCode,
          personId: r.payload.personId,
          roundId: r.payload.roundId,
          at: r.at,
          day: recordDay(r.at),
        });
        break;
      case 'binding.undone':
        p.bindingsUndone.push(r.entityId);
        break;
      case 'roster.committed':
        p.rosterCommits.push({ importId: r.entityId, siteId: r.payload.siteId, rows: r.payload.rows, fileName: r.payload.fileName, at: r.at });
        break;
      case 'roster.rows':
        p.rosterRows.push({ importId: r.entityId, part: r.payload.part, rows: r.payload.rows });
        break;
      case 'exemption.set':
        p.exemptions.push({ roundId: r.entityId, idNumber: r.payload.idNumber, set: { reason: r.payload.reason, note: r.payload.note }, at: r.at });
        break;
      case 'exemption.lifted':
        p.exemptions.push({ roundId: r.entityId, idNumber: r.payload.idNumber, set: null, at: r.at });
        break;
      case 'operator.created':
        p.operators.push({
          operatorId: r.entityId,
          code: r.payload.code,
          name: r.payload.name,
          role: r.payload.role,
          badge: r.payload.badge ?? null,
          pinHash: r.payload.pinHash ?? null,
          disabled: false,
          lockedOut: false,
          at: r.at,
        });
        break;
      case 'operator.changed':
        p.operators.push({
          operatorId: r.entityId,
          code: r.payload.code,
          name: r.payload.name,
          role: r.payload.role,
          badge: r.payload.badge ?? null,
          pinHash: r.payload.pinHash,
          disabled: r.payload.disabled,
          lockedOut: r.payload.lockedOut,
          at: r.at,
        });
        break;
      case 'pass.issued':
        p.passes.push({
          kind: 'issued',
          passId: r.entityId,
          siteId: r.payload.siteId,
          code: r.payload.code,
          household: r.payload.household,
          idNumber: r.payload.idNumber,
          name: r.payload.name,
          validFrom: r.payload.validFrom,
          validUntil: r.payload.validUntil,
          at: r.at,
        });
        break;
      case 'pass.revoked':
        p.passes.push({ kind: 'revoked', passId: r.entityId, siteId: r.payload.siteId, code: r.payload.code, reason: r.payload.reason, at: r.at });
        break;
      case 'isolation.started':
        p.isolations.push({ kind: 'started', isolationId: r.entityId, at: r.at, ...r.payload });
        break;
      case 'isolation.ended':
        p.isolations.push({ kind: 'ended', isolationId: r.entityId, siteId: r.payload.siteId, reason: r.payload.reason, at: r.at });
        break;
      case 'isolation.reading':
        p.isolations.push({ kind: 'reading', readingId: r.entityId, at: r.at, ...r.payload });
        break;
      case 'box.opened':
        p.boxes.push({ kind: 'opened', boxId: r.entityId, code: r.payload.code, capacity: r.payload.capacity, at: r.at, day: recordDay(r.at) });
        break;
      case 'box.tubeAdded':
        p.boxes.push({ kind: 'tubeAdded', boxId: r.entityId, entryId: r.payload.entryId, tubeId: r.payload.tubeId, tubeCode: r.payload.tubeCode, at: r.at });
        break;
      case 'box.tubeRemoved':
        p.boxes.push({ kind: 'tubeRemoved', boxId: r.entityId, entryId: r.payload.entryId, reason: r.payload.reason, at: r.at });
        break;
      case 'door.visit':
        if (r.payload.room === undefined) break;
        p.doorVisits.push({
          visitId: r.entityId,
          roundId: r.payload.roundId,
          building: r.payload.building,
          unit: r.payload.unit,
          room: r.payload.room,
          personId: r.payload.personId,
          outcome: r.payload.outcome,
          reason: r.payload.reason ?? null,
          revisitAt: r.payload.revisitAt,
          at: r.at,
        });
        break;
      case 'box.sealed':
        p.boxes.push({ kind: 'sealed', boxId: r.entityId, code: r.payload.code, count: r.payload.count, personCount: r.payload.personCount ?? null, at: r.at, day: recordDay(r.at) });
        break;
      case 'box.handedOver':
        p.boxes.push({ kind: 'handedOver', boxId: r.entityId, code: r.payload.code, tubeCount: r.payload.tubeCount, personCount: r.payload.personCount, at: r.at, day: recordDay(r.at) });
        break;
      case 'retest.sampled':
        p.retests.push({
          originalTubeCode: r.payload.originalTubeCode,
          tubeCode: r.payload.tubeCode,
          personId: r.payload.personId,
          bindingId: r.entityId,
          at: r.at,
          seq: r.seq,
        });
        break;
      case 'station.workplaceSet':
        g.workplace = { workplace: r.payload.workplace, seq: r.seq, at: r.at };
        break;
      case 'gate.passage':
        g.passages.push({
          passageId: r.entityId,
          seq: r.seq,
          at: r.at,
          ...siteHour(r.at),
          operatorId: r.operatorId,
          personId: r.payload.personId,
          subject: r.payload.subject,
          direction: r.payload.direction,
          residency: r.payload.residency,
          level: r.payload.level,
          keyPerson: r.payload.keyPerson,
          lists: r.payload.keyPersonLists,
          thresholdC: r.payload.thresholdC,
        });
        break;
      case 'gate.reading':
        g.readings.push({
          readingId: r.entityId,
          seq: r.seq,
          at: r.at,
          measuredAt: r.payload.measuredAt,
          ...siteHour(r.payload.measuredAt),
          passageId: r.payload.passageId,
          celsius: r.payload.celsius,
          thresholdC: r.payload.thresholdC,
          high: r.payload.high,
          source: r.payload.source,
          match: r.payload.match,
          temperature: r.payload.temperature,
        });
        break;
      case 'gate.referral':
        g.referrals.push({ referralId: r.entityId, seq: r.seq, at: r.at, passageId: r.payload.passageId, operatorId: r.operatorId, destination: r.payload.destination, escort: r.payload.escort });
        break;
      case 'gate.keyPersonAction':
        g.actions.push({ actionId: r.entityId, seq: r.seq, at: r.at, passageId: r.payload.passageId, operatorId: r.operatorId, action: r.payload.action });
        break;
      case 'gate.visitor':
        g.visits.push({ visitId: r.entityId, seq: r.seq, at: r.at, ...siteHour(r.at), passageId: r.payload.passageId, personId: r.payload.personId, expectedUntil: r.payload.expectedUntil });
        break;
      case 'gate.visitorLeft':
        g.visitsLeft.push({ visitId: r.entityId, seq: r.seq, at: r.at, ...siteHour(r.at), passageId: r.payload.passageId, stayedMinutes: r.payload.stayedMinutes });
        break;
      case 'gate.vehicle':
        g.vehicles.push({
          vehicleId: r.entityId,
          seq: r.seq,
          at: r.at,
          ...siteHour(r.at),
          direction: r.payload.direction,
          plateKind: r.payload.plateKind,
          passengers: r.payload.passengers,
          entryId: r.payload.entryId,
        });
        break;
      default:
        break;
    }
  }
  p.tubeStates = [...tubeStates.values()];
  return p;
}

/** A human-typeable one-time code (no 0/O, 1/I/L): 12 symbols, about 58 bits. */
export function newEnrollmentCode(): string {
  const alphabet = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
  let out = '';
  for (let i = 0; i < 12; i++) {
    out += alphabet[randomInt(alphabet.length)];
    if (i === 3 || i === 7) out += '-';
  }
  return out;
}

/** The stored enrollment code when it can enroll a station now, otherwise why not. */
export function usableEnrollmentCode<C extends { used_at: string | null; expires_at: string }>(code: C | undefined, now: string): C | EnrollError {
  if (!code) return 'enroll.codeInvalid';
  if (code.used_at) return 'enroll.codeUsed';
  if (code.expires_at <= now) return 'enroll.codeExpired';
  return code;
}

/** Codes are compared without dashes, spaces or case, and stored only as a digest. */
export function normalizeEnrollmentCode(code: string): string {
  return code.replace(/[\s-]/g, '').toUpperCase();
}

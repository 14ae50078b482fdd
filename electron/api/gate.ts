/**
 * The gate checkpoint (卡点) part of the typed API (composed into contract.ts): what a station
 * works as (sampling desk, attended gate, unattended sentinel), passages through the gate with
 * their verdict, thermometer readings attached to them, re-measures, referrals, what was done
 * about a key person, and the counts the gate's chart shows. Types and zod schemas only: it runs
 * in the core, the hosts and the renderer alike.
 */
import { z } from 'zod';
import type { PersonView, Result } from './contract';
import type { IdentifyOutcome } from './operators';
import type { PlateKind, PlateProblem } from './plate';
import type { ResidentTagView } from './roster';

export type GateErrorCode =
  /** This station works as a sampling desk: a site admin makes it a gate first (`station.setWorkplace`). */
  | 'gate.notAtGate'
  /** A tube, box or other code that is not a person was scanned at the gate; params: kind. */
  | 'gate.notAPerson'
  | 'gate.passageNotFound'
  /** A referral is for a fever confirmed by a re-measure; params: temperature (the passage's state). */
  | 'gate.referralNotNeeded'
  | 'gate.alreadyReferred'
  /** What was done about a key person is recorded on a passage that raised the key-person alarm. */
  | 'gate.notKeyPerson'
  /** A visitor's ID number is not 18 characters with the right check character (GB 11643); params: masked. */
  | 'gate.idNumberInvalid'
  /** A visitor's or driver's phone is not a mainland mobile number (11 digits, 1 then 3–9); params: phone (masked). */
  | 'gate.phoneInvalid'
  /** The household visited is not on the roster in use; params: household. */
  | 'gate.householdUnknown'
  /** No roster is in use at this station: households cannot be picked until one is imported or arrives from HQ. */
  | 'gate.noRoster'
  /** The expected stay ends before now, or more than `VISIT_MAX_MINUTES` ahead; params: max (minutes). */
  | 'gate.stayInvalid'
  /** This person is registered on site already and has not left; params: visitId, since (site time, MM-DD HH:mm). */
  | 'gate.visitorOnSite'
  | 'gate.visitNotFound'
  /** The visitor left already; params: leftAt (site time, MM-DD HH:mm). */
  | 'gate.visitEnded'
  /** A plate that is not a mainland plate; params: problem (`PlateProblem`, also i18next's `context`), plate (as normalised). */
  | 'gate.plateInvalid'
  /** A vehicle entering whose entry of the last 24 hours has no exit yet; params: plate, since (site time, MM-DD HH:mm). */
  | 'gate.vehicleOnSite'
  /** A vehicle entering is recorded with its driver's name. */
  | 'gate.driverNeeded'
  /** A vehicle entering is recorded with its purpose. */
  | 'gate.purposeNeeded';

/**
 * What the station works as; device scans go to the desk, the gate or the door-to-door screen by
 * it. `doors`: a laptop or tablet a door-to-door group carries (入户采样), sampling on the desk's tubes.
 */
export const WORKPLACES = ['desk', 'gate', 'sentinel', 'doors'] as const;
export type Workplace = (typeof WORKPLACES)[number];

export const DIRECTIONS = ['in', 'out'] as const;
export type Direction = (typeof DIRECTIONS)[number];

/** The site's entry rule (HQ's site configuration): none, or sampled within the last N hours. */
export type EntryRule = { kind: 'none' } | { kind: 'sampledWithin'; hours: number };

/**
 * The site's gate settings (HQ's site configuration, or their defaults): the fever threshold,
 * the entry rule, the reading window (how long before and after a scan a thermometer reading may
 * be measured to belong to that person) and whether people leaving are measured too.
 */
export type GateSettings = {
  feverC: number;
  entryRule: EntryRule;
  reading: { beforeScanSeconds: number; afterScanSeconds: number };
  measureOnExit: boolean;
};

export type WorkplaceView = { workplace: Workplace; direction: Direction };

export type GateSettingsView = WorkplaceView & GateSettings;

/**
 * A person's temperature at the gate, from their readings in order: `awaiting` (a reading is
 * needed), `notRequired` (leaving, when the site does not measure people leaving), `normal`,
 * `remeasure` (at or above the threshold once: measure again), `fever` (high again on the
 * re-measure: a referral is made).
 */
export type TemperatureState = 'awaiting' | 'notRequired' | 'normal' | 'remeasure' | 'fever';

/**
 * How a reading came to its passage, or why it has none: `auto` (the one person scanned within
 * the reading window), `manual` (typed by the gate keeper for a passage), `ambiguous` (it may be
 * either of two people: measure again), `unmatched` (nobody identified was scanned around it),
 * `stale` (delivered too long after it was measured, or with a time from the future).
 */
export type ReadingMatch = 'auto' | 'manual' | 'ambiguous' | 'unmatched' | 'stale';

export type GateReadingView = {
  id: string;
  celsius: number;
  /** When it was measured (the thermometer's stable value), not when it arrived. */
  measuredAt: string;
  source: 'thermometer' | 'manual';
  deviceId: string | null;
  /** The site's threshold when it was taken: kept with the reading. */
  thresholdC: number;
  high: boolean;
  match: ReadingMatch;
};

export type EntryRuleResult =
  /** Leaving, or the site has no entry rule. */
  | { kind: 'none' }
  | {
      kind: 'sampledWithin';
      hours: number;
      met: boolean;
      /** Their last sampling known here: at this station, or at another desk of the site (HQ's marks). */
      lastSampledAt: string | null;
      where: 'here' | 'site' | null;
    };

/** Who the person is to the site: a resident of a household on the roster, an outsider, or unknown (no ID number to look up). */
export type Residency =
  | { kind: 'resident'; household: string; tags: ResidentTagView[] }
  | { kind: 'outsider' }
  | { kind: 'unknown' };

/** Why a verdict is what it is; the screen words each (gate.json `reasons.<code>`). */
export type GateReason =
  | 'keyPerson'
  | 'isolation'
  | 'result.positive'
  | 'retest.open'
  | 'temperature.fever'
  | 'temperature.remeasure'
  | 'rule.notMet'
  | 'outsider'
  | 'residency.unknown'
  | 'temperature.awaiting';

/**
 * The verdict in one glance: `stop` (call staff: key person, isolation, a positive result, a
 * fever or a re-measure), `check` (the entry rule is not met, an outsider to register, a person
 * the roster cannot tell), `pass`. `final` is false while a reading is still needed.
 */
export type GateVerdict = { level: 'pass' | 'check' | 'stop'; reasons: GateReason[]; final: boolean };

export type ReferralView = { id: string; destination: string; escort: string; note: string; at: string };

export const KEY_PERSON_ACTIONS = ['admitted', 'turnedBack', 'reported', 'escorted', 'other'] as const;
export type KeyPersonAction = (typeof KEY_PERSON_ACTIONS)[number];
export type KeyPersonActionView = { id: string; action: KeyPersonAction; note: string; at: string };

export type GatePassageView = {
  id: string;
  at: string;
  direction: Direction;
  /** How they were identified: a scanned person code or ID, a visitor registration, or a resident pass (出入证). */
  subject: 'person' | 'visitor' | 'pass';
  /** The resident pass scanned (subject `pass`): which, and until when it is valid. */
  pass: { id: string; validUntil: string } | null;
  person: PersonView;
  residency: Residency;
  /** On a key-person list HQ sent (with its reason, for the gate keeper), or tagged so on the roster. */
  keyPerson: { lists: { listId: string; reason: string }[]; roster: boolean } | null;
  rule: EntryRuleResult;
  /** What HQ sent back about their tubes sampled here: the latest result, and an open single-tube re-test. */
  results: { latest: { result: 'negative' | 'positive' | 'invalid'; at: string } | null; openRetest: boolean };
  temperature: { state: TemperatureState; thresholdC: number; readings: GateReadingView[] };
  referral: ReferralView | null;
  keyPersonActions: KeyPersonActionView[];
  verdict: GateVerdict;
};

export type GateScanOutcome = { kind: 'gate.passage'; passage: GatePassageView } | IdentifyOutcome;

export type GateHourCounts = { hour: number; in: number; out: number; fevers: number };

/** Vehicles through the vehicle lane in an hour of the site day. */
export type GateVehicleHourCounts = { hour: number; in: number; out: number };

export type GateCounts = {
  /** The site day (UTC+8, YYYY-MM-DD). */
  day: string;
  in: number;
  out: number;
  /** People whose last passage through this gate within the last 24 hours was in. */
  onSiteNow: number;
  fevers: number;
  referrals: number;
  keyPersons: number;
  /** Hours 0 to 23 of the site day. */
  hours: GateHourCounts[];
  /** Visitors registered entering this day; on site now (registered, not left, whatever day they came); of those, past their expected stay. */
  visitors: { in: number; onSiteNow: number; overstaying: number };
  /**
   * The vehicle lane, apart from people: vehicles in and out this day, on site now (entered within
   * the last 24 hours and not left), and per hour (0 to 23).
   */
  vehicles: { in: number; out: number; onSiteNow: number; hours: GateVehicleHourCounts[] };
};

/** The longest stay a visitor may be registered for: three days. */
export const VISIT_MAX_MINUTES = 3 * 24 * 60;
/** The most passengers a vehicle lane records besides the driver (a coach). */
export const VEHICLE_MAX_PASSENGERS = 60;

/**
 * A mainland mobile number (11 digits, 1 then 3–9) as typed, with spaces, dashes or +86; null
 * when it is not one. The core refuses by it (`gate.phoneInvalid`), the screen checks as it is typed.
 */
export function mainlandMobile(text: string): string | null {
  const m = /^(?:\+?86)?(1[3-9]\d{9})$/.exec(text.normalize('NFKC').replace(/[\s\-()]/gu, ''));
  return m?.[1] ?? null;
}

/** A household on the roster in use, to be picked as the one a visitor visits. */
export type HouseholdView = {
  /** As the roster writes it: building-unit-room ("3-2-502"). */
  household: string;
  building: string;
  unit: string;
  room: string;
  residents: number;
};

/** A visitor registered at the gate, on site or gone. */
export type VisitView = {
  id: string;
  person: PersonView;
  maskedPhone: string | null;
  reason: string;
  /** The household visited (building-unit-room); null once purged after the retention period. */
  household: string | null;
  enteredAt: string;
  expectedUntil: string;
  /** Still on site after the time they expected to leave. */
  overstay: boolean;
  /** The passage they entered by: its verdict and temperature (a reading attaches to it like any passage's). */
  entry: { passageId: string; verdict: GateVerdict; temperature: TemperatureState };
  left: { passageId: string; at: string; stayedMinutes: number } | null;
};

/** A vehicle through the vehicle lane. */
export type VehiclePassageView = {
  id: string;
  at: string;
  direction: Direction;
  /** As kept (粤BD12345) and as shown (粤B·D12345). */
  plate: string;
  plateDisplay: string;
  plateKind: PlateKind;
  driver: string;
  maskedDriverPhone: string | null;
  passengers: number;
  purpose: string;
  /** Leaving: the entry it left from (the latest of its plate without an exit), null when the gate has none. */
  entryId: string | null;
  /** Entering: the exit that ended its stay, null while it is on site. */
  exit: { id: string; at: string } | null;
};

/** Registered (or left): the visit, and the passage it made, whose reading and verdict follow as for any passage. */
export type VisitOutcome = { visit: VisitView; passage: GatePassageView };

export type { PlateKind, PlateProblem };

const id = z.string().min(1).max(64);
const directionSchema = z.enum(DIRECTIONS);
/** A person's reading as a thermometer gives it (`native/thermometer`: 32–43 °C). */
const celsius = z.number().min(32).max(43);
const shortText = z.string().trim().min(1).max(100);
const note = z.string().trim().max(200);
/** A mainland mobile number as typed: the core checks it (`gate.phoneInvalid`), spaces and dashes dropped. */
const phoneText = z.string().max(32);
/** How long a visitor expects to stay: minutes from now, or until a time. */
const staySchema = z.union([
  z.object({ minutes: z.number().int().min(1).max(VISIT_MAX_MINUTES) }).strict(),
  z.object({ until: z.iso.datetime({ offset: true }) }).strict(),
]);
const listState = z.enum(['onSite', 'today']);

export const gateArgs = {
  /** What this station works as, and the gate's direction: the app shows the screen for it, signed in or not. */
  'station.workplace': z.object({}).strict(),
  'station.setWorkplace': z.object({ workplace: z.enum(WORKPLACES) }).strict(),
  'gate.settings': z.object({}).strict(),
  /** The direction device scans (and scans without one) are taken in. */
  'gate.setDirection': z.object({ direction: directionSchema }).strict(),
  'gate.scan': z.object({ text: z.string().max(4096), source: z.enum(['wedge', 'serial', 'hid', 'manual', 'simulator']), direction: directionSchema.optional() }).strict(),
  'gate.passage': z.object({ id }).strict(),
  'gate.recent': z.object({ limit: z.number().int().min(1).max(200).default(20) }).strict(),
  /** A reading typed by the gate keeper (no thermometer, or a handheld one) for a passage. */
  'gate.reading': z.object({ passageId: id, celsius }).strict(),
  /** The person of this passage is in front of the thermometer again: its next reading is theirs. */
  'gate.remeasure': z.object({ passageId: id }).strict(),
  'gate.refer': z.object({ passageId: id, destination: shortText, escort: shortText, note }).strict(),
  'gate.keyPersonAction': z
    .object({ passageId: id, action: z.enum(KEY_PERSON_ACTIONS), note })
    .strict()
    .refine((a) => a.action !== 'other' || a.note.length > 0, { message: 'say what was done', path: ['note'] }),
  'gate.counts': z.object({ day: z.iso.date().optional() }).strict(),
  /** Households of the roster in use by building, building-unit or building-unit-room (its start): "3", "3-2", "3-2-5". At most 20. */
  'gate.households': z.object({ query: z.string().trim().min(1).max(40) }).strict(),
  /**
   * An outsider registered on their way in (访客登记): who they are (the ID number's check
   * character is checked), their mobile phone, why they come, the household they visit (from
   * `gate.households`), how long they expect to stay. Makes their passage in, with its verdict,
   * and a thermometer reading attaches to it as to a scanned person's.
   */
  'gate.registerVisitor': z
    .object({
      name: z.string().trim().min(1).max(50),
      idNumber: z.string().trim().max(32),
      phone: phoneText,
      reason: shortText,
      household: z.string().trim().min(1).max(64),
      stay: staySchema,
    })
    .strict(),
  /** A visitor on site leaves (picked from the list): their passage out. A visitor scanned out leaves by that passage on their own. */
  'gate.visitorLeave': z.object({ visitId: id }).strict(),
  /** Visitors on site now (overstays flagged), or every visit of the site day (`day`, default today). */
  'gate.visitors': z.object({ state: listState, day: z.iso.date().optional() }).strict(),
  /**
   * A vehicle through the vehicle lane (车辆通道), apart from people: its plate (checked, mainland
   * formats), driver, passengers, purpose. Entering, driver and purpose are needed; leaving, it is
   * matched to its latest entry without an exit, whose driver and purpose it takes when left empty.
   * The direction defaults to the gate's.
   */
  'gate.vehicle': z
    .object({
      plate: z.string().max(32),
      direction: directionSchema.optional(),
      driver: z.string().trim().max(50).default(''),
      driverPhone: phoneText.optional(),
      passengers: z.number().int().min(0).max(VEHICLE_MAX_PASSENGERS).default(0),
      purpose: z.string().trim().max(100).default(''),
    })
    .strict(),
  /** Vehicles on site now (entered within 24 hours, not left), or every vehicle passage of the site day (`day`, default today). */
  'gate.vehicles': z.object({ state: listState, day: z.iso.date().optional() }).strict(),
} as const;

type Args<K extends keyof typeof gateArgs> = z.infer<(typeof gateArgs)[K]>;

export type GateHandlers = {
  'station.workplace': { args: Args<'station.workplace'>; value: WorkplaceView };
  'station.setWorkplace': { args: Args<'station.setWorkplace'>; value: WorkplaceView };
  'gate.settings': { args: Args<'gate.settings'>; value: GateSettingsView };
  'gate.setDirection': { args: Args<'gate.setDirection'>; value: GateSettingsView };
  'gate.scan': { args: Args<'gate.scan'>; value: GateScanOutcome };
  'gate.passage': { args: Args<'gate.passage'>; value: GatePassageView };
  'gate.recent': { args: Args<'gate.recent'>; value: GatePassageView[] };
  'gate.reading': { args: Args<'gate.reading'>; value: GatePassageView };
  'gate.remeasure': { args: Args<'gate.remeasure'>; value: GatePassageView };
  'gate.refer': { args: Args<'gate.refer'>; value: GatePassageView };
  'gate.keyPersonAction': { args: Args<'gate.keyPersonAction'>; value: GatePassageView };
  'gate.counts': { args: Args<'gate.counts'>; value: GateCounts };
  'gate.households': { args: Args<'gate.households'>; value: HouseholdView[] };
  'gate.registerVisitor': { args: Args<'gate.registerVisitor'>; value: VisitOutcome };
  'gate.visitorLeave': { args: Args<'gate.visitorLeave'>; value: VisitOutcome };
  'gate.visitors': { args: Args<'gate.visitors'>; value: VisitView[] };
  'gate.vehicle': { args: Args<'gate.vehicle'>; value: VehiclePassageView };
  'gate.vehicles': { args: Args<'gate.vehicles'>; value: VehiclePassageView[] };
};

export type GateEvents = {
  /** A passage was made or changed (a reading attached, a referral, a key-person action). */
  'gate.passage': GatePassageView;
  /** A thermometer's reading was taken into the gate: attached to a passage, or why not. */
  'gate.reading': { reading: GateReadingView; passageId: string | null };
  /** What a scan from a serial or HID scanner did at the gate (the desk's `scan.outcome` at a desk). */
  'gate.scanned': { source: 'serial' | 'hid'; result: Result<GateScanOutcome> };
  /** A site admin changed what the station works as, or the gate's direction changed. */
  'station.workplace': WorkplaceView;
  /** A visitor was registered, or left (from the list, or scanned out). */
  'gate.visit': VisitView;
  /** A vehicle went through the vehicle lane. */
  'gate.vehiclePassage': VehiclePassageView;
};

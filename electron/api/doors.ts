/**
 * Door to door (入户采样) in the typed API (composed into contract.ts): a group ("1 + N": an
 * information collector and helpers) is given buildings or units of the roster for the round,
 * and whom it is to sample there (everyone, or residents tagged elderly, bedridden or in
 * isolation); its list shows each household by building, unit and room with who is sampled
 * already this round (coverage, whichever station sampled them). At a door each person is
 * scanned or picked and sampled into the station's open tube (the desk's very tubes and
 * bindings: single 1:1 tubes, or the site's pool size), or the person or the whole household is
 * recorded not home (onto the revisit list, with the time) or refusing (with the reason); a
 * temperature is kept when one was taken. Types and zod schemas only.
 */
import { z } from 'zod';
import type { PendingConfirmation, PersonView, TubeSummary } from './contract';
import type { ResidentTagView } from './roster';

/** The tags a group may be sent for; a group without any samples every resident of its households. */
export const DOOR_TAGS = ['elderly', 'bedridden', 'isolation'] as const;
export type DoorTag = (typeof DOOR_TAGS)[number];

export const DOOR_OUTCOMES = ['sampled', 'notHome', 'refused'] as const;
export type DoorOutcome = (typeof DOOR_OUTCOMES)[number];

/** Single (1:1) tubes, or the site's pool size (its `defaultCapacity`): one tube for several people. */
export const DOOR_MODES = ['single', 'pooled'] as const;
export type DoorMode = (typeof DOOR_MODES)[number];

/** Where a door visit records a temperature (°C); a thermometer's range. */
export const DOOR_TEMPERATURE = { min: 32, max: 43 } as const;

export type DoorErrorCode =
  /** No roster is in use at this station: households come from it. */
  | 'door.noRoster'
  /** params: groupId. */
  | 'door.groupUnknown'
  /** The group's round is closed: its list is read-only; params: round. */
  | 'door.roundClosed'
  /** Not a building (or unit) of the roster in use; params: building, unit. */
  | 'door.areaUnknown'
  /** No active operator of this station has this id. */
  | 'door.operatorUnknown'
  /** A group is led by an information collector (or a site admin); params: name. */
  | 'door.collectorRole'
  /** The household is not on this group's list (not in its buildings, nobody there to visit); params: household. */
  | 'door.householdNotInGroup'
  /** The resident picked does not live in this household; params: household. */
  | 'door.residentNotInHousehold'
  /** Sampled already in this round: not recorded not home or refusing; params: person. */
  | 'door.alreadySampled'
  /** Nobody in the household is left to visit (all sampled, exempt or refused); params: household. */
  | 'door.nobodyToVisit'
  /** No tube is open: scan a tube (or take a new one) first. */
  | 'door.tubeNeeded'
  /** The open tube belongs to another round than the group's: scan a new tube; params: code. */
  | 'door.tubeOtherRound'
  /** A box code, a pass or a badge scanned at a door, where a tube or a person is expected. */
  | 'door.scanNotPerson'
  /** A temperature outside a thermometer's range; params: celsius. */
  | 'door.temperatureInvalid';

/** Where a resident of a group's households stands in the round. */
export const DOOR_PERSON_STATES = ['sampled', 'exempt', 'refused', 'notHome', 'due', 'notDue'] as const;
export type DoorPersonState = (typeof DOOR_PERSON_STATES)[number];

/** A household on the list: still to visit, to visit again (nobody, or not everyone, was home), or done. */
export const DOOR_HOUSEHOLD_STATUSES = ['toVisit', 'revisit', 'done'] as const;
export type DoorHouseholdStatus = (typeof DOOR_HOUSEHOLD_STATUSES)[number];

export type DoorHousehold = { building: string; unit: string; room: string };

/** A group's part of a roster: a whole building (unit null) or one unit of it. */
export type DoorArea = { building: string; unit: string | null };

/**
 * Counts over households and the residents the group is to sample in them: `residents` =
 * sampled + exempt + refused + notHome + due.
 */
export type DoorCounts = {
  households: number;
  done: number;
  revisit: number;
  toVisit: number;
  residents: number;
  sampled: number;
  exempt: number;
  refused: number;
  notHome: number;
  due: number;
};

export type DoorOperatorRef = { id: string; name: string };

export type DoorGroupSummary = {
  id: string;
  name: string;
  round: { id: string; name: string; closed: boolean };
  collector: DoorOperatorRef;
  helpers: DoorOperatorRef[];
  areas: DoorArea[];
  /** Whom it samples: residents with one of these tags; empty: everyone. */
  tags: DoorTag[];
  createdAt: string;
  /** When its households and people were last given (the latest assignment). */
  assignedAt: string;
  progress: DoorCounts;
};

export type DoorVisitSummary = { at: string; outcome: DoorOutcome };

export type DoorHouseholdRow = DoorHousehold & {
  status: DoorHouseholdStatus;
  counts: Omit<DoorCounts, 'households' | 'done' | 'revisit' | 'toVisit'>;
  /** Everyone living there, whether the group is to sample them or not. */
  living: number;
  /** The tags of its residents the group is sent for (elderly, bedridden, isolation). */
  tags: DoorTag[];
  visits: number;
  lastVisit: DoorVisitSummary | null;
  /** When someone there was last found not home (the revisit list's time), and when to come back, if said. */
  notHomeAt: string | null;
  revisitAt: string | null;
};

export type DoorListView = {
  group: DoorGroupSummary;
  /** Progress per building of the group's areas. */
  buildings: (DoorCounts & { building: string })[];
  /** Every household the group is to visit, in building, unit, room order. */
  households: DoorHouseholdRow[];
  /** The households to visit again, the longest waiting first. */
  revisits: DoorHouseholdRow[];
  /** The station's open tube (the one the next person is sampled into). */
  tube: TubeSummary | null;
  /** The site's pool size (tubes in pooled mode take this many people). */
  poolSize: number;
  /** Other stations' sampling is known as of the last sync with HQ (null: never synced). */
  asOf: string | null;
};

export type DoorResidentView = {
  /** Opaque: what the screen sends back to sample this resident, or record them not home or refusing. */
  ref: string;
  name: string;
  maskedIdNumber: string;
  tags: ResidentTagView[];
  /** The group is to sample them (their tags are the group's, or the group samples everyone). */
  targeted: boolean;
  state: DoorPersonState;
  /** Their last visit outcome in the round (theirs or the household's). */
  lastVisit: (DoorVisitSummary & { reason: string | null; revisitAt: string | null }) | null;
};

export type DoorVisitView = {
  id: string;
  at: string;
  outcome: DoorOutcome;
  /** Whom it was about: a person (their label), or null for the whole household. */
  person: string | null;
  reason: string | null;
  revisitAt: string | null;
  temperatureC: number | null;
  tubeCode: string | null;
  /** Who recorded it here (an operator of this station); empty for another station's. */
  operator: string;
  /** The other station of the site it was recorded at (relayed by HQ); null: this station. */
  station: string | null;
};

export type DoorHouseholdView = DoorHouseholdRow & {
  groupId: string;
  residents: DoorResidentView[];
  /** Visits of this household in the round, newest first. */
  history: DoorVisitView[];
  tube: TubeSummary | null;
};

/** The assignment form: the roster's buildings and units, the station's operators, the round. */
export type DoorSetupView = {
  round: { id: string; name: string } | null;
  rosterResidents: number;
  buildings: {
    building: string;
    units: { unit: string; households: number; residents: number; tagged: Record<DoorTag, number> }[];
  }[];
  operators: (DoorOperatorRef & { role: string })[];
  poolSize: number;
};

/** What sampling at a door did: a tube opened, a person sampled, or a question first (sampled already this round). */
export type DoorSampleOutcome =
  | { kind: 'tube.opened'; tubeCode: string; capacity: number; sealedPrevious: string | null; voidedPrevious: string | null; household: DoorHouseholdView }
  | {
      kind: 'sampled';
      person: PersonView;
      tubeCode: string;
      count: number;
      capacity: number;
      tubeSealed: boolean;
      temperatureC: number | null;
      /** The person scanned is on the roster but lives elsewhere (sampled where found); null: here, or not on the roster. */
      livesAt: string | null;
      household: DoorHouseholdView;
    }
  | { kind: 'needsConfirmation'; pending: PendingConfirmation; household: DoorHouseholdView };

const uuid = z.uuid();
const place = z.string().trim().min(1).max(20);
/** A household's unit may be empty (a ledger without units). */
const household = z.object({ building: place, unit: z.string().trim().max(20), room: place }).strict();
const ref = z.string().min(1).max(80);
const temperatureC = z.number().finite();
const mode = z.enum(DOOR_MODES);

export const doorArgs = {
  /** This station's groups, newest first (of the current round, or all). */
  'door.groups': z.object({ all: z.boolean().optional() }).strict(),
  'door.setup': z.object({}).strict(),
  /** Forms a group for the round in use, or gives an existing one other households or people (a new record; the earlier one stays). */
  'door.assign': z
    .object({
      groupId: uuid.optional(),
      name: z.string().trim().min(1).max(40),
      collectorId: z.string().min(1).max(64),
      helperIds: z.array(z.string().min(1).max(64)).max(10).optional(),
      areas: z
        .array(z.object({ building: place, unit: z.string().trim().max(20).nullable() }).strict())
        .min(1)
        .max(200),
      tags: z.array(z.enum(DOOR_TAGS)).max(DOOR_TAGS.length).optional(),
    })
    .strict(),
  'door.list': z.object({ groupId: uuid }).strict(),
  'door.household': z.object({ groupId: uuid, household }).strict(),
  /** Opens a tube at the door: the code scanned, or a new one from the site's generator (its label printed when set). */
  'door.openTube': z.object({ groupId: uuid, household, mode, code: z.string().trim().min(1).max(64).optional() }).strict(),
  /** A resident of the household picked from the list, sampled into the open tube. */
  'door.sample': z
    .object({ groupId: uuid, household, ref, temperatureC: temperatureC.optional(), confirmRepeat: z.boolean().optional() })
    .strict(),
  /** A scan at the door: a tube opens (with the mode's capacity), a person is sampled into the open tube. */
  'door.scan': z
    .object({
      groupId: uuid,
      household,
      text: z.string().max(4096),
      source: z.enum(['wedge', 'serial', 'hid', 'manual', 'simulator']),
      mode,
      temperatureC: temperatureC.optional(),
      confirmRepeat: z.boolean().optional(),
    })
    .strict(),
  /** A resident (or, without `ref`, everyone still to sample in the household) not home: onto the revisit list. */
  'door.notHome': z
    .object({ groupId: uuid, household, ref: ref.optional(), revisitAt: z.iso.datetime({ offset: true }).optional() })
    .strict(),
  /** A resident (or, without `ref`, the household) refusing, with the reason. */
  'door.refuse': z
    .object({ groupId: uuid, household, ref: ref.optional(), reason: z.string().trim().min(1).max(200), temperatureC: temperatureC.optional() })
    .strict(),
} as const;

type Args<K extends keyof typeof doorArgs> = z.infer<(typeof doorArgs)[K]>;

export type DoorHandlers = {
  'door.groups': { args: Args<'door.groups'>; value: DoorGroupSummary[] };
  'door.setup': { args: Args<'door.setup'>; value: DoorSetupView };
  'door.assign': { args: Args<'door.assign'>; value: DoorGroupSummary };
  'door.list': { args: Args<'door.list'>; value: DoorListView };
  'door.household': { args: Args<'door.household'>; value: DoorHouseholdView };
  'door.openTube': { args: Args<'door.openTube'>; value: DoorSampleOutcome };
  'door.sample': { args: Args<'door.sample'>; value: DoorSampleOutcome };
  'door.scan': { args: Args<'door.scan'>; value: DoorSampleOutcome };
  'door.notHome': { args: Args<'door.notHome'>; value: DoorHouseholdView };
  'door.refuse': { args: Args<'door.refuse'>; value: DoorHouseholdView };
};

export type DoorEvents = {
  /** A group was assigned, or a visit recorded here: its list is fetched again ('': visits from other stations, any group). */
  'doors.changed': { groupId: string };
  /**
   * A serial or HID scanner's scan at a door-to-door station: the door screen takes it as it
   * takes a keyboard-wedge scan (it knows the household at hand).
   */
  'doors.deviceScan': { text: string; source: 'serial' | 'hid' | 'simulator' };
};

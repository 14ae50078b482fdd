/**
 * Home isolation (居家隔离) in the typed API (composed into contract.ts): a household of the roster
 * (all its residents) or one person (by ID number) put in isolation from a start day until a last
 * day, here or by HQ (through the feed); its schedule is derived, never stored task by task:
 * sampling on the site's configured days (1, 4, 7, 10, 14 by default, `isolation.samplingDays` in
 * the site configuration), temperature twice a day. A sampling task is done when the person has a
 * binding that site day (at a desk or at the door, here or at another station of the site); a
 * temperature task by a reading recorded on the isolation screen. Overdue: a past task not done.
 * Ending the isolation (early, or at its last day) closes its schedule. Types and zod schemas only.
 */
import { z } from 'zod';

export type IsolationErrorCode =
  /** A household is taken from the roster in use: there is none at this station. */
  | 'isolation.noRoster'
  /** No resident of the roster in use lives in this household; params: household. */
  | 'isolation.householdUnknown'
  /** Not a valid resident ID number (GB 11643: its check character is wrong). */
  | 'isolation.idNumberInvalid'
  /** The last day comes before the first; params: start, until. */
  | 'isolation.untilBeforeStart'
  /** An isolation lasts at most this many days; params: maxDays. */
  | 'isolation.tooLong'
  /** An isolation whose last day is over already; params: until. */
  | 'isolation.untilPast'
  /** Someone named is in an isolation not ended yet; params: name, household, until. */
  | 'isolation.alreadyIsolated'
  | 'isolation.notFound'
  /** The isolation was ended already; params: reason, at (site time). */
  | 'isolation.alreadyEnded'
  /** A reading for an isolation that is closed (ended, or past its last day) or not begun; params: state. */
  | 'isolation.notActive'
  /** The person named is not one of this isolation's. */
  | 'isolation.notInIsolation';

/** Days (1 = the first day) on which a person in isolation is sampled, unless the site configures others. */
export const DEFAULT_ISOLATION_SAMPLING_DAYS = [1, 4, 7, 10, 14] as const;
/** The default length: the first day to the fourteenth. */
export const DEFAULT_ISOLATION_DAYS = 14;
export const ISOLATION_MAX_DAYS = 60;

/** `upcoming`: its first day is to come; `completed`: past its last day; `ended`: ended by staff or HQ. */
export const ISOLATION_STATES = ['upcoming', 'active', 'completed', 'ended'] as const;
export type IsolationState = (typeof ISOLATION_STATES)[number];

export const ISOLATION_SLOTS = ['morning', 'evening'] as const;
export type IsolationSlot = (typeof ISOLATION_SLOTS)[number];

export type IsolationPersonView = { id: string; name: string; maskedIdNumber: string };

export type IsolationView = {
  id: string;
  subject: 'household' | 'person';
  household: string;
  persons: IsolationPersonView[];
  reason: string;
  /** Site days (YYYY-MM-DD): the first and the last. */
  startDay: string;
  untilDay: string;
  samplingDays: number[];
  /** Which day of it today is (1 = the first), null when it has not begun or is closed. */
  dayNumber: number | null;
  state: IsolationState;
  /** Started here, at another station of the site, or by HQ. */
  origin: 'here' | 'feed';
  stationName: string;
  startedAt: string;
  ended: { reason: string; at: string; stationName: string } | null;
  /** Tasks of past days (and of today gone by) not done. */
  overdue: number;
};

export type IsolationTaskKind = 'sampling' | 'temperatureMorning' | 'temperatureEvening';
export type IsolationTaskStatus = 'done' | 'pending' | 'overdue';

export type IsolationTaskView = {
  isolationId: string;
  personId: string;
  name: string;
  maskedIdNumber: string;
  household: string;
  /** The site day it is due, and which day of the isolation that is. */
  day: string;
  dayNumber: number;
  kind: IsolationTaskKind;
  status: IsolationTaskStatus;
  /** When it was done (the binding's or the reading's time), else null. */
  doneAt: string | null;
  /** A temperature task's reading. */
  celsius: number | null;
};

export type IsolationTasksView = {
  /** Today, the site's day. */
  today: string;
  tasks: IsolationTaskView[];
  /** Tasks of earlier days not done, oldest first. */
  overdue: IsolationTaskView[];
};

export type IsolationReadingView = { id: string; isolationId: string; personId: string; day: string; slot: IsolationSlot; celsius: number; source: 'typed' | 'thermometer'; at: string };

const id = z.string().min(1).max(64);
const part = z.string().max(20);
const text = z.string().trim().min(1).max(200);
export const isolationHouseholdSchema = z.object({ building: part, unit: part, room: part }).strict();

export const isolationArgs = {
  /**
   * Someone put in isolation: a household of the roster (all its residents), or one person by ID
   * number and name; from `startDay` (default today) to `untilDay` (default the 14th day).
   */
  'isolation.start': z
    .object({
      subject: z.discriminatedUnion('kind', [
        z.object({ kind: z.literal('household'), household: isolationHouseholdSchema }).strict(),
        z.object({ kind: z.literal('person'), idNumber: z.string().trim().max(18), name: z.string().trim().min(1).max(40), household: z.string().trim().max(64).default('') }).strict(),
      ]),
      reason: text,
      startDay: z.iso.date().optional(),
      untilDay: z.iso.date().optional(),
    })
    .strict(),
  'isolation.end': z.object({ isolationId: id, reason: text }).strict(),
  /** Isolations, the open ones (upcoming and active) first, newest first. */
  'isolation.list': z
    .object({ open: z.boolean().default(true), limit: z.number().int().min(1).max(200).default(50), offset: z.number().int().min(0).max(10_000_000).default(0) })
    .strict(),
  /** Today's tasks of every active isolation, and the overdue ones. */
  'isolation.tasks': z.object({}).strict(),
  /** A temperature reading for today's morning or evening task: typed, or the thermometer's. */
  'isolation.reading': z
    .object({ isolationId: id, personId: id, slot: z.enum(ISOLATION_SLOTS), celsius: z.number().min(34).max(43), source: z.enum(['typed', 'thermometer']).default('typed') })
    .strict(),
  /** Households of the roster in use (all, or those a query names: `3`, `3-2`, `3-2-502`, a name's start). */
  'isolation.households': z
    .object({ query: z.string().trim().max(64).default(''), limit: z.number().int().min(1).max(200).default(50), offset: z.number().int().min(0).max(10_000_000).default(0) })
    .strict(),
} as const;

type Args<K extends keyof typeof isolationArgs> = z.infer<(typeof isolationArgs)[K]>;

export type IsolationHouseholdView = { building: string; unit: string; room: string; household: string; residents: number };

export type IsolationHandlers = {
  'isolation.start': { args: Args<'isolation.start'>; value: IsolationView };
  'isolation.end': { args: Args<'isolation.end'>; value: IsolationView };
  'isolation.list': { args: Args<'isolation.list'>; value: { total: number; isolations: IsolationView[] } };
  'isolation.tasks': { args: Args<'isolation.tasks'>; value: IsolationTasksView };
  'isolation.reading': { args: Args<'isolation.reading'>; value: IsolationReadingView };
  'isolation.households': { args: Args<'isolation.households'>; value: { total: number; households: IsolationHouseholdView[] } };
};

export type IsolationEvents = {
  /** An isolation was started or ended, or a reading recorded, here or elsewhere on the site: the screen fetches again. */
  'isolation.changed': { count: number };
};

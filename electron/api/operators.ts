/**
 * The operators part of the typed API (composed into contract.ts): who may use the station, how
 * they sign in (badge or staff code, plus a PIN), the lock screen, and which role may call which
 * method. Types, zod schemas and the role table only: it runs in the core, the hosts and the
 * renderer alike (the screen hides what a role may not do; the core refuses it).
 */
import { z } from 'zod';
import type { EventName, Events, Method } from './contract';

/** The roles of a site's staff (the `operator.role` CHECK names). */
export const ROLES = ['collector', 'sampler', 'gatekeeper', 'transporter', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const roleSchema = z.enum(ROLES);

export type OperatorErrorCode =
  /** The signed-in operator's role may not do this; params: method, role, needed (the roles that may). */
  | 'operator.forbidden'
  /** Nobody is signed in, or the screen is locked: sign in first. params: method. */
  | 'session.locked'
  /** Signed in with a PIN a site admin set: the operator chooses their own first (`operator.changePin`). params: method. */
  | 'operator.pinChangeNeeded'
  /** A site admin's own PIN is changed with their current one (`operator.changePin`), never reset. */
  | 'operator.ownPin'
  /** No operator has this staff code or badge. */
  | 'operator.unknown'
  /** Wrong PIN; params: remaining (tries before the operator is locked), waitSeconds (before the next try). */
  | 'operator.pinWrong'
  /** A try came before the wait after wrong PINs ended; params: waitSeconds. The PIN was not checked. */
  | 'operator.tooSoon'
  /** Locked after too many wrong PINs: a site admin unlocks. */
  | 'operator.lockedOut'
  | 'operator.disabled'
  /** The operator has no PIN yet (the station's former default operator): a site admin sets one. */
  | 'operator.noPin'
  | 'operator.notFound'
  | 'operator.codeTaken'
  | 'operator.codeInvalid'
  | 'operator.badgeTaken'
  /** The badge does not fit the site's badge pattern; params: badge. */
  | 'operator.badgeInvalid'
  /** The scan was not an operator badge; params: preview. */
  | 'operator.notBadge'
  /** The first site admin exists already: sign in instead. */
  | 'operator.setupDone'
  /** That would leave the site without an admin who can sign in. */
  | 'operator.lastAdmin'
  /** A site admin cannot disable themselves or take their own admin role. */
  | 'operator.self'
  | 'pin.tooShort'
  | 'pin.tooLong'
  | 'pin.notDigits'
  /** A PIN anyone would try first; params: rule (repeat, sequence, pattern, list). */
  | 'pin.tooCommon'
  /** The new PIN is the one it replaces. */
  | 'pin.sameAsOld';

export const PIN_MIN_DIGITS = 6;
export const PIN_MAX_DIGITS = 12;
/** Wrong PINs in a row after which the operator is locked until a site admin unlocks them. */
export const MAX_WRONG_PINS = 10;
/** Screen lock after this long without input, unless the site (from HQ) or a site admin here says otherwise. */
export const DEFAULT_IDLE_LOCK_MINUTES = 5;

/** An operator as the sign-in and lock screens show them. */
export type OperatorBrief = { id: string; code: string; name: string; role: Role };

/**
 * The station's session: one desk, one screen, one operator at a time. `setup`: no operator can
 * sign in yet (first run, or an upgraded station), the first site admin is to be created.
 * `pinChange`: signed in with a PIN a site admin set for them; they choose their own before
 * anything else.
 */
export type SessionState = 'setup' | 'signedOut' | 'locked' | 'pinChange' | 'active';

export type SessionView = {
  state: SessionState;
  /** Signed in (active, pinChange), or whose session the lock screen holds (locked). */
  operator: OperatorBrief | null;
  site: { name: string };
  station: { name: string; number: number };
  idleLockMinutes: number;
  /** The site's badge pattern: the screen sends badge scans to `operator.identify`. */
  badgePattern: string;
  /** The methods the signed-in role may call (empty when not active): the screen shows only these. */
  allowed: Method[];
  /** Operators kept from before PINs (an upgraded station's former default operator): the first-run screen says they stay. */
  operatorsWithoutPin: number;
};

/** An operator as the management screen shows them; never the PIN or its hash. */
export type OperatorRecord = OperatorBrief & {
  badge: string | null;
  hasPin: boolean;
  /** Their PIN was set by a site admin here: they choose their own at their next sign-in. */
  mustChangePin: boolean;
  disabled: boolean;
  lockedOut: boolean;
  /** Wrong PINs in a row at this station. */
  wrongPins: number;
  /** Made at this station, or received from HQ (made there or at another station of the site). */
  origin: 'here' | 'feed';
  updatedAt: string;
};

/** A badge scanned: whose it is; their PIN signs them in with this badge (`operator.signIn`). */
export type IdentifyOutcome = { kind: 'operator.pinNeeded'; operator: OperatorBrief; badge: string };

export type OperatorSettings = {
  idleLockMinutes: number;
  /** Where the figure comes from: the site's configuration (HQ), this station's setting, or the default. */
  source: 'site' | 'station' | 'default';
  stationMinutes: number | null;
};

const id = z.string().min(1).max(64);
/** Checked by the core with words of its own (pin.*), so the schema only bounds the text. */
const pin = z.string().max(64);
const staffCode = z.string().trim().min(1).max(32);
const name = z.string().trim().min(1).max(50);
const badge = z.string().trim().min(1).max(64);

export const operatorArgs = {
  'operator.session': z.object({}).strict(),
  /** A badge scanned on the sign-in or lock screen (or at any time, to switch operator). */
  'operator.identify': z.object({ text: z.string().max(4096), source: z.enum(['wedge', 'serial', 'hid', 'manual', 'simulator']) }).strict(),
  'operator.signIn': z
    .object({ code: staffCode.optional(), badge: badge.optional(), pin })
    .strict()
    .refine((a) => (a.code === undefined) !== (a.badge === undefined), 'give a staff code or a badge'),
  /** The first site admin, on a station where nobody can sign in yet. */
  'operator.setup': z.object({ name, code: staffCode, pin, badge: badge.optional() }).strict(),
  'operator.lock': z.object({}).strict(),
  'operator.signOut': z.object({}).strict(),
  /** Staff touched the screen: the idle lock starts counting again. */
  'operator.activity': z.object({}).strict(),
  'operator.list': z.object({}).strict(),
  'operator.create': z.object({ name, code: staffCode, role: roleSchema, badge: badge.optional(), pin }).strict(),
  'operator.update': z.object({ id, name: name.optional(), role: roleSchema.optional(), badge: badge.nullable().optional() }).strict(),
  'operator.resetPin': z.object({ id, pin }).strict(),
  /** The signed-in operator's own PIN: the current one (checked and counted like a sign-in), and the new one. */
  'operator.changePin': z.object({ pin, newPin: pin }).strict(),
  'operator.disable': z.object({ id }).strict(),
  'operator.enable': z.object({ id }).strict(),
  'operator.unlock': z.object({ id }).strict(),
  'operator.settings': z.object({}).strict(),
  /** This station's idle lock, used when the site's configuration sets none; null: the default. */
  'operator.setIdleLock': z.object({ minutes: z.number().int().min(1).max(240).nullable() }).strict(),
} as const;

type Args<K extends keyof typeof operatorArgs> = z.infer<(typeof operatorArgs)[K]>;

export type OperatorHandlers = {
  'operator.session': { args: Args<'operator.session'>; value: SessionView };
  'operator.identify': { args: Args<'operator.identify'>; value: IdentifyOutcome };
  'operator.signIn': { args: Args<'operator.signIn'>; value: SessionView };
  'operator.setup': { args: Args<'operator.setup'>; value: SessionView };
  'operator.lock': { args: Args<'operator.lock'>; value: SessionView };
  'operator.signOut': { args: Args<'operator.signOut'>; value: SessionView };
  'operator.activity': { args: Args<'operator.activity'>; value: null };
  'operator.list': { args: Args<'operator.list'>; value: OperatorRecord[] };
  'operator.create': { args: Args<'operator.create'>; value: OperatorRecord };
  'operator.update': { args: Args<'operator.update'>; value: OperatorRecord };
  'operator.resetPin': { args: Args<'operator.resetPin'>; value: OperatorRecord };
  'operator.changePin': { args: Args<'operator.changePin'>; value: SessionView };
  'operator.disable': { args: Args<'operator.disable'>; value: OperatorRecord };
  'operator.enable': { args: Args<'operator.enable'>; value: OperatorRecord };
  'operator.unlock': { args: Args<'operator.unlock'>; value: OperatorRecord };
  'operator.settings': { args: Args<'operator.settings'>; value: OperatorSettings };
  'operator.setIdleLock': { args: Args<'operator.setIdleLock'>; value: OperatorSettings };
};

export type OperatorEvents = {
  /** Signed in, switched, locked (idle or on demand), signed out. */
  'operator.session': SessionView;
  /** An operator was created or changed here or through the feed: the management screen fetches again. */
  'operators.changed': { count: number };
};

// ---------------------------------------------------------------------------------------------
// Who may call what

/**
 * `signIn`: needed to sign in, so allowed to anyone at the screen, signed in or not.
 * `status`: harmless reads the lock screen shows (no personal data), allowed when locked too.
 * `self`: the signed-in operator's own session, whatever their role; also while they must choose
 * their own PIN (`pinChange`).
 * `sentinel`: the unattended sentinel's scans and what it shows (no ID number, household or
 * reason), allowed while the station works as a sentinel, signed in or not, and refused anywhere else.
 * A list of roles: only an active session whose operator has one of them.
 */
export type Access = 'signIn' | 'status' | 'self' | 'sentinel' | readonly Role[];

const ANY: readonly Role[] = ROLES;
/** The sampling desk: the information collector scans, the sampler confirms, the site admin does both. */
const DESK: readonly Role[] = ['collector', 'sampler', 'admin'];
const ADMIN: readonly Role[] = ['admin'];
/** The gate: the gate keeper scans, measures and records; the site admin does too. */
const GATE: readonly Role[] = ['gatekeeper', 'admin'];
/** The day's counts (no personal data): site admins, and the desk's and the gate's staff. */
const REPORTS: readonly Role[] = ['collector', 'sampler', 'gatekeeper', 'admin'];
/** The desk's staff and the transporter who takes their boxes. */
const BOXES: readonly Role[] = ['collector', 'sampler', 'transporter', 'admin'];
/** Who forms a door-to-door group and gives it its households: its information collector, or the site admin. */
const DOOR_LEAD: readonly Role[] = ['collector', 'admin'];

/**
 * Every method of the API and who may call it. A `{ [M in Method]: … }`: a method added to the
 * contract fails the type check here until someone decides who may call it.
 */
export const METHOD_ACCESS: { readonly [M in Method]: Access } = {
  'operator.session': 'signIn',
  'operator.identify': 'signIn',
  'operator.signIn': 'signIn',
  'operator.setup': 'signIn',
  'operator.lock': 'self',
  'operator.signOut': 'self',
  'operator.activity': 'self',
  'operator.changePin': 'self',
  'operator.list': ADMIN,
  'operator.create': ADMIN,
  'operator.update': ADMIN,
  'operator.resetPin': ADMIN,
  'operator.disable': ADMIN,
  'operator.enable': ADMIN,
  'operator.unlock': ADMIN,
  'operator.settings': ADMIN,
  /** Reads the whole journal: the site admin's, on demand from the upload screen. */
  'journal.verify': ADMIN,
  'operator.setIdleLock': ADMIN,

  'desk.state': DESK,
  'desk.setCapacity': DESK,
  'scan.submit': DESK,
  'tube.new': DESK,
  'tube.seal': DESK,
  'tube.void': DESK,
  'tube.search': DESK,
  'binding.undo': DESK,
  'binding.confirm': DESK,
  'binding.cancel': DESK,
  'tube.conflicts': DESK,
  'desk.bindResident': DESK,

  // Online/offline, records waiting, last upload: what every screen's header shows, the lock screen too.
  'upload.status': 'status',
  'upload.enroll': ADMIN,
  'upload.syncNow': ANY,
  'results.positives': DESK,
  'retest.list': DESK,

  // The devices indicator on every screen: is the scanner there, is the printer out of paper.
  'devices.list': ANY,
  'devices.discover': ADMIN,
  'devices.save': ADMIN,
  'devices.remove': ADMIN,
  'devices.setMode': ADMIN,
  'devices.calibrate': ADMIN,
  'devices.simulate': ADMIN,
  'devices.testPrint': ADMIN,

  'label.preview': DESK,
  'label.print': DESK,
  'label.reprint': DESK,
  'label.printerStatus': ANY,
  'label.settings': DESK,
  'label.setPrintOnOpen': DESK,

  'round.list': ANY,
  'round.start': ADMIN,
  'round.close': ADMIN,

  'roster.summary': ADMIN,
  'roster.upload': ADMIN,
  'roster.uploadChunk': ADMIN,
  'roster.read': ADMIN,
  'roster.import': ADMIN,
  'roster.problems': ADMIN,
  'roster.changes': ADMIN,
  'roster.apply': ADMIN,
  'roster.discard': ADMIN,
  // Finding a resident without a phone or card, to bind them at the desk.
  'roster.search': DESK,

  'coverage.view': ADMIN,
  'coverage.residents': ADMIN,
  'coverage.exempt': ADMIN,
  'coverage.unexempt': ADMIN,
  'coverage.export': ADMIN,

  'report.day': REPORTS,
  'report.export': REPORTS,

  // Which screen the station shows (desk, gate, sentinel), signed in or not; no personal data.
  'station.workplace': 'status',
  'station.setWorkplace': ADMIN,
  'gate.settings': GATE,
  'gate.setDirection': GATE,
  'gate.scan': GATE,
  'gate.passage': GATE,
  'gate.recent': GATE,
  'gate.reading': GATE,
  'gate.remeasure': GATE,
  'gate.refer': GATE,
  'gate.keyPersonAction': GATE,
  'gate.counts': GATE,
  'gate.households': GATE,
  'gate.registerVisitor': GATE,
  'gate.visitorLeave': GATE,
  'gate.visitors': GATE,
  'gate.vehicle': GATE,
  'gate.vehicles': GATE,

  // The sentinel kiosk runs with nobody signed in: its scans are the station's own.
  'sentinel.state': 'sentinel',
  'sentinel.scan': 'sentinel',

  // Resident passes: the gate keeper issues and prints them (a new pass revokes the holder's
  // earlier one, 'reissued': a lost pass is replaced at the gate); revoking one for any other
  // reason (moved out, misused) is the site admin's.
  'pass.households': GATE,
  'pass.residents': GATE,
  'pass.issue': GATE,
  'pass.list': GATE,
  'pass.preview': GATE,
  'pass.print': GATE,
  'pass.revoke': ADMIN,

  // Home isolation is the desk's work (its staff visit and sample the households): they put a
  // household or a person in isolation, read the tasks, record temperatures and end an isolation.
  'isolation.start': DESK,
  'isolation.end': DESK,
  'isolation.list': DESK,
  'isolation.tasks': DESK,
  'isolation.reading': DESK,
  'isolation.households': DESK,

  // Boxing is the desk's work: its staff open boxes, fill and seal them. The hand-over is theirs
  // too (a transporter without an account here is recorded by name and phone, or scans their
  // badge), and a transporter signed in here hands boxes over to themselves and reads them.
  'box.open': DESK,
  'box.addTube': DESK,
  'box.removeTube': DESK,
  'box.seal': DESK,
  'box.handOver': BOXES,
  'box.state': BOXES,
  'box.list': BOXES,
  'box.pending': DESK,
  // The box's label is printed where it is sealed; its manifest goes with it, so whoever may
  // read the box may save or print it. Where manifests print at this station is the admin's.
  'box.printLabel': DESK,
  'box.manifest': BOXES,
  'box.printManifest': BOXES,
  'box.settings': BOXES,
  'box.setManifestQueue': ADMIN,

  // Door to door is the desk's work carried from door to door: the group's information collector
  // and its helpers (samplers) sample, record not home and refusals, on the desk's tubes; the
  // collector (or the site admin) forms the group and gives it its buildings and people.
  'door.groups': DESK,
  'door.setup': DOOR_LEAD,
  'door.assign': DOOR_LEAD,
  'door.list': DESK,
  'door.household': DESK,
  'door.openTube': DESK,
  'door.sample': DESK,
  'door.scan': DESK,
  'door.notHome': DESK,
  'door.refuse': DESK,
};

/** Whether an active session of `role` may call `method`. */
export function roleMay(role: Role, method: Method): boolean {
  const access = METHOD_ACCESS[method];
  return access === 'sentinel' ? false : typeof access === 'string' || access.includes(role);
}

/**
 * Which method's data each event carries: the core sends an event only while that method could
 * be called (`METHOD_ACCESS`). So a locked screen, or anything connected while nobody is signed
 * in, receives what the lock screen shows and nothing else (no names, no tubes, no counts of
 * the round), and a role receives only what it may read. A function decides by the payload.
 * A `{ [E in EventName]: … }`: an event added to the contract fails the type check here until
 * someone decides what it carries.
 */
export const EVENT_ACCESS: { readonly [E in EventName]: Method | ((payload: Events[E]) => Method) } = {
  // The lock screen: who is signed in or locked, and the upload indicator.
  'operator.session': 'operator.session',
  'upload.status': 'upload.status',
  // A badge on a serial or HID scanner is a sign-in step (whose PIN to ask), also on the lock
  // screen, and so is its refusal; any other outcome is the desk's (a person bound, their name).
  'scan.outcome': ({ result }) =>
    (result.ok ? result.value.kind === 'operator.pinNeeded' : result.error.code.startsWith('operator.') || result.error.code === 'session.locked') ? 'operator.identify' : 'scan.submit',

  'desk.changed': 'desk.state',
  'results.changed': 'retest.list',
  'label.job': 'label.print',
  'rounds.changed': 'round.list',
  // Which devices there are and how they are, and a thermometer's reading: for signed-in staff only.
  'device.status': 'devices.list',
  'thermometer.reading': 'devices.list',
  'roster.progress': 'roster.read',
  'roster.changed': 'roster.read',
  'coverage.changed': 'coverage.view',
  'report.siteChanged': 'report.day',
  'operators.changed': 'operator.list',
  // Which screen the station shows (desk, gate, sentinel) and the gate's direction: no personal
  // data, and the lock screen shows the right screen behind it.
  'station.workplace': 'station.workplace',
  'gate.passage': 'gate.passage',
  'gate.reading': 'gate.passage',
  // As at the desk: a device scan refused because nobody may scan now is the lock screen's; any other outcome is the gate's (a person, their name).
  'gate.scanned': ({ result }) =>
    (result.ok ? result.value.kind === 'operator.pinNeeded' : result.error.code.startsWith('operator.') || result.error.code === 'session.locked') ? 'operator.identify' : 'gate.scan',
  // The person's name, temperature and what to do, at a sentinel only (its screen, signed in or not).
  'sentinel.verdict': 'sentinel.scan',
  // Visitors (names, households) and vehicles (plates, drivers): for whoever may list them.
  'gate.visit': 'gate.visitors',
  'gate.vehiclePassage': 'gate.vehicles',
  'passes.changed': 'pass.list',
  'isolation.changed': 'isolation.list',
  'boxes.changed': 'box.list',
  'doors.changed': 'door.list',
  // A scan's raw text (an ID number): for whoever may sample at the door, never a locked screen.
  'doors.deviceScan': 'door.scan',
};

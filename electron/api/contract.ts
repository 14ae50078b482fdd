/**
 * The one typed API between the renderer (or any client) and the core.
 *
 * Commands are request/response calls named `domain.action`; events are pushed by the core.
 * Both hosts (Electron via the preload, the kiosk host via WebSocket) carry exactly these
 * shapes, so the renderer cannot tell which host it runs under. This file holds types and
 * zod schemas only: it runs in the core, the hosts and the renderer alike.
 */
import { z } from 'zod';
import { deviceArgs, type DeviceErrorCode, type DeviceEvents, type DeviceHandlers } from './devices';
import { uploadArgs, type UploadErrorCode, type UploadEvents, type UploadHandlers } from './upload';
import { labelArgs, type LabelEvents, type LabelHandlers } from './labels';
import { coverageArgs, type CoverageErrorCode, type CoverageEvents, type CoverageHandlers } from './coverage';
import { rosterArgs, type RosterErrorCode, type RosterEvents, type RosterHandlers } from './roster';
import { roundArgs, type RoundErrorCode, type RoundEvents, type RoundHandlers } from './rounds';
import { operatorArgs, type IdentifyOutcome, type OperatorErrorCode, type OperatorEvents, type OperatorHandlers } from './operators';
import { gateArgs, type GateErrorCode, type GateEvents, type GateHandlers } from './gate';
import { sentinelArgs, type SentinelErrorCode, type SentinelEvents, type SentinelHandlers } from './sentinel';
import { passArgs, type PassErrorCode, type PassEvents, type PassHandlers } from './passes';
import { isolationArgs, type IsolationErrorCode, type IsolationEvents, type IsolationHandlers } from './isolation';
import { boxArgs, type BoxErrorCode, type BoxEvents, type BoxHandlers } from './boxes';
import { doorArgs, type DoorErrorCode, type DoorEvents, type DoorHandlers } from './doors';
import { reportArgs, type ReportEvents, type ReportHandlers } from './reports';

export const CAPACITIES = [1, 5, 10, 20] as const;
export type Capacity = (typeof CAPACITIES)[number];
export const capacitySchema = z.union([z.literal(1), z.literal(5), z.literal(10), z.literal(20)]);

/** Error codes cross the boundary as data; the renderer turns them into words (i18n). */
export type ErrorCode =
  | 'request.invalid'
  | 'request.unknownMethod'
  | 'internal'
  | 'storage.full'
  | 'storage.readonly'
  | 'storage.corrupt'
  | 'storage.busy'
  | 'scan.empty'
  | 'scan.tooLong'
  | 'scan.controlCharacters'
  | 'scan.unrecognized'
  | 'scan.idCheckFailed'
  | 'scan.personWithoutIdentity'
  | 'scan.boxNotAtDesk'
  /** A resident pass (出入证) scanned at a sampling desk: passes are for the gate. */
  | 'scan.passNotAtDesk'
  | 'tube.alreadyUsed'
  | 'tube.alreadyOpen'
  | 'tube.noneOpen'
  | 'tube.notFound'
  | 'tube.notVoidable'
  | 'tube.emptyCannotSeal'
  | 'tube.codeExhausted'
  | 'person.alreadyInTube'
  | 'binding.nothingToUndo'
  | 'confirmation.expired'
  | 'reason.required'
  | 'operator.unknownBadge'
  /** Set by a client transport, not the core: the host did not answer (params.sent: 1 if the call may have run). */
  | 'host.unreachable'
  | UploadErrorCode
  | DeviceErrorCode
  | RoundErrorCode
  | RosterErrorCode
  | CoverageErrorCode
  | OperatorErrorCode
  | GateErrorCode
  | SentinelErrorCode
  | PassErrorCode
  | BoxErrorCode
  | DoorErrorCode
  | IsolationErrorCode;

export type ApiError = { code: ErrorCode; params?: Record<string, string | number> };
export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export type ScanSource = 'wedge' | 'serial' | 'hid' | 'manual' | 'simulator';
export const scanSourceSchema = z.enum(['wedge', 'serial', 'hid', 'manual', 'simulator']);

/** A person as the screen may show them: the ID number is always masked. */
export type PersonView = {
  id: string;
  name: string | null;
  maskedIdNumber: string | null;
  /** What staff read out: the name, else the masked ID, else the masked registration code. */
  label: string;
};

export type TubeState = 'open' | 'sealed' | 'voided';

export type BindingView = {
  id: string;
  person: PersonView;
  boundAt: string;
  repeatConfirmed: boolean;
};

export type TubeSummary = {
  id: string;
  code: string;
  capacity: Capacity;
  state: TubeState;
  count: number;
  openedAt: string;
  sealedAt: string | null;
  voidReason: string | null;
};

export type TubeView = TubeSummary & { members: BindingView[] };

export type PendingConfirmation = {
  token: string;
  person: PersonView;
  /** The tube they were put in at this desk; null when it was at another desk of the site. */
  previousTubeCode: string | null;
  /** The other desk's name, when another desk sampled them (its mark reached this one through HQ). */
  previousStation: string | null;
  previousBoundAt: string;
};

/** A pre-printed tube code HQ found opened here and at another station of the site. */
export type TubeConflictView = {
  code: string;
  openedAt: string;
  /** This station opened it after another one did. */
  later: boolean;
  others: { stationNumber: number; stationName: string; openedAt: string }[];
  /** Which tube HQ's staff said the code means; results go to that tube only. */
  resolved: { stationNumber: number; stationName: string; mine: boolean; note: string } | null;
  receivedAt: string;
};

export type DeskState = {
  site: { id: string; name: string };
  /** The station's number within its site (HQ gives it; generated tube codes carry it). */
  station: { id: string; name: string; number: number };
  /** The site's round desks bind into now; null when none is open (nothing can be sampled). */
  round: { id: string; name: string; startsOn: string | null; endsOn: string | null } | null;
  capacity: Capacity;
  openTube: TubeView | null;
  recentTubes: TubeSummary[];
  pending: PendingConfirmation | null;
  /** Set when the last tube sealed itself at capacity: the desk asks for the next tube. */
  awaitingNextTube: boolean;
  /** Tube codes this desk opened after another desk of the site did, not yet resolved at HQ. */
  conflicts: TubeConflictView[];
};

export type ScanOutcome =
  | {
      kind: 'tube.opened';
      tubeCode: string;
      capacity: Capacity;
      sealedPrevious: string | null;
      /** An empty tube left for this one is voided as unused, never sealed. */
      voidedPrevious: string | null;
    }
  | {
      kind: 'person.bound';
      person: PersonView;
      tubeCode: string;
      count: number;
      capacity: Capacity;
      tubeSealed: boolean;
    }
  | { kind: 'person.needsConfirmation'; pending: PendingConfirmation }
  /** A badge: switching operator needs their PIN (`operator.signIn`). */
  | IdentifyOutcome;

export type UndoOutcome = { tubeCode: string; person: PersonView; count: number; tubeReopened: boolean };

const reasonSchema = z.string().trim().min(1).max(200);

/** Argument schemas, checked by the core on every call whatever the host. */
export const deskArgs = {
  'desk.state': z.object({}).strict(),
  'desk.setCapacity': z.object({ capacity: capacitySchema }).strict(),
  'scan.submit': z.object({ text: z.string().max(4096), source: scanSourceSchema }).strict(),
  'tube.new': z.object({}).strict(),
  'tube.seal': z.object({}).strict(),
  'tube.void': z.object({ tubeCode: z.string().min(1).max(64), reason: reasonSchema }).strict(),
  'tube.search': z.object({ query: z.string().max(64) }).strict(),
  'binding.undo': z.object({ reason: reasonSchema }).strict(),
  'binding.confirm': z.object({ token: z.string().min(1).max(64) }).strict(),
  'binding.cancel': z.object({ token: z.string().min(1).max(64) }).strict(),
  'tube.conflicts': z.object({}).strict(),
  /** A resident found in the roster (no phone, no card): bound to the open tube like a scanned person. */
  'desk.bindResident': z.object({ ref: z.string().min(1).max(80) }).strict(),
} as const;

type Args<K extends keyof typeof deskArgs> = z.infer<(typeof deskArgs)[K]>;

export type DeskHandlers = {
  'desk.state': { args: Args<'desk.state'>; value: DeskState };
  'desk.setCapacity': { args: Args<'desk.setCapacity'>; value: DeskState };
  'scan.submit': { args: Args<'scan.submit'>; value: ScanOutcome };
  'tube.new': { args: Args<'tube.new'>; value: ScanOutcome };
  'tube.seal': { args: Args<'tube.seal'>; value: TubeSummary };
  'tube.void': { args: Args<'tube.void'>; value: TubeSummary };
  'tube.search': { args: Args<'tube.search'>; value: TubeSummary[] };
  'binding.undo': { args: Args<'binding.undo'>; value: UndoOutcome };
  'binding.confirm': { args: Args<'binding.confirm'>; value: ScanOutcome };
  'binding.cancel': { args: Args<'binding.cancel'>; value: DeskState };
  /** Every tube code HQ found opened here and at another station, resolved or not. */
  'tube.conflicts': { args: Args<'tube.conflicts'>; value: TubeConflictView[] };
  'desk.bindResident': { args: Args<'desk.bindResident'>; value: ScanOutcome };
};

export type Handlers = DeskHandlers &
  UploadHandlers &
  DeviceHandlers &
  LabelHandlers &
  RoundHandlers &
  RosterHandlers &
  CoverageHandlers &
  OperatorHandlers &
  GateHandlers &
  SentinelHandlers &
  PassHandlers &
  BoxHandlers &
  DoorHandlers &
  IsolationHandlers &
  ReportHandlers;
export type Method = keyof Handlers;
export type ArgsOf<M extends Method> = Handlers[M]['args'];
export type ValueOf<M extends Method> = Handlers[M]['value'];

export const argSchemas: { [M in Method]: z.ZodType<ArgsOf<M>> } = {
  ...deskArgs,
  ...uploadArgs,
  ...deviceArgs,
  ...labelArgs,
  ...roundArgs,
  ...rosterArgs,
  ...coverageArgs,
  ...operatorArgs,
  ...gateArgs,
  ...sentinelArgs,
  ...passArgs,
  ...isolationArgs,
  ...boxArgs,
  ...doorArgs,
  ...reportArgs,
};
export const METHODS = Object.keys(argSchemas) as Method[];

export type Events = {
  'desk.changed': DeskState;
} & UploadEvents &
  DeviceEvents &
  LabelEvents &
  RoundEvents &
  RosterEvents &
  CoverageEvents &
  OperatorEvents &
  GateEvents &
  SentinelEvents &
  PassEvents &
  BoxEvents &
  DoorEvents &
  IsolationEvents &
  ReportEvents;
export type EventName = keyof Events;

/** The client side of the API, implemented by each host's transport. */
export type StationApi = {
  call<M extends Method>(method: M, args: ArgsOf<M>): Promise<Result<ValueOf<M>>>;
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void;
};

/**
 * What the Electron preload exposes on `window.station`: one function per command, plus one
 * subscription for events. The renderer wraps either this or the kiosk WebSocket as a StationApi.
 */
export type PreloadApi = { [M in Method]: (args: ArgsOf<M>) => Promise<Result<ValueOf<M>>> } & {
  onEvent(listener: (event: { event: EventName; payload: Events[EventName] }) => void): () => void;
};

/**
 * Resident passes (出入证) in the typed API (composed into contract.ts): issued from the roster to
 * the residents of a household, with a validity; printed on the label printer with the QR that
 * holds the pass's code; revoked with a reason; scanned at the gate (`gate.scan`, a router kind of
 * its own), where a revoked, expired, not-yet-valid or unknown pass is refused with the reason.
 * Passes issued at one station of a site reach the others through HQ. Types and zod schemas only.
 */
import { z } from 'zod';
import type { LabelPrintResult } from './labels';
import type { ResidentTagView } from './roster';

export type PassErrorCode =
  /** No roster in use at this station: passes are issued from it. */
  | 'pass.noRoster'
  /** No resident of the roster in use lives in this household; params: household. */
  | 'pass.householdUnknown'
  /** A resident named is not one of this household's on the roster in use; params: household. */
  | 'pass.notInHousehold'
  /** Valid until must come after valid from; params: from, until (site time). */
  | 'pass.untilBeforeFrom'
  /** A pass is valid at most this long; params: maxDays. */
  | 'pass.tooLong'
  /** A pass that would have expired already; params: until (site time). */
  | 'pass.untilPast'
  | 'pass.notFound'
  /** params: reason, at (site time). */
  | 'pass.alreadyRevoked'
  /** Only a pass that is or will be valid is printed; params: state. */
  | 'pass.notPrintable'
  /** At the gate: the pass was revoked; params: reason, at (site time). */
  | 'gate.passRevoked'
  /** At the gate: the pass has expired; params: until (site time). */
  | 'gate.passExpired'
  /** At the gate: the pass is not valid yet; params: from (site time). */
  | 'gate.passNotYetValid'
  /** At the gate: a whole code no pass of this site has (another site's, or not synced here yet). */
  | 'gate.passUnknown'
  /** At the gate: a pass code misread or mistyped (its check symbol is wrong, or it is cut short). */
  | 'gate.passDamaged';

/** How long a pass may be valid, from its first to its last day. */
export const PASS_MAX_DAYS = 90;

export const PASS_STATES = ['valid', 'notYetValid', 'expired', 'revoked'] as const;
export type PassState = (typeof PASS_STATES)[number];

/** A household as the roster keeps it: building, unit, room (a part may be empty). */
export type HouseholdRef = { building: string; unit: string; room: string };

/** A pass as the screens show it: the code masked (the printed QR is the pass), the ID number masked. */
export type PassView = {
  id: string;
  maskedCode: string;
  name: string;
  maskedIdNumber: string | null;
  household: string;
  validFrom: string;
  validUntil: string;
  state: PassState;
  issuedAt: string;
  /** Issued at this station, or at another station of the site (through HQ). */
  origin: 'here' | 'feed';
  stationName: string;
  revoked: { reason: string; at: string; stationName: string } | null;
};

/** A household of the roster in use with how many of its residents hold a valid pass now. */
export type HouseholdPassesView = HouseholdRef & { household: string; residents: number; validPasses: number };

/** A resident of a household and their pass: the one valid now or to come, else their latest. */
export type PassResidentView = { ref: string; name: string; maskedIdNumber: string; tags: ResidentTagView[]; pass: PassView | null };

export type PassHouseholdView = HouseholdRef & { household: string; residents: PassResidentView[] };

export type PassPreview = { passId: string; dpi: 203 | 300; widthMm: number; heightMm: number; /** `data:image/png;base64,…`, as printed. */ png: string };

/** A pass printed: `code` is the masked code (a pass's code is not shown or sent anywhere but to the printer). */
export type PassPrintResult = LabelPrintResult & { passId: string };

const id = z.string().min(1).max(64);
const part = z.string().max(20);
const householdSchema = z.object({ building: part, unit: part, room: part }).strict();
/** A site day (YYYY-MM-DD: from its start, until its end, UTC+8), or an exact time. */
const when = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);
const limit = z.number().int().min(1).max(200).default(50);
const offset = z.number().int().min(0).max(10_000_000).default(0);

export const passArgs = {
  /** Households of the roster in use (all, or those a query names: `3`, `3-2`, `3-2-502`), with their pass counts. */
  'pass.households': z.object({ query: z.string().trim().max(64).default(''), limit, offset }).strict(),
  /** A household's residents and their passes. */
  'pass.residents': z.object({ household: householdSchema }).strict(),
  /**
   * A pass for each resident named (their roster `ref`, or their ID number), or for every resident
   * of the household; a resident's earlier pass still valid is revoked ('reissued').
   */
  'pass.issue': z
    .object({ household: householdSchema, residents: z.array(z.string().trim().min(1).max(80)).min(1).max(100).optional(), validFrom: when, validUntil: when })
    .strict(),
  'pass.revoke': z.object({ passId: id, reason: z.string().trim().min(1).max(200) }).strict(),
  /** Passes, newest first: of a household (`3-2-502`), by name, an ID number or its last digits, a scanned code, by state. */
  'pass.list': z
    .object({ household: z.string().trim().max(64).optional(), query: z.string().trim().max(64).optional(), state: z.enum(PASS_STATES).optional(), limit, offset })
    .strict(),
  'pass.preview': z.object({ passId: id, dpi: z.union([z.literal(203), z.literal(300)]).optional() }).strict(),
  'pass.print': z.object({ passId: id }).strict(),
} as const;

type Args<K extends keyof typeof passArgs> = z.infer<(typeof passArgs)[K]>;

export type PassHandlers = {
  'pass.households': { args: Args<'pass.households'>; value: { total: number; households: HouseholdPassesView[] } };
  'pass.residents': { args: Args<'pass.residents'>; value: PassHouseholdView };
  'pass.issue': { args: Args<'pass.issue'>; value: PassView[] };
  'pass.revoke': { args: Args<'pass.revoke'>; value: PassView };
  'pass.list': { args: Args<'pass.list'>; value: { total: number; passes: PassView[] } };
  'pass.preview': { args: Args<'pass.preview'>; value: PassPreview };
  'pass.print': { args: Args<'pass.print'>; value: PassPrintResult };
};

export type PassEvents = {
  /** Passes were issued or revoked, here or at another station of the site: the screen fetches again. */
  'passes.changed': { count: number };
};

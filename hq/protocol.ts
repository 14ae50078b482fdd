/**
 * Station <-> HQ protocol v1 (see /work/notes/hq-protocol.md): zod schemas, types and the
 * canonical-string, digest and signature helpers both sides use. No server code lives here, so the
 * station's upload agent imports this file as well as HQ.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hash,
  hkdfSync,
  randomBytes,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { z } from 'zod';
import type { JournalKind } from '../electron/core/journal';

export const PROTOCOL_VERSION = 1;

export const HQ_PATHS = {
  enroll: '/api/v1/enroll',
  batches: '/api/v1/batches',
  feed: '/api/v1/feed',
  adminCodes: '/api/v1/admin/codes',
  adminResults: '/api/v1/admin/results',
  adminKeyPersons: '/api/v1/admin/keypersons',
  adminSiteConfig: '/api/v1/admin/site-config',
  adminStations: '/api/v1/admin/stations',
  adminTubeConflicts: '/api/v1/admin/tube-conflicts',
  adminRounds: '/api/v1/admin/rounds',
  /** GET `/api/v1/roster/<importId>?after=ROW&limit=N`: a page of a roster version, for a station of its site. */
  roster: '/api/v1/roster',
  adminRoster: '/api/v1/admin/roster',
  /** GET `/api/v1/admin/coverage/<roundId>`: coverage by building and unit; POST `.../exempt`: an exemption. */
  adminCoverage: '/api/v1/admin/coverage',
  /** GET `?siteId=`: a site's operators; POST: add one; POST `.../change`: change one (role, PIN, disabled, unlocked). */
  adminOperators: '/api/v1/admin/operators',
  /** GET `?siteId=&day=`: a site's gates per hour of the day, and its key-person hits; POST `.../follow-up`: a hit followed up. */
  adminGate: '/api/v1/admin/gate',
  /** GET `?day=`: a site day's counts per hour, for a station of the site (the report's "this site"). */
  siteDay: '/api/v1/site-day',
  /**
   * The lab's receipt of boxes: POST `.../receipts` begins one (a box code), GET `.../receipts`
   * lists them, GET `.../receipts/<id>` reads one, POST `.../receipts/<id>/tubes` a tube scanned,
   * `.../broken` a tube broken, `.../finish`, `.../corrections`.
   */
  adminLab: '/api/v1/admin/lab',
  /** GET `?siteId=&days=`: a site's boxes in transit, not handed over, its loose tubes and receipt discrepancies. */
  adminBoxes: '/api/v1/admin/boxes',
  /** GET `?siteId=`: a site's isolations with their tasks; POST: HQ puts a household or person in isolation; POST `.../end`: ends one. */
  adminIsolation: '/api/v1/admin/isolation',
  /** POST (the file as the body, `?fileName=&goodRowsOnly=1`): a lab's result file, CSV or XLSX. */
  adminResultFiles: '/api/v1/admin/results/import',
  /** GET `.../<id>`: an import and its row errors; POST `.../<id>/good {expected}`: its good rows, knowingly; POST `.../<id>/discard`. */
  adminResultImports: '/api/v1/admin/results/imports',
  /** GET: results posted for tubes no lab receipt held. */
  adminFlaggedResults: '/api/v1/admin/results/flagged',
  /** GET: labs' tokens; POST `{lab}`: a new one (shown once); POST `.../revoke {id}`. */
  adminLabTokens: '/api/v1/admin/lab-tokens',
  /** POST with a lab's bearer token `{lab, results: [{tubeCode, result, at}], goodRowsOnly?}`: a lab system's results. */
  labResults: '/lab/v1/results',
} as const;

export const HEADER_STATION_ID = 'x-station-id';
export const HEADER_TIMESTAMP = 'x-station-timestamp';
export const HEADER_SIGNATURE = 'x-station-signature';

/** |HQ clock - signed timestamp| beyond this is `timestamp.stale`; signatures are remembered this long. */
export const REPLAY_WINDOW_MS = 300_000;
/** Bytes as sent (gzip for batches). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Bytes after gunzip: bounds a zip bomb. */
export const MAX_DECOMPRESSED_BYTES = 128 * 1024 * 1024;
export const MAX_BATCH_RECORDS = 50_000;
export const MAX_FEED_LIMIT = 1000;

/** Every error HQ answers with, as `{ error, hqTime? }`. */
export type HqErrorCode =
  | 'enroll.codeInvalid'
  | 'enroll.codeUsed'
  | 'enroll.codeExpired'
  /** Every station number 1-999 of the site has been given. */
  | 'enroll.siteFull'
  /** 403: this desk was linked before (it names its station): only a re-link code made for that station links it again. */
  | 'enroll.relinkCodeNeeded'
  /** 403: a re-link code, made for another station than the desk that sent it. */
  | 'enroll.codeForAnotherStation'
  | 'station.unknown'
  /** 403: HQ revoked this station (lost, stolen, retired); an admin links the desk again with its re-link code (`station hq station relink`). */
  | 'station.revoked'
  | 'signature.invalid'
  | 'timestamp.stale'
  | 'request.replayed'
  | 'body.invalid'
  | 'body.tooLarge'
  | 'admin.unauthorized'
  | 'tube.unknown'
  /** The tube code was opened at more than one station; staff must say which tube a result is for. */
  | 'tube.ambiguous'
  | 'site.unknown'
  | 'station.numberTaken'
  | 'round.unknown'
  | 'round.closed'
  | 'round.datesInvalid'
  /** 404: no key-person passage of that station has that id. */
  | 'gate.hitUnknown'
  /** 404: no station has uploaded a box with this code (of that station, when one was named). */
  | 'lab.boxUnknown'
  /** 409: boxes of several stations have this code; the answer lists them (`candidates`): name the station. */
  | 'lab.boxAmbiguous'
  | 'lab.receiptUnknown'
  /** 409: the receipt is finished: correct it instead. */
  | 'lab.receiptFinished'
  /** 409: the receipt is still open: scan or mark its tubes, then finish it. */
  | 'lab.receiptOpen'
  /** 409: received and missing are for a tube of the box as handed over, extra for any other. */
  | 'lab.statusInvalid'
  /** 409: the tube has that status already. */
  | 'lab.statusUnchanged'
  | 'not.found'
  /** 409: the batch does not continue the station's journal chain as HQ holds it (an entry changed, removed or moved). */
  | 'chain.broken'
  /** 503 with `Retry-After`: HQ has as many batches in hand as it takes at once. */
  | 'hq.busy'
  /** 429 with `Retry-After`: too many requests from this address, or from this station at this address. */
  | 'rate.limited'
  /** 401: a lab endpoint's request without a live lab token (missing, unknown or revoked). */
  | 'lab.unauthorized'
  /** 403: the request names another lab than the one its token was issued to. */
  | 'lab.mismatch'
  | 'lab.nameInvalid'
  | 'lab.tokenUnknown'
  /** 422: rows with errors, nothing written (the answer lists each row). */
  | 'results.rowErrors'
  /** A result file that cannot be taken as a whole (400; `file.tooLarge` is 413). */
  | 'file.unsupported'
  | 'file.xls'
  | 'file.encoding'
  | 'file.csvMalformed'
  | 'file.empty'
  | 'file.noHeader'
  | 'file.columns'
  | 'file.tooLarge'
  | 'file.tooManyRows'
  | 'import.unknown'
  | 'import.notPending'
  | 'import.expired'
  | 'import.changed'
  | 'internal';

export const hqErrorSchema = z.object({ error: z.string(), hqTime: z.number().optional(), detail: z.string().optional() });
export type HqError = { error: HqErrorCode; hqTime?: number; detail?: string };

// ---------------------------------------------------------------------------------------------
// Enrollment

export const enrollRequestSchema = z
  .object({
    code: z.string().min(4).max(64),
    publicKey: z.string().min(40).max(4096),
    stationName: z.string().min(1).max(200),
    localStationId: z.string().min(1).max(128),
    /**
     * The station this desk was linked as, when it is linked again (revoked, or HQ's key changed
     * past what it knew): HQ gives it back that station, with the new key, so its journal goes on.
     */
    previousStationId: z.string().min(1).max(128).optional(),
  })
  .strict();
export type EnrollRequest = z.infer<typeof enrollRequestSchema>;

/** A station's number within its site: generated tube codes carry it, so it is never shared. */
export const stationNumberSchema = z.number().int().min(1).max(999);
export const stationNameSchema = z.string().trim().min(1).max(60);

export const enrollResponseSchema = z.object({
  type: z.literal('station.enrolled'),
  stationId: z.string().min(1),
  siteId: z.string().min(1),
  siteName: z.string(),
  stationNumber: stationNumberSchema,
  stationName: stationNameSchema,
  /** HQ's X25519 key (SPKI DER, base64) that export files are encrypted to; the answer is signed. */
  exportKey: z.string().max(200).optional(),
});
export type EnrollResponse = z.infer<typeof enrollResponseSchema>;

// ---------------------------------------------------------------------------------------------
// Journal records and their payloads

/**
 * Every journal kind HQ knows. `retest.sampled` (a single-tube re-test of a member of a positive
 * pooled tube) and `box.sealed` are written by station features that may land after this list;
 * a kind the station journals but HQ does not list fails the type check below.
 */
export const KNOWN_KINDS = [
  'site.configured',
  'station.created',
  'station.identified',
  'operator.created',
  'operator.changed',
  'operator.signedIn',
  'operator.signInFailed',
  'operator.signedOut',
  'round.started',
  'round.closed',
  'person.registered',
  'person.updated',
  'tube.opened',
  'tube.sealed',
  'tube.reopened',
  'tube.voided',
  'binding.created',
  'binding.undone',
  'retest.sampled',
  'roster.committed',
  'roster.rows',
  'exemption.set',
  'exemption.lifted',
  'box.opened',
  'box.tubeAdded',
  'box.tubeRemoved',
  'box.sealed',
  'box.handedOver',
  'device.calibrated',
  'station.workplaceSet',
  'gate.passage',
  'gate.reading',
  'gate.referral',
  'gate.keyPersonAction',
  'gate.visitor',
  'gate.visitorLeft',
  'gate.vehicle',
  'pass.issued',
  'pass.revoked',
  'door.groupAssigned',
  'door.visit',
  'isolation.started',
  'isolation.ended',
  'isolation.reading',
] as const;
export type KnownKind = (typeof KNOWN_KINDS)[number];
type MissingKinds = Exclude<JournalKind, KnownKind>;
const everyJournalKindIsKnown: [MissingKinds] extends [never] ? true : MissingKinds = true;
void everyJournalKindIsKnown;

const id = z.string().min(1).max(128);
const code = z.string().min(1).max(128);
const text = z.string().max(1000);
const siteDay = z.iso.date();

/** Who is in an isolation and its schedule, as a station journals it and as HQ's feed relays it. */
const isolationStartedSchema = z.object({
  siteId: id,
  subject: z.enum(['household', 'person']),
  household: text,
  persons: z.array(z.object({ personId: id, idNumber: z.string().regex(/^\d{17}[\dX]$/), name: text })).min(1).max(100),
  reason: text,
  startDay: siteDay,
  untilDay: siteDay,
  samplingDays: z.array(z.number().int().min(1).max(366)).max(100),
});
const isolationReadingSchema = z.object({
  siteId: id,
  isolationId: id,
  personId: id,
  day: siteDay,
  slot: z.enum(['morning', 'evening']),
  celsius: z.number().min(30).max(45),
  source: z.enum(['typed', 'thermometer']),
});
const optionalText = z.string().max(1000).nullish();
const count = z.number().int().min(0).max(100_000);
/** A calendar date, YYYY-MM-DD. */
export const isoDate = z.iso.date();
const gateDirection = z.enum(['in', 'out']);
/** A person's temperature or a threshold, °C. */
const celsius = z.number().min(30).max(45);

export const exemptionReasonSchema = z.enum(['away', 'hospital', 'sampledAtHome', 'other']);

export const operatorRoleSchema = z.enum(['collector', 'sampler', 'gatekeeper', 'transporter', 'admin']);

/**
 * A PIN's Argon2id PHC string as stations and HQ write it (OWASP's m = 19 MiB, t = 2, p = 1 or
 * more), with bounds on its costs: a hash from outside cannot make a PIN check take a gigabyte
 * of memory or a minute.
 */
export const pinHashSchema = z
  .string()
  .max(256)
  .regex(/^\$argon2id\$v=19\$m=(\d{1,6}),t=(\d{1,2}),p=(\d{1,2})\$[A-Za-z0-9+/]{11,64}\$[A-Za-z0-9+/]{16,128}$/)
  .refine((h) => {
    // zod runs this check even when the pattern above failed: a string without costs is refused, never a throw.
    const costs = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(h);
    if (!costs) return false;
    const [m, t, p] = costs.slice(1).map(Number) as [number, number, number];
    return m >= 19456 && m <= 262_144 && t >= 2 && t <= 10 && p >= 1 && p <= 4;
  }, 'Argon2id costs out of bounds');

/** The largest roster a site may have (a district is about a million people). */
export const MAX_ROSTER_ROWS = 5_000_000;

/** A resident as rosters travel: ID number, name, phone, building, unit, room, tag bits. */
export const residentTupleSchema = z.tuple([
  z.string().regex(/^\d{17}[\dX]$/),
  z.string().min(1).max(50),
  z.string().max(20).nullable(),
  z.string().max(20),
  z.string().max(20),
  z.string().max(20),
  z.number().int().min(0).max(15),
]);

/** Payload shapes HQ validates (and projects). Unknown extra keys are allowed for forward compatibility. */
export const PAYLOAD_SCHEMAS = {
  'site.configured': z.object({ name: text, config: z.record(z.string(), z.unknown()) }),
  'station.created': z.object({ siteId: id, name: text, number: z.number().int().min(0).max(999) }),
  /** entityId: the station's own id; HQ gave it this site, number and name (at enrollment or later). */
  'station.identified': z.object({ siteId: id, number: stationNumberSchema, name: text }),
  /** entityId: the operator. `pinHash` (Argon2id, never the PIN) since stations sign staff in with one. */
  'operator.created': z.object({ code, name: text, role: z.string().min(1).max(32), badge: optionalText, pinHash: pinHashSchema.nullish() }),
  /**
   * entityId: the operator; a site admin changed them at this station (or wrong PINs locked them
   * out, or they changed their own PIN: `pinChanged`): their state after it.
   */
  'operator.changed': z.object({
    change: z.enum(['updated', 'pinSet', 'pinChanged', 'disabled', 'enabled', 'unlocked', 'lockedOut']),
    code,
    name: text,
    role: operatorRoleSchema,
    badge: optionalText,
    pinHash: pinHashSchema.nullable(),
    disabled: z.boolean(),
    lockedOut: z.boolean(),
  }),
  /** entityId: the operator; `method` since stations check PINs (badge, staff code, or the first-run screen). */
  'operator.signedIn': z.object({ code, method: z.enum(['badge', 'code', 'setup']).optional() }),
  /**
   * A refused sign-in (never the PIN): entityId the operator, or the station when nobody known was
   * named. `pinChange`: the current PIN given to change it was refused, counted like a sign-in's.
   */
  'operator.signInFailed': z.object({
    code: code.nullable(),
    method: z.enum(['badge', 'code', 'pinChange']),
    reason: z.enum(['pinWrong', 'tooSoon', 'lockedOut', 'disabled', 'noPin', 'unknown']),
    wrongPins: z.number().int().min(1).max(1000).optional(),
  }),
  /** entityId: the operator whose session ended: the screen locked (on demand or idle), signed out, or disabled meanwhile. */
  'operator.signedOut': z.object({ code, cause: z.enum(['lock', 'idle', 'signOut', 'revoked']) }),
  /** entityId: the round. Planned dates (YYYY-MM-DD) since rounds belong to the site. */
  'round.started': z.object({ siteId: id, name: text, startsOn: isoDate.nullish(), endsOn: isoDate.nullish() }),
  /** entityId: the round, closed by a site admin at this station. */
  'round.closed': z.object({ siteId: id }),
  'person.registered': z.object({
    key: z.string().min(1).max(256),
    idNumber: optionalText,
    regCode: optionalText,
    name: optionalText,
    phone: optionalText,
    format: z.string().min(1).max(32),
  }),
  'person.updated': z.object({ idNumber: optionalText, regCode: optionalText, name: optionalText, phone: optionalText }),
  'tube.opened': z.object({ code, capacity: z.union([z.literal(1), z.literal(5), z.literal(10), z.literal(20)]), roundId: id }),
  'tube.sealed': z.object({ code, count, cause: z.enum(['capacity', 'next-tube', 'manual']) }),
  'tube.reopened': z.object({ code, cause: z.string().min(1).max(32) }),
  'tube.voided': z.object({ code, count, reason: z.string().min(1).max(1000), correctionId: id }),
  'binding.created': z.object({ tubeId: id, tubeCode: code, personId: id, roundId: id, repeatConfirmed: z.boolean() }),
  'binding.undone': z.object({ tubeCode: code, reason: z.string().min(1).max(1000), correctionId: id }),
  /** entityId: the new binding; the person re-tested alone after `originalTubeCode` came back positive. */
  'retest.sampled': z.object({ originalTubeCode: code, tubeCode: code, personId: id }),
  /**
   * entityId: the roster version, imported and applied at this station. Its `rows` residents
   * follow in `entries` `roster.rows` entries; the site's roster changes once all are in.
   */
  'roster.committed': z.object({ siteId: id, rows: z.number().int().min(0).max(MAX_ROSTER_ROWS), fileName: text, entries: z.number().int().min(0) }),
  /**
   * entityId: the roster version; `rows` of it, in order, `part` counting from 0. Every part holds
   * a row at least, so a roster has fewer parts than the most rows a roster may have.
   */
  'roster.rows': z.object({ part: z.number().int().min(0).max(MAX_ROSTER_ROWS - 1), rows: z.array(residentTupleSchema).min(1).max(5000) }),
  /** entityId: the round. A resident who need not be sampled in it, and why. */
  'exemption.set': z.object({ idNumber: z.string().regex(/^\d{17}[\dX]$/), reason: exemptionReasonSchema, note: z.string().max(200) }),
  'exemption.lifted': z.object({ idNumber: z.string().regex(/^\d{17}[\dX]$/) }),
  /** entityId: the box, opened at the station with the capacity it takes. */
  'box.opened': z.object({ code, capacity: z.number().int().min(1).max(1000) }),
  /** entityId: the box; a sealed tube of the station put in it (`entryId`: the box's entry for it). */
  'box.tubeAdded': z.object({ boxCode: code, tubeCode: code, tubeId: id, entryId: id }),
  /** entityId: the box; a tube taken out of it again, with the reason (`entryId`: the entry it ends). */
  'box.tubeRemoved': z.object({ boxCode: code, tubeCode: code, reason: text, entryId: id }),
  /** entityId: the box, sealed with its tubes (and, from stations that count them, the people in them). */
  'box.sealed': z.object({ code, count, tubeCodes: z.array(code).max(1000).optional(), personCount: count.optional() }),
  /**
   * entityId: the box, handed to a transporter: an operator of the site (by badge), or someone
   * recorded by name and phone; the count they confirmed is the box's.
   */
  'box.handedOver': z.object({
    code,
    tubeCount: count,
    personCount: count,
    transporterOperatorId: id.nullable(),
    transporterName: z.string().min(1).max(40).nullable(),
    transporterPhone: z.string().min(1).max(20).nullable(),
    coldChainNote: z.string().max(200),
  }),
  'device.calibrated': z.object({ previousOffsetC: z.number(), offsetC: z.number(), reason: text }),
  /** entityId: the station; a site admin made it a sampling desk, an attended gate or an unattended sentinel. */
  'station.workplaceSet': z.object({ workplace: z.enum(['desk', 'gate', 'sentinel', 'doors']) }),
  /**
   * entityId: the passage; `personId` a person this station registered. What the checks at the
   * scan found and the verdict then (readings, referrals and actions follow in their own entries).
   */
  'gate.passage': z.object({
    personId: id,
    subject: z.enum(['person', 'visitor', 'pass']),
    format: z.string().min(1).max(32),
    direction: gateDirection,
    residency: z.enum(['resident', 'outsider', 'unknown']),
    household: optionalText,
    keyPerson: z.boolean(),
    keyPersonLists: z.array(id).max(100),
    ruleMet: z.boolean().nullable(),
    level: z.enum(['pass', 'check', 'stop']),
    reasons: z.array(z.string().min(1).max(32)).max(20),
    thresholdC: celsius,
  }),
  /** entityId: the reading; `passageId` null when it could be attached to nobody (`match` says why). */
  'gate.reading': z.object({
    passageId: id.nullable(),
    celsius,
    measuredAt: z.iso.datetime({ offset: true }),
    source: z.enum(['thermometer', 'manual']),
    deviceId: id.nullable(),
    thresholdC: celsius,
    high: z.boolean(),
    match: z.enum(['auto', 'manual', 'ambiguous', 'unmatched', 'stale']),
    temperature: z.enum(['awaiting', 'notRequired', 'normal', 'remeasure', 'fever']).nullable(),
  }),
  /** entityId: the referral of a passage whose fever a re-measure confirmed. */
  'gate.referral': z.object({ passageId: id, destination: text, escort: text, note: text }),
  /** entityId: the action; what the gate keeper did about a key person at this passage. */
  'gate.keyPersonAction': z.object({ passageId: id, action: z.enum(['admitted', 'turnedBack', 'reported', 'escorted', 'other']), note: text }),
  /**
   * entityId: the visit; an outsider registered at the gate on their way in (`passageId`, a
   * `gate.passage` with subject visitor): whom they visit and for how long.
   */
  'gate.visitor': z.object({
    passageId: id,
    personId: id,
    phone: z.string().max(20).nullable(),
    reason: text,
    household: optionalText,
    expectedUntil: z.iso.datetime({ offset: true }),
  }),
  /** entityId: the visit; the visitor left through `passageId` (direction out). */
  'gate.visitorLeft': z.object({ passageId: id, stayedMinutes: z.number().int().min(0).max(1_000_000) }),
  /**
   * entityId: the vehicle passage; through the vehicle lane, in or out (`entryId` for a vehicle
   * leaving: the passage it came in by, when the gate has one).
   */
  'gate.vehicle': z.object({
    plate: z.string().min(1).max(16),
    plateKind: z.enum(['standard', 'newEnergy', 'other']),
    direction: gateDirection,
    driver: text,
    driverPhone: z.string().max(20).nullable(),
    passengers: z.number().int().min(0).max(60),
    purpose: text,
    entryId: id.nullable(),
  }),
  /**
   * entityId: the pass; a resident pass (出入证) issued from the roster to a resident of a
   * household, valid from / until; `code` is what its QR holds. HQ passes it on to the site's other stations.
   */
  'pass.issued': z.object({
    siteId: id,
    code,
    household: text,
    idNumber: z.string().regex(/^\d{17}[\dX]$/),
    name: text,
    validFrom: z.iso.datetime({ offset: true }),
    validUntil: z.iso.datetime({ offset: true }),
  }),
  /** entityId: the pass, revoked (with the reason gate keepers are shown when it is scanned). */
  'pass.revoked': z.object({ siteId: id, code, reason: text }),
  /**
   * entityId: the door-to-door group, formed (or given other households) at the station for a
   * round: its information collector and helpers (operators), its buildings or units, and whom
   * it samples there (residents with one of `tags`; none: everyone).
   */
  'door.groupAssigned': z.object({
    roundId: id,
    name: z.string().min(1).max(40),
    collectorId: id,
    helperIds: z.array(id).max(10),
    areas: z.array(z.object({ building: z.string().min(1).max(20), unit: z.string().max(20).nullable() })).min(1).max(200),
    tags: z.array(z.enum(['elderly', 'bedridden', 'isolation'])).max(3),
  }),
  /**
   * entityId: the visit; a group at a household's door: a person sampled (`bindingId`, the
   * `binding.created` it made, and its tube), or a person (`personId`) or the whole household
   * (`personId` null) not home (a time to come back, if said) or refusing (the reason).
   */
  'door.visit': z.object({
    groupId: id,
    roundId: id,
    building: z.string().min(1).max(20),
    unit: z.string().max(20),
    room: z.string().max(20).optional(),
    personId: id.nullable(),
    outcome: z.enum(['sampled', 'notHome', 'refused']),
    reason: z.string().max(200).nullish(),
    revisitAt: z.iso.datetime({ offset: true }).nullable(),
    temperatureC: celsius.nullable(),
    tubeCode: code.nullable(),
    bindingId: id.nullable(),
  }),
  /**
   * entityId: the isolation; a household of the roster (all its residents) or one person put in
   * home isolation from `startDay` to `untilDay` (site days), sampled on `samplingDays`. HQ passes
   * it on to the site's other stations.
   */
  'isolation.started': isolationStartedSchema,
  /** entityId: the isolation, ended (its schedule closed) with the reason. */
  'isolation.ended': z.object({ siteId: id, reason: text }),
  /** entityId: the reading; a temperature task of a person in isolation done (`day`: the site day, `slot`). */
  'isolation.reading': isolationReadingSchema,
} satisfies { [K in KnownKind]: z.ZodType };

export type PayloadOf<K extends KnownKind> = z.infer<(typeof PAYLOAD_SCHEMAS)[K]>;

/** A journal entry as it travels (the station's `journal` row without its station id). */
export const recordSchema = z
  .object({
    seq: z.number().int().min(1),
    kind: z.string().min(1).max(64),
    entityId: id,
    operatorId: id,
    at: z.iso.datetime({ offset: true }),
    payload: z.record(z.string(), z.unknown()),
    /** The entry's place in the station's hash chain (`hq/chain.ts`); absent from a station not yet chained. */
    hash: z.string().regex(/^[0-9a-f]{64}$/).optional(),
    /** The salt of its personal fields' digest; once they are purged, `personalDigest` in its place. */
    salt: z.string().regex(/^[0-9a-f]{32}$/).optional(),
    personalDigest: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  })
  .strict();
export type BatchRecord = z.infer<typeof recordSchema>;

/** A valid record: envelope, known kind, payload shape. */
export type ValidRecord = { [K in KnownKind]: Omit<BatchRecord, 'kind' | 'payload'> & { kind: K; payload: PayloadOf<K> } }[KnownKind];

export type RecordCheck = { ok: true; record: ValidRecord } | { ok: false; detail: string };

/** Envelope and payload of each known kind in one schema: one pass per record on HQ's ingest path. */
const RECORD_SCHEMAS = new Map<string, z.ZodType>(
  KNOWN_KINDS.map((kind) => [kind, recordSchema.extend({ kind: z.literal(kind), payload: PAYLOAD_SCHEMAS[kind] }).strict()]),
);

export function checkRecord(raw: unknown): RecordCheck {
  const kind = typeof raw === 'object' && raw !== null ? (raw as { kind?: unknown }).kind : undefined;
  const schema = typeof kind === 'string' ? RECORD_SCHEMAS.get(kind) : undefined;
  if (schema) {
    const parsed = schema.safeParse(raw);
    return parsed.success ? { ok: true, record: parsed.data as ValidRecord } : { ok: false, detail: `${kind}: ${summarizeIssues(parsed.error as z.ZodError)}` };
  }
  const envelope = recordSchema.safeParse(raw);
  return { ok: false, detail: envelope.success ? `unknown kind ${envelope.data.kind}` : summarizeIssues(envelope.error) };
}

/**
 * The fast path of HQ's ingest for the kinds a sampling desk journals by the million: checks a
 * record against exactly the rules of its zod schema (envelope and payload) and writes its
 * canonical content in the same pass. It answers null for anything it does not fully vouch for
 * (another kind, an extra key, any failed rule); the caller then takes the zod path, which also
 * words the reason. Hand-written because per-record zod parsing plus a generic canonical walk was
 * most of HQ's JavaScript time; `test/unit/hq/fast-record.test.ts` holds it to the zod schemas.
 */
type FieldRule = { name: string; json: string; check: (v: unknown) => boolean; optional: boolean };

const isIdText = (v: unknown): boolean => typeof v === 'string' && v.length >= 1 && v.length <= 128;
const isShortText = (max: number) => (v: unknown): boolean => typeof v === 'string' && v.length >= 1 && v.length <= max;
const isText = (v: unknown): boolean => typeof v === 'string' && v.length <= 1000;
const isCount = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= 100_000;
/** The very pattern zod's `z.iso.datetime({ offset: true })` tests. */
const ISO_AT = z.core.regexes.datetime({ offset: true, local: false, precision: null });

function rules(fields: [name: string, check: (v: unknown) => boolean, optional?: 'nullish'][]): FieldRule[] {
  return fields
    .map(([name, check, optional]) => ({ name, json: JSON.stringify(name), check, optional: optional === 'nullish' }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

const FAST_PAYLOADS = new Map<string, FieldRule[]>([
  [
    'binding.created',
    rules([
      ['tubeId', isIdText],
      ['tubeCode', isIdText],
      ['personId', isIdText],
      ['roundId', isIdText],
      ['repeatConfirmed', (v) => typeof v === 'boolean'],
    ]),
  ],
  [
    'person.registered',
    rules([
      ['key', isShortText(256)],
      ['idNumber', isText, 'nullish'],
      ['regCode', isText, 'nullish'],
      ['name', isText, 'nullish'],
      ['phone', isText, 'nullish'],
      ['format', isShortText(32)],
    ]),
  ],
  [
    'tube.opened',
    rules([
      ['code', isIdText],
      ['capacity', (v) => v === 1 || v === 5 || v === 10 || v === 20],
      ['roundId', isIdText],
    ]),
  ],
  [
    'tube.sealed',
    rules([
      ['code', isIdText],
      ['count', isCount],
      ['cause', (v) => v === 'capacity' || v === 'next-tube' || v === 'manual'],
    ]),
  ],
]);

const ENVELOPE_KEYS = 6;
const HEX64 = /^[0-9a-f]{64}$/;
const HEX32 = /^[0-9a-f]{32}$/;

/** The chain's fields of the envelope, checked as `recordSchema` does; their count, or -1 when one is malformed. */
function chainKeys(raw: Record<string, unknown>): number {
  let n = 0;
  for (const [name, pattern] of [
    ['hash', HEX64],
    ['salt', HEX32],
    ['personalDigest', HEX64],
  ] as const) {
    if (!Object.hasOwn(raw, name)) continue;
    const v = raw[name];
    if (v !== undefined && (typeof v !== 'string' || !pattern.test(v))) return -1;
    n++;
  }
  return n;
}

export type InspectedRecord = { check: RecordCheck; content: string; payload: string };

function fastRecord(raw: Record<string, unknown>): InspectedRecord | null {
  const { kind, entityId, operatorId, at, payload, seq } = raw;
  const fields = typeof kind === 'string' ? FAST_PAYLOADS.get(kind) : undefined;
  if (!fields || !Number.isSafeInteger(seq) || (seq as number) < 1 || !isIdText(entityId) || !isIdText(operatorId)) return null;
  if (typeof at !== 'string' || !ISO_AT.test(at)) return null;
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return null;
  let keys = 0;
  for (const k in raw) if (Object.hasOwn(raw, k)) keys++;
  const chain = chainKeys(raw);
  if (chain < 0 || keys !== ENVELOPE_KEYS + chain) return null;
  const p = payload as Record<string, unknown>;
  // Joined rather than concatenated: the payload text is kept until the batch is stored, and a
  // concatenated string is a chain of pieces that each young-generation collection copies; `join`
  // makes one flat string.
  const parts: string[] = [];
  for (const f of fields) {
    const v = p[f.name];
    if (v === undefined) {
      if (!f.optional || Object.hasOwn(p, f.name)) return null;
      continue;
    }
    if (!(f.optional && v === null) && !f.check(v)) return null;
    parts.push(`${f.json}:${JSON.stringify(v)}`);
  }
  const present = parts.length;
  if (present > 0) {
    parts[0] = `{${parts[0]}`;
    parts[present - 1] += '}';
  }
  const json = present > 0 ? parts.join(',') : '{}';
  let payloadKeys = 0;
  for (const k in p) if (Object.hasOwn(p, k)) payloadKeys++;
  if (payloadKeys !== present) return null;
  const content = `{"at":${JSON.stringify(at)},"entityId":${JSON.stringify(entityId)},"kind":${JSON.stringify(kind)},"operatorId":${JSON.stringify(operatorId)},"payload":${json}}`;
  return { check: { ok: true, record: raw as ValidRecord }, content, payload: json };
}

/**
 * A record's check (as `checkRecord`) with its canonical content and payload (as
 * `recordContentParts`): HQ's ingest needs all three for every new record.
 */
export function inspectRecord(raw: Record<string, unknown>): InspectedRecord {
  const fast = fastRecord(raw);
  if (fast) return fast;
  const parts = recordContentParts(raw);
  return { check: checkRecord(raw), content: parts.content, payload: parts.payload };
}

function summarizeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}

// ---------------------------------------------------------------------------------------------
// Batches

/**
 * The batch envelope. Records are only required to carry an integer `seq` here: a record that is
 * malformed otherwise is a per-record rejection (`record.invalid`), so the stream moves on.
 */
/** A record at the envelope level: any object with an integer `seq`; checked, not copied (batches are large). */
const sequencedSchema = z.custom<{ seq: number }>(
  (r) => typeof r === 'object' && r !== null && !Array.isArray(r) && Number.isInteger((r as { seq?: unknown }).seq) && (r as { seq: number }).seq >= 1,
  'a record needs an integer seq >= 1',
);

export const batchSchema = z
  .object({
    type: z.literal('station.batch'),
    stationId: id,
    batchId: z.uuid(),
    fromSeq: z.number().int().min(1),
    toSeq: z.number().int().min(1),
    /** The station's journal head when the batch was frozen (for HQ's lag figure); optional. */
    headSeq: z.number().int().min(0).optional(),
    /** The hash of the entry before `fromSeq` (GENESIS_HASH before entry 1), and of entry `toSeq`: absent from a station not yet chained. */
    prevHash: z.string().regex(/^[0-9a-f]{64}$/).optional(),
    chainHead: z.string().regex(/^[0-9a-f]{64}$/).optional(),
    records: z.array(sequencedSchema).min(1).max(MAX_BATCH_RECORDS),
  })
  .strict()
  .superRefine((b, ctx) => {
    if ((b.prevHash === undefined) !== (b.chainHead === undefined)) ctx.addIssue({ code: 'custom', message: 'prevHash and chainHead go together' });
    if (b.toSeq - b.fromSeq + 1 !== b.records.length) ctx.addIssue({ code: 'custom', message: 'records do not cover fromSeq..toSeq' });
    else if (b.records.some((r, i) => r.seq !== b.fromSeq + i)) ctx.addIssue({ code: 'custom', message: 'records are not contiguous in seq order' });
  });
export type Batch = z.infer<typeof batchSchema>;

export type RejectionCode = 'record.invalid' | 'record.conflict';
export const rejectionSchema = z.object({ seq: z.number().int(), code: z.enum(['record.invalid', 'record.conflict']), detail: z.string() });
export type Rejection = z.infer<typeof rejectionSchema>;

export const ackSchema = z.object({
  type: z.literal('hq.ack'),
  batchId: z.string(),
  stationId: z.string(),
  ackedThrough: z.number().int().min(0),
  expectedSeq: z.number().int().min(1),
  rejections: z.array(rejectionSchema),
});
export type Ack = z.infer<typeof ackSchema>;

export const gapSchema = z.object({ type: z.literal('hq.gap'), expectedSeq: z.number().int().min(1) });
export type Gap = z.infer<typeof gapSchema>;

/** True only for HQ's acknowledgement of this very batch: anything else (a portal page, a proxy's 200) is a failure. */
export function isAckOf(body: unknown, batch: Pick<Batch, 'batchId' | 'stationId'>): body is Ack {
  const parsed = ackSchema.safeParse(body);
  return parsed.success && parsed.data.batchId === batch.batchId && parsed.data.stationId === batch.stationId;
}

// ---------------------------------------------------------------------------------------------
// Feed back to the station

export const tubeResultSchema = z.enum(['negative', 'positive', 'invalid']);
export type TubeResult = z.infer<typeof tubeResultSchema>;

export const keyPersonSchema = z.object({ idNumber: z.string().min(1).max(64), name: z.string().max(200), reason: z.string().max(500) }).strict();

/** The site's key for "sampled in this round" marks: 32 random bytes, base64url. */
export const markKeySchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/);

/** A person's "sampled in this round" mark: HMAC-SHA-256 of their key under the site's mark key, 16 bytes, base64url. */
export const personMarkSchema = z.string().regex(/^[A-Za-z0-9_-]{22}$/);

/** A round of the site as HQ sends it to every station of the site. */
export const roundSchema = z.object({
  roundId: id,
  siteId: id,
  name: z.string().trim().min(1).max(60),
  startsOn: isoDate.nullable(),
  endsOn: isoDate.nullable(),
  startedAt: z.iso.datetime({ offset: true }),
  /** "HQ" or the name of the station where a site admin started it. */
  startedBy: text,
  closedAt: z.iso.datetime({ offset: true }).nullable(),
});
export type RoundPayload = z.infer<typeof roundSchema>;

/** An operator of the site as HQ holds it, sent to every station of the site; the PIN's hash, never the PIN. */
export const operatorStateSchema = z.object({
  operatorId: id,
  siteId: id,
  code: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/),
  name: z.string().trim().min(1).max(50),
  role: operatorRoleSchema,
  badge: z.string().min(1).max(64).nullable(),
  pinHash: pinHashSchema,
  disabled: z.boolean(),
  lockedOut: z.boolean(),
  updatedAt: z.iso.datetime({ offset: true }),
});
export type OperatorStatePayload = z.infer<typeof operatorStateSchema>;

/**
 * A resident pass issued at a station of the site (its `pass.issued` entry), as HQ sends it to the
 * site's stations so any gate of the site knows it; `stationId` is HQ's id of the issuing station.
 */
export const passIssuedFeedSchema = z.object({
  passId: id,
  siteId: id,
  code,
  household: text,
  idNumber: z.string().regex(/^\d{17}[\dX]$/),
  name: text,
  validFrom: z.iso.datetime({ offset: true }),
  validUntil: z.iso.datetime({ offset: true }),
  stationId: id,
  stationNumber: stationNumberSchema,
  stationName: text,
  issuedAt: z.iso.datetime({ offset: true }),
});
export type PassIssuedFeedPayload = z.infer<typeof passIssuedFeedSchema>;

/** A resident pass revoked at a station of the site (`pass.revoked`), with the reason gates show. */
export const passRevokedFeedSchema = z.object({
  passId: id,
  siteId: id,
  code,
  reason: text,
  stationId: id,
  stationName: text,
  revokedAt: z.iso.datetime({ offset: true }),
});
export type PassRevokedFeedPayload = z.infer<typeof passRevokedFeedSchema>;

/**
 * An isolation started at a station of the site or by HQ (`stationId` null, `stationName` HQ's
 * name for it), as HQ sends it to the site's stations.
 */
export const isolationStartedFeedSchema = isolationStartedSchema.extend({
  isolationId: id,
  stationId: id.nullable(),
  stationName: text,
  startedAt: z.iso.datetime({ offset: true }),
});
export type IsolationStartedFeedPayload = z.infer<typeof isolationStartedFeedSchema>;

/** An isolation ended at a station of the site or by HQ. */
export const isolationEndedFeedSchema = z.object({ isolationId: id, siteId: id, reason: text, stationName: text, endedAt: z.iso.datetime({ offset: true }) });
export type IsolationEndedFeedPayload = z.infer<typeof isolationEndedFeedSchema>;

/** A temperature reading of a person in isolation, taken at a station of the site. */
export const isolationReadingFeedSchema = isolationReadingSchema.extend({ readingId: id, stationName: text, at: z.iso.datetime({ offset: true }) });
export type IsolationReadingFeedPayload = z.infer<typeof isolationReadingFeedSchema>;

/**
 * The lab's receipt of a box at HQ, sent to the station that boxed it (that station alone), when
 * the receipt is finished and again after each correction (`revision` 1, 2, …; a station keeps
 * every revision and shows the latest). `boxId` is the station's own box (its journal's entity).
 * `boxState`: what HQ held of the box when the lab received it ('handedOver' unless the lab had
 * the box before HQ had its hand-over). `expected`: tubes of the box as handed over; `received`,
 * `missing`, `broken` count them as the lab found them, `extra` the tubes found in it that were not
 * (a broken tube is counted once, as broken); `discrepancies`: every tube missing, extra or broken,
 * with the lab's reason.
 */
export const boxReceiptFeedSchema = z.object({
  receiptId: id,
  boxId: id,
  boxCode: code,
  revision: z.number().int().min(1),
  receivedAt: z.iso.datetime({ offset: true }),
  receivedBy: text,
  finishedAt: z.iso.datetime({ offset: true }),
  boxState: z.enum(['open', 'sealed', 'handedOver']),
  expected: count,
  received: count,
  missing: count,
  extra: count,
  broken: count,
  discrepancies: z.array(z.object({ tubeCode: code, status: z.enum(['missing', 'extra', 'broken']), reason: text })).max(10_000),
});
export type BoxReceiptFeedPayload = z.infer<typeof boxReceiptFeedSchema>;

/**
 * A door-to-door visit at a station of the site (`door.visit`), relayed so the groups on the
 * site's other devices see the household visited: whom by mark (a keyed hash; null: the whole
 * household), the outcome, a refusal's reason and the time to come back.
 */
export const doorVisitFeedSchema = z.object({
  visitId: id,
  siteId: id,
  roundId: id,
  stationId: id,
  stationNumber: stationNumberSchema,
  stationName: text,
  building: z.string().min(1).max(20),
  unit: z.string().max(20),
  room: z.string().max(20),
  mark: personMarkSchema.nullable(),
  outcome: z.enum(['sampled', 'notHome', 'refused']),
  reason: z.string().max(200).nullable(),
  revisitAt: z.iso.datetime({ offset: true }).nullable(),
  at: z.iso.datetime({ offset: true }),
});
export type DoorVisitFeedPayload = z.infer<typeof doorVisitFeedSchema>;

const conflictTubeSchema = z.object({ stationNumber: stationNumberSchema, stationName: text, openedAt: z.iso.datetime({ offset: true }) });

export const feedItemSchema = z.discriminatedUnion('kind', [
  z.object({
    cursor: z.number().int(),
    kind: z.literal('tube.result'),
    payload: z.object({
      tubeCode: code,
      result: tubeResultSchema,
      at: z.iso.datetime({ offset: true }),
      /** Which tube the result is for, when HQ knows it: a station holding another tube under this code ignores it. */
      stationId: id.optional(),
      tubeId: id.optional(),
    }),
  }),
  z.object({
    cursor: z.number().int(),
    kind: z.literal('keyperson.list'),
    payload: z.object({ listId: id, persons: z.array(keyPersonSchema) }),
  }),
  z.object({
    cursor: z.number().int(),
    kind: z.literal('site.config'),
    payload: z.object({ siteId: id, name: text, config: z.record(z.string(), z.unknown()) }),
  }),
  z.object({
    cursor: z.number().int(),
    kind: z.literal('site.keys'),
    payload: z.object({ siteId: id, markKey: markKeySchema }),
  }),
  z.object({
    cursor: z.number().int(),
    kind: z.literal('station.identity'),
    payload: z.object({ siteId: id, siteName: text, number: stationNumberSchema, name: stationNameSchema }),
  }),
  z.object({
    cursor: z.number().int(),
    kind: z.literal('round.started'),
    payload: roundSchema,
  }),
  z.object({
    cursor: z.number().int(),
    kind: z.literal('round.closed'),
    payload: z.object({ roundId: id, siteId: id, closedAt: z.iso.datetime({ offset: true }) }),
  }),
  z.object({
    cursor: z.number().int(),
    kind: z.literal('round.marks'),
    payload: z.object({
      roundId: id,
      stationNumber: stationNumberSchema,
      stationName: text,
      /** People that station sampled in the round: the binding and the person's mark (a keyed hash, never who they are). */
      add: z.array(z.object({ b: id, m: personMarkSchema, at: z.iso.datetime({ offset: true }) })).max(MAX_BATCH_RECORDS),
      /** Bindings undone or in voided tubes: they no longer count. */
      remove: z.array(id).max(MAX_BATCH_RECORDS),
    }),
  }),
  z.object({
    cursor: z.number().int(),
    kind: z.literal('coverage.exemptions'),
    /** Residents exempted from a round (or no longer), by mark, at HQ or at a desk of the site. */
    payload: z.object({
      roundId: id,
      set: z.array(z.object({ m: personMarkSchema, reason: exemptionReasonSchema, note: z.string().max(200) })).max(MAX_BATCH_RECORDS),
      lifted: z.array(personMarkSchema).max(MAX_BATCH_RECORDS),
    }),
  }),
  z.object({
    cursor: z.number().int(),
    kind: z.literal('roster.version'),
    /** The site's roster is now this version: stations fetch its `rows` residents page by page. */
    payload: z.object({ importId: z.uuid(), siteId: id, rows: z.number().int().min(0).max(MAX_ROSTER_ROWS), fileName: text, source: z.enum(['hq', 'station']), appliedAt: z.iso.datetime({ offset: true }) }),
  }),
  z.object({
    cursor: z.number().int(),
    kind: z.literal('operator.state'),
    payload: operatorStateSchema,
  }),
  z.object({ cursor: z.number().int(), kind: z.literal('pass.issued'), payload: passIssuedFeedSchema }),
  z.object({ cursor: z.number().int(), kind: z.literal('pass.revoked'), payload: passRevokedFeedSchema }),
  z.object({ cursor: z.number().int(), kind: z.literal('isolation.started'), payload: isolationStartedFeedSchema }),
  z.object({ cursor: z.number().int(), kind: z.literal('isolation.ended'), payload: isolationEndedFeedSchema }),
  z.object({ cursor: z.number().int(), kind: z.literal('isolation.reading'), payload: isolationReadingFeedSchema }),
  z.object({ cursor: z.number().int(), kind: z.literal('box.receipt'), payload: boxReceiptFeedSchema }),
  z.object({ cursor: z.number().int(), kind: z.literal('door.visit'), payload: doorVisitFeedSchema }),
  z.object({
    cursor: z.number().int(),
    kind: z.literal('tube.conflict'),
    payload: z.object({
      code,
      /** This station's tube under the code. */
      tubeId: id,
      openedAt: z.iso.datetime({ offset: true }),
      /** Opened after another station's: this station's desk shows it. */
      later: z.boolean(),
      others: z.array(conflictTubeSchema).min(1).max(50),
      /** Staff at HQ said which tube the code means (results go to that tube only). */
      resolved: z.object({ stationNumber: stationNumberSchema, stationName: text, mine: z.boolean(), note: text }).nullable(),
    }),
  }),
]);
export type FeedItem = z.infer<typeof feedItemSchema>;
export type FeedKind = FeedItem['kind'];

/**
 * The feed as it travels: each item is checked on its own (`parseFeedItem`), so an item of a kind
 * this station does not know yet (a newer HQ) is skipped instead of stopping the whole feed.
 */
export const feedResponseSchema = z.object({
  type: z.literal('hq.feed'),
  /** HQ never sends more than a pull asks for; a longer page is not HQ's (and its cursors are not read). */
  items: z.array(z.object({ cursor: z.number().int(), kind: z.string().max(64), payload: z.unknown() })).max(MAX_FEED_LIMIT),
  nextCursor: z.number().int().min(0),
  /** HQ's export key, as at enrollment: a station enrolled before export files were encrypted takes it from here. */
  exportKey: z.string().max(200).optional(),
});
export type FeedResponse = { type: 'hq.feed'; items: FeedItem[]; nextCursor: number; exportKey?: string };

export type FeedItemCheck = { ok: true; item: FeedItem } | { ok: false; cursor: number; kind: string; detail: string };

export function parseFeedItem(raw: { cursor: number; kind: string; payload: unknown }): FeedItemCheck {
  const parsed = feedItemSchema.safeParse(raw);
  if (parsed.success) return { ok: true, item: parsed.data };
  return { ok: false, cursor: raw.cursor, kind: raw.kind, detail: summarizeIssues(parsed.error) };
}

/** Query of `GET /api/v1/feed`; `head` (optional) is the station's journal head, for HQ's lag figure. */
export const feedQuerySchema = z
  .object({
    after: z.coerce.number().int().min(0).default(0),
    limit: z.coerce.number().int().min(1).max(MAX_FEED_LIMIT).default(200),
    head: z.coerce.number().int().min(0).optional(),
  })
  .strict();

export const MAX_ROSTER_PAGE = 10_000;
export const rosterPageQuerySchema = z
  .object({ after: z.coerce.number().int().min(0).default(0), limit: z.coerce.number().int().min(1).max(MAX_ROSTER_PAGE).default(5000) })
  .strict();
/** A page of a roster version: row number, then the resident as rosters travel. */
export const rosterPageSchema = z.object({
  type: z.literal('hq.roster'),
  importId: z.uuid(),
  total: z.number().int().min(0),
  rows: z.array(z.tuple([z.number().int().min(1), ...residentTupleSchema.def.items])).max(MAX_ROSTER_PAGE),
});
export type RosterPageAnswer = z.infer<typeof rosterPageSchema>;

// Admin bodies (bearer `HQ_ADMIN_TOKEN`).
const ttlHours = z.number().positive().max(24 * 30);
/** A code for a new station of a site, or (`stationId`) a re-link code for a station HQ knows. */
export const adminCodeRequestSchema = z.union([
  z.object({ siteId: id, siteName: text.optional(), ttlHours: ttlHours.optional() }).strict(),
  z.object({ stationId: id, ttlHours: ttlHours.optional() }).strict(),
]);
export const adminResultRequestSchema = z.object({ tubeCode: code, result: tubeResultSchema }).strict();
export const adminKeyPersonsRequestSchema = z
  .object({ siteId: id.optional(), listId: id, persons: z.array(keyPersonSchema).max(100_000) })
  .strict();
export const adminSiteConfigRequestSchema = z
  .object({ siteId: id, name: text, config: z.record(z.string(), z.unknown()) })
  .strict();
export const adminStationRequestSchema = z
  .object({ stationId: id, number: stationNumberSchema.optional(), name: stationNameSchema.optional() })
  .strict()
  .refine((b) => b.number !== undefined || b.name !== undefined, 'give a number, a name or both');
export const adminRoundStartSchema = z
  .object({ siteId: id, name: z.string().trim().min(1).max(60), startsOn: isoDate.optional(), endsOn: isoDate.optional() })
  .strict();
export const adminRoundCloseSchema = z.object({ roundId: id }).strict();
export const adminExemptionSchema = z
  .object({ idNumber: z.string().regex(/^\d{17}[\dX]$/), reason: exemptionReasonSchema.nullable(), note: z.string().trim().max(200).default('') })
  .strict();
export const adminOperatorCreateSchema = z
  .object({ siteId: id, name: z.string().trim().min(1).max(50), code: z.string().min(1).max(32), role: operatorRoleSchema, badge: z.string().min(1).max(64).optional(), pin: z.string().max(64) })
  .strict();
export const adminOperatorChangeSchema = z
  .object({
    siteId: id,
    code: z.string().min(1).max(32),
    name: z.string().trim().min(1).max(50).optional(),
    role: operatorRoleSchema.optional(),
    badge: z.string().min(1).max(64).nullable().optional(),
    pin: z.string().max(64).optional(),
    disabled: z.boolean().optional(),
    unlock: z.literal(true).optional(),
  })
  .strict();
/** HQ's staff followed up a key-person passage (`stationId`, `passageId`): what they did. */
export const adminGateFollowUpSchema = z.object({ stationId: id, passageId: id, note: z.string().trim().min(1).max(500) }).strict();
/** Text typed or scanned at the lab: trimmed, no control characters (a scanner's stray byte is refused, not stored). */
const labText = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .regex(/^[^\p{Cc}]*$/u, 'no control characters');
/** Who did a step at the lab: a name as staff type it (staff, not personal data). */
const labStaff = labText(50);
const labReason = labText(200);
const labCode = labText(128);
/** A box scanned at the lab; `stationId` when its code is several stations' (the answer to `lab.boxAmbiguous`). */
/** No control characters in what HQ's staff type: names, households, reasons. */
const isolationText = (max: number) => z.string().trim().max(max).regex(/^[^\p{Cc}]*$/u, 'control characters');
/** HQ puts a household (its persons listed) or one person in home isolation. */
export const adminIsolationStartSchema = z
  .object({
    siteId: id,
    household: isolationText(64).default(''),
    persons: z.array(z.object({ idNumber: z.string().trim().max(18), name: isolationText(40).pipe(z.string().min(1)) }).strict()).min(1).max(100),
    reason: isolationText(200).pipe(z.string().min(1)),
    startDay: isoDate.optional(),
    untilDay: isoDate.optional(),
  })
  .strict();
export const adminIsolationEndSchema = z.object({ isolationId: id, reason: isolationText(200).pipe(z.string().min(1)) }).strict();

export const adminLabReceiveSchema = z.object({ boxCode: labCode, receivedBy: labStaff, stationId: id.optional() }).strict();
export const adminLabTubeSchema = z.object({ tubeCode: labCode, by: labStaff.optional() }).strict();
export const adminLabBrokenSchema = z.object({ tubeCode: labCode, reason: labReason, by: labStaff.optional() }).strict();
export const adminLabFinishSchema = z.object({ by: labStaff.optional() }).strict();
export const adminLabCorrectionSchema = z.object({ tubeCode: labCode, status: z.enum(['received', 'missing', 'extra', 'broken']), reason: labReason, by: labStaff }).strict();
/** Staff say which station's tube a duplicated pre-printed code means; results then go to that tube only. */
export const adminTubeConflictResolveSchema = z.object({ code, stationId: id, note: z.string().trim().min(1).max(500) }).strict();

// ---------------------------------------------------------------------------------------------
// Export file (USB stick)

export const exportPayloadSchema = z
  .object({
    type: z.literal('station.export'),
    version: z.literal(1),
    stationId: id,
    createdAt: z.iso.datetime({ offset: true }),
    fromSeq: z.number().int().min(1),
    toSeq: z.number().int().min(1),
    headSeq: z.number().int().min(0).optional(),
    /** The hash of the entry before `fromSeq` in the station's chain; absent from a station not yet chained. */
    prevHash: z.string().regex(/^[0-9a-f]{64}$/).optional(),
    records: z.array(sequencedSchema).min(1),
    publicKey: z.string().min(40).max(4096),
  })
  .strict();
export type ExportPayload = z.infer<typeof exportPayloadSchema>;

export const exportFileSchema = z.object({ export: z.base64(), signature: z.base64() }).strict();
export type ExportFile = z.infer<typeof exportFileSchema>;

// ---------------------------------------------------------------------------------------------
// Canonical forms, digests and signatures

export function sha256Hex(bytes: Uint8Array | string): string {
  // The one-shot `hash` (Node >= 20.12) avoids a Hash object per record on HQ's ingest path.
  return typeof hash === 'function' ? hash('sha256', bytes, 'hex') : createHash('sha256').update(bytes).digest('hex');
}

/** `${METHOD}\n${path-with-query}\n${timestamp}\n${hex sha256 of the body bytes as sent}`. */
export function canonicalRequest(method: string, pathWithQuery: string, timestamp: string, body: Uint8Array): string {
  return `${method.toUpperCase()}\n${pathWithQuery}\n${timestamp}\n${sha256Hex(body)}`;
}

export type SignedHeaders = {
  [HEADER_STATION_ID]: string;
  [HEADER_TIMESTAMP]: string;
  [HEADER_SIGNATURE]: string;
};

/** Headers for one signed request; `now` is the station's clock corrected by its offset to HQ. */
export function signRequest(opts: {
  stationId: string;
  privateKey: KeyObject | string;
  method: string;
  pathWithQuery: string;
  body: Uint8Array;
  now: number;
}): SignedHeaders {
  const timestamp = String(Math.round(opts.now));
  const key = typeof opts.privateKey === 'string' ? createPrivateKey(opts.privateKey) : opts.privateKey;
  const signature = sign(null, Buffer.from(canonicalRequest(opts.method, opts.pathWithQuery, timestamp, opts.body)), key);
  return { [HEADER_STATION_ID]: opts.stationId, [HEADER_TIMESTAMP]: timestamp, [HEADER_SIGNATURE]: signature.toString('base64') };
}

export function verifySignature(publicKey: KeyObject | string, message: Uint8Array | string, signatureBase64: string): boolean {
  try {
    const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
    return verify(null, typeof message === 'string' ? Buffer.from(message) : message, key, Buffer.from(signatureBase64, 'base64'));
  } catch {
    return false;
  }
}

/** Ed25519 public key as SPKI PEM, or null when the text is not one. */
export function parseEd25519PublicKey(pem: string): KeyObject | null {
  try {
    const key = createPublicKey(pem);
    return key.asymmetricKeyType === 'ed25519' ? key : null;
  } catch {
    return null;
  }
}

/**
 * JSON with object keys sorted at every level, so equal content gives equal text however the
 * station ordered its keys. Written here because it is a short walk over `JSON.stringify`, and
 * it runs once per record on HQ's ingest path, so it avoids intermediate arrays.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      const v: unknown = value[i];
      out += v === undefined ? 'null' : canonicalJson(v);
    }
    return `${out}]`;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort();
  let out = '{';
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined) continue;
    if (out.length > 1) out += ',';
    out += `${JSON.stringify(k)}:${canonicalJson(v)}`;
  }
  return `${out}}`;
}

/**
 * What "same content" means for a record: the canonical JSON of kind, entityId, operatorId, at
 * and payload (keys in sorted order: at, entityId, kind, operatorId, payload). Also returns the
 * payload's canonical JSON, which HQ stores.
 */
export function recordContentParts(record: Record<string, unknown>): { content: string; payload: string } {
  const payload = record.payload === undefined ? undefined : canonicalJson(record.payload);
  let content = '{';
  const field = (name: string, json: string | undefined): void => {
    if (json === undefined) return;
    if (content.length > 1) content += ',';
    content += `"${name}":${json}`;
  };
  const scalar = (v: unknown): string | undefined => (v === undefined ? undefined : canonicalJson(v));
  field('at', scalar(record.at));
  field('entityId', scalar(record.entityId));
  field('kind', scalar(record.kind));
  field('operatorId', scalar(record.operatorId));
  field('payload', payload);
  return { content: `${content}}`, payload: payload ?? 'null' };
}

export function recordContent(record: Record<string, unknown>): string {
  return recordContentParts(record).content;
}

export function recordDigest(record: Record<string, unknown>): string {
  return sha256Hex(recordContent(record));
}

// ---------------------------------------------------------------------------------------------
// HQ's key: its fingerprint in the enrollment code, and every answer signed

/** HQ's Ed25519 public key (SPKI DER, base64) on every signed answer. */
export const HEADER_HQ_KEY = 'x-hq-key';
/** HQ's signature of the answer (`canonicalAnswer`), base64. */
export const HEADER_HQ_SIGNATURE = 'x-hq-signature';
/** HQ's clock in ms. */
export const HEADER_HQ_TIME = 'x-hq-time';
/** What HQ holds of the asking station's journal: `ACKED_THROUGH:CHAIN_HEAD` (`-` for no head yet). */
export const HEADER_HQ_HELD = 'x-hq-held';

/** Symbols of the one-time part of an enrollment code (no 0/O, 1/I/L). */
export const ENROLLMENT_CODE_ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
export const ENROLLMENT_CODE_SYMBOLS = 12;
/** Crockford's base 32 (no I, L, O, U): the fingerprint's symbols, 5 bits each. */
const FINGERPRINT_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** 20 symbols: 100 bits of SHA-256, beyond any search for a key with the same fingerprint. */
export const FINGERPRINT_SYMBOLS = 20;

/** HQ's key fingerprint: the first 100 bits of SHA-256 of its SPKI DER, in Crockford base 32. */
export function hqKeyFingerprint(spkiDer: Uint8Array): string {
  const digest = createHash('sha256').update(spkiDer).digest();
  let out = '';
  for (let i = 0; i < FINGERPRINT_SYMBOLS; i++) {
    const bit = i * 5;
    const pair = (digest[bit >> 3]! << 8) | digest[(bit >> 3) + 1]!;
    out += FINGERPRINT_ALPHABET[(pair >> (11 - (bit & 7))) & 31];
  }
  return out;
}

/** Groups of 4 for the one-time part, then of 5 for the fingerprint: `ABCD-EFGH-JKMN-12345-…`. */
export function formatEnrollmentCode(oneTime: string, fingerprint: string): string {
  const groups = (s: string, n: number) => s.replace(/[\s-]/g, '').match(new RegExp(`.{1,${n}}`, 'g')) ?? [];
  return [...groups(oneTime, 4), ...groups(fingerprint, 5)].join('-');
}

/** A typed enrollment code: its one-time part and the fingerprint of the HQ that made it (null for a code without one). */
export function splitEnrollmentCode(typed: string): { oneTime: string; fingerprint: string | null } {
  // Crockford's reading of look-alikes: O is 0, I and L are 1.
  const all = typed.replace(/[\s-]/g, '').toUpperCase();
  const oneTime = all.slice(0, ENROLLMENT_CODE_SYMBOLS);
  const rest = all.slice(ENROLLMENT_CODE_SYMBOLS).replace(/O/g, '0').replace(/[IL]/g, '1');
  return { oneTime, fingerprint: rest.length > 0 ? rest : null };
}

/** HQ's public key from its header, when it is an Ed25519 SPKI key. */
export function parseHqKey(base64: string | null): KeyObject | null {
  if (!base64 || base64.length > 200) return null;
  try {
    const key = createPublicKey({ key: Buffer.from(base64, 'base64'), format: 'der', type: 'spki' });
    return key.asymmetricKeyType === 'ed25519' ? key : null;
  } catch {
    return null;
  }
}

export function hqKeyHeader(key: KeyObject): string {
  return key.export({ format: 'der', type: 'spki' }).toString('base64');
}

/**
 * What HQ signs of an answer: its status, HQ's time, what it holds of the station, the request it
 * answers (the station's signature of it; for an unsigned request, the digest of its body) and
 * the digest of the body. An answer replayed to another request, or with any of these changed,
 * does not verify.
 */
export function canonicalAnswer(a: { status: number; hqTime: string; held: string; request: string; body: Uint8Array }): string {
  return `hq.answer.v1\n${a.status}\n${a.hqTime}\n${a.held}\n${a.request}\n${sha256Hex(a.body)}`;
}

/** What ties an answer to its request: the station's signature, else the digest of the request's body. */
export function answerBinding(requestSignature: string | undefined, requestBody: Uint8Array): string {
  return requestSignature ?? `body:${sha256Hex(requestBody)}`;
}

export function signAnswer(privateKey: KeyObject, answer: Parameters<typeof canonicalAnswer>[0]): string {
  return sign(null, Buffer.from(canonicalAnswer(answer)), privateKey).toString('base64');
}

export function verifyAnswer(publicKey: KeyObject, answer: Parameters<typeof canonicalAnswer>[0], signature: string): boolean {
  return verifySignature(publicKey, canonicalAnswer(answer), signature);
}

export type Held = { through: number; head: string | null };

export function parseHeld(header: string | null): Held | null {
  const m = header === null ? null : /^(\d{1,16}):([0-9a-f]{64}|-)$/.exec(header);
  // Sixteen digits go past 2^53: such a number would be read as a neighbour of itself.
  return m && Number.isSafeInteger(Number(m[1])) ? { through: Number(m[1]), head: m[2] === '-' ? null : m[2]! } : null;
}

export function heldHeader(held: Held): string {
  return `${held.through}:${held.head ?? '-'}`;
}

// ---------------------------------------------------------------------------------------------
// HQ's key rotation (hq/README.md, "Changing HQ's key")

/**
 * On every signed answer while a rotation's grace lasts: HQ's previous key vouching for the key
 * that signs now, `v1 FROM TO AT SIGNATURE` (keys as `x-hq-key`, base64 SPKI DER; AT in ms).
 */
export const HEADER_HQ_KEY_ROTATION = 'x-hq-key-rotation';
/**
 * On every signed request: the fingerprint of the HQ key the station trusts. Not signed (the
 * request signature predates it): HQ only uses it to tell its operator which stations have moved
 * to a new key before the old one is retired.
 */
export const HEADER_STATION_HQ_KEY = 'x-station-hq-key';

/** `from` (HQ's previous key) says that `to` is HQ's key from `at` on. */
export type KeyRotation = { from: string; to: string; at: number; signature: string };

function keyRotationText(r: Omit<KeyRotation, 'signature'>): string {
  return `hq.key.rotation.v1\n${r.from}\n${r.to}\n${r.at}`;
}

export function signKeyRotation(previous: KeyObject, to: KeyObject, at: number): KeyRotation {
  const unsigned = { from: hqKeyHeader(createPublicKey(previous)), to: hqKeyHeader(to), at };
  return { ...unsigned, signature: sign(null, Buffer.from(keyRotationText(unsigned)), previous).toString('base64') };
}

export function formatKeyRotation(r: KeyRotation): string {
  return `v1 ${r.from} ${r.to} ${r.at} ${r.signature}`;
}

export function parseKeyRotation(header: string | null | undefined): KeyRotation | null {
  const m = header ? /^v1 ([A-Za-z0-9+/=]{1,200}) ([A-Za-z0-9+/=]{1,200}) (\d{1,16}) ([A-Za-z0-9+/=]{1,200})$/.exec(header) : null;
  // Canonical base64 only: Node also decodes text without its padding, and one statement has one spelling.
  const canonical = (b64: string) => Buffer.from(b64, 'base64').toString('base64') === b64;
  if (!m || !canonical(m[1]!) || !canonical(m[2]!) || !canonical(m[4]!)) return null;
  return { from: m[1]!, to: m[2]!, at: Number(m[3]), signature: m[4]! };
}

/** Whether `trusted` itself (and not someone naming it) said that `r.to` is HQ's key now. */
export function keyRotationHolds(trusted: KeyObject, r: KeyRotation): boolean {
  return r.from === hqKeyHeader(trusted) && parseHqKey(r.to) !== null && verifySignature(trusted, keyRotationText(r), r.signature);
}

// ---------------------------------------------------------------------------------------------
// Export files encrypted to HQ (version 2)

/** The hybrid encryption of export files, by node:crypto alone: ECDH on X25519, HKDF-SHA-256, AES-256-GCM. */
export const EXPORT_CIPHER = 'x25519-hkdf-sha256-aes-256-gcm';

/**
 * An export file encrypted to HQ's X25519 key (sent signed at enrollment and in feed pages): an
 * ephemeral key pair per file, whose private half is gone once the file is written, so the
 * station that wrote it cannot read it back. Signed by the station over `exportSignedText`.
 */
export const encryptedExportFileSchema = z
  .object({
    version: z.literal(2),
    stationId: id,
    cipher: z.literal(EXPORT_CIPHER),
    ephemeralKey: z.base64().max(200),
    iv: z.base64().max(32),
    tag: z.base64().max(32),
    export: z.base64(),
    signature: z.base64().max(200),
  })
  .strict();
export type EncryptedExportFile = z.infer<typeof encryptedExportFileSchema>;

/** What the station signs of an encrypted export: everything in it but the signature. */
export function exportSignedText(f: Omit<EncryptedExportFile, 'signature'>): string {
  return `station.export.v2\n${f.stationId}\n${f.cipher}\n${f.ephemeralKey}\n${f.iv}\n${f.tag}\n${sha256Hex(Buffer.from(f.export, 'base64'))}`;
}

function exportAesKey(shared: Buffer, ephemeralDer: Buffer, hqDer: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ephemeralDer, hqDer]), 'station.export.v2', 32));
}

/** Encrypts `plain` (the gzip export) to HQ's X25519 public key; the station id is bound in as associated data. */
export function encryptExport(hqExportKey: KeyObject, stationId: string, plain: Buffer): Omit<EncryptedExportFile, 'signature'> {
  const ephemeral = generateKeyPairSync('x25519');
  const ephemeralDer = ephemeral.publicKey.export({ format: 'der', type: 'spki' });
  const key = exportAesKey(diffieHellman({ privateKey: ephemeral.privateKey, publicKey: hqExportKey }), ephemeralDer, hqExportKey.export({ format: 'der', type: 'spki' }));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(stationId));
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
  return {
    version: 2,
    stationId,
    cipher: EXPORT_CIPHER,
    ephemeralKey: ephemeralDer.toString('base64'),
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    export: ciphertext.toString('base64'),
  };
}

/** The gzip export inside an encrypted file, or null when it does not decrypt with HQ's key (another HQ's, or altered). */
export function decryptExport(hqExportPrivateKey: KeyObject, f: EncryptedExportFile): Buffer | null {
  try {
    const ephemeralDer = Buffer.from(f.ephemeralKey, 'base64');
    const ephemeral = createPublicKey({ key: ephemeralDer, format: 'der', type: 'spki' });
    if (ephemeral.asymmetricKeyType !== 'x25519') return null;
    const hqDer = createPublicKey(hqExportPrivateKey).export({ format: 'der', type: 'spki' });
    const key = exportAesKey(diffieHellman({ privateKey: hqExportPrivateKey, publicKey: ephemeral }), ephemeralDer, hqDer);
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(f.iv, 'base64'));
    decipher.setAAD(Buffer.from(f.stationId));
    decipher.setAuthTag(Buffer.from(f.tag, 'base64'));
    return Buffer.concat([decipher.update(Buffer.from(f.export, 'base64')), decipher.final()]);
  } catch {
    return null;
  }
}

/** HQ's X25519 export key from its text (SPKI DER, base64), when it is one. */
export function parseExportKey(base64: string | null | undefined): KeyObject | null {
  if (!base64 || base64.length > 200) return null;
  try {
    const key = createPublicKey({ key: Buffer.from(base64, 'base64'), format: 'der', type: 'spki' });
    return key.asymmetricKeyType === 'x25519' ? key : null;
  } catch {
    return null;
  }
}

/**
 * GET `HQ_PATHS.siteDay?day=YYYY-MM-DD` (a station of the site, signed like the feed): the site's
 * counts per hour of a site day, from HQ's projections of every station's records. Counts only.
 */
export const siteDayQuerySchema = z.object({ day: isoDate }).strict();
const hourCount = z.number().int().min(0);
export const siteDayHourSchema = z
  .object({
    hour: z.number().int().min(0).max(23),
    people: hourCount,
    tubesOpened: hourCount,
    tubesSealed: hourCount,
    tubesVoided: hourCount,
    boxesSealed: hourCount,
    boxesHandedOver: hourCount,
    gateIn: hourCount,
    gateOut: hourCount,
    fevers: hourCount,
  })
  .strict();
export type SiteDayHour = z.infer<typeof siteDayHourSchema>;
export const siteDayAnswerSchema = z.object({ type: z.literal('hq.siteDay'), day: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), hours: z.array(siteDayHourSchema).length(24) }).strict();
export type SiteDayAnswer = z.infer<typeof siteDayAnswerSchema>;

/**
 * The resident roster (台账) part of the typed API (composed into contract.ts): importing a
 * ledger (upload in chunks, read, look at every refused row and at what changed, then apply the
 * good rows or nothing), the roster in use, and finding a resident at the desk. Types and zod
 * schemas only.
 */
import { z } from 'zod';

export const RESIDENT_TAGS = ['elderly', 'bedridden', 'isolation', 'keyPerson'] as const;
export type ResidentTagView = (typeof RESIDENT_TAGS)[number];
export const ROSTER_FIELD_NAMES = ['name', 'idNumber', 'phone', 'building', 'unit', 'room', 'tags'] as const;
export type RosterFieldName = (typeof ROSTER_FIELD_NAMES)[number];

export type RosterErrorCode =
  | 'roster.uploadUnknown'
  | 'roster.uploadTooLarge'
  | 'roster.uploadOutOfOrder'
  | 'roster.uploadIncomplete'
  | 'roster.importUnknown'
  | 'roster.importNotReady'
  /** Another ledger is being read: one at a time. */
  | 'roster.busy'
  | 'roster.residentUnknown';

/** Why a ledger could not be read at all; the renderer words each (roster.json `failure.<code>`). */
export type RosterFailureCode =
  | 'file.unsupported'
  | 'file.xls'
  | 'file.encoding'
  | 'file.csvMalformed'
  | 'file.empty'
  | 'file.noHeader'
  /** More residents than HQ takes in one roster (`MAX_ROSTER_ROWS`). */
  | 'file.tooManyRows'
  /** A roster version from HQ that did not hold the residents it announced (too few, too many, an ID number twice). */
  | 'hq.versionBroken'
  | 'internal';

export type RosterImportState = 'reading' | 'needsMapping' | 'ready' | 'failed' | 'current' | 'superseded' | 'discarded' | 'receiving';

export type RosterChangeCounts = { new: number; moved: number; changed: number; gone: number };

export type RosterImportView = {
  id: string;
  fileName: string | null;
  /** Imported at this station, or received from HQ. */
  source: 'station' | 'hq';
  state: RosterImportState;
  createdAt: string;
  appliedAt: string | null;
  totalRows: number;
  /** Rows taken (residents), rows refused, rows taken with a warning. */
  residents: number;
  refused: number;
  warned: number;
  changes: RosterChangeCounts | null;
  headers: string[];
  /** Headers the station does not know: the admin says what each is (or that it is to be ignored). */
  unmapped: string[];
  missingRequired: RosterFieldName[];
  duplicatedFields: RosterFieldName[];
  failure: { code: RosterFailureCode; rowNo: number | null } | null;
  progress: { phase: 'reading' | 'indexing' | 'comparing' | 'receiving'; rows: number; bytes: number; totalBytes: number } | null;
};

export type RosterProblemCode =
  | 'name.missing'
  /** Longer than HQ takes (50, counted in UTF-16 code units as HQ counts). */
  | 'name.tooLong'
  /** Holds control characters. */
  | 'name.malformed'
  | 'id.missing'
  | 'id.malformed'
  | 'id.checkFailed'
  | 'phone.malformed'
  | 'household.missing'
  | 'building.malformed'
  | 'unit.malformed'
  | 'room.malformed'
  /** Longer than HQ takes (20), whatever the site's pattern allows. */
  | 'building.tooLong'
  | 'unit.tooLong'
  | 'room.tooLong'
  | 'tag.unknown'
  | 'row.duplicate';

export type RosterProblemView = { rowNo: number; refused: boolean; problems: { code: RosterProblemCode; value?: string }[] };

/** A resident as the screen may show them: ID number and phone masked. */
export type ResidentView = {
  /** Opaque: what the desk sends back to bind this resident. */
  ref: string;
  name: string;
  maskedIdNumber: string;
  maskedPhone: string | null;
  building: string;
  unit: string;
  room: string;
  tags: ResidentTagView[];
};

export type RosterChangeView = {
  kind: keyof RosterChangeCounts;
  rowNo: number | null;
  maskedIdNumber: string;
  name: string;
  household: string;
  /** What the roster in use had (moved, changed, gone). */
  before: { name: string; household: string } | null;
};

export type RosterSummary = {
  current: RosterImportView | null;
  residents: number;
  buildings: number;
  households: number;
  /** Recent imports at this station and versions from HQ, newest first. */
  imports: RosterImportView[];
  mapping: Record<string, RosterFieldName | 'ignore'>;
};

const importId = z.uuid();
const mapping = z.record(z.string().max(200), z.enum([...ROSTER_FIELD_NAMES, 'ignore']));
/** Largest ledger accepted: a million rows of CSV is about 60 MB, of XLSX about 40 MB. */
export const MAX_LEDGER_BYTES = 512 * 1024 * 1024;
/** One upload call carries at most this much of the file (base64 adds a third). */
export const LEDGER_CHUNK_BYTES = 512 * 1024;

export const rosterArgs = {
  'roster.summary': z.object({}).strict(),
  'roster.upload': z.object({ fileName: z.string().trim().min(1).max(200), size: z.number().int().min(1).max(MAX_LEDGER_BYTES) }).strict(),
  'roster.uploadChunk': z
    .object({ uploadId: z.uuid(), offset: z.number().int().min(0), data: z.base64().max(Math.ceil((LEDGER_CHUNK_BYTES * 4) / 3) + 4) })
    .strict(),
  'roster.read': z.object({ uploadId: z.uuid(), mapping: mapping.optional(), encoding: z.enum(['utf-8', 'gb18030']).optional() }).strict(),
  'roster.import': z.object({ importId }).strict(),
  'roster.problems': z.object({ importId, offset: z.number().int().min(0).default(0), limit: z.number().int().min(1).max(500).default(100) }).strict(),
  'roster.changes': z
    .object({ importId, kind: z.enum(['new', 'moved', 'changed', 'gone']), offset: z.number().int().min(0).default(0), limit: z.number().int().min(1).max(500).default(100) })
    .strict(),
  'roster.apply': z.object({ importId }).strict(),
  'roster.discard': z.object({ importId }).strict(),
  /** Name, building-unit-room ("3-2-502") or the last digits of an ID number. */
  'roster.search': z.object({ query: z.string().trim().min(1).max(40) }).strict(),
} as const;

type Args<K extends keyof typeof rosterArgs> = z.infer<(typeof rosterArgs)[K]>;

export type RosterHandlers = {
  'roster.summary': { args: Args<'roster.summary'>; value: RosterSummary };
  'roster.upload': { args: Args<'roster.upload'>; value: { uploadId: string; chunkBytes: number } };
  'roster.uploadChunk': { args: Args<'roster.uploadChunk'>; value: { received: number } };
  /** Starts reading the uploaded ledger; `roster.progress` events follow, then the import's state. */
  'roster.read': { args: Args<'roster.read'>; value: RosterImportView };
  'roster.import': { args: Args<'roster.import'>; value: RosterImportView };
  'roster.problems': { args: Args<'roster.problems'>; value: { total: number; rows: RosterProblemView[] } };
  'roster.changes': { args: Args<'roster.changes'>; value: { total: number; rows: RosterChangeView[] } };
  /** The good rows become the roster in use, all at once; every desk of the site receives it. */
  'roster.apply': { args: Args<'roster.apply'>; value: RosterImportView };
  'roster.discard': { args: Args<'roster.discard'>; value: RosterImportView };
  'roster.search': { args: Args<'roster.search'>; value: ResidentView[] };
};

export type RosterEvents = {
  'roster.progress': { importId: string; progress: NonNullable<RosterImportView['progress']> };
  /** An import finished reading, was applied or discarded, or a version from HQ arrived. */
  'roster.changed': { importId: string; state: RosterImportState };
};

/**
 * The one storage interface of HQ. Two implementations (embedded SQLite, PostgreSQL) behave the
 * same and pass the same test suite; everything a backend decides beyond reading and writing
 * lives in `../ingest.ts`.
 */
import type { ChainBroken, StoredRecord } from '../ingest';
import type { TubeConflict } from '../domains/conflicts';
import type { SiteRound } from '../domains/rounds';
import type { HqRosterImport } from '../domains/roster';
import type { Rejection, TubeResult } from '../protocol';
import type { SqlDb } from './sql';
import type { EnrollInput } from '../domains/stations';
import type { ResidentTuple } from '../../electron/core/roster/file';

export type StationRow = {
  id: string;
  siteId: string;
  siteName: string;
  name: string;
  /** Its number within the site (1-999). */
  number: number;
  localStationId: string;
  publicKey: string;
  enrolledAt: string;
  ackedThrough: number;
  headSeq: number;
  lastContactAt: string | null;
  /** When HQ revoked it: nothing it sends is taken any more. */
  revokedAt: string | null;
  /** The hash of its record `ackedThrough` in its chain; null until its first chained batch. */
  chainHead: string | null;
  /** Why HQ last refused a batch of it whose chain did not hold (`seq N: detail`); null since one held. */
  chainError: string | null;
  /** The fingerprint of the HQ key it last said it trusts (`x-station-hq-key`); null before it said. */
  hqKey: string | null;
};

export type EnrollError = 'enroll.codeInvalid' | 'enroll.codeUsed' | 'enroll.codeExpired' | 'enroll.siteFull' | 'enroll.relinkCodeNeeded' | 'enroll.codeForAnotherStation';
export type StationUpdateOutcome = { ok: true; station: StationRow } | { ok: false; error: 'station.unknown' | 'station.numberTaken' };
export type EnrollOutcome = { ok: true; station: StationRow } | { ok: false; error: EnrollError };

export type IngestInput = {
  stationId: string;
  batchId: string;
  fromSeq: number;
  toSeq: number;
  headSeq: number | undefined;
  records: readonly { seq: number }[];
  /** The batch's chain (`batchSchema`): absent from a station not yet chained. */
  prevHash?: string | undefined;
  chainHead?: string | undefined;
  receivedAt: string;
  /** The station's site as HQ knew it when the request was checked: lets a backend prepare rows before it locks the station. */
  siteId?: string;
};

export type IngestOutcome =
  | { kind: 'gap'; expectedSeq: number }
  | ChainBroken
  | { kind: 'ack'; ackedThrough: number; expectedSeq: number; rejections: Rejection[]; chainHead: string | null };

export type FeedRow = { cursor: number; kind: string; payload: string };

export type NewFeedItem = { siteId: string | null; stationId: string | null; kind: string; payload: string; at: string };

export type DashboardData = {
  day: string;
  stations: {
    id: string;
    name: string;
    number: number;
    siteName: string;
    lastContactAt: string | null;
    ackedThrough: number;
    headSeq: number;
    conflicts: number;
    rejected: number;
    /** Why its last batch was refused for a broken journal chain; null since one held. */
    chainError: string | null;
    /** When HQ revoked it; null while it is trusted. */
    revokedAt: string | null;
    /** The fingerprint of the HQ key it last said it trusts; null before it said. */
    hqKey: string | null;
    /** When it was last linked again with a re-link code; null if never. */
    relinkedAt: string | null;
  }[];
  sites: { siteId: string; siteName: string; people: number; tubes: number; boxes: number }[];
  positives: { tubeCode: string; siteName: string; at: string; members: number; retested: number }[];
  tubeConflicts: TubeConflict[];
  /** Every site's rounds, open ones first, with their coverage when it is counted against the roster in use. */
  siteRounds: (SiteRound & { coverage: { residents: number; tested: number; exempt: number } | null })[];
  /** Every site's roster in use, and the latest imports. */
  rosters: { siteId: string; siteName: string; current: HqRosterImport | null }[];
  rosterImports: HqRosterImport[];
};

export type ResultOutcome =
  | { ok: true; sites: string[] }
  | { ok: false; error: 'tube.unknown' }
  /** The code was opened at more than one station and staff have not said which tube it means. */
  | { ok: false; error: 'tube.ambiguous'; stations: string[] };

export type HqStore = {
  readonly backend: 'sqlite' | 'postgres';
  /** Statements written once for both backends (rounds, roster, coverage, conflicts) run here. */
  readonly sql: SqlDb;
  upsertSite(site: { id: string; name: string; config: string | null; at: string }): Promise<void>;
  siteExists(siteId: string): Promise<boolean>;
  /** `relinkStationId`: a re-link code, for that station only. */
  createEnrollmentCode(code: { codeHash: string; siteId: string; createdAt: string; expiresAt: string; relinkStationId?: string }): Promise<void>;
  /** Consumes the code and creates the station (or, with a re-link code, gives the station its new key), atomically. */
  enroll(input: EnrollInput): Promise<EnrollOutcome>;
  station(id: string): Promise<StationRow | null>;
  /** False when this signature was already seen (a replay). Forgets signatures past their expiry. */
  rememberSignature(signature: string, expiresAtMs: number, nowMs: number): Promise<boolean>;
  touch(stationId: string, at: string, headSeq: number | undefined): Promise<void>;
  ingest(input: IngestInput): Promise<IngestOutcome>;
  /** Records the result, creates re-test tasks for a positive pooled tube; the sites whose stations must hear of it. */
  postResult(result: { tubeCode: string; result: TubeResult; at: string }): Promise<ResultOutcome>;
  addFeedItem(item: NewFeedItem): Promise<number>;
  /**
   * The station's next feed items after `after`, in cursor order: at most `limit`, and no more
   * once their payloads reach `maxBytes` (always at least one item, so a large one is never stuck).
   */
  feed(station: StationRow, after: number, limit: number, maxBytes: number): Promise<FeedRow[]>;
  dashboard(day: string): Promise<DashboardData>;
  /** For tests and the import report: what HQ holds of one station. */
  holdings(stationId: string): Promise<{ records: number; conflicts: number; maxSeq: number }>;
  /** One stored record, as HQ holds it (for staff looking into a conflict, and tests). */
  record(stationId: string, seq: number): Promise<StoredRecord | null>;
  retestTasks(tubeCode: string): Promise<{ personKey: string; closed: boolean }[]>;
  /** Roster rows of a version being read, in bulk (COPY on PostgreSQL), each call its own transaction. */
  addRosterRows(importId: string, rows: readonly { rowNo: number; t: ResidentTuple }[]): Promise<void>;
  addRosterProblems(importId: string, problems: readonly { rowNo: number; problems: string; refused: boolean }[]): Promise<void>;
  close(): Promise<void>;
};

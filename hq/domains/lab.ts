/**
 * The lab's side of the chain of custody at HQ (schema 16): the receipt of a box (实验室接收).
 * Lab staff scan the box's code, then its tubes one by one: a tube of the box as its station
 * handed it over is `received`, any other tube `extra`; a tube is marked `broken` with a reason;
 * finishing the receipt makes every tube of the box not scanned `missing`, and sends the receipt
 * (counts and every discrepancy) to the station that boxed it (`box.receipt` in the feed, for that
 * station alone). A finished receipt is kept as it is: a correction (a tube found after all, a
 * tube found broken later) is a new step with its reason, and the station is sent the receipt again.
 *
 * Every step is a row of `lab_receipt_step`, never changed (who, when, what, why);
 * `lab_receipt_tube` holds each tube's status as those steps left it. Results files ask here
 * whether a tube ever reached the lab (`receivedTubeCodes`), so a result for a tube never
 * received is flagged.
 *
 * Receiving a box HQ holds as not handed over (the station has not uploaded its hand-over yet, or
 * its staff skipped the step and shipped the box all the same) is allowed, and the receipt keeps
 * the box's state at HQ then (`box_state`) so the page, the dashboard and the station say so:
 * refusing would leave a box that is physically at the lab unrecorded, and every result of its
 * tubes flagged as "never received". A box HQ has never heard of is refused (`lab.boxUnknown`):
 * without its station there is nothing to reconcile against and no one to tell; it is scanned
 * again once its station has uploaded.
 */
import { randomUUID } from 'node:crypto';
import type { BoxReceiptFeedPayload } from '../protocol';
import { anyOf, eachOf, num, type Tx } from '../store/sql';
import { addFeed } from './feed';

/** What a receipt says of a tube, against the box as it was handed over. */
export const LAB_TUBE_STATUSES = ['received', 'missing', 'extra', 'broken'] as const;
export type LabTubeStatus = (typeof LAB_TUBE_STATUSES)[number];

/** A tube is at the lab when some receipt holds it received, or found it in a box it was not handed over in. */
const AT_LAB: readonly LabTubeStatus[] = ['received', 'extra'];

/** Of `codes`, those some lab receipt holds as arrived (received or extra). */
export async function receivedTubeCodes(tx: Tx, codes: readonly string[]): Promise<Set<string>> {
  const found = new Set<string>();
  const CHUNK = 5_000;
  for (let i = 0; i < codes.length; i += CHUNK) {
    const rows = await tx.all<{ tube_code: string }>(
      `SELECT DISTINCT t.tube_code FROM ${eachOf(tx, 'codes', 'lab_receipt_tube', 't', 'tube_code')} WHERE ${anyOf(tx, 't.status', 'statuses')}`,
      { codes: codes.slice(i, i + CHUNK), statuses: AT_LAB },
    );
    for (const r of rows) found.add(r.tube_code);
  }
  return found;
}

export type LabBoxState = 'open' | 'sealed' | 'handedOver';

export type LabError =
  /** No station of any site has uploaded a box with this code (of this station, when one was named). */
  | 'lab.boxUnknown'
  /** Boxes of several stations have this code: staff choose the station. */
  | 'lab.boxAmbiguous'
  | 'lab.receiptUnknown'
  /** Tubes are scanned, marked broken and the receipt finished while it is open only; a finished one is corrected. */
  | 'lab.receiptFinished'
  /** Only a finished receipt is corrected (an open one is scanned and marked). */
  | 'lab.receiptOpen'
  /** `received` and `missing` are for a tube of the box as handed over, `extra` for any other. */
  | 'lab.statusInvalid'
  /** The tube has that status already. */
  | 'lab.statusUnchanged';

export type LabOutcome<T> = { ok: true; value: T } | { ok: false; error: LabError; candidates?: LabBoxCandidate[] };

/** A box a scanned code may mean. */
export type LabBoxCandidate = {
  stationId: string;
  stationNumber: number;
  stationName: string;
  siteId: string;
  siteName: string;
  boxId: string;
  boxCode: string;
  state: LabBoxState;
  tubeCount: number;
  handedOverAt: string | null;
  /** Its receipt, if the lab has begun one; `receivedAt` once that receipt is finished. */
  receiptId: string | null;
  receivedAt: string | null;
};

/** Where HQ holds a tube that is not of the box being received: another box, or at its station in none. */
export type TubeWhereabouts = { stationNumber: number; stationName: string; siteName: string; boxCode: string | null };

export type LabReceiptTube = {
  tubeCode: string;
  /** A tube of the box as handed over. */
  expected: boolean;
  /** null: expected and not scanned yet (missing once the receipt is finished). */
  status: LabTubeStatus | null;
  reason: string;
  at: string | null;
  /** For a tube not of this box: where HQ holds it, if anywhere. */
  elsewhere: TubeWhereabouts | null;
};

export type LabStepKind = 'opened' | 'scanned' | 'broken' | 'finished' | 'corrected';
export type LabReceiptStep = { n: number; kind: LabStepKind; tubeCode: string | null; status: LabTubeStatus | null; reason: string; by: string; at: string };

export type LabCounts = { expected: number; received: number; missing: number; extra: number; broken: number; pending: number };

export type LabReceipt = {
  receiptId: string;
  siteId: string;
  siteName: string;
  stationId: string;
  stationNumber: number;
  stationName: string;
  boxId: string;
  boxCode: string;
  /** The box's state at HQ when the lab received it ('handedOver' unless the lab had it before HQ had its hand-over). */
  boxState: LabBoxState;
  /** The box's state at HQ now. */
  boxStateNow: LabBoxState;
  handedOverAt: string | null;
  handedOverCount: number | null;
  receivedAt: string;
  receivedBy: string;
  finishedAt: string | null;
  finishedBy: string | null;
  /** How many times the finished receipt was sent to the station (1 at finishing, one more per correction). */
  revision: number;
  counts: LabCounts;
  /** The box's tubes as handed over, in the order they were boxed, then the extra tubes as they were found. */
  tubes: LabReceiptTube[];
  steps: LabReceiptStep[];
};

/** A receipt in a list. */
export type LabReceiptSummary = Pick<
  LabReceipt,
  'receiptId' | 'siteId' | 'siteName' | 'stationNumber' | 'stationName' | 'boxCode' | 'boxState' | 'receivedAt' | 'receivedBy' | 'finishedAt' | 'revision'
> & { counts: LabCounts };

/** The outcome of a tube scanned into a receipt. */
export type LabScan = { tubeCode: string; status: LabTubeStatus; already: boolean; elsewhere: TubeWhereabouts | null };

type ReceiptRow = {
  id: string;
  station_id: string;
  box_id: string;
  site_id: string;
  box_code: string;
  received_at: string;
  received_by: string;
  closed_at: string | null;
  closed_by: string | null;
  box_state: LabBoxState;
  revision: number | string;
};

const RECEIPT_COLUMNS = 'id, station_id, box_id, site_id, box_code, received_at, received_by, closed_at, closed_by, box_state, revision';

/** The receipt's row, locked until the transaction ends on PostgreSQL (steps are numbered under it). */
async function lockReceipt(tx: Tx, id: string): Promise<ReceiptRow | undefined> {
  return tx.one<ReceiptRow>(`SELECT ${RECEIPT_COLUMNS} FROM lab_receipt WHERE id = @id${tx.dialect === 'postgres' ? ' FOR UPDATE' : ''}`, { id });
}

async function addStep(
  tx: Tx,
  receiptId: string,
  step: { kind: LabStepKind; tubeCode?: string | null; status?: LabTubeStatus | null; reason?: string; by: string; at: string },
): Promise<void> {
  const last = await tx.one<{ n: number | string | null }>('SELECT max(n) AS n FROM lab_receipt_step WHERE receipt_id = @receiptId', { receiptId });
  await tx.run(
    `INSERT INTO lab_receipt_step (receipt_id, n, kind, tube_code, status, reason, done_by, at) VALUES (@receiptId, @n, @kind, @tubeCode, @status, @reason, @by, @at)`,
    {
      receiptId,
      n: num(last?.n) + 1,
      kind: step.kind,
      tubeCode: step.tubeCode ?? null,
      status: step.status ?? null,
      reason: step.reason ?? '',
      by: step.by,
      at: step.at,
    },
  );
}

/** The tube codes of the box as its station handed it over (its entries not taken out), in boxing order. */
async function expectedCodes(tx: Tx, stationId: string, boxId: string): Promise<string[]> {
  const rows = await tx.all<{ tube_code: string }>(
    `SELECT tube_code FROM box_tube WHERE station_id = @stationId AND box_id = @boxId AND removed_at IS NULL ORDER BY added_at, entry_id`,
    { stationId, boxId },
  );
  return [...new Set(rows.map((r) => r.tube_code))];
}

async function isExpected(tx: Tx, r: ReceiptRow, tubeCode: string): Promise<boolean> {
  const row = await tx.one('SELECT 1 AS x FROM box_tube WHERE station_id = @stationId AND box_id = @boxId AND tube_code = @tubeCode AND removed_at IS NULL', {
    stationId: r.station_id,
    boxId: r.box_id,
    tubeCode,
  });
  return row !== undefined;
}

/** Where HQ holds a tube of this code other than in the box `notIn`: in another box, else at its station. */
async function whereabouts(tx: Tx, tubeCode: string, notIn: { stationId: string; boxId: string }): Promise<TubeWhereabouts | null> {
  const boxed = await tx.one<{ number: number | string; name: string; site_name: string; code: string }>(
    `SELECT s.number, s.name, site.name AS site_name, x.code FROM box_tube bt
     JOIN box x ON x.station_id = bt.station_id AND x.box_id = bt.box_id JOIN station s ON s.id = bt.station_id JOIN site ON site.id = s.site_id
     WHERE bt.tube_code = @tubeCode AND bt.removed_at IS NULL AND NOT (bt.station_id = @stationId AND bt.box_id = @boxId)
     ORDER BY bt.added_at DESC LIMIT 1`,
    { tubeCode, stationId: notIn.stationId, boxId: notIn.boxId },
  );
  if (boxed) return { stationNumber: num(boxed.number), stationName: boxed.name, siteName: boxed.site_name, boxCode: boxed.code };
  const tube = await tx.one<{ number: number | string; name: string; site_name: string }>(
    `SELECT s.number, s.name, site.name AS site_name FROM tube t JOIN station s ON s.id = t.station_id JOIN site ON site.id = s.site_id
     WHERE t.code = @tubeCode ORDER BY t.opened_at DESC LIMIT 1`,
    { tubeCode },
  );
  return tube ? { stationNumber: num(tube.number), stationName: tube.name, siteName: tube.site_name, boxCode: null } : null;
}

// ---- reads ----------------------------------------------------------------------------------------

/** The boxes a scanned code may mean (of one station, when `stationId` is given), the latest handed over first. */
export async function boxCandidates(tx: Tx, boxCode: string, stationId?: string): Promise<LabBoxCandidate[]> {
  const rows = await tx.all<{
    station_id: string;
    number: number | string;
    station_name: string;
    site_id: string;
    site_name: string;
    box_id: string;
    code: string;
    state: LabBoxState;
    tube_count: number | string;
    handed_over_at: string | null;
    receipt_id: string | null;
    received_at: string | null;
  }>(
    `SELECT x.station_id, s.number, s.name AS station_name, x.site_id, site.name AS site_name, x.box_id, x.code, x.state,
       CASE WHEN x.state = 'open'
         THEN (SELECT count(*) FROM box_tube bt WHERE bt.station_id = x.station_id AND bt.box_id = x.box_id AND bt.removed_at IS NULL)
         ELSE x.count END AS tube_count,
       x.handed_over_at, r.id AS receipt_id, r.closed_at AS received_at
     FROM box x JOIN station s ON s.id = x.station_id JOIN site ON site.id = x.site_id
     LEFT JOIN lab_receipt r ON r.station_id = x.station_id AND r.box_id = x.box_id
     WHERE x.code = @code${stationId !== undefined ? ' AND x.station_id = @stationId' : ''}
     ORDER BY (x.handed_over_at IS NULL), x.handed_over_at DESC, site.name, s.number, x.box_id`,
    stationId !== undefined ? { code: boxCode, stationId } : { code: boxCode },
  );
  return rows.map((r) => ({
    stationId: r.station_id,
    stationNumber: num(r.number),
    stationName: r.station_name,
    siteId: r.site_id,
    siteName: r.site_name,
    boxId: r.box_id,
    boxCode: r.code,
    state: r.state,
    tubeCount: num(r.tube_count),
    handedOverAt: r.handed_over_at,
    receiptId: r.receipt_id,
    receivedAt: r.received_at,
  }));
}

/** A receipt with its box, its tubes against the box as handed over, and its steps; null for an id HQ does not have. */
export async function labReceipt(tx: Tx, receiptId: string): Promise<LabReceipt | null> {
  const r = await tx.one<
    ReceiptRow & { number: number | string; station_name: string; site_name: string; state_now: LabBoxState | null; handed_over_at: string | null; handed_over_count: number | string | null }
  >(
    `SELECT r.id, r.station_id, r.box_id, r.site_id, r.box_code, r.received_at, r.received_by, r.closed_at, r.closed_by, r.box_state, r.revision,
       s.number, s.name AS station_name, site.name AS site_name, x.state AS state_now, x.handed_over_at, x.handed_over_count
     FROM lab_receipt r JOIN station s ON s.id = r.station_id JOIN site ON site.id = r.site_id
     LEFT JOIN box x ON x.station_id = r.station_id AND x.box_id = r.box_id
     WHERE r.id = @receiptId`,
    { receiptId },
  );
  if (!r) return null;
  const expected = await expectedCodes(tx, r.station_id, r.box_id);
  const marks = await tx.all<{ tube_code: string; status: LabTubeStatus; reason: string; at: string }>(
    'SELECT tube_code, status, reason, at FROM lab_receipt_tube WHERE receipt_id = @receiptId ORDER BY at, tube_code',
    { receiptId },
  );
  const byCode = new Map(marks.map((m) => [m.tube_code, m]));
  const expectedSet = new Set(expected);
  const tubes: LabReceiptTube[] = expected.map((code) => {
    const m = byCode.get(code);
    return { tubeCode: code, expected: true, status: m?.status ?? null, reason: m?.reason ?? '', at: m?.at ?? null, elsewhere: null };
  });
  for (const m of marks) {
    if (expectedSet.has(m.tube_code)) continue;
    tubes.push({ tubeCode: m.tube_code, expected: false, status: m.status, reason: m.reason, at: m.at, elsewhere: await whereabouts(tx, m.tube_code, { stationId: r.station_id, boxId: r.box_id }) });
  }
  const steps = await tx.all<{ n: number | string; kind: LabStepKind; tube_code: string | null; status: LabTubeStatus | null; reason: string; done_by: string; at: string }>(
    'SELECT n, kind, tube_code, status, reason, done_by, at FROM lab_receipt_step WHERE receipt_id = @receiptId ORDER BY n',
    { receiptId },
  );
  return {
    receiptId: r.id,
    siteId: r.site_id,
    siteName: r.site_name,
    stationId: r.station_id,
    stationNumber: num(r.number),
    stationName: r.station_name,
    boxId: r.box_id,
    boxCode: r.box_code,
    boxState: r.box_state,
    boxStateNow: r.state_now ?? r.box_state,
    handedOverAt: r.handed_over_at,
    handedOverCount: r.handed_over_count === null ? null : num(r.handed_over_count),
    receivedAt: r.received_at,
    receivedBy: r.received_by,
    finishedAt: r.closed_at,
    finishedBy: r.closed_by,
    revision: num(r.revision),
    counts: countsOf(tubes),
    tubes,
    steps: steps.map((s) => ({ n: num(s.n), kind: s.kind, tubeCode: s.tube_code, status: s.status, reason: s.reason, by: s.done_by, at: s.at })),
  };
}

function countsOf(tubes: readonly Pick<LabReceiptTube, 'expected' | 'status'>[]): LabCounts {
  const c: LabCounts = { expected: 0, received: 0, missing: 0, extra: 0, broken: 0, pending: 0 };
  for (const t of tubes) {
    if (t.expected) c.expected++;
    if (t.status === null) c.pending++;
    else c[t.status]++;
  }
  return c;
}

/** Receipts, newest first: those being received (`open`), or finished ones (of a site, when given). Counted in one statement. */
export async function labReceipts(tx: Tx, filter: { open: boolean; siteId?: string | undefined; limit: number }): Promise<LabReceiptSummary[]> {
  const status = (s: LabTubeStatus) => `(SELECT count(*) FROM lab_receipt_tube t WHERE t.receipt_id = r.id AND t.status = '${s}') AS ${s}`;
  const rows = await tx.all<{
    id: string;
    site_id: string;
    site_name: string;
    number: number | string;
    station_name: string;
    box_code: string;
    box_state: LabBoxState;
    received_at: string;
    received_by: string;
    closed_at: string | null;
    revision: number | string;
    expected: number | string;
    pending: number | string;
    received: number | string;
    missing: number | string;
    extra: number | string;
    broken: number | string;
  }>(
    `SELECT r.id, r.site_id, site.name AS site_name, s.number, s.name AS station_name, r.box_code, r.box_state, r.received_at, r.received_by, r.closed_at, r.revision,
       (SELECT count(DISTINCT bt.tube_code) FROM box_tube bt WHERE bt.station_id = r.station_id AND bt.box_id = r.box_id AND bt.removed_at IS NULL) AS expected,
       (SELECT count(DISTINCT bt.tube_code) FROM box_tube bt WHERE bt.station_id = r.station_id AND bt.box_id = r.box_id AND bt.removed_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM lab_receipt_tube t WHERE t.receipt_id = r.id AND t.tube_code = bt.tube_code)) AS pending,
       ${LAB_TUBE_STATUSES.map(status).join(', ')}
     FROM lab_receipt r JOIN station s ON s.id = r.station_id JOIN site ON site.id = r.site_id
     WHERE r.closed_at IS ${filter.open ? '' : 'NOT '}NULL${filter.siteId !== undefined ? ' AND r.site_id = @siteId' : ''}
     ORDER BY r.received_at DESC, r.id LIMIT ${Math.max(1, Math.min(1000, Math.floor(filter.limit)))}`,
    filter.siteId !== undefined ? { siteId: filter.siteId } : {},
  );
  return rows.map((r) => ({
    receiptId: r.id,
    siteId: r.site_id,
    siteName: r.site_name,
    stationNumber: num(r.number),
    stationName: r.station_name,
    boxCode: r.box_code,
    boxState: r.box_state,
    receivedAt: r.received_at,
    receivedBy: r.received_by,
    finishedAt: r.closed_at,
    revision: num(r.revision),
    counts: { expected: num(r.expected), received: num(r.received), missing: num(r.missing), extra: num(r.extra), broken: num(r.broken), pending: num(r.pending) },
  }));
}

// ---- steps ----------------------------------------------------------------------------------------

/**
 * A box scanned at the lab: its receipt begun (or the one begun already, `resumed`). The code may
 * be several stations' (box codes are unique within a station only): the boxes handed over and not
 * yet received are the ones it can mean, else any; more than one, and staff choose the station.
 */
export async function openLabReceipt(
  tx: Tx,
  input: { boxCode: string; stationId?: string | undefined; receivedBy: string; at: string },
): Promise<LabOutcome<{ receipt: LabReceipt; resumed: boolean }>> {
  const candidates = await boxCandidates(tx, input.boxCode, input.stationId);
  if (candidates.length === 0) return { ok: false, error: 'lab.boxUnknown' };
  const inTransit = candidates.filter((c) => c.state === 'handedOver' && c.receivedAt === null);
  const pool = inTransit.length > 0 ? inTransit : candidates;
  if (pool.length > 1) return { ok: false, error: 'lab.boxAmbiguous', candidates: pool };
  const box = pool[0]!;
  let receiptId = box.receiptId;
  let resumed = receiptId !== null;
  if (receiptId === null) {
    const inserted = await tx.one<{ id: string }>(
      `INSERT INTO lab_receipt (id, station_id, box_id, site_id, box_code, received_at, received_by, box_state)
       VALUES (@id, @stationId, @boxId, @siteId, @boxCode, @at, @by, @state) ON CONFLICT DO NOTHING RETURNING id`,
      { id: randomUUID(), stationId: box.stationId, boxId: box.boxId, siteId: box.siteId, boxCode: box.boxCode, at: input.at, by: input.receivedBy, state: box.state },
    );
    if (inserted) {
      receiptId = inserted.id;
      await addStep(tx, receiptId, { kind: 'opened', by: input.receivedBy, at: input.at });
    } else {
      // Begun meanwhile by someone else: that one is the box's receipt.
      const held = await tx.one<{ id: string }>('SELECT id FROM lab_receipt WHERE station_id = @stationId AND box_id = @boxId', { stationId: box.stationId, boxId: box.boxId });
      receiptId = held!.id;
      resumed = true;
    }
  }
  return { ok: true, value: { receipt: (await labReceipt(tx, receiptId))!, resumed } };
}

/** An open receipt, locked; or why the step cannot be taken. */
async function openReceipt(tx: Tx, receiptId: string): Promise<ReceiptRow | LabError> {
  const r = await lockReceipt(tx, receiptId);
  if (!r) return 'lab.receiptUnknown';
  if (r.closed_at !== null) return 'lab.receiptFinished';
  return r;
}

/** A tube scanned at the lab into an open receipt: received (of the box as handed over) or extra. Scanned again, it is as it was. */
export async function scanLabTube(tx: Tx, input: { receiptId: string; tubeCode: string; by?: string | undefined; at: string }): Promise<LabOutcome<{ scan: LabScan; receipt: LabReceipt }>> {
  const r = await openReceipt(tx, input.receiptId);
  if (typeof r === 'string') return { ok: false, error: r };
  const held = await tx.one<{ status: LabTubeStatus }>('SELECT status FROM lab_receipt_tube WHERE receipt_id = @id AND tube_code = @code', { id: r.id, code: input.tubeCode });
  const expected = await isExpected(tx, r, input.tubeCode);
  const elsewhere = expected ? null : await whereabouts(tx, input.tubeCode, { stationId: r.station_id, boxId: r.box_id });
  let scan: LabScan;
  if (held) {
    scan = { tubeCode: input.tubeCode, status: held.status, already: true, elsewhere };
  } else {
    const status: LabTubeStatus = expected ? 'received' : 'extra';
    await tx.run('INSERT INTO lab_receipt_tube (receipt_id, tube_code, status, reason, at) VALUES (@id, @code, @status, @reason, @at)', {
      id: r.id,
      code: input.tubeCode,
      status,
      reason: '',
      at: input.at,
    });
    await addStep(tx, r.id, { kind: 'scanned', tubeCode: input.tubeCode, status, by: input.by ?? r.received_by, at: input.at });
    scan = { tubeCode: input.tubeCode, status, already: false, elsewhere };
  }
  return { ok: true, value: { scan, receipt: (await labReceipt(tx, r.id))! } };
}

/** Sets a tube's status in the receipt (the status row; the step that did it is kept apart). */
async function setStatus(tx: Tx, receiptId: string, tubeCode: string, status: LabTubeStatus, reason: string, at: string): Promise<void> {
  await tx.run(
    `INSERT INTO lab_receipt_tube (receipt_id, tube_code, status, reason, at) VALUES (@receiptId, @tubeCode, @status, @reason, @at)
     ON CONFLICT (receipt_id, tube_code) DO UPDATE SET status = excluded.status, reason = excluded.reason, at = excluded.at`,
    { receiptId, tubeCode, status, reason, at },
  );
}

/** A tube of an open receipt found broken (scanned or not), with the reason. */
export async function markLabTubeBroken(
  tx: Tx,
  input: { receiptId: string; tubeCode: string; reason: string; by?: string | undefined; at: string },
): Promise<LabOutcome<{ scan: LabScan; receipt: LabReceipt }>> {
  const r = await openReceipt(tx, input.receiptId);
  if (typeof r === 'string') return { ok: false, error: r };
  const held = await tx.one<{ status: LabTubeStatus; reason: string }>('SELECT status, reason FROM lab_receipt_tube WHERE receipt_id = @id AND tube_code = @code', {
    id: r.id,
    code: input.tubeCode,
  });
  const expected = await isExpected(tx, r, input.tubeCode);
  const elsewhere = expected ? null : await whereabouts(tx, input.tubeCode, { stationId: r.station_id, boxId: r.box_id });
  const already = held?.status === 'broken' && held.reason === input.reason;
  if (!already) {
    await setStatus(tx, r.id, input.tubeCode, 'broken', input.reason, input.at);
    await addStep(tx, r.id, { kind: 'broken', tubeCode: input.tubeCode, status: 'broken', reason: input.reason, by: input.by ?? r.received_by, at: input.at });
  }
  return { ok: true, value: { scan: { tubeCode: input.tubeCode, status: 'broken', already, elsewhere }, receipt: (await labReceipt(tx, r.id))! } };
}

/** The receipt as its station is told it: counts and every tube that was not as handed over. */
export function receiptFeedPayload(r: LabReceipt): BoxReceiptFeedPayload {
  return {
    receiptId: r.receiptId,
    boxId: r.boxId,
    boxCode: r.boxCode,
    revision: r.revision,
    receivedAt: r.receivedAt,
    receivedBy: r.receivedBy,
    finishedAt: r.finishedAt ?? r.receivedAt,
    boxState: r.boxState,
    expected: r.counts.expected,
    received: r.counts.received,
    missing: r.counts.missing,
    extra: r.counts.extra,
    broken: r.counts.broken,
    discrepancies: r.tubes
      .filter((t): t is LabReceiptTube & { status: 'missing' | 'extra' | 'broken' } => t.status !== null && t.status !== 'received')
      .map((t) => ({ tubeCode: t.tubeCode, status: t.status, reason: t.reason })),
  };
}

/** Tells the box's station of its receipt as it now is (that station alone). */
async function tellStation(tx: Tx, r: LabReceipt, at: string): Promise<void> {
  await addFeed(tx, { siteId: r.siteId, stationId: r.stationId, kind: 'box.receipt', payload: JSON.stringify(receiptFeedPayload(r)), at });
}

/** Finishes an open receipt: every tube of the box as handed over not scanned is missing; the station is told. */
export async function finishLabReceipt(tx: Tx, input: { receiptId: string; by?: string | undefined; at: string }): Promise<LabOutcome<LabReceipt>> {
  const r = await openReceipt(tx, input.receiptId);
  if (typeof r === 'string') return { ok: false, error: r };
  const by = input.by ?? r.received_by;
  const marked = new Set((await tx.all<{ tube_code: string }>('SELECT tube_code FROM lab_receipt_tube WHERE receipt_id = @id', { id: r.id })).map((m) => m.tube_code));
  for (const code of await expectedCodes(tx, r.station_id, r.box_id)) {
    if (marked.has(code)) continue;
    await setStatus(tx, r.id, code, 'missing', '', input.at);
    await addStep(tx, r.id, { kind: 'finished', tubeCode: code, status: 'missing', by, at: input.at });
  }
  await addStep(tx, r.id, { kind: 'finished', by, at: input.at });
  await tx.run('UPDATE lab_receipt SET closed_at = @at, closed_by = @by, revision = 1 WHERE id = @id AND closed_at IS NULL', { at: input.at, by, id: r.id });
  const receipt = (await labReceipt(tx, r.id))!;
  await tellStation(tx, receipt, input.at);
  return { ok: true, value: receipt };
}

/**
 * A finished receipt corrected for one tube, with the reason: a new step (the receipt as finished
 * stays in its steps), the tube's status as it now is, and the station told again. `received` and
 * `missing` are for a tube of the box as handed over, `extra` for any other, `broken` for either.
 */
export async function correctLabReceipt(
  tx: Tx,
  input: { receiptId: string; tubeCode: string; status: LabTubeStatus; reason: string; by: string; at: string },
): Promise<LabOutcome<LabReceipt>> {
  const r = await lockReceipt(tx, input.receiptId);
  if (!r) return { ok: false, error: 'lab.receiptUnknown' };
  if (r.closed_at === null) return { ok: false, error: 'lab.receiptOpen' };
  const expected = await isExpected(tx, r, input.tubeCode);
  const fits = input.status === 'broken' || (input.status === 'extra' ? !expected : expected);
  if (!fits) return { ok: false, error: 'lab.statusInvalid' };
  const held = await tx.one<{ status: LabTubeStatus }>('SELECT status FROM lab_receipt_tube WHERE receipt_id = @id AND tube_code = @code', { id: r.id, code: input.tubeCode });
  if (held?.status === input.status) return { ok: false, error: 'lab.statusUnchanged' };
  await setStatus(tx, r.id, input.tubeCode, input.status, input.reason, input.at);
  await addStep(tx, r.id, { kind: 'corrected', tubeCode: input.tubeCode, status: input.status, reason: input.reason, by: input.by, at: input.at });
  await tx.run('UPDATE lab_receipt SET revision = revision + 1 WHERE id = @id', { id: r.id });
  const receipt = (await labReceipt(tx, r.id))!;
  await tellStation(tx, receipt, input.at);
  return { ok: true, value: receipt };
}

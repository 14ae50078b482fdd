/**
 * Tube codes opened at more than one station. A pre-printed code can be printed twice, or a tube
 * taken from one desk's box to another's; HQ then holds two tubes under one code and a result
 * could recall the wrong people. The first station to open a code holds it (`code_holder`); any
 * other tube under it makes the code a conflict: flagged on the dashboard, told to every station
 * involved, and no result is posted for it until staff say which tube the code means.
 */
import type { Tx } from '../store/sql';
import { anyOf, eachOf } from '../store/sql';
import { addFeed } from './feed';

export type ConflictTube = { stationId: string; stationNumber: number; stationName: string; siteId: string; siteName: string; tubeId: string; openedAt: string; state: string };

export type TubeConflict = {
  code: string;
  detectedAt: string;
  tubes: ConflictTube[];
  resolved: { stationId: string; tubeId: string; at: string; note: string } | null;
};

type ConflictRow = { code: string; detected_at: string; resolved_station_id: string | null; resolved_tube_id: string | null; resolved_at: string | null; resolved_note: string | null };
type TubeRow = { station_id: string; number: number | string; station_name: string; site_id: string; site_name: string; tube_id: string; opened_at: string; state: string };

type TubeOfCodeRow = TubeRow & { code: string };

/** The tubes under each of `codes`, first opened first: one statement for any number of codes. */
async function tubesOfCodes(tx: Tx, codes: readonly string[]): Promise<Map<string, ConflictTube[]>> {
  const out = new Map<string, ConflictTube[]>();
  if (codes.length === 0) return out;
  const rows = await tx.all<TubeOfCodeRow>(
    `SELECT t.code, t.station_id, s.number, s.name AS station_name, t.site_id, site.name AS site_name, t.tube_id, t.opened_at, t.state
     FROM ${eachOf(tx, 'codes', 'tube', 't', 'code')} JOIN station s ON s.id = t.station_id JOIN site ON site.id = t.site_id
     ORDER BY t.opened_at, t.station_id`,
    { codes: [...new Set(codes)] },
  );
  for (const r of rows) {
    const list = out.get(r.code) ?? out.set(r.code, []).get(r.code)!;
    list.push({
      stationId: r.station_id,
      stationNumber: Number(r.number),
      stationName: r.station_name,
      siteId: r.site_id,
      siteName: r.site_name,
      tubeId: r.tube_id,
      openedAt: r.opened_at,
      state: r.state,
    });
  }
  return out;
}

async function tubesOf(tx: Tx, code: string): Promise<ConflictTube[]> {
  return (await tubesOfCodes(tx, [code])).get(code) ?? [];
}

/**
 * Called with the tubes a batch opened (their rows already written): each code is claimed for
 * its tube; a code another tube holds becomes a conflict. On PostgreSQL the claim's unique key
 * makes a concurrent claim by another station wait for this one, so no conflict is missed.
 */
export async function claimTubeCodes(tx: Tx, stationId: string, siteId: string, tubes: readonly { tubeId: string; code: string }[], at: string): Promise<number> {
  if (tubes.length === 0) return 0;
  const sorted = [...tubes].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  const codes = sorted.map((t) => t.code);
  const ids = sorted.map((t) => t.tubeId);
  const claim =
    tx.dialect === 'postgres'
      ? `INSERT INTO code_holder (code, station_id, tube_id) SELECT u.code, @stationId, u.id FROM unnest(@codes::text[], @ids::text[]) AS u(code, id)
         ORDER BY u.code ON CONFLICT DO NOTHING`
      : // One JSON array of [code, tube] rows (json_each has no index to join two arrays on).
        `INSERT OR IGNORE INTO code_holder (code, station_id, tube_id)
         SELECT value ->> 0, @stationId, value ->> 1 FROM json_each(@pairs) ORDER BY value ->> 0`;
  await tx.run(claim, tx.dialect === 'postgres' ? { stationId, codes, ids } : { stationId, pairs: JSON.stringify(sorted.map((t) => [t.code, t.tubeId])) });
  const held = await tx.all<{ code: string; station_id: string; tube_id: string }>(
    `SELECT code, station_id, tube_id FROM code_holder WHERE ${anyOf(tx, 'code', 'codes')}`,
    { codes },
  );
  const mine = new Map(sorted.map((t) => [t.code, t.tubeId]));
  const clashing = held
    .filter((h) => !(h.station_id === stationId && h.tube_id === mine.get(h.code)))
    .map((h) => h.code)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (clashing.length === 0) return 0;
  // All of a batch's conflicts in one statement and one notice round (a reused roll of labels
  // can make every tube of a batch a conflict: statements per code would be thousands).
  await tx.run(
    tx.dialect === 'postgres'
      ? 'INSERT INTO tube_conflict (code, site_id, detected_at) SELECT u.code, @siteId, @at FROM unnest(@codes::text[]) AS u(code) ORDER BY u.code ON CONFLICT DO NOTHING'
      : 'INSERT OR IGNORE INTO tube_conflict (code, site_id, detected_at) SELECT value, @siteId, @at FROM json_each(@codes) ORDER BY value',
    { codes: clashing, siteId, at },
  );
  await notify(tx, clashing, at);
  return clashing.length;
}

async function conflictRow(tx: Tx, code: string): Promise<ConflictRow | undefined> {
  return tx.one<ConflictRow>('SELECT * FROM tube_conflict WHERE code = @code', { code });
}

/** Tells every station holding a tube under each of `codes` what HQ knows of the code now (one item each). */
async function notify(tx: Tx, codes: readonly string[], at: string): Promise<void> {
  const tubesByCode = await tubesOfCodes(tx, codes);
  const rows = new Map(
    (await tx.all<ConflictRow>(`SELECT * FROM tube_conflict WHERE ${anyOf(tx, 'code', 'codes')}`, { codes })).map((r) => [r.code, r]),
  );
  for (const code of codes) await notifyOne(tx, code, tubesByCode.get(code) ?? [], rows.get(code), at);
}

async function notifyOne(tx: Tx, code: string, tubes: readonly ConflictTube[], row: ConflictRow | undefined, at: string): Promise<void> {
  const first = tubes[0]?.openedAt ?? '';
  const resolvedTube = row?.resolved_tube_id ? tubes.find((t) => t.stationId === row.resolved_station_id && t.tubeId === row.resolved_tube_id) : undefined;
  for (const tube of tubes) {
    const others = tubes.filter((t) => t !== tube).map((t) => ({ stationNumber: t.stationNumber, stationName: t.stationName, openedAt: t.openedAt }));
    if (others.length === 0) continue;
    const payload = {
      code,
      tubeId: tube.tubeId,
      openedAt: tube.openedAt,
      later: tube.openedAt > first || (tube.openedAt === first && tube !== tubes[0]),
      others: others.slice(0, 50),
      resolved: resolvedTube
        ? { stationNumber: resolvedTube.stationNumber, stationName: resolvedTube.stationName, mine: resolvedTube === tube, note: row?.resolved_note ?? '' }
        : null,
    };
    await addFeed(tx, { siteId: tube.siteId, stationId: tube.stationId, kind: 'tube.conflict', payload: JSON.stringify(payload), at });
  }
}

export type ResolveOutcome = { ok: true } | { ok: false; error: 'tube.unknown' };

/** Staff say which station's tube `code` means; every station involved hears of it. */
export async function resolveTubeConflict(tx: Tx, input: { code: string; stationId: string; note: string; at: string }): Promise<ResolveOutcome> {
  const row = await conflictRow(tx, input.code);
  const tube = (await tubesOf(tx, input.code)).find((t) => t.stationId === input.stationId);
  if (!row || !tube) return { ok: false, error: 'tube.unknown' };
  await tx.run(
    `UPDATE tube_conflict SET resolved_station_id = @stationId, resolved_tube_id = @tubeId, resolved_at = @at, resolved_note = @note WHERE code = @code`,
    { stationId: tube.stationId, tubeId: tube.tubeId, at: input.at, note: input.note, code: input.code },
  );
  await notify(tx, [input.code], input.at);
  return { ok: true };
}

export type ResultTarget =
  | { kind: 'unknown' }
  | { kind: 'ambiguous'; tubes: ConflictTube[] }
  | { kind: 'tube'; stationId: string; tubeId: string; siteId: string };

/** Which tube a result for `code` is for: the only one, the one staff chose, or none yet. */
export async function resultTarget(tx: Tx, code: string): Promise<ResultTarget> {
  return (await resultTargets(tx, [code])).get(code) ?? { kind: 'unknown' };
}

/**
 * `resultTarget` for many codes at once, a few statements per few thousand codes: most codes have
 * one tube and no conflict, and are found with what a result needs; the others are looked at whole.
 */
export async function resultTargets(tx: Tx, codes: readonly string[]): Promise<Map<string, ResultTarget>> {
  const out = new Map<string, ResultTarget>();
  const CHUNK = 5_000;
  const unique = [...new Set(codes)];
  for (let i = 0; i < unique.length; i += CHUNK) {
    const chunk = unique.slice(i, i + CHUNK);
    const rows = await tx.all<{ code: string; station_id: string; site_id: string; tube_id: string }>(
      `SELECT t.code, t.station_id, t.site_id, t.tube_id FROM ${eachOf(tx, 'codes', 'tube', 't', 'code')}`,
      { codes: chunk },
    );
    const only = new Map<string, { kind: 'tube'; stationId: string; tubeId: string; siteId: string }>();
    const several = new Set<string>();
    for (const r of rows) {
      if (only.has(r.code)) several.add(r.code);
      else only.set(r.code, { kind: 'tube', stationId: r.station_id, tubeId: r.tube_id, siteId: r.site_id });
    }
    const conflicts = new Map<string, ConflictRow>();
    if (only.size > 0) {
      const known = [...only.keys()];
      for (const row of await tx.all<ConflictRow>(`SELECT x.code, x.detected_at, x.resolved_station_id, x.resolved_tube_id, x.resolved_at, x.resolved_note FROM ${eachOf(tx, 'codes', 'tube_conflict', 'x', 'code')}`, { codes: known })) {
        conflicts.set(row.code, row);
        several.add(row.code);
      }
    }
    const whole = several.size > 0 ? await tubesOfCodes(tx, [...several]) : new Map<string, ConflictTube[]>();
    for (const code of chunk) {
      const one = only.get(code);
      out.set(code, !one ? { kind: 'unknown' } : several.has(code) ? targetOf(whole.get(code) ?? [], conflicts.get(code)) : one);
    }
  }
  return out;
}

function targetOf(tubes: readonly ConflictTube[], row: ConflictRow | undefined): ResultTarget {
  if (tubes.length === 0) return { kind: 'unknown' };
  if (row?.resolved_tube_id) {
    const chosen = tubes.find((t) => t.stationId === row.resolved_station_id && t.tubeId === row.resolved_tube_id);
    if (chosen) return { kind: 'tube', stationId: chosen.stationId, tubeId: chosen.tubeId, siteId: chosen.siteId };
  }
  if (row || tubes.length > 1) return { kind: 'ambiguous', tubes: [...tubes] };
  const only = tubes[0]!;
  return { kind: 'tube', stationId: only.stationId, tubeId: only.tubeId, siteId: only.siteId };
}

/** Every conflict, open ones first, for the dashboard. */
export async function listTubeConflicts(tx: Tx, limit = 200): Promise<TubeConflict[]> {
  const rows = await tx.all<ConflictRow>(
    `SELECT * FROM tube_conflict ORDER BY CASE WHEN resolved_at IS NULL THEN 0 ELSE 1 END, detected_at DESC LIMIT ${Math.max(1, Math.floor(limit))}`,
  );
  const tubes = await tubesOfCodes(tx, rows.map((r) => r.code));
  const out: TubeConflict[] = [];
  for (const r of rows) {
    out.push({
      code: r.code,
      detectedAt: r.detected_at,
      tubes: tubes.get(r.code) ?? [],
      resolved: r.resolved_station_id && r.resolved_tube_id ? { stationId: r.resolved_station_id, tubeId: r.resolved_tube_id, at: r.resolved_at ?? '', note: r.resolved_note ?? '' } : null,
    });
  }
  return out;
}

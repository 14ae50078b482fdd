/**
 * Coverage (应检尽检) at HQ: for each round of a site, which residents of the site's roster are
 * sampled, exempt or not yet sampled, by building and unit. HQ sees every desk's bindings, so a
 * person is known by their key (`id:<ID number>` for anyone with an ID number). Counts per building
 * and unit are kept up to date with every batch (set-based: one statement per table per batch),
 * so reading coverage costs the same for a district of a million residents as for a compound;
 * they are counted again when the site's roster changes.
 */
import type { CoverageView, ExemptionReason } from '../../electron/api/coverage';
import type { UntestedResident } from '../../electron/core/coverage/untested-list';
import { groupCells } from '../../electron/core/coverage/cells';
import { personMark } from '../../electron/core/person/mark';
import type { Projection } from '../ingest';
import type { Tx } from '../store/sql';
import { anyOf, num } from '../store/sql';
import { addFeed } from './feed';
import { currentRosterImport } from './roster';
import type { RoundSampling } from './rounds';

type Station = { id: string; siteId: string; number: number; name: string };

async function roundSite(tx: Tx, roundId: string): Promise<string | null> {
  return (await tx.one<{ site_id: string }>('SELECT site_id FROM site_round WHERE id = @roundId', { roundId }))?.site_id ?? null;
}

/** The roster version a round's cells must be counted against: its site's roster in use. */
async function rosterOfRound(tx: Tx, roundId: string): Promise<string | null> {
  const siteId = await roundSite(tx, roundId);
  return siteId ? ((await currentRosterImport(tx, siteId))?.id ?? null) : null;
}

async function fresh(tx: Tx, roundId: string, rosterId: string | null): Promise<boolean> {
  const state = await tx.one<{ roster_id: string }>('SELECT roster_id FROM coverage_state WHERE round_id = @roundId', { roundId });
  return state !== undefined && state.roster_id === (rosterId ?? 'none');
}

/** `id:<ID number>` keys to ID numbers; other keys (a phone and a name) are never on a roster. */
function idNumbers(keys: readonly string[]): string[] {
  return keys.filter((k) => k.startsWith('id:')).map((k) => k.slice(3));
}

/**
 * People who became sampled (+1) or stopped (-1), or exempt: the counts of their buildings and
 * units follow. Only for a round whose cells are counted against the roster in use; a stale one
 * is counted again from scratch when next read.
 */
async function moveCells(tx: Tx, roundId: string, keys: readonly string[], what: 'tested' | 'exempt', delta: 1 | -1): Promise<void> {
  if (keys.length === 0) return;
  const rosterId = await rosterOfRound(tx, roundId);
  if (!rosterId || !(await fresh(tx, roundId, rosterId))) return;
  const ids = idNumbers(keys);
  if (ids.length === 0) return;
  // Sampled wins over exempt: becoming sampled takes an exempt person out of "exempt";
  // becoming exempt or not counts only for people not sampled.
  const other = what === 'tested' ? 'coverage_exempt' : 'coverage_tested';
  const rows = await tx.all<{ building: string; unit: string; n: number | string; also: number | string }>(
    `SELECT r.building, r.unit, count(*) AS n,
       sum(CASE WHEN EXISTS (SELECT 1 FROM ${other} o WHERE o.round_id = @roundId AND o.person_key = 'id:' || r.id_number) THEN 1 ELSE 0 END) AS also
     FROM roster_resident r WHERE r.import_id = @rosterId AND ${anyOf(tx, 'r.id_number', 'ids')} GROUP BY r.building, r.unit`,
    { roundId, rosterId, ids },
  );
  for (const row of rows) {
    const n = num(row.n);
    const also = num(row.also);
    const dTested = what === 'tested' ? delta * n : 0;
    const dExempt = what === 'tested' ? -delta * also : delta * (n - also);
    if (dTested === 0 && dExempt === 0) continue;
    await tx.run(
      `INSERT INTO coverage_cell (round_id, building, unit, tested, exempt) VALUES (@roundId, @building, @unit, @dTested, @dExempt)
       ON CONFLICT (round_id, building, unit) DO UPDATE SET tested = coverage_cell.tested + excluded.tested, exempt = coverage_cell.exempt + excluded.exempt`,
      { roundId, building: row.building, unit: row.unit, dTested, dExempt },
    );
  }
}

/**
 * A batch's sampling in the site's rounds, counted: each person's live bindings are counted in
 * `coverage_tested.sources`; a person is sampled while it is above zero.
 */
export async function countSampling(tx: Tx, sampling: readonly RoundSampling[]): Promise<void> {
  if (sampling.length === 0) return;
  const deltas = new Map<string, { roundId: string; personKey: string; delta: number }>();
  for (const s of sampling) {
    const k = `${s.roundId}\u0000${s.personKey}`;
    const d = deltas.get(k) ?? { roundId: s.roundId, personKey: s.personKey, delta: 0 };
    d.delta += s.delta;
    deltas.set(k, d);
  }
  const adds = [...deltas.values()].filter((d) => d.delta > 0);
  const subs = [...deltas.values()].filter((d) => d.delta < 0);
  const became = new Map<string, string[]>();
  const stopped = new Map<string, string[]>();
  const push = (m: Map<string, string[]>, roundId: string, key: string) => (m.get(roundId) ?? m.set(roundId, []).get(roundId)!).push(key);
  if (adds.length > 0) {
    const rows = await tx.all<{ round_id: string; person_key: string; sources: number | string }>(
      tx.dialect === 'postgres'
        ? `INSERT INTO coverage_tested (round_id, person_key, sources) SELECT * FROM unnest(@rounds::text[], @keys::text[], @deltas::int[])
           ON CONFLICT (round_id, person_key) DO UPDATE SET sources = coverage_tested.sources + excluded.sources RETURNING round_id, person_key, sources`
        : // One JSON array of [round, key, delta] rows: json_each has no index, so joining three
          // arrays on their positions would compare every row with every other.
          `INSERT INTO coverage_tested (round_id, person_key, sources)
           SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(@rows) WHERE true
           ON CONFLICT (round_id, person_key) DO UPDATE SET sources = sources + excluded.sources RETURNING round_id, person_key, sources`,
      tx.dialect === 'postgres'
        ? { rounds: adds.map((a) => a.roundId), keys: adds.map((a) => a.personKey), deltas: adds.map((a) => a.delta) }
        : { rows: JSON.stringify(adds.map((a) => [a.roundId, a.personKey, a.delta])) },
    );
    const added = new Map(adds.map((a) => [`${a.roundId}\u0000${a.personKey}`, a.delta]));
    for (const r of rows) if (num(r.sources) === added.get(`${r.round_id}\u0000${r.person_key}`)) push(became, r.round_id, r.person_key);
  }
  for (const d of subs) {
    const row = await tx.one<{ sources: number | string }>('SELECT sources FROM coverage_tested WHERE round_id = @roundId AND person_key = @personKey', d);
    if (!row) continue;
    if (num(row.sources) + d.delta > 0) {
      await tx.run('UPDATE coverage_tested SET sources = sources + @delta WHERE round_id = @roundId AND person_key = @personKey', d);
    } else {
      await tx.run('DELETE FROM coverage_tested WHERE round_id = @roundId AND person_key = @personKey', d);
      push(stopped, d.roundId, d.personKey);
    }
  }
  for (const [roundId, keys] of became) {
    await addToTotal(tx, roundId, keys.length);
    await moveCells(tx, roundId, keys, 'tested', +1);
  }
  for (const [roundId, keys] of stopped) {
    await addToTotal(tx, roundId, -keys.length);
    await moveCells(tx, roundId, keys, 'tested', -1);
  }
}

/** How many people count as sampled in the round, on the roster or not (`coverage_total`). */
async function addToTotal(tx: Tx, roundId: string, delta: number): Promise<void> {
  if (delta > 0) {
    await tx.run(
      `INSERT INTO coverage_total (round_id, tested) VALUES (@roundId, @delta) ON CONFLICT (round_id) DO UPDATE SET tested = coverage_total.tested + excluded.tested`,
      { roundId, delta },
    );
  } else if (delta < 0) {
    const lower = tx.dialect === 'postgres' ? 'greatest' : 'max';
    await tx.run(`UPDATE coverage_total SET tested = ${lower}(tested + @delta, 0) WHERE round_id = @roundId`, { roundId, delta });
  }
}

export type ExemptionInput = { roundId: string; idNumber: string; set: { reason: ExemptionReason; note: string } | null; at: string; by: string };

/** Sets or lifts an exemption; the site's stations hear of it by mark. False when nothing changed. */
export async function applyExemption(tx: Tx, e: ExemptionInput): Promise<boolean> {
  const siteId = await roundSite(tx, e.roundId);
  if (!siteId) return false;
  const personKey = `id:${e.idNumber}`;
  const existed = (await tx.one('SELECT 1 AS x FROM coverage_exempt WHERE round_id = @roundId AND person_key = @personKey', { roundId: e.roundId, personKey })) !== undefined;
  if (e.set) {
    await tx.run(
      `INSERT INTO coverage_exempt (round_id, person_key, reason, note, exempted_by, at) VALUES (@roundId, @personKey, @reason, @note, @by, @at)
       ON CONFLICT (round_id, person_key) DO UPDATE SET reason = excluded.reason, note = excluded.note, exempted_by = excluded.exempted_by, at = excluded.at`,
      { roundId: e.roundId, personKey, reason: e.set.reason, note: e.set.note, by: e.by, at: e.at },
    );
    if (!existed) await moveCells(tx, e.roundId, [personKey], 'exempt', +1);
  } else {
    if (!existed) return false;
    await tx.run('DELETE FROM coverage_exempt WHERE round_id = @roundId AND person_key = @personKey', { roundId: e.roundId, personKey });
    await moveCells(tx, e.roundId, [personKey], 'exempt', -1);
  }
  const key = (await tx.one<{ mark_key: string | null }>('SELECT mark_key FROM site WHERE id = @siteId', { siteId }))?.mark_key;
  if (key) {
    const m = personMark(key, personKey);
    const payload = e.set ? { roundId: e.roundId, set: [{ m, reason: e.set.reason, note: e.set.note }], lifted: [] } : { roundId: e.roundId, set: [], lifted: [m] };
    await addFeed(tx, { siteId, stationId: null, kind: 'coverage.exemptions', payload: JSON.stringify(payload), at: e.at });
  }
  return true;
}

/** Exemptions a site admin set or lifted at a station of the site. */
export async function projectExemptions(tx: Tx, station: Station, list: Projection['exemptions'], at: string): Promise<void> {
  for (const e of list) {
    if ((await roundSite(tx, e.roundId)) !== station.siteId) continue;
    await applyExemption(tx, { ...e, at: e.at || at, by: station.id });
  }
}

/** Counts a round's cells again from who is sampled and exempt, against its site's roster in use. */
export async function recountCoverage(tx: Tx, roundId: string, at: string): Promise<void> {
  const rosterId = await rosterOfRound(tx, roundId);
  await tx.run('DELETE FROM coverage_total WHERE round_id = @roundId', { roundId });
  await tx.run('INSERT INTO coverage_total (round_id, tested) SELECT round_id, count(*) FROM coverage_tested WHERE round_id = @roundId GROUP BY round_id', { roundId });
  await tx.run('DELETE FROM coverage_cell WHERE round_id = @roundId', { roundId });
  if (rosterId) {
    await tx.run(
      `INSERT INTO coverage_cell (round_id, building, unit, tested, exempt)
       SELECT @roundId, r.building, r.unit, sum(CASE WHEN t.person_key IS NOT NULL THEN 1 ELSE 0 END), sum(CASE WHEN t.person_key IS NULL THEN 1 ELSE 0 END)
       FROM (SELECT person_key FROM coverage_tested WHERE round_id = @roundId UNION SELECT person_key FROM coverage_exempt WHERE round_id = @roundId) m
       JOIN roster_resident r ON r.import_id = @rosterId AND r.id_number = substr(m.person_key, 4) AND m.person_key LIKE 'id:%'
       LEFT JOIN coverage_tested t ON t.round_id = @roundId AND t.person_key = m.person_key
       GROUP BY r.building, r.unit`,
      { roundId, rosterId },
    );
  }
  await tx.run(
    `INSERT INTO coverage_state (round_id, roster_id, counted_at) VALUES (@roundId, @rosterId, @at)
     ON CONFLICT (round_id) DO UPDATE SET roster_id = excluded.roster_id, counted_at = excluded.counted_at`,
    { roundId, rosterId: rosterId ?? 'none', at },
  );
}

export async function coverageIsFresh(tx: Tx, roundId: string): Promise<boolean> {
  return fresh(tx, roundId, await rosterOfRound(tx, roundId));
}

/** A round's coverage by building and unit (cells must be fresh: see `coverageIsFresh`). */
export async function coverageView(tx: Tx, roundId: string): Promise<CoverageView | null> {
  const round = await tx.one<{ id: string; site_id: string; name: string; starts_on: string | null; ends_on: string | null; closed_at: string | null }>(
    'SELECT id, site_id, name, starts_on, ends_on, closed_at FROM site_round WHERE id = @roundId',
    { roundId },
  );
  if (!round) return null;
  const roster = await currentRosterImport(tx, round.site_id);
  const cells = roster
    ? await tx.all<{ building: string; unit: string; residents: number | string; tested: number | string | null; exempt: number | string | null }>(
        `SELECT c.building, c.unit, c.residents, v.tested, v.exempt FROM roster_cell c
         LEFT JOIN coverage_cell v ON v.round_id = @roundId AND v.building = c.building AND v.unit = c.unit
         WHERE c.import_id = @rosterId ORDER BY c.building, c.unit`,
        { roundId, rosterId: roster.id },
      )
    : [];
  const { totals, buildings } = groupCells(
    cells.map((c) => ({ building: c.building, unit: c.unit, residents: num(c.residents), tested: num(c.tested), exempt: num(c.exempt) })),
  );
  const sampled = num((await tx.one<{ tested: number | string }>('SELECT tested FROM coverage_total WHERE round_id = @roundId', { roundId }))?.tested ?? 0);
  return {
    round: { id: round.id, name: round.name, startsOn: round.starts_on, endsOn: round.ends_on, closedAt: round.closed_at },
    asOf: null,
    enrolled: true,
    roster: roster ? { id: roster.id, residents: roster.residents } : null,
    totals,
    sampledNotOnRoster: Math.max(0, sampled - totals.tested),
    buildings,
  };
}


/** Residents of the round's site roster neither sampled nor exempt, in household order (for the door-to-door list). */
export async function untestedResidents(tx: Tx, roundId: string, building: string | null, unit: string | null, limit: number): Promise<UntestedResident[]> {
  const rosterId = await rosterOfRound(tx, roundId);
  if (!rosterId) return [];
  const rows = await tx.all<{ name: string; id_number: string; phone: string | null; building: string; unit: string; room: string; tags: number | string }>(
    `SELECT r.name, r.id_number, r.phone, r.building, r.unit, r.room, r.tags FROM roster_resident r
     WHERE r.import_id = @rosterId AND (CAST(@building AS TEXT) IS NULL OR r.building = @building) AND (CAST(@unit AS TEXT) IS NULL OR r.unit = @unit)
       AND NOT EXISTS (SELECT 1 FROM coverage_tested t WHERE t.round_id = @roundId AND t.person_key = 'id:' || r.id_number)
       AND NOT EXISTS (SELECT 1 FROM coverage_exempt e WHERE e.round_id = @roundId AND e.person_key = 'id:' || r.id_number)
     ORDER BY r.building, r.unit, length(r.room), r.room, r.name LIMIT ${Math.floor(limit)}`,
    { rosterId, building, unit, roundId },
  );
  return rows.map((r) => ({ name: r.name, idNumber: r.id_number, phone: r.phone, building: r.building, unit: r.unit, room: r.room, tags: num(r.tags) }));
}

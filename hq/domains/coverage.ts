/**
 * Coverage (应检尽检) at HQ: for each round of a site, which residents of the site's roster are
 * sampled, exempt or not yet sampled, by building and unit. HQ sees every desk's bindings, so a
 * person is known by their key (`id:<ID number>` for anyone with an ID number). Counts per building
 * and unit are kept up to date with every batch (set-based: one statement per table per batch),
 * so reading coverage costs the same for a district of a million residents as for a compound;
 * they are counted again when the site's roster changes.
 *
 * On PostgreSQL, batches of several stations change a round's counts at once. Each keeps its
 * counts exact by itself (row locks, see `countSampling`), and the round's `site_round` row
 * orders the rest: a batch holds it FOR SHARE (taken in `samplingOfBatch`) while it counts, so
 * batches run side by side; a recount and an exemption, which read what others count, hold it
 * FOR UPDATE (`lockRounds`). On SQLite everything runs one transaction at a time already.
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

/**
 * The rounds' sites, their rows locked FOR UPDATE on PostgreSQL (in id order, one statement):
 * until this transaction ends no batch counts in them, and nothing else recounts or exempts.
 */
async function lockRounds(tx: Tx, roundIds: readonly string[]): Promise<Map<string, string>> {
  const lock = tx.dialect === 'postgres' ? ' ORDER BY id FOR UPDATE' : '';
  const rows = await tx.all<{ id: string; site_id: string }>(`SELECT id, site_id FROM site_round WHERE ${anyOf(tx, 'id', 'ids')}${lock}`, { ids: roundIds });
  return new Map(rows.map((r) => [r.id, r.site_id]));
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

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
 * units follow, in one statement. Only for a round whose cells are counted against the roster in
 * use; a stale one is counted again from scratch when next read.
 */
async function moveCells(tx: Tx, roundId: string, keys: readonly string[], what: 'tested' | 'exempt', delta: 1 | -1): Promise<void> {
  if (keys.length === 0) return;
  const rosterId = await rosterOfRound(tx, roundId);
  if (!rosterId || !(await fresh(tx, roundId, rosterId))) return;
  const ids = idNumbers(keys);
  if (ids.length === 0) return;
  // Per cell: `n` of these people live there, `also` of them are in the other table. Sampled wins
  // over exempt: becoming sampled takes an exempt person out of "exempt" (exempt -delta x also);
  // becoming exempt or not counts only for people not sampled (exempt delta x (n - also)).
  // Cells in building and unit order, so that concurrent batches lock them in the same order.
  const other = what === 'tested' ? 'coverage_exempt' : 'coverage_tested';
  const tn = what === 'tested' ? delta : 0;
  const en = what === 'exempt' ? delta : 0;
  // SQLite would read the whole roster through its (building, unit) index to save the GROUP BY a
  // sort (measured: 400 ms per batch at 300,000 residents); CROSS JOIN makes it look up just
  // these ID numbers instead (20 ms).
  const residents =
    tx.dialect === 'postgres'
      ? 'roster_resident r WHERE r.import_id = @rosterId AND r.id_number = ANY(@ids::text[])'
      : '(SELECT DISTINCT value FROM json_each(@ids)) j CROSS JOIN roster_resident r WHERE r.import_id = @rosterId AND r.id_number = j.value';
  await tx.run(
    `INSERT INTO coverage_cell (round_id, building, unit, tested, exempt)
     SELECT @roundId, c.building, c.unit, @tn * c.n, @en * c.n - @delta * c.also FROM (
       SELECT r.building, r.unit, count(*) AS n,
         sum(CASE WHEN EXISTS (SELECT 1 FROM ${other} o WHERE o.round_id = @roundId AND o.person_key = 'id:' || r.id_number) THEN 1 ELSE 0 END) AS also
       FROM ${residents} GROUP BY r.building, r.unit
     ) c
     WHERE @tn * c.n <> 0 OR @en * c.n - @delta * c.also <> 0
     ORDER BY c.building, c.unit
     ON CONFLICT (round_id, building, unit) DO UPDATE SET tested = coverage_cell.tested + excluded.tested, exempt = coverage_cell.exempt + excluded.exempt`,
    { roundId, rosterId, ids, tn, en, delta },
  );
}

/**
 * A batch's sampling in the site's rounds, counted: each person's live bindings are counted in
 * `coverage_tested.sources`; a person is sampled while it is above zero. On PostgreSQL the
 * batch's rounds are locked FOR SHARE by `samplingOfBatch` before this runs.
 *
 * People who gain bindings and people who lose them go through one upsert, in (round, person)
 * order, which locks each row until the batch commits: what it returns is what commits. A
 * concurrent batch of another station changing the same person waits, then adds to what this one
 * left (the row, or, once this one deleted it, a new row). So "became sampled" (the row now holds
 * exactly what was added) and "stopped" (it was there and is now at zero) are decided from that
 * one statement, never from a read before it. A person losing a binding who had no row gets a
 * row below zero for a moment, deleted at once, and counts for nothing.
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
  const changes = [...deltas.values()].filter((d) => d.delta !== 0).sort((a, b) => byText(a.roundId, b.roundId) || byText(a.personKey, b.personKey));
  if (changes.length === 0) return;
  const rows = await tx.all<{ round_id: string; person_key: string; sources: number | string }>(
    tx.dialect === 'postgres'
      ? `INSERT INTO coverage_tested (round_id, person_key, sources)
         SELECT u.round_id, u.person_key, u.delta FROM unnest(@rounds::text[], @keys::text[], @deltas::int[]) WITH ORDINALITY AS u(round_id, person_key, delta, n) ORDER BY u.n
         ON CONFLICT (round_id, person_key) DO UPDATE SET sources = coverage_tested.sources + excluded.sources RETURNING round_id, person_key, sources`
      : // One JSON array of [round, key, delta] rows: json_each has no index, so joining three
        // arrays on their positions would compare every row with every other.
        `INSERT INTO coverage_tested (round_id, person_key, sources)
         SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(@rows) WHERE true
         ON CONFLICT (round_id, person_key) DO UPDATE SET sources = sources + excluded.sources RETURNING round_id, person_key, sources`,
    tx.dialect === 'postgres'
      ? { rounds: changes.map((a) => a.roundId), keys: changes.map((a) => a.personKey), deltas: changes.map((a) => a.delta) }
      : { rows: JSON.stringify(changes.map((a) => [a.roundId, a.personKey, a.delta])) },
  );
  const delta = new Map(changes.map((a) => [`${a.roundId}\u0000${a.personKey}`, a.delta]));
  const became = new Map<string, string[]>();
  const stopped = new Map<string, string[]>();
  const gone: { roundId: string; personKey: string }[] = [];
  const push = (m: Map<string, string[]>, roundId: string, key: string) => (m.get(roundId) ?? m.set(roundId, []).get(roundId)!).push(key);
  for (const r of rows) {
    const sources = num(r.sources);
    const added = delta.get(`${r.round_id}\u0000${r.person_key}`)!;
    if (sources <= 0) {
      gone.push({ roundId: r.round_id, personKey: r.person_key });
      // Equal to what was taken: there was no row before (nothing to stop).
      if (sources !== added) push(stopped, r.round_id, r.person_key);
    } else if (added > 0 && sources === added) {
      push(became, r.round_id, r.person_key);
    }
  }
  if (gone.length > 0) {
    await tx.run(
      tx.dialect === 'postgres'
        ? `DELETE FROM coverage_tested t USING unnest(@rounds::text[], @keys::text[]) AS u(round_id, person_key)
           WHERE t.person_key = ANY(@keys::text[]) AND t.round_id = u.round_id AND t.person_key = u.person_key`
        : 'DELETE FROM coverage_tested WHERE (round_id, person_key) IN (SELECT value ->> 0, value ->> 1 FROM json_each(@rows))',
      tx.dialect === 'postgres'
        ? { rounds: gone.map((g) => g.roundId), keys: gone.map((g) => g.personKey) }
        : { rows: JSON.stringify(gone.map((g) => [g.roundId, g.personKey])) },
    );
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
  const siteId = (await lockRounds(tx, [e.roundId])).get(e.roundId);
  if (!siteId) return false;
  return applyExemptions(tx, siteId, e.roundId, [{ idNumber: e.idNumber, set: e.set, at: e.at }], e.by);
}

type ExemptionChange = { idNumber: string; set: ExemptionInput['set']; at: string };

/**
 * Sets and lifts exemptions of one round (its row locked by the caller on PostgreSQL; one change
 * per person), a statement per kind of change, and tells the site in one feed item. Lifting an
 * exemption nobody had changes nothing. False when nothing changed.
 */
async function applyExemptions(tx: Tx, siteId: string, roundId: string, changes: readonly ExemptionChange[], by: string): Promise<boolean> {
  const keyOf = (e: ExemptionChange) => `id:${e.idNumber}`;
  const existed = new Set(
    (
      await tx.all<{ person_key: string }>(`SELECT person_key FROM coverage_exempt WHERE round_id = @roundId AND ${anyOf(tx, 'person_key', 'keys')}`, {
        roundId,
        keys: changes.map(keyOf),
      })
    ).map((r) => r.person_key),
  );
  const sets = changes.filter((e) => e.set !== null).sort((a, b) => byText(keyOf(a), keyOf(b)));
  const lifts = changes.filter((e) => e.set === null && existed.has(keyOf(e)));
  if (sets.length + lifts.length === 0) return false;
  if (sets.length > 0) {
    await tx.run(
      tx.dialect === 'postgres'
        ? `INSERT INTO coverage_exempt (round_id, person_key, reason, note, exempted_by, at)
           SELECT @roundId, u.person_key, u.reason, u.note, @by, u.at FROM unnest(@keys::text[], @reasons::text[], @notes::text[], @ats::text[]) WITH ORDINALITY AS u(person_key, reason, note, at, n)
           ORDER BY u.n
           ON CONFLICT (round_id, person_key) DO UPDATE SET reason = excluded.reason, note = excluded.note, exempted_by = excluded.exempted_by, at = excluded.at`
        : `INSERT INTO coverage_exempt (round_id, person_key, reason, note, exempted_by, at)
           SELECT @roundId, value ->> 0, value ->> 1, value ->> 2, @by, value ->> 3 FROM json_each(@rows) WHERE true
           ON CONFLICT (round_id, person_key) DO UPDATE SET reason = excluded.reason, note = excluded.note, exempted_by = excluded.exempted_by, at = excluded.at`,
      tx.dialect === 'postgres'
        ? { roundId, by, keys: sets.map(keyOf), reasons: sets.map((e) => e.set!.reason), notes: sets.map((e) => e.set!.note), ats: sets.map((e) => e.at) }
        : { roundId, by, rows: JSON.stringify(sets.map((e) => [keyOf(e), e.set!.reason, e.set!.note, e.at])) },
    );
    await moveCells(tx, roundId, sets.map(keyOf).filter((k) => !existed.has(k)), 'exempt', +1);
  }
  if (lifts.length > 0) {
    await tx.run(`DELETE FROM coverage_exempt WHERE round_id = @roundId AND ${anyOf(tx, 'person_key', 'keys')}`, { roundId, keys: lifts.map(keyOf) });
    await moveCells(tx, roundId, lifts.map(keyOf), 'exempt', -1);
  }
  const key = (await tx.one<{ mark_key: string | null }>('SELECT mark_key FROM site WHERE id = @siteId', { siteId }))?.mark_key;
  if (key) {
    const payload = {
      roundId,
      set: sets.map((e) => ({ m: personMark(key, keyOf(e)), reason: e.set!.reason, note: e.set!.note })),
      lifted: lifts.map((e) => personMark(key, keyOf(e))),
    };
    const at = changes.reduce((latest, e) => (e.at > latest ? e.at : latest), '');
    await addFeed(tx, { siteId, stationId: null, kind: 'coverage.exemptions', payload: JSON.stringify(payload), at });
  }
  return true;
}

/**
 * Exemptions a site admin set or lifted at a station of the site: per round, each person's last
 * change in the batch stands, applied together (not a round of statements per exemption).
 */
export async function projectExemptions(tx: Tx, station: Station, list: Projection['exemptions'], at: string): Promise<void> {
  if (list.length === 0) return;
  const sites = await lockRounds(tx, [...new Set(list.map((e) => e.roundId))]);
  const perRound = new Map<string, Map<string, ExemptionChange>>();
  for (const e of list) {
    if (sites.get(e.roundId) !== station.siteId) continue;
    const people = perRound.get(e.roundId) ?? perRound.set(e.roundId, new Map()).get(e.roundId)!;
    people.set(e.idNumber, { idNumber: e.idNumber, set: e.set, at: e.at || at });
  }
  for (const [roundId, people] of perRound) await applyExemptions(tx, station.siteId, roundId, [...people.values()], station.id);
}

/** Counts a round's cells again from who is sampled and exempt, against its site's roster in use. */
export async function recountCoverage(tx: Tx, roundId: string, at: string): Promise<void> {
  // Batches counting in the round finish first and the next ones wait; a second recount waits
  // too, then counts again (without the lock both would insert the same total: a unique violation).
  await lockRounds(tx, [roundId]);
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

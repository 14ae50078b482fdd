/**
 * What a stored batch changes beyond HQ's record of it, for the domains written once for both
 * backends. Runs inside the batch's transaction, after its rows and projections are written.
 */
import { gateRecords, type IngestPlan } from '../ingest';
import type { Tx } from '../store/sql';
import { claimTubeCodes } from './conflicts';
import { projectStationRoster, type RowsWriter } from './roster';
import { countSampling, projectExemptions } from './coverage';
import { projectStationRounds, samplingOfBatch, shareMarks } from './rounds';
import { projectStationOperators } from './operators';
import { projectGate } from './gate';
import { projectStationPasses } from './passes';
import { projectStationIsolations } from './isolation';
import { projectBoxes } from './boxes';
import { relayDoorVisits } from './doors';

export type BatchContext = {
  stationId: string;
  siteId: string;
  plan: IngestPlan;
  at: string;
  /** Writes roster rows inside the batch's transaction (COPY on PostgreSQL). */
  writeRosterRows: RowsWriter;
};

export async function afterBatch(tx: Tx, ctx: BatchContext): Promise<void> {
  const p = ctx.plan.projection;
  await claimTubeCodes(tx, ctx.stationId, ctx.siteId, p.tubesOpened, ctx.at);
  if (gateRecords(p.gate) > 0) await projectGate(tx, { id: ctx.stationId, siteId: ctx.siteId }, p.gate);
  if (p.boxes.length > 0) await projectBoxes(tx, { id: ctx.stationId, siteId: ctx.siteId }, p.boxes);
  const needsStation =
    p.rounds.length +
      p.roundsClosed.length +
      p.bindings.length +
      p.bindingsUndone.length +
      p.tubeStates.length +
      p.rosterCommits.length +
      p.rosterRows.length +
      p.exemptions.length +
      p.operators.length +
      p.passes.length +
      p.doorVisits.length +
      p.isolations.length >
    0;
  if (!needsStation) return;
  const station = await tx.one<{ id: string; site_id: string; number: number | string; name: string }>('SELECT id, site_id, number, name FROM station WHERE id = @id', {
    id: ctx.stationId,
  });
  if (!station) return;
  const s = { id: station.id, siteId: station.site_id, number: Number(station.number), name: station.name };
  await projectStationRounds(tx, s, p);
  if (p.operators.length > 0) await projectStationOperators(tx, s, p.operators);
  if (p.passes.length > 0) await projectStationPasses(tx, s, p.passes);
  if (p.doorVisits.length > 0) await relayDoorVisits(tx, s, p.doorVisits, p.persons);
  if (p.isolations.length > 0) await projectStationIsolations(tx, s, p.isolations);
  const sampling = await samplingOfBatch(tx, s, p);
  await shareMarks(tx, s, sampling, ctx.at);
  await countSampling(tx, sampling);
  if (p.exemptions.length > 0) await projectExemptions(tx, s, p.exemptions, ctx.at);
  if (p.rosterCommits.length + p.rosterRows.length > 0) await projectStationRoster(tx, s, p, ctx.at, ctx.writeRosterRows);
}

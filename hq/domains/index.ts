/**
 * What a stored batch changes beyond HQ's record of it, for the domains written once for both
 * backends. Runs inside the batch's transaction, after its rows and projections are written.
 */
import type { IngestPlan } from '../ingest';
import type { Tx } from '../store/sql';
import { claimTubeCodes } from './conflicts';

export type BatchContext = { stationId: string; siteId: string; plan: IngestPlan; at: string };

export async function afterBatch(tx: Tx, ctx: BatchContext): Promise<void> {
  const p = ctx.plan.projection;
  await claimTubeCodes(tx, ctx.stationId, ctx.siteId, p.tubesOpened, ctx.at);
}

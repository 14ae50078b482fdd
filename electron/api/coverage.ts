/**
 * The coverage (应检尽检) part of the typed API (composed into contract.ts): per round, how many
 * residents of the roster are sampled, exempt or not yet sampled, by building and unit; who they
 * are; exemptions; and the not-yet-sampled list for volunteers going door to door.
 */
import { z } from 'zod';
import type { ResidentView } from './roster';

export const EXEMPTION_REASONS = ['away', 'hospital', 'sampledAtHome', 'other'] as const;
export type ExemptionReason = (typeof EXEMPTION_REASONS)[number];

export type CoverageErrorCode = 'coverage.noRound' | 'coverage.noRoster' | 'coverage.tooMany';

export type CoverageCounts = { residents: number; tested: number; exempt: number; untested: number };

export type CoverageView = {
  round: { id: string; name: string; startsOn: string | null; endsOn: string | null; closedAt: string | null } | null;
  /** Other desks' sampling is known as of this station's last sync with HQ (null: never synced). */
  asOf: string | null;
  enrolled: boolean;
  roster: { id: string; residents: number } | null;
  totals: CoverageCounts;
  /** People sampled in the round who are not on the roster (visitors, people from elsewhere). */
  sampledNotOnRoster: number;
  buildings: (CoverageCounts & { building: string; units: (CoverageCounts & { unit: string })[] })[];
};

export type CoverageState = 'untested' | 'tested' | 'exempt';

export type CoverageResidentView = ResidentView & { state: CoverageState; exemption: { reason: ExemptionReason; note: string } | null };

const roundId = z.string().min(1).max(64);
const place = z.string().max(20);

export const coverageArgs = {
  'coverage.view': z.object({ roundId: roundId.optional() }).strict(),
  'coverage.residents': z
    .object({
      roundId: roundId.optional(),
      building: place,
      unit: place.optional(),
      state: z.enum(['untested', 'tested', 'exempt', 'all']).optional(),
      offset: z.number().int().min(0).optional(),
      limit: z.number().int().min(1).max(1000).optional(),
    })
    .strict(),
  'coverage.exempt': z.object({ roundId, ref: z.string().min(1).max(80), reason: z.enum(EXEMPTION_REASONS), note: z.string().trim().max(200).optional() }).strict(),
  'coverage.unexempt': z.object({ roundId, ref: z.string().min(1).max(80) }).strict(),
  /** The not-yet-sampled residents (of a building, of one unit, or of the whole roster) as a file volunteers open in Excel or WPS. */
  'coverage.export': z.object({ roundId: roundId.optional(), building: place.optional(), unit: place.optional(), format: z.enum(['csv', 'xlsx']) }).strict(),
} as const;

type Args<K extends keyof typeof coverageArgs> = z.infer<(typeof coverageArgs)[K]>;

export type CoverageHandlers = {
  'coverage.view': { args: Args<'coverage.view'>; value: CoverageView };
  'coverage.residents': { args: Args<'coverage.residents'>; value: { total: number; rows: CoverageResidentView[] } };
  'coverage.exempt': { args: Args<'coverage.exempt'>; value: CoverageResidentView };
  'coverage.unexempt': { args: Args<'coverage.unexempt'>; value: CoverageResidentView };
  'coverage.export': { args: Args<'coverage.export'>; value: { fileName: string; mimeType: string; base64: string; rows: number } };
};

export type CoverageEvents = {
  /** Someone was sampled, un-sampled or exempted in a round, here or at another desk. */
  'coverage.changed': { roundId: string };
};

/**
 * The rounds part of the typed API (composed into contract.ts). A round (轮次) belongs to the
 * site: HQ or a site admin at any station starts and closes it, and every station of the site
 * binds into the one in use. Types and zod schemas only.
 */
import { z } from 'zod';

export type RoundErrorCode =
  /** No round of the site is open: nothing can be sampled until one is started. */
  | 'round.noneOpen'
  | 'round.notFound'
  | 'round.alreadyClosed'
  | 'round.datesInvalid'
  /** The open tube belongs to a round that has been closed since: scan a new tube. */
  | 'tube.roundClosed';

export type RoundView = {
  id: string;
  name: string;
  startsOn: string | null;
  endsOn: string | null;
  startedAt: string;
  closedAt: string | null;
  /** Started at this station, or received from HQ (started there or at another desk). */
  origin: 'here' | 'feed';
  /** "HQ" or the station a site admin started it at. */
  startedBy: string | null;
  /** The round desks bind into now (the open one started last). */
  current: boolean;
};

const date = z.iso.date();

export const roundArgs = {
  'round.list': z.object({}).strict(),
  'round.start': z
    .object({ name: z.string().trim().min(1).max(60), startsOn: date.optional(), endsOn: date.optional() })
    .strict(),
  'round.close': z.object({ roundId: z.string().min(1).max(64) }).strict(),
} as const;

type Args<K extends keyof typeof roundArgs> = z.infer<(typeof roundArgs)[K]>;

export type RoundHandlers = {
  /** Every round this station knows of, the current one first. */
  'round.list': { args: Args<'round.list'>; value: RoundView[] };
  /** A site admin starts a round for the whole site (it reaches HQ and the other desks with the upload). */
  'round.start': { args: Args<'round.start'>; value: RoundView };
  'round.close': { args: Args<'round.close'>; value: RoundView };
};

export type RoundEvents = {
  /** A round started or closed (here or through the feed). */
  'rounds.changed': { current: RoundView | null };
};

import type { FeedItem, FeedKind } from '../../../hq/protocol';
import type { StationIdentity } from '../site/bootstrap';

/**
 * What applying a page of feed items changed. Handlers fill it inside the writer's transaction;
 * the core acts on it (events, a new site configuration or identity in use) once it is committed.
 */
export type FeedEffects = {
  results: number;
  retestsCreated: number;
  keyPersonLists: number;
  /** The last site configuration from HQ stored here. */
  site?: StationIdentity['site'];
  /** Site configurations from HQ this station could not use (it kept its own). */
  siteRejected?: number;
  /** HQ gave this station another number, name or site. */
  identity?: StationIdentity;
  /** Tube conflicts HQ told this station of (new or resolved). */
  conflicts: number;
  /** Rounds of the site started or closed. */
  rounds: number;
  /** Other desks' "sampled in this round" marks added or withdrawn. */
  marks: number;
  /** Roster versions of the site to fetch. */
  rosters: number;
  /** Exemptions set or lifted at HQ or at another desk. */
  coverage: number;
  /** The site's mark key changed: marks are made again under it. */
  keys: boolean;
  /** Operators of the site created or changed (at HQ or another station). */
  operators: number;
  /** Resident passes issued or revoked at another station of the site. */
  passes: number;
  /** Isolations started or ended, or their readings, at another station of the site or by HQ. */
  isolations: number;
  /** The lab's receipts of this station's boxes (or their corrections) kept… */
  receipts: number;
  /** …and the codes of those boxes. */
  receiptBoxes: string[];
  /** Door visits at another station of the site. */
  doors: number;
};

export function noEffects(): FeedEffects {
  return { results: 0, retestsCreated: 0, keyPersonLists: 0, conflicts: 0, rounds: 0, marks: 0, rosters: 0, coverage: 0, keys: false, operators: 0, passes: 0, isolations: 0, receipts: 0, receiptBoxes: [], doors: 0 };
}

type ItemOf<K extends FeedKind> = Extract<FeedItem, { kind: K }>;

/** One domain's part of the feed: a function per kind it owns, run inside the writer's transaction. */
export type FeedHandlers = { [K in FeedKind]?: (item: ItemOf<K>, effects: FeedEffects, at: string) => void };

/**
 * Routes each feed item to the domain that owns its kind. Every kind has one owner; an item of a
 * kind nobody registered for is skipped (it was already checked against the protocol).
 */
export class FeedApplier {
  private readonly handlers: FeedHandlers = {};

  /** `asStation`: what the feed writes is the station's own work on HQ's word, not the signed-in operator's. */
  constructor(private readonly asStation: <T>(fn: () => T) => T = (fn) => fn()) {}

  register(handlers: FeedHandlers): void {
    for (const kind of Object.keys(handlers) as FeedKind[]) {
      if (this.handlers[kind]) throw new Error(`feed kind ${kind} has two owners`);
      (this.handlers as Record<string, unknown>)[kind] = handlers[kind];
    }
  }

  /** Applies items in cursor order; the caller runs this inside the writer. */
  apply(items: readonly FeedItem[], at: string): FeedEffects {
    const effects = noEffects();
    this.asStation(() => {
      for (const item of items) {
        const handler = this.handlers[item.kind] as ((i: FeedItem, e: FeedEffects, at: string) => void) | undefined;
        handler?.(item, effects, at);
      }
    });
    return effects;
  }
}

import type { IngestOutcome } from './store/types';

/** How long a batch that arrived ahead of its predecessor waits for it before HQ answers with a gap. */
export const DEFAULT_ORDER_WAIT_MS = 10_000;

/** `requests`: batch requests of the station in flight here; `ingests`: ingests running or waiting. */
type Lane = { requests: number; ingests: number; version: number; waiters: Set<() => void> };

/**
 * Keeps one station's batches in order when the station sends the next one before the previous
 * is acknowledged (it keeps two in flight so HQ never sits idle between them). A batch that
 * starts after what HQ holds is not refused at once while another batch of the same station is
 * still arriving or being stored here: it waits for that one and is stored right after it.
 *
 * Nothing here is trusted for correctness: the store still decides gaps under its own lock, so
 * a batch whose predecessor never comes (dropped on the way, or sent to another HQ process) is
 * answered with the gap after the wait, and the station sends from where HQ is.
 */
export class BatchOrder {
  private readonly lanes = new Map<string, Lane>();

  constructor(private readonly waitMs = DEFAULT_ORDER_WAIT_MS) {}

  /**
   * A batch request of `stationId` began (its head arrived); the returned function ends it.
   * The id is the request's unauthenticated header: it only ever makes another batch of that
   * id wait a bounded time, never changes what is stored.
   */
  begin(stationId: string): () => void {
    const lane = this.lane(stationId);
    lane.requests++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      lane.requests--;
      this.changed(stationId, lane);
    };
  }

  /** Batches waiting here for the one before them, of every station. */
  waiting(): number {
    let n = 0;
    for (const lane of this.lanes.values()) n += lane.waiters.size;
    return n;
  }

  /**
   * Runs `ingest` and, while it answers with a gap and another batch of the same station is in
   * flight here, runs it again each time one of them is stored or ends, until the wait is over.
   */
  async ingest(stationId: string, ingest: () => Promise<IngestOutcome>): Promise<IngestOutcome> {
    const lane = this.lane(stationId);
    lane.ingests++;
    try {
      const deadline = Date.now() + this.waitMs;
      for (;;) {
        const seen = lane.version;
        const outcome = await ingest();
        if (outcome.kind === 'ack') {
          this.changed(stationId, lane);
          return outcome;
        }
        // Only a gap may close once the batch before it is stored: a refusal (a broken chain) is
        // final, and waiting would hold up the batch after it, which waits for this one in turn.
        if (outcome.kind !== 'gap') return outcome;
        // This batch's own request is one of them.
        const others = lane.requests > 1;
        const left = deadline - Date.now();
        if (!others || left <= 0) return outcome;
        if (lane.version === seen) await this.nextChange(lane, left);
      }
    } finally {
      lane.ingests--;
      this.forget(stationId, lane);
    }
  }

  private lane(stationId: string): Lane {
    let lane = this.lanes.get(stationId);
    if (!lane) {
      lane = { requests: 0, ingests: 0, version: 0, waiters: new Set() };
      this.lanes.set(stationId, lane);
    }
    return lane;
  }

  private changed(stationId: string, lane: Lane): void {
    lane.version++;
    for (const wake of lane.waiters) wake();
    lane.waiters.clear();
    this.forget(stationId, lane);
  }

  private forget(stationId: string, lane: Lane): void {
    if (lane.requests === 0 && lane.ingests === 0 && lane.waiters.size === 0) this.lanes.delete(stationId);
  }

  private nextChange(lane: Lane, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        lane.waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      lane.waiters.add(wake);
    });
  }
}

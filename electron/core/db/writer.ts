import type { StationDatabase } from './database';

type Job = { fn: () => unknown; resolve: (value: unknown) => void; reject: (err: unknown) => void };

/**
 * The single writer. Every change runs through `run`, which answers only after the transaction
 * holding it has committed (and, with synchronous=FULL, been fsynced).
 *
 * Group commit: changes that arrive while the event loop is busy are applied one after another,
 * each in its own savepoint (so one rejected change never undoes another), and committed
 * together: one fsync for the group. A lone scan still commits on its own at once.
 */
/** Checkpoint after this long without a commit, or after this many commits under steady load. */
const CHECKPOINT_IDLE_MS = 300;
const CHECKPOINT_EVERY_COMMITS = 256;

export class Writer {
  private queue: Job[] = [];
  private scheduled = false;
  private commitsSinceCheckpoint = 0;
  private checkpointTimer: NodeJS.Timeout | null = null;

  /**
   * SQLite's automatic checkpoint runs inside the commit that crosses the threshold and adds its
   * own fsyncs to that scan's latency; here the writer checkpoints itself when the desk is idle
   * (or, under a steady stream, right after answering a commit), off the scan's path.
   */
  constructor(private readonly db: StationDatabase) {
    db.pragma('wal_autocheckpoint = 0');
  }

  run<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Runs `fn` in a transaction of its own right now: for start-up and migrations-time work. */
  runNow<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  private flush(): void {
    this.scheduled = false;
    const jobs = this.queue;
    this.queue = [];
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      this.db
        .transaction(() => {
          for (const job of jobs) {
            try {
              outcomes.push({ ok: true, value: this.db.transaction(job.fn)() });
            } catch (error) {
              outcomes.push({ ok: false, error });
            }
          }
        })
        .immediate();
    } catch (commitError) {
      for (const job of jobs) job.reject(commitError);
      return;
    }
    jobs.forEach((job, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) job.resolve(outcome.value);
      else job.reject(outcome.error);
    });
    this.commitsSinceCheckpoint++;
    this.scheduleCheckpoint();
  }

  private scheduleCheckpoint(): void {
    if (this.checkpointTimer) clearTimeout(this.checkpointTimer);
    const delay = this.commitsSinceCheckpoint >= CHECKPOINT_EVERY_COMMITS ? 0 : CHECKPOINT_IDLE_MS;
    this.checkpointTimer = setTimeout(() => this.checkpoint(), delay);
    this.checkpointTimer.unref();
  }

  /** Copies the WAL into the database file without blocking readers (PASSIVE). */
  checkpoint(): void {
    if (this.checkpointTimer) clearTimeout(this.checkpointTimer);
    this.checkpointTimer = null;
    if (!this.db.open || this.db.inTransaction) return;
    this.db.pragma('wal_checkpoint(PASSIVE)');
    this.commitsSinceCheckpoint = 0;
  }

  /** Stops background work; the caller closes the database. */
  stop(): void {
    if (this.checkpointTimer) clearTimeout(this.checkpointTimer);
    this.checkpointTimer = null;
  }
}

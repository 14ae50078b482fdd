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
export class Writer {
  private queue: Job[] = [];
  private scheduled = false;

  constructor(private readonly db: StationDatabase) {}

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
  }
}

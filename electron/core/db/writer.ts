import type { StationDatabase } from './database';

type Job = { fn: () => unknown; resolve: (value: unknown) => void; reject: (err: unknown) => void };
type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };
type GroupAttempt =
  | { kind: 'committed'; outcomes: Outcome[] }
  /** Nothing stored: BEGIN or COMMIT failed. */
  | { kind: 'failed'; error: unknown }
  /** SQLite ended the transaction inside `culprit`: nothing stored. */
  | { kind: 'lost'; culprit: Job; error: unknown };

/**
 * The single writer. Every change runs through `run`, which answers only after the transaction
 * holding it has committed (and, with synchronous=FULL, been fsynced).
 *
 * Group commit: changes that arrive while the event loop is busy are applied one after another,
 * each in its own savepoint (so one rejected change never undoes another), and committed
 * together: one fsync for the group. A lone scan still commits on its own at once.
 *
 * A job may run more than once (when SQLite drops the group's transaction in another job); only
 * the run that committed is answered, so a job keeps its effects outside the database to after
 * its answer, or makes them the same on every run.
 */
/** Checkpoint after this long without a commit, or after this many commits under steady load. */
const CHECKPOINT_IDLE_MS = 300;
const CHECKPOINT_EVERY_COMMITS = 256;

export class Writer {
  private queue: Job[] = [];
  private scheduled = false;
  private commitsSinceCheckpoint = 0;
  private checkpointTimer: NodeJS.Timeout | null = null;
  private readonly statements: Record<'begin' | 'commit' | 'rollback', { run(): unknown }>;

  /**
   * SQLite's automatic checkpoint runs inside the commit that crosses the threshold and adds its
   * own fsyncs to that scan's latency; here the writer checkpoints itself when the desk is idle
   * (or, under a steady stream, right after answering a commit), off the scan's path.
   */
  constructor(private readonly db: StationDatabase) {
    db.pragma('wal_autocheckpoint = 0');
    this.statements = { begin: db.prepare<[]>('BEGIN IMMEDIATE'), commit: db.prepare<[]>('COMMIT'), rollback: db.prepare<[]>('ROLLBACK') };
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
    let group = this.queue;
    this.queue = [];
    let committed = false;
    while (group.length > 0) {
      const attempt = this.commitGroup(group);
      if (attempt.kind === 'lost') {
        // SQLite rolled back the whole transaction by itself (SQLITE_FULL, IOERR, NOMEM, BUSY in a
        // savepoint): nothing of the group is stored. The job that hit it is answered with its
        // error; the others run again, in order, in a new transaction, so that every answer says
        // what is on disk.
        attempt.culprit.reject(attempt.error);
        group = group.filter((job) => job !== attempt.culprit);
        continue;
      }
      if (attempt.kind === 'failed') {
        for (const job of group) job.reject(attempt.error);
      } else {
        group.forEach((job, i) => {
          const outcome = attempt.outcomes[i]!;
          if (outcome.ok) job.resolve(outcome.value);
          else job.reject(outcome.error);
        });
        committed = true;
      }
      break;
    }
    if (!committed) return;
    this.commitsSinceCheckpoint++;
    this.scheduleCheckpoint();
  }

  /**
   * One transaction for the group, each job in its own savepoint. Written out rather than with
   * `db.transaction` because after every job it must see whether the transaction still exists:
   * better-sqlite3 would run the next jobs in autocommit, each stored on its own.
   */
  private commitGroup(group: Job[]): GroupAttempt {
    const outcomes: Outcome[] = [];
    try {
      this.statements.begin.run();
    } catch (error) {
      return { kind: 'failed', error };
    }
    for (const job of group) {
      let outcome: Outcome;
      try {
        outcome = { ok: true, value: this.db.transaction(job.fn)() };
      } catch (error) {
        outcome = { ok: false, error };
      }
      if (!this.db.inTransaction) {
        const error = outcome.ok ? new Error('the transaction was rolled back') : outcome.error;
        return { kind: 'lost', culprit: job, error };
      }
      outcomes.push(outcome);
    }
    try {
      this.statements.commit.run();
    } catch (error) {
      if (this.db.inTransaction) this.statements.rollback.run();
      return { kind: 'failed', error };
    }
    return { kind: 'committed', outcomes };
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

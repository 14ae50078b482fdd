import type { TubeConflictView } from '../../api/contract';
import type { StationDatabase } from '../db/database';
import type { FeedHandlers } from '../feed/feed';

type Row = { code: string; opened_at: string; later: number; others: string; resolved: string | null; received_at: string };

function view(r: Row): TubeConflictView {
  return {
    code: r.code,
    openedAt: r.opened_at,
    later: r.later === 1,
    others: JSON.parse(r.others) as TubeConflictView['others'],
    resolved: r.resolved ? (JSON.parse(r.resolved) as TubeConflictView['resolved']) : null,
    receivedAt: r.received_at,
  };
}

/**
 * Pre-printed tube codes that HQ found opened at this station and at another one of the site.
 * A result for such a code cannot tell the two tubes apart, so HQ holds results back until its
 * staff say which tube the code means; meanwhile the desk that opened it later shows it.
 */
export class TubeConflicts {
  constructor(private readonly db: StationDatabase) {}

  feedHandlers(): FeedHandlers {
    return {
      'tube.conflict': (item, effects, at) => {
        const p = item.payload;
        this.db
          .prepare(
            `INSERT INTO tube_conflict (code, tube_id, opened_at, later, others, resolved, feed_cursor, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT(code) DO UPDATE SET tube_id = excluded.tube_id, opened_at = excluded.opened_at, later = excluded.later,
               others = excluded.others, resolved = excluded.resolved, feed_cursor = excluded.feed_cursor, received_at = excluded.received_at
             WHERE excluded.feed_cursor > tube_conflict.feed_cursor`,
          )
          .run(p.code, p.tubeId, p.openedAt, p.later ? 1 : 0, JSON.stringify(p.others), p.resolved ? JSON.stringify(p.resolved) : null, item.cursor, at);
        effects.conflicts++;
      },
    };
  }

  /** What the desk shows: codes this station opened after another one did, not yet resolved at HQ. */
  forDesk(): TubeConflictView[] {
    return (this.db.prepare('SELECT * FROM tube_conflict WHERE later = 1 AND resolved IS NULL ORDER BY received_at DESC LIMIT 20').all() as Row[]).map(view);
  }

  all(): TubeConflictView[] {
    return (this.db.prepare('SELECT * FROM tube_conflict ORDER BY resolved IS NOT NULL, received_at DESC LIMIT 200').all() as Row[]).map(view);
  }
}

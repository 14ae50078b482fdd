import type { RoundView } from '../../api/rounds';
import type { StationDatabase } from '../db/database';
import { DomainError } from '../errors';
import type { FeedHandlers } from '../feed/feed';
import { newId } from '../ids';
import { NO_OPERATOR } from '../operators/operators';
import type { Journal } from '../journal';
import { personMark } from '../person/mark';
import type { StationIdentity } from '../site/bootstrap';

type RoundRow = {
  id: string;
  name: string;
  starts_on: string | null;
  ends_on: string | null;
  started_at: string;
  closed_at: string | null;
  origin: 'here' | 'feed';
  started_by: string | null;
};

const ROUND_COLUMNS = 'id, name, starts_on, ends_on, started_at, closed_at, origin, started_by';

/** Where "sampled elsewhere in this round" was: the other desk and when. */
export type MarkHit = { stationName: string; at: string };

/**
 * The site's rounds (轮次) at this station. A round belongs to the site: HQ or a site admin at
 * any desk starts and closes it; this station binds into the open round started last. Other
 * desks' "sampled in this round" marks arrive through the feed and are kept per round, so a
 * person sampled at desk 1 is asked about at desk 2; offline, the station's own bindings still
 * answer. Changes run inside the writer's transaction.
 */
export class Rounds {
  /** Told of each mark another desk's binding adds (+1) or withdraws (-1): coverage counts them. */
  onMark: ((roundId: string, mark: string, delta: 1 | -1) => void) | null = null;

  constructor(
    private readonly db: StationDatabase,
    private readonly journal: Journal,
    private readonly identity: StationIdentity,
    private readonly operatorId: () => string,
    private readonly markKey: () => string,
  ) {}

  private view(r: RoundRow, currentId: string | null): RoundView {
    return {
      id: r.id,
      name: r.name,
      startsOn: r.starts_on,
      endsOn: r.ends_on,
      startedAt: r.started_at,
      closedAt: r.closed_at,
      origin: r.origin,
      startedBy: r.started_by,
      current: r.id === currentId,
    };
  }

  private currentRow(): RoundRow | undefined {
    return this.db
      .prepare(`SELECT ${ROUND_COLUMNS} FROM round WHERE site_id = ? AND closed_at IS NULL ORDER BY started_at DESC, id DESC LIMIT 1`)
      .get(this.identity.site.id) as RoundRow | undefined;
  }

  /** The round desks bind into now, or null when the site has none open. */
  current(): RoundView | null {
    const row = this.currentRow();
    return row ? this.view(row, row.id) : null;
  }

  list(): RoundView[] {
    const current = this.currentRow()?.id ?? null;
    const rows = this.db
      .prepare(`SELECT ${ROUND_COLUMNS} FROM round WHERE site_id = ? ORDER BY closed_at IS NULL DESC, started_at DESC LIMIT 200`)
      .all(this.identity.site.id) as RoundRow[];
    return rows.map((r) => this.view(r, current)).sort((a, b) => Number(b.current) - Number(a.current));
  }

  isClosed(roundId: string): boolean {
    const row = this.db.prepare('SELECT closed_at FROM round WHERE id = ?').get(roundId) as { closed_at: string | null } | undefined;
    return !row || row.closed_at !== null;
  }

  nameOf(roundId: string): string {
    return (this.db.prepare('SELECT name FROM round WHERE id = ?').get(roundId) as { name: string } | undefined)?.name ?? roundId;
  }

  /** A site admin starts a round for the whole site; it goes to HQ with the journal. */
  start(args: { name: string; startsOn?: string; endsOn?: string }, at: string): RoundView {
    const startsOn = args.startsOn ?? null;
    const endsOn = args.endsOn ?? null;
    if (startsOn && endsOn && endsOn < startsOn) throw new DomainError('round.datesInvalid', { startsOn, endsOn });
    const id = newId();
    const operatorId = this.operatorId();
    const seq = this.journal.append({
      stationId: this.identity.station.id,
      operatorId,
      at,
      kind: 'round.started',
      entityId: id,
      payload: { siteId: this.identity.site.id, name: args.name, startsOn, endsOn },
    });
    this.db
      .prepare(
        `INSERT INTO round (id, site_id, name, starts_on, ends_on, started_at, origin, started_by, operator_id, seq)
         VALUES (?, ?, ?, ?, ?, ?, 'here', ?, ?, ?)`,
      )
      .run(id, this.identity.site.id, args.name, startsOn, endsOn, at, this.identity.station.name, operatorId, seq);
    return this.view(this.db.prepare(`SELECT ${ROUND_COLUMNS} FROM round WHERE id = ?`).get(id) as RoundRow, this.currentRow()?.id ?? null);
  }

  close(roundId: string, at: string): RoundView {
    const row = this.db.prepare(`SELECT ${ROUND_COLUMNS}, site_id FROM round WHERE id = ?`).get(roundId) as (RoundRow & { site_id: string }) | undefined;
    if (!row) throw new DomainError('round.notFound', { roundId });
    if (row.closed_at) throw new DomainError('round.alreadyClosed', { name: row.name });
    const operatorId = this.operatorId();
    const seq = this.journal.append({
      stationId: this.identity.station.id,
      operatorId,
      at,
      kind: 'round.closed',
      entityId: roundId,
      payload: { siteId: row.site_id },
    });
    // Closed by the station itself (it joined another site): no operator of its own closed it.
    this.db.prepare('UPDATE round SET closed_at = ?, closed_operator_id = ?, closed_seq = ? WHERE id = ?').run(at, operatorId === NO_OPERATOR ? null : operatorId, seq, roundId);
    return this.view({ ...row, closed_at: at }, this.currentRow()?.id ?? null);
  }

  /**
   * The station now belongs to another site (enrollment): the rounds it ran on its own are over.
   * Journalled, so HQ sees why they ended.
   */
  closeRoundsOfOtherSites(siteId: string, at: string): number {
    const open = this.db.prepare('SELECT id FROM round WHERE site_id != ? AND closed_at IS NULL').all(siteId) as { id: string }[];
    for (const r of open) this.close(r.id, at);
    return open.length;
  }

  /** This person's mark under the site's key: what other desks' marks are compared with. */
  mark(personKey: string): string {
    return personMark(this.markKey(), personKey);
  }

  /** Another desk sampled this person in `roundId` (as of the last sync), and it still counts. */
  sampledElsewhere(roundId: string, personKey: string): MarkHit | null {
    const row = this.db
      .prepare('SELECT station_name, at FROM round_mark WHERE round_id = ? AND mark = ? ORDER BY at DESC LIMIT 1')
      .get(roundId, this.mark(personKey)) as { station_name: string; at: string } | undefined;
    return row ? { stationName: row.station_name, at: row.at } : null;
  }

  feedHandlers(): FeedHandlers {
    return {
      'round.started': (item, effects) => {
        const r = item.payload;
        if (r.siteId !== this.identity.site.id) return;
        const inserted = this.db
          .prepare(
            `INSERT INTO round (id, site_id, name, starts_on, ends_on, started_at, closed_at, origin, started_by)
             VALUES (?, ?, ?, ?, ?, ?, ?, 'feed', ?) ON CONFLICT(id) DO NOTHING`,
          )
          .run(r.roundId, r.siteId, r.name, r.startsOn, r.endsOn, r.startedAt, r.closedAt, r.startedBy);
        if (inserted.changes > 0) effects.rounds++;
      },
      'round.closed': (item, effects) => {
        const changed = this.db.prepare('UPDATE round SET closed_at = ? WHERE id = ? AND closed_at IS NULL').run(item.payload.closedAt, item.payload.roundId);
        if (changed.changes > 0) effects.rounds++;
      },
      'round.marks': (item, effects) => {
        const p = item.payload;
        // This station's own bindings come back too: they are already known here, from the desk itself.
        const own = this.db.prepare('SELECT 1 FROM binding WHERE id = ?');
        const add = this.db.prepare(
          `INSERT INTO round_mark (binding_id, round_id, mark, station_number, station_name, at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT(binding_id) DO NOTHING`,
        );
        for (const m of p.add) {
          if (own.get(m.b) || add.run(m.b, p.roundId, m.m, p.stationNumber, p.stationName, m.at).changes === 0) continue;
          effects.marks++;
          this.onMark?.(p.roundId, m.m, +1);
        }
        const remove = this.db.prepare('DELETE FROM round_mark WHERE binding_id = ? RETURNING round_id, mark');
        for (const b of p.remove) {
          const gone = remove.get(b) as { round_id: string; mark: string } | undefined;
          if (!gone) continue;
          effects.marks++;
          this.onMark?.(gone.round_id, gone.mark, -1);
        }
      },
    };
  }
}

import { splitPersonal } from '../../../hq/chain';
import type { CoreContext } from '../context';
import { purgeGatePersonalData } from '../gate/retention';
import { createLogger } from '../log';

const log = createLogger('retention');

/** Entries purged per writer job: the desk's own changes get the writer in between. */
const PURGE_PAGE = 1000;
/** How often a running station looks for personal data past its retention period. */
const PURGE_EVERY_MS = 3_600_000;

export type PurgeSummary = { entries: number; persons: number; confirmedThrough: number; olderThan: string };

/**
 * Retention of personal data (PIPL): once the site's `retention.personalDataDays` have passed,
 * the personal fields of journal entries (with their salt: the chain keeps only their digest) and
 * of the `person` rows are removed, for records HQ has confirmed it holds with this journal's own
 * chain (`upload_state.confirmed_through`, from HQ's signed answers; a bare ack is not enough).
 * What stays: every entry and its place in the chain, tubes, bindings and their counts. A person
 * with an open re-test, or with a binding or gate passage not yet confirmed or within the period,
 * keeps their data. The gate's own personal fields go too (`gate/retention.ts`).
 */
export class Retention {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<PurgeSummary | null> | null = null;

  constructor(private readonly ctx: CoreContext) {}

  /** Purges now and then every hour while the station runs. */
  start(): void {
    if (this.timer) return;
    const run = () => void this.purge().catch((err: unknown) => log.error({ err }, 'purging personal data failed'));
    this.timer = setInterval(run, PURGE_EVERY_MS).unref();
    run();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** One purge at a time; null when the site keeps personal data (no retention period set). */
  async purge(): Promise<PurgeSummary | null> {
    this.running ??= this.purgeAll().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async purgeAll(): Promise<PurgeSummary | null> {
    const days = this.ctx.identity.site.config.retention?.personalDataDays;
    if (days === undefined) return null;
    const olderThan = new Date(this.ctx.now().getTime() - days * 86_400_000).toISOString();
    const { confirmedThrough } = this.ctx.db.prepare('SELECT confirmed_through AS confirmedThrough FROM upload_state WHERE id = 1').get() as { confirmedThrough: number };
    let entries = 0;
    for (;;) {
      const n = await this.ctx.writer.run(() => this.purgeEntries(confirmedThrough, olderThan));
      entries += n;
      if (n < PURGE_PAGE) break;
    }
    const persons = await this.ctx.writer.run(() => this.purgePersons(confirmedThrough, olderThan));
    const gateRows = await this.ctx.writer.run(() => purgeGatePersonalData(this.ctx.db, confirmedThrough, olderThan));
    if (entries + persons + gateRows > 0) log.info({ entries, persons, gateRows, confirmedThrough, olderThan }, 'personal data past its retention period purged');
    return { entries, persons, confirmedThrough, olderThan };
  }

  /** A page of journal entries: each keeps its public fields, its hash and its personal digest. */
  private purgeEntries(through: number, olderThan: string): number {
    const rows = this.ctx.db
      .prepare('SELECT seq, kind, payload FROM journal WHERE seq <= ? AND salt IS NOT NULL AND at < ? ORDER BY seq LIMIT ?')
      .all(through, olderThan, PURGE_PAGE) as { seq: number; kind: string; payload: string }[];
    const update = this.ctx.db.prepare('UPDATE journal SET payload = ?, salt = NULL WHERE seq = ?');
    for (const r of rows) update.run(JSON.stringify(splitPersonal(r.kind, JSON.parse(r.payload) as unknown).publicPayload), r.seq);
    return rows.length;
  }

  private purgePersons(through: number, olderThan: string): number {
    return this.ctx.db
      .prepare(
        `UPDATE person SET person_key = 'purged:' || id, id_number = NULL, reg_code = NULL, name = NULL, phone = NULL
         WHERE person_key NOT LIKE 'purged:%' AND seq <= @through AND at < @olderThan
           AND NOT EXISTS (SELECT 1 FROM binding b WHERE b.person_id = person.id AND (b.seq > @through OR b.at >= @olderThan))
           AND NOT EXISTS (SELECT 1 FROM gate_passage g WHERE g.person_id = person.id AND (g.seq > @through OR g.at >= @olderThan))
           AND NOT EXISTS (SELECT 1 FROM retest_task r WHERE r.person_id = person.id AND r.state = 'open')`,
      )
      .run({ through, olderThan }).changes;
  }
}

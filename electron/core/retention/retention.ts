import { splitPersonal } from '../../../hq/chain';
import type { CoreContext } from '../context';
import { purgeBoxPersonalData } from '../boxes/retention';
import { purgeDoorPersonalData } from '../doors/retention';
import { purgeGatePersonalData } from '../gate/retention';
import { createLogger } from '../log';
import { purgePassPersonalData } from '../passes/retention';
import { purgeIsolationPersonalData } from '../isolation/retention';

const log = createLogger('retention');

/** Entries purged per writer job: the desk's own changes get the writer in between. */
const PURGE_PAGE = 1000;
/** How often a running station looks for personal data past its retention period. */
const PURGE_EVERY_MS = 3_600_000;

export type PurgeSummary = {
  entries: number;
  persons: number;
  exemptionNotes: number;
  gateRows: number;
  passRows: number;
  isolationRows: number;
  boxRows: number;
  doorRows: number;
  confirmedThrough: number;
  olderThan: string;
};

/**
 * Retention of personal data (PIPL): once the site's `retention.personalDataDays` have passed,
 * the personal fields of journal entries (with their salt: the chain keeps only their digest), of
 * the `person` rows and the free-text notes of exemptions (`coverage_exempt.note`) are removed, for
 * records HQ has confirmed it holds with this journal's own chain (`upload_state.confirmed_through`,
 * from HQ's signed answers; a bare ack is not enough); an exemption from HQ's feed is HQ's already.
 * What stays: every entry and its place in the chain, tubes, bindings, exemptions with their reason,
 * and their counts. A person with an open re-test, or with a binding, gate passage or door visit not
 * yet confirmed or within the period, keeps their data. The gate's households, key-person reasons and
 * staff's notes go too (`gate/retention.ts`), and the holders of resident passes expired before the
 * period (`passes/retention.ts`), transporters recorded by name on boxes handed over before it
 * (`boxes/retention.ts`), and door visits' rooms and refusals' reasons (`doors/retention.ts`).
 *
 * Kept on purpose, whatever their age (README, "Retention"): the roster in use (the site's register,
 * needed for the work; a version replaced is removed once it is in the journal), the key-person
 * lists (HQ's, in force until HQ replaces them: a gate never loses its alarm list by a timer),
 * operators (staff, who did what stays on record), a correction's reason (part of the chain's
 * public content HQ holds), and residents' marks (keyed hashes, no name, ID number or phone).
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
    const exemptionNotes = await this.ctx.writer.run(() => this.purgeExemptionNotes(confirmedThrough, olderThan));
    const gateRows = await this.ctx.writer.run(() => purgeGatePersonalData(this.ctx.db, confirmedThrough, olderThan));
    const passRows = await this.ctx.writer.run(() => purgePassPersonalData(this.ctx.db, confirmedThrough, olderThan));
    const isolationRows = await this.ctx.writer.run(() => purgeIsolationPersonalData(this.ctx.db, confirmedThrough, olderThan));
    const boxRows = await this.ctx.writer.run(() => purgeBoxPersonalData(this.ctx.db, confirmedThrough, olderThan));
    const doorRows = await this.ctx.writer.run(() => purgeDoorPersonalData(this.ctx.db, confirmedThrough, olderThan));
    if (entries + persons + exemptionNotes + gateRows + passRows + isolationRows + boxRows + doorRows > 0) {
      log.info({ entries, persons, exemptionNotes, gateRows, passRows, isolationRows, boxRows, doorRows, confirmedThrough, olderThan }, 'personal data past its retention period purged');
    }
    return { entries, persons, exemptionNotes, gateRows, passRows, isolationRows, boxRows, doorRows, confirmedThrough, olderThan };
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
           AND NOT EXISTS (SELECT 1 FROM door_visit v WHERE v.person_id = person.id AND (v.seq > @through OR v.at >= @olderThan))
           AND NOT EXISTS (SELECT 1 FROM retest_task r WHERE r.person_id = person.id AND r.state = 'open')`,
      )
      .run({ through, olderThan }).changes;
  }

  /**
   * An exemption's note is free text ("在市一院住院，家属电话…"): emptied past the period, the
   * exemption itself (who is exempt, by mark, and why) staying for the round's coverage. One made
   * here waits for HQ's confirmation of its journal entry; one from HQ's feed is HQ's already.
   */
  private purgeExemptionNotes(through: number, olderThan: string): number {
    return this.ctx.db
      .prepare(
        `UPDATE coverage_exempt SET note = '' WHERE note != '' AND at < @olderThan
           AND (origin = 'feed' OR (seq IS NOT NULL AND seq <= @through))`,
      )
      .run({ through, olderThan }).changes;
  }
}

import { ZodError } from 'zod';
import type { ScanOutcome, UndoOutcome } from '../../api/contract';
import type { PositiveTubeView, RetestState, RetestTaskView } from '../../api/upload';
import type { StationDatabase } from '../db/database';
import type { FeedHandlers } from '../feed/feed';
import { newId } from '../ids';
import type { Journal } from '../journal';
import { personView } from '../sampling/desk';
import { ScanRouter } from '../scan/router';
import type { StationIdentity } from '../site/bootstrap';
import { parseSiteConfig } from '../site/config';

type PersonColumns = { person_id: string; id_number: string | null; reg_code: string | null; name: string | null; phone: string | null };

type TaskRow = PersonColumns & {
  id: string;
  source_tube_code: string;
  state: RetestState;
  created_at: string;
  sampled_tube_code: string | null;
  sampled_at: string | null;
};

/** A site configuration from HQ that this station refused, shown to staff until a usable one comes. */
export type SiteConfigRejection = { at: string; detail: string };

const SITE_REJECTED_KEY = 'site.configRejected';

/** The first reason a configuration is unusable, short enough for a status line. */
function configProblem(err: unknown): string {
  if (err instanceof ZodError) {
    const issue = err.issues[0];
    return issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}`.slice(0, 300) : 'invalid';
  }
  return (err instanceof Error ? err.message : String(err)).slice(0, 300);
}

const TASK_SELECT = `SELECT r.id, r.source_tube_code, r.state, r.created_at, r.sampled_tube_code, r.sampled_at,
  p.id AS person_id, p.id_number, p.reg_code, p.name, p.phone
  FROM retest_task r JOIN person p ON p.id = r.person_id`;

function person(row: PersonColumns) {
  return personView({ id: row.person_id, id_number: row.id_number, reg_code: row.reg_code, name: row.name, phone: row.phone });
}

/**
 * What HQ sends back, at the desk: tube results, the single-tube re-tests a positive pooled tube
 * asks for, and key-person lists kept for the gate. Changes run inside the writer's transaction.
 */
export class ResultsDesk {
  constructor(
    private readonly db: StationDatabase,
    private readonly journal: Journal,
    private readonly identity: StationIdentity,
    private readonly operatorId: () => string,
    private readonly now: () => Date,
  ) {}

  /** The feed kinds this domain owns: results, key-person lists and the site's configuration. */
  feedHandlers(): FeedHandlers {
    return {
      'tube.result': (item, effects, at) => {
        const p = item.payload;
        const inserted = this.db
          .prepare(
            'INSERT OR IGNORE INTO hq_result (feed_cursor, tube_code, result, result_at, received_at, station_id, tube_id) VALUES (?, ?, ?, ?, ?, ?, ?)',
          )
          .run(item.cursor, p.tubeCode, p.result, p.at, at, p.stationId ?? null, p.tubeId ?? null);
        if (inserted.changes === 0) return;
        effects.results++;
        if (p.result === 'positive') effects.retestsCreated += this.createRetests(p.tubeCode, p.tubeId ?? null, at);
      },
      'keyperson.list': (item, effects, at) => {
        // A list sent again under the same id replaces the earlier one: it is HQ's list, not a record of ours.
        this.db.prepare('DELETE FROM key_person WHERE list_id = ?').run(item.payload.listId);
        this.db
          .prepare(
            `INSERT INTO key_person_list (list_id, feed_cursor, received_at) VALUES (?, ?, ?)
             ON CONFLICT(list_id) DO UPDATE SET feed_cursor = excluded.feed_cursor, received_at = excluded.received_at`,
          )
          .run(item.payload.listId, item.cursor, at);
        const insert = this.db.prepare('INSERT OR REPLACE INTO key_person (list_id, id_number, name, reason) VALUES (?, ?, ?, ?)');
        for (const p of item.payload.persons) insert.run(item.payload.listId, p.idNumber, p.name || null, p.reason);
        effects.keyPersonLists++;
      },
      'site.config': (item, effects, at) => {
        const site = this.storeSiteConfig(item.payload.name, item.payload.config, at);
        if (site) effects.site = site;
        else effects.siteRejected = (effects.siteRejected ?? 0) + 1;
      },
    };
  }

  /**
   * HQ's configuration for this site, stored and journalled as `site.configured` when this
   * station can use it; otherwise the current one stays and staff are told why.
   */
  private storeSiteConfig(name: string, raw: Record<string, unknown>, at: string): StationIdentity['site'] | null {
    let config;
    try {
      config = parseSiteConfig(raw);
      // The scan router compiles the patterns the same way; a config it cannot use is refused here.
      new ScanRouter(config);
    } catch (err) {
      const rejection: SiteConfigRejection = { at, detail: configProblem(err) };
      this.db
        .prepare('INSERT INTO setting (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value')
        .run(SITE_REJECTED_KEY, JSON.stringify(rejection));
      return null;
    }
    const site = { id: this.identity.site.id, name, config };
    this.db.prepare('UPDATE site SET name = ?, config = ?, at = ? WHERE id = ?').run(name, JSON.stringify(config), at, site.id);
    this.journal.append({
      stationId: this.identity.station.id,
      operatorId: this.operatorId(),
      at,
      kind: 'site.configured',
      entityId: site.id,
      payload: { name, config },
    });
    this.db.prepare('DELETE FROM setting WHERE key = ?').run(SITE_REJECTED_KEY);
    return site;
  }

  siteConfigRejection(): SiteConfigRejection | null {
    const row = this.db.prepare('SELECT value FROM setting WHERE key = ?').get(SITE_REJECTED_KEY) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as SiteConfigRejection) : null;
  }

  /**
   * One open re-test per member of a positive pooled tube filled here; a single tube needs none.
   * When HQ names the tube (`tubeId`), a tube of this station under the same code but another id
   * is not that tube: the code was opened at two stations, and only the named tube's members are
   * asked back.
   */
  private createRetests(tubeCode: string, tubeId: string | null, at: string): number {
    const tube = this.db.prepare('SELECT id, capacity FROM tube WHERE code = ?').get(tubeCode) as { id: string; capacity: number } | undefined;
    if (!tube || tube.capacity === 1 || (tubeId !== null && tube.id !== tubeId)) return 0;
    const members = this.db
      .prepare('SELECT DISTINCT person_id FROM binding WHERE tube_id = ? AND undo_correction_id IS NULL')
      .all(tube.id) as { person_id: string }[];
    const insert = this.db.prepare(
      `INSERT OR IGNORE INTO retest_task (id, person_id, source_tube_code, state, created_at, seq)
       VALUES (?, ?, ?, 'open', ?, (SELECT IFNULL(MAX(seq), 0) FROM journal))`,
    );
    let created = 0;
    for (const m of members) created += insert.run(newId(), m.person_id, tubeCode, at).changes;
    return created;
  }

  /**
   * Called with every binding the desk makes, inside its transaction: a person with an open
   * re-test bound alone into a single tube closes it, journalled as `retest.sampled` so HQ's
   * dashboard shows it closed.
   */
  afterScan(outcome: ScanOutcome): ScanOutcome {
    if (outcome.kind !== 'person.bound' || outcome.capacity !== 1) return outcome;
    const open = this.db
      .prepare(`SELECT id, source_tube_code FROM retest_task WHERE person_id = ? AND state = 'open' AND source_tube_code != ?`)
      .all(outcome.person.id, outcome.tubeCode) as { id: string; source_tube_code: string }[];
    if (open.length === 0) return outcome;
    const binding = this.db
      .prepare(
        `SELECT b.id FROM binding b JOIN tube t ON t.id = b.tube_id
         WHERE t.code = ? AND b.person_id = ? AND b.undo_correction_id IS NULL ORDER BY b.seq DESC LIMIT 1`,
      )
      .get(outcome.tubeCode, outcome.person.id) as { id: string };
    const at = this.now().toISOString();
    for (const task of open) {
      const seq = this.journal.append({
        stationId: this.identity.station.id,
        operatorId: this.operatorId(),
        at,
        kind: 'retest.sampled',
        entityId: binding.id,
        payload: { originalTubeCode: task.source_tube_code, tubeCode: outcome.tubeCode, personId: outcome.person.id },
      });
      this.db
        .prepare(
          `UPDATE retest_task SET state = 'sampled', sampled_tube_code = ?, sampled_binding_id = ?, sampled_at = ?, sampled_seq = ? WHERE id = ?`,
        )
        .run(outcome.tubeCode, binding.id, at, seq, task.id);
    }
    return outcome;
  }

  /**
   * An undone re-test binding reopens its task, so the person is asked for again. The journal
   * already says why: `binding.undone` of the binding `retest.sampled` named.
   */
  afterUndo(outcome: UndoOutcome): UndoOutcome {
    this.db
      .prepare(
        `UPDATE retest_task SET state = 'open', sampled_tube_code = NULL, sampled_binding_id = NULL, sampled_at = NULL, sampled_seq = NULL
         WHERE state = 'sampled' AND person_id = ? AND sampled_tube_code = ?`,
      )
      .run(outcome.person.id, outcome.tubeCode);
    return outcome;
  }

  // ---- reads ---------------------------------------------------------------------------------

  openCount(): number {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM retest_task WHERE state = 'open'`).get() as { n: number }).n;
  }

  retests(state: RetestState | 'all' = 'all'): RetestTaskView[] {
    const where = state === 'all' ? '' : 'WHERE r.state = ?';
    const rows = this.db
      .prepare(`${TASK_SELECT} ${where} ORDER BY r.state = 'open' DESC, r.created_at DESC, r.source_tube_code LIMIT 500`)
      .all(...(state === 'all' ? [] : [state])) as TaskRow[];
    return rows.map((r) => ({
      id: r.id,
      person: person(r),
      sourceTubeCode: r.source_tube_code,
      state: r.state,
      createdAt: r.created_at,
      sampledTubeCode: r.sampled_tube_code,
      sampledAt: r.sampled_at,
    }));
  }

  positives(limit = 50): PositiveTubeView[] {
    const results = this.db
      .prepare(
        `SELECT tube_code, MAX(result_at) AS result_at, MAX(received_at) AS received_at, tube_id FROM hq_result
         WHERE result = 'positive' GROUP BY tube_code, tube_id ORDER BY MAX(result_at) DESC LIMIT ?`,
      )
      .all(limit) as { tube_code: string; result_at: string; received_at: string; tube_id: string | null }[];
    const tubeOf = this.db.prepare('SELECT id, capacity FROM tube WHERE code = ?');
    const membersOf = this.db.prepare(
      `SELECT p.id AS person_id, p.id_number, p.reg_code, p.name, p.phone,
              r.id AS task_id, r.state AS task_state, r.sampled_tube_code
       FROM binding b JOIN person p ON p.id = b.person_id
       LEFT JOIN retest_task r ON r.person_id = p.id AND r.source_tube_code = ?
       WHERE b.tube_id = ? AND b.undo_correction_id IS NULL ORDER BY b.seq`,
    );
    return results.map((r) => {
      const found = tubeOf.get(r.tube_code) as { id: string; capacity: number } | undefined;
      // The same code opened at another station is not this tube: its members are not ours to list.
      const tube = found && (r.tube_id === null || r.tube_id === found.id) ? found : undefined;
      const members = tube
        ? (membersOf.all(r.tube_code, tube.id) as (PersonColumns & { task_id: string | null; task_state: RetestState | null; sampled_tube_code: string | null })[])
        : [];
      return {
        tubeCode: r.tube_code,
        resultAt: r.result_at,
        receivedAt: r.received_at,
        knownHere: tube !== undefined,
        capacity: tube?.capacity ?? null,
        members: members.map((m) => ({
          person: person(m),
          retest: m.task_id && m.task_state ? { id: m.task_id, state: m.task_state, sampledTubeCode: m.sampled_tube_code } : null,
        })),
      };
    });
  }
}

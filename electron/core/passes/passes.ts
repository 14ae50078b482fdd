import type { Statement } from 'better-sqlite3-multiple-ciphers';
import {
  PASS_MAX_DAYS,
  type HouseholdPassesView,
  type HouseholdRef,
  type PassHouseholdView,
  type PassState,
  type PassView,
} from '../../api/passes';
import type { PassIssuedFeedPayload, PassRevokedFeedPayload } from '../../../hq/protocol';
import type { CoreContext } from '../context';
import { DomainError } from '../errors';
import type { FeedHandlers } from '../feed/feed';
import { siteDayStart } from '../gate/settings';
import { newId } from '../ids';
import { createLogger } from '../log';
import { NO_OPERATOR } from '../operators/operators';
import { maskIdNumber } from '../person/mask';
import { bitsToTags } from '../roster/file';
import { household as householdOf, type Roster } from '../roster/roster';
import { looksLikePass, maskPassCode, newPassCode, readPassCode } from './code';
import { PreparedStatements } from '../db/statements';

const log = createLogger('passes');

const DAY_MS = 86_400_000;
/** Sites keep one clock (UTC+8): what a pass says and what the gate keeper reads are in it. */
const SITE_UTC_OFFSET_MS = 8 * 3600_000;

/** A moment as staff read it on the screen and on a refusal: `2026-11-20 10:00`, site time. */
export function siteTime(iso: string): string {
  return new Date(Date.parse(iso) + SITE_UTC_OFFSET_MS).toISOString().slice(0, 16).replace('T', ' ');
}

/** The site day of a moment (`2026-11-20`), as a pass's label shows its last day. */
export function siteDate(iso: string): string {
  return siteTime(iso).slice(0, 10);
}

/** The start of a site day, or (`end`) its last millisecond; an exact time stays as it is, in UTC. */
function toTime(value: string, end: boolean): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const start = Date.parse(siteDayStart(value));
    return new Date(end ? start + DAY_MS - 1 : start).toISOString();
  }
  return new Date(value).toISOString();
}

/** Why a pass that was replaced by a newer one was revoked (the journal's reason). */
export const REISSUED = 'reissued';

/**
 * A refusal's params for a revoked pass: the reason and when; a pass replaced by a newer one says
 * so with i18next's `context` (its words ask for the new pass), not with the reason's code.
 */
function revokedParams(reason: string, at: string): Record<string, string> {
  return reason === REISSUED ? { reason, at: siteTime(at), context: REISSUED } : { reason, at: siteTime(at) };
}

type PassRow = {
  id: string;
  code: string;
  site_id: string;
  household: string;
  id_number: string | null;
  name: string;
  valid_from: string;
  valid_until: string;
  origin: 'here' | 'feed';
  station_name: string;
  issued_at: string;
  revoked_reason: string | null;
  revoked_at: string | null;
  revoked_station: string | null;
};

type ResidentRow = { rowid: number; id_number: string; name: string; building: string; unit: string; room: string; tags: number };

const PASS_SELECT = `SELECT p.id, p.code, p.site_id, p.household, p.id_number, p.name, p.valid_from, p.valid_until, p.origin, p.station_name, p.issued_at,
  r.reason AS revoked_reason, r.at AS revoked_at, r.station_name AS revoked_station
  FROM resident_pass p LEFT JOIN resident_pass_revocation r ON r.pass_id = p.id`;

/** A pass's state at `@now`, in SQL over PASS_SELECT's tables. */
const STATE_SQL = `CASE WHEN r.pass_id IS NOT NULL THEN 'revoked' WHEN p.valid_from > @now THEN 'notYetValid' WHEN p.valid_until <= @now THEN 'expired' ELSE 'valid' END`;

/** Who a valid pass names, for the gate. */
export type PassHolder = { passId: string; idNumber: string; name: string; household: string };

/**
 * Resident passes (出入证) at this station: issued from the roster in use to the residents of a
 * household (one pass each, journalled `pass.issued`, its code in the QR printed on the label
 * printer), revoked with a reason (`pass.revoked`), and checked when one is scanned at the gate.
 * A resident holds one valid pass at a time: a new one revokes the one before ('reissued').
 *
 * Passes of the site's other stations come through HQ's feed (`pass.issued`, `pass.revoked`) and
 * are applied idempotently (a pass known already, or a revocation known already, is left as it
 * is). HQ relays a pass when it receives its station's `pass.issued`, and a station can revoke only
 * a pass it knows, so a revocation never comes before its pass in the feed; were one to, it is kept
 * (`resident_pass_revocation` is apart from the pass) and the pass is revoked when it arrives. Two
 * stations offline at once can each issue a pass to one resident: both stay valid until one is
 * revoked (neither station knew of the other's).
 *
 * Changes run inside the writer's transaction.
 */
export class Passes {
  private prepared: PreparedStatements | null = null;

  constructor(
    private readonly ctx: CoreContext,
    private readonly roster: Roster,
  ) {}

  private sql(source: string): Statement {
    return (this.prepared ??= new PreparedStatements(this.ctx.db)).get(source);
  }

  private stamp(at: Date) {
    return { stationId: this.ctx.identity.station.id, operatorId: this.ctx.operatorId(), at: at.toISOString() };
  }

  private static operatorColumn(operatorId: string): string | null {
    return operatorId === NO_OPERATOR ? null : operatorId;
  }

  private static state(row: PassRow, now: string): PassState {
    if (row.revoked_at !== null) return 'revoked';
    if (row.valid_from > now) return 'notYetValid';
    if (row.valid_until <= now) return 'expired';
    return 'valid';
  }

  private static view(row: PassRow, now: string): PassView {
    return {
      id: row.id,
      maskedCode: maskPassCode(row.code),
      name: row.name,
      maskedIdNumber: row.id_number ? maskIdNumber(row.id_number) : null,
      household: row.household,
      validFrom: row.valid_from,
      validUntil: row.valid_until,
      state: Passes.state(row, now),
      issuedAt: row.issued_at,
      origin: row.origin,
      stationName: row.station_name,
      revoked: row.revoked_at === null ? null : { reason: row.revoked_reason ?? '', at: row.revoked_at, stationName: row.revoked_station ?? '' },
    };
  }

  private row(passId: string): PassRow {
    const row = this.sql(`${PASS_SELECT} WHERE p.id = ?`).get(passId) as PassRow | undefined;
    if (!row) throw new DomainError('pass.notFound', { id: passId });
    return row;
  }

  /** A pass as the screens show it. */
  get(passId: string): PassView {
    return Passes.view(this.row(passId), this.ctx.now().toISOString());
  }

  // ---- the roster's households ----------------------------------------------------------------

  private requireRoster(): string {
    const current = this.roster.currentId();
    if (current === null) throw new DomainError('pass.noRoster');
    return current;
  }

  private residentsOf(h: HouseholdRef): ResidentRow[] {
    return this.sql('SELECT rowid, id_number, name, building, unit, room, tags FROM roster.resident WHERE building = ? AND unit = ? AND room = ? ORDER BY rowid').all(
      h.building,
      h.unit,
      h.room,
    ) as ResidentRow[];
  }

  /**
   * Households of the roster in use, in building, unit and room order: all of them, or those a
   * query names (`3`, `3-2`, `3-2-502`, or the start of a resident's name), a page at a time,
   * each with how many of its residents hold a pass valid now.
   */
  households(query: string, limit: number, offset: number): { total: number; households: HouseholdPassesView[] } {
    if (this.roster.currentId() === null) return { total: 0, households: [] };
    const q = query.trim();
    const parts = q.split(/[-\s/]+/u).filter((x) => x !== '');
    let where = '1';
    const params: Record<string, string | number> = {};
    if (q !== '' && /^[\p{Script=Han}]/u.test(q) && parts.length === 1) {
      where = `(building, unit, room) IN (SELECT building, unit, room FROM roster.resident WHERE name >= @name AND name < @nameEnd)`;
      params.name = q;
      params.nameEnd = `${q}\uffff`;
    } else if (parts.length > 0) {
      const columns = ['building', 'unit', 'room'];
      where = parts
        .slice(0, 3)
        .map((p, i) => {
          params[columns[i]!] = p;
          return `${columns[i]} = @${columns[i]}`;
        })
        .join(' AND ');
    }
    const total = (this.ctx.db.prepare(`SELECT COUNT(*) AS n FROM (SELECT 1 FROM roster.resident WHERE ${where} GROUP BY building, unit, room)`).get(params) as { n: number }).n;
    const rows = this.ctx.db
      .prepare(
        `SELECT building, unit, room, COUNT(*) AS residents FROM roster.resident WHERE ${where} GROUP BY building, unit, room
         ORDER BY CAST(building AS INTEGER), building, CAST(unit AS INTEGER), unit, CAST(room AS INTEGER), room LIMIT @limit OFFSET @offset`,
      )
      .all({ ...params, limit, offset }) as (HouseholdRef & { residents: number })[];
    if (rows.length === 0) return { total, households: [] };
    const valid = this.sql(
      `SELECT j.key AS i, COUNT(DISTINCT rr.id_number) AS n FROM json_each(@households) j
       JOIN roster.resident rr ON rr.building = json_extract(j.value, '$[0]') AND rr.unit = json_extract(j.value, '$[1]') AND rr.room = json_extract(j.value, '$[2]')
       JOIN resident_pass p ON p.id_number = rr.id_number AND p.site_id = @site AND p.valid_from <= @now AND p.valid_until > @now
       WHERE NOT EXISTS (SELECT 1 FROM resident_pass_revocation r WHERE r.pass_id = p.id)
       GROUP BY j.key`,
    ).all({ households: JSON.stringify(rows.map((r) => [r.building, r.unit, r.room])), site: this.ctx.identity.site.id, now: this.ctx.now().toISOString() }) as { i: number; n: number }[];
    const byIndex = new Map(valid.map((v) => [v.i, v.n]));
    return {
      total,
      households: rows.map((r, i) => ({ building: r.building, unit: r.unit, room: r.room, household: householdOf(r), residents: r.residents, validPasses: byIndex.get(i) ?? 0 })),
    };
  }

  /** A resident's pass valid now or to come (the latest issued), else their latest pass; null when they never had one. */
  private passOf(idNumber: string, now: string): PassView | null {
    const site = this.ctx.identity.site.id;
    const current = this.sql(`${PASS_SELECT} WHERE p.id_number = ? AND p.site_id = ? AND p.valid_until > ? AND r.pass_id IS NULL ORDER BY p.issued_at DESC LIMIT 1`).get(
      idNumber,
      site,
      now,
    ) as PassRow | undefined;
    const row = current ?? (this.sql(`${PASS_SELECT} WHERE p.id_number = ? AND p.site_id = ? ORDER BY p.issued_at DESC LIMIT 1`).get(idNumber, site) as PassRow | undefined);
    return row ? Passes.view(row, now) : null;
  }

  /** A household's residents on the roster in use, each with their pass. */
  residents(h: HouseholdRef): PassHouseholdView {
    const importId = this.requireRoster();
    const rows = this.residentsOf(h);
    if (rows.length === 0) throw new DomainError('pass.householdUnknown', { household: householdOf(h) });
    const now = this.ctx.now().toISOString();
    return {
      ...h,
      household: householdOf(h),
      residents: rows.map((r) => ({
        ref: `${importId}:${r.rowid}`,
        name: r.name,
        maskedIdNumber: maskIdNumber(r.id_number),
        tags: bitsToTags(r.tags),
        pass: this.passOf(r.id_number, now),
      })),
    };
  }

  // ---- issuing and revoking ---------------------------------------------------------------------

  /** From and until, checked: in order, at most `PASS_MAX_DAYS`, not over already. */
  private validity(validFrom: string, validUntil: string, at: Date): { from: string; until: string } {
    const from = toTime(validFrom, false);
    const until = toTime(validUntil, true);
    if (until <= from) throw new DomainError('pass.untilBeforeFrom', { from: siteTime(from), until: siteTime(until) });
    if (Date.parse(until) - Date.parse(from) > PASS_MAX_DAYS * DAY_MS) throw new DomainError('pass.tooLong', { maxDays: PASS_MAX_DAYS });
    if (Date.parse(until) <= at.getTime()) throw new DomainError('pass.untilPast', { until: siteTime(until) });
    return { from, until };
  }

  /**
   * A pass for each resident named (their roster `ref`, or their ID number), or for every resident
   * of the household; a pass of theirs still valid (or to come) is revoked first ('reissued').
   */
  issue(args: { household: HouseholdRef; residents?: string[]; validFrom: string; validUntil: string }, at: Date): PassView[] {
    const importId = this.requireRoster();
    const { from, until } = this.validity(args.validFrom, args.validUntil, at);
    const rows = this.residentsOf(args.household);
    const label = householdOf(args.household);
    if (rows.length === 0) throw new DomainError('pass.householdUnknown', { household: label });
    let chosen = rows;
    if (args.residents) {
      const wanted = new Set<ResidentRow>();
      for (const named of args.residents) {
        const upper = named.toUpperCase();
        const ref = /^([0-9a-f-]{36}):(\d+)$/.exec(named);
        const found = /^\d{17}[\dX]$/.test(upper)
          ? rows.find((r) => r.id_number === upper)
          : ref && ref[1] === importId
            ? rows.find((r) => r.rowid === Number(ref[2]))
            : undefined;
        if (!found) throw new DomainError('pass.notInHousehold', { household: label });
        wanted.add(found);
      }
      chosen = rows.filter((r) => wanted.has(r));
    }
    const s = this.stamp(at);
    const site = this.ctx.identity.site;
    const station = this.ctx.identity.station;
    const issued: string[] = [];
    for (const r of chosen) {
      const earlier = this.sql(
        `SELECT p.id FROM resident_pass p WHERE p.id_number = ? AND p.site_id = ? AND p.valid_until > ?
           AND NOT EXISTS (SELECT 1 FROM resident_pass_revocation r WHERE r.pass_id = p.id)`,
      ).all(r.id_number, site.id, s.at) as { id: string }[];
      for (const e of earlier) this.revokeRow(this.row(e.id), REISSUED, at);
      const id = newId();
      let code = newPassCode(station.number);
      // 130 random bits: a second draw is for form's sake.
      while (this.sql('SELECT 1 FROM resident_pass WHERE code = ?').get(code)) code = newPassCode(station.number);
      const seq = this.ctx.journal.append({
        ...s,
        kind: 'pass.issued',
        entityId: id,
        payload: { siteId: site.id, code, household: label, idNumber: r.id_number, name: r.name, validFrom: from, validUntil: until },
      });
      this.sql(
        `INSERT INTO resident_pass (id, code, site_id, household, id_number, name, valid_from, valid_until, origin, station_id, station_name, operator_id, issued_at, seq)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'here', ?, ?, ?, ?, ?)`,
      ).run(id, code, site.id, label, r.id_number, r.name, from, until, station.id, station.name, Passes.operatorColumn(s.operatorId), s.at, seq);
      issued.push(id);
    }
    return issued.map((id) => Passes.view(this.row(id), s.at));
  }

  private revokeRow(row: PassRow, reason: string, at: Date): void {
    const s = this.stamp(at);
    const seq = this.ctx.journal.append({ ...s, kind: 'pass.revoked', entityId: row.id, payload: { siteId: row.site_id, code: row.code, reason } });
    this.sql(
      `INSERT INTO resident_pass_revocation (pass_id, code, reason, origin, station_name, operator_id, at, seq) VALUES (?, ?, ?, 'here', ?, ?, ?, ?)`,
    ).run(row.id, row.code, reason, this.ctx.identity.station.name, Passes.operatorColumn(s.operatorId), s.at, seq);
  }

  /** A pass revoked with the reason gate keepers are shown when it is scanned; once. */
  revoke(passId: string, reason: string, at: Date): PassView {
    const row = this.row(passId);
    if (row.revoked_at !== null) throw new DomainError('pass.alreadyRevoked', revokedParams(row.revoked_reason ?? '', row.revoked_at));
    this.revokeRow(row, reason, at);
    return this.get(passId);
  }

  // ---- reads ------------------------------------------------------------------------------------

  /**
   * Passes newest first: of a household (as the roster writes it, `3-2-502`), by a query (a
   * scanned or typed pass code, a scanned ID number or its last digits, the start of a name), by state.
   */
  list(filter: { household?: string; query?: string; state?: PassState; limit: number; offset: number }): { total: number; passes: PassView[] } {
    const now = this.ctx.now().toISOString();
    const where: string[] = ['p.site_id = @site'];
    const params: Record<string, string | number> = { site: this.ctx.identity.site.id, now };
    if (filter.household) {
      where.push('p.household = @household');
      params.household = filter.household;
    }
    const q = filter.query?.trim() ?? '';
    if (q !== '') {
      if (looksLikePass(q)) {
        where.push('p.code = @code');
        params.code = readPassCode(q).code;
      } else if (/^\d{17}[\dXx]$/.test(q)) {
        where.push('p.id_number = @idNumber');
        params.idNumber = q.toUpperCase();
      } else if (/^\d{3,7}[\dXx]$/.test(q)) {
        where.push('substr(p.id_number, -@tailLength) = @tail');
        params.tail = q.toUpperCase();
        params.tailLength = q.length;
      } else {
        where.push('p.name >= @name AND p.name < @nameEnd');
        params.name = q;
        params.nameEnd = `${q}\uffff`;
      }
    }
    if (filter.state) {
      where.push(`${STATE_SQL} = @state`);
      params.state = filter.state;
    }
    const clause = where.join(' AND ');
    const from = 'FROM resident_pass p LEFT JOIN resident_pass_revocation r ON r.pass_id = p.id';
    const total = (this.ctx.db.prepare(`SELECT COUNT(*) AS n ${from} WHERE ${clause}`).get(params) as { n: number }).n;
    const rows = this.ctx.db
      .prepare(`${PASS_SELECT} WHERE ${clause} ORDER BY p.issued_at DESC, p.id DESC LIMIT @limit OFFSET @offset`)
      .all({ ...params, limit: filter.limit, offset: filter.offset }) as PassRow[];
    return { total, passes: rows.map((r) => Passes.view(r, now)) };
  }

  /**
   * A pass scanned at the gate: who it names when it is valid now; refused with the reason
   * otherwise (a revocation known for its code counts even before the pass itself is).
   */
  holder(code: string, intact: boolean, now: Date): PassHolder {
    if (!intact) throw new DomainError('gate.passDamaged');
    const revocation = this.sql('SELECT reason, at FROM resident_pass_revocation WHERE code = ? ORDER BY at LIMIT 1').get(code) as { reason: string; at: string } | undefined;
    if (revocation) throw new DomainError('gate.passRevoked', revokedParams(revocation.reason, revocation.at));
    const row = this.sql(`${PASS_SELECT} WHERE p.code = ?`).get(code) as PassRow | undefined;
    if (!row || row.site_id !== this.ctx.identity.site.id || row.id_number === null) throw new DomainError('gate.passUnknown');
    const at = now.toISOString();
    if (row.valid_from > at) throw new DomainError('gate.passNotYetValid', { from: siteTime(row.valid_from) });
    if (row.valid_until <= at) throw new DomainError('gate.passExpired', { until: siteTime(row.valid_until) });
    return { passId: row.id, idNumber: row.id_number, name: row.name, household: row.household };
  }

  /** What a pass's label prints: the code in its QR and as text, the holder, household, last day, the site. No ID number. */
  labelData(passId: string, now: Date): { code: string; maskedCode: string; data: Record<string, string> } {
    const row = this.row(passId);
    const state = Passes.state(row, now.toISOString());
    if (state === 'revoked' || state === 'expired') throw new DomainError('pass.notPrintable', { state });
    return {
      code: row.code,
      maskedCode: maskPassCode(row.code),
      data: { code: row.code, name: row.name, household: row.household, validFrom: siteDate(row.valid_from), validUntil: siteDate(row.valid_until), siteName: this.ctx.identity.site.name },
    };
  }

  // ---- the site's other stations, through HQ ------------------------------------------------------

  private adoptIssued(p: PassIssuedFeedPayload, cursor: number): boolean {
    if (p.siteId !== this.ctx.identity.site.id) return false;
    const from = new Date(p.validFrom).toISOString();
    const until = new Date(p.validUntil).toISOString();
    if (until <= from) {
      log.warn({ passId: p.passId }, 'pass from HQ skipped: valid until is not after valid from');
      return false;
    }
    return (
      this.sql(
        `INSERT INTO resident_pass (id, code, site_id, household, id_number, name, valid_from, valid_until, origin, station_id, station_name, operator_id, issued_at, feed_cursor)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'feed', ?, ?, NULL, ?, ?) ON CONFLICT DO NOTHING`,
      ).run(p.passId, p.code, p.siteId, p.household, p.idNumber, p.name, from, until, p.stationId, p.stationName, new Date(p.issuedAt).toISOString(), cursor).changes > 0
    );
  }

  private adoptRevoked(p: PassRevokedFeedPayload, cursor: number): boolean {
    if (p.siteId !== this.ctx.identity.site.id) return false;
    return (
      this.sql(
        `INSERT INTO resident_pass_revocation (pass_id, code, reason, origin, station_name, operator_id, at, feed_cursor)
         VALUES (?, ?, ?, 'feed', ?, NULL, ?, ?) ON CONFLICT DO NOTHING`,
      ).run(p.passId, p.code, p.reason, p.stationName, new Date(p.revokedAt).toISOString(), cursor).changes > 0
    );
  }

  feedHandlers(): FeedHandlers {
    return {
      'pass.issued': (item, effects) => {
        if (this.adoptIssued(item.payload, item.cursor)) effects.passes++;
      },
      'pass.revoked': (item, effects) => {
        if (this.adoptRevoked(item.payload, item.cursor)) effects.passes++;
      },
    };
  }
}

/**
 * The gate checkpoint (卡点) and the self-service sentinel (数字哨兵), in the core.
 *
 * A station works as a sampling desk, an attended gate or an unattended sentinel (`station.
 * setWorkplace`, a site admin's choice, journalled); at a gate or sentinel, scans from serial and
 * HID scanners come here (`gate.scan`) instead of to the desk, and the thermometer's readings too.
 * A scan of a person makes a *passage*: who it is (the `person` row, as at the desk), resident of
 * which household or outsider (the roster in use), key person (HQ's lists, the roster's tag), the
 * site's entry rule (sampled within N hours: this desk's bindings and the site's marks from HQ),
 * HQ's results for their tubes; then a thermometer reading attaches itself (`matcher.ts`: never to
 * the next person), a high one asks for a re-measure, high again is a fever and a referral is
 * recorded; a key person's passage records what the gate keeper did. Every one of these is a
 * journalled record that HQ receives like the rest.
 *
 * Built on this:
 * - Visitor registration (`visitors.ts`): a visit (phone, reason, household visited, expected stay)
 *   makes its person and a passage with `subject = 'visitor'` through `present` (the same verdict,
 *   and a reading attaches to it as to a scan); leaving (from the list, or scanned out: a follower
 *   of every passage) makes the passage out and ends the visit with how long they stayed.
 * - Resident passes (`core/passes`): a valid pass gives `subject = 'pass'` for the roster resident
 *   it was issued to through the same `pass` and verdict; a revoked, expired or unknown one is
 *   refused with the reason.
 * - Vehicles have their own lane (`vehicles.ts`): a `gate_vehicle_passage` of its own (plate,
 *   driver, passengers, purpose), counted apart from people; passengers scanned are people's passages.
 * - The gate screen and the sentinel kiosk show `GatePassageView` and listen to `gate.passage`,
 *   `gate.reading`, `gate.scanned`; HQ projects the `gate.*` entries per site and hour.
 */
import type { Direction, GatePassageView, GateReadingView, Workplace } from '../../api/gate';
import type { CoreContext } from '../context';
import { DomainError } from '../errors';
import { newId } from '../ids';
import { createLogger } from '../log';
import type { PersonPayload } from '../scan/parsers/types';
import { ReadingMatcher, type MatchDecision } from './matcher';
import type { GateRecords, ReadingToRecord } from './records';

/** Whether a station working as `workplace` is a gate: attended, or an unattended sentinel. */
export function atGate(workplace: Workplace): boolean {
  return workplace === 'gate' || workplace === 'sentinel';
}

/**
 * Looks at each passage just made, in the writer's transaction that made it (a visitor scanned
 * out leaves by it); what it returns runs once that is committed (telling the screens).
 */
export type PassageFollower = (passageId: string, at: Date) => (() => void) | null;

const log = createLogger('gate');

/** A thermometer reading waiting for the rule (`matcher.ts`). */
type PendingReading = { id: string; at: number; celsius: number; deviceId: string };

export type GateHost = {
  /** Whether any screen listens: a passage's view is built for them only. */
  listening(): boolean;
  /** Tells the screens; called only after the change is committed. */
  passageChanged(view: GatePassageView): void;
  readingTaken(reading: GateReadingView, passageId: string | null): void;
};

/**
 * The gate's live part: which passage each thermometer reading belongs to (presentations and
 * readings kept in memory, decided by the rule, recorded through the writer in the order they
 * were decided), and the passages made by scans. A restart forgets readings still waiting
 * (a few seconds' worth): they are measured again.
 */
export class Gate {
  private readonly matcher: ReadingMatcher<PendingReading>;
  private readonly followers: PassageFollower[] = [];
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly ctx: CoreContext,
    readonly records: GateRecords,
    private readonly host: GateHost,
  ) {
    this.matcher = new ReadingMatcher(() => {
      const { beforeScanSeconds, afterScanSeconds } = records.settings().reading;
      return { beforeMs: beforeScanSeconds * 1000, afterMs: afterScanSeconds * 1000 };
    });
  }

  /** Refused unless this station works as a gate or a sentinel. */
  requireGate(): void {
    if (!atGate(this.records.workplace().workplace)) throw new DomainError('gate.notAtGate');
  }

  /**
   * A person scanned at the gate: the passage is made, and the readings measured just before it
   * are decided in the same step, so its verdict comes back with its reading when there was one.
   * The presentation counts from the moment the scan arrives, before the writer runs.
   */
  async pass(person: PersonPayload, format: string, direction: Direction, pass?: { id: string; household: string; recheck: () => void }): Promise<GatePassageView> {
    const { id } = await this.present((passageId, at) => {
      // A pass revoked between the scan and the writer's turn is refused all the same.
      pass?.recheck();
      return this.records.createPassage({ id: passageId, person, format, direction, at, pass: pass && { id: pass.id, household: pass.household } });
    });
    return this.changed(id);
  }

  /**
   * Someone in front of the gate now, whose passage `make` records (a scan, a visitor's
   * registration or leaving): presented to the reading rule at once, so a reading measured just
   * before is decided with it, then the passage made in the writer and its followers run in the
   * same transaction. Resolves once committed, with the passage's id and what `make` returned.
   */
  async present<T>(make: (passageId: string, at: Date) => T): Promise<{ id: string; value: T }> {
    const at = this.ctx.now();
    const id = newId();
    const decided = this.matcher.present(at.getTime(), id);
    // Queued together: a passage refused in the writer still lets its readings be recorded (as unmatched).
    const made = this.ctx.writer.run(() => {
      const value = make(id, at);
      const after = this.followers.map((follow) => follow(id, at)).filter((f) => f !== null);
      return { value, after };
    });
    const recorded = this.record(decided);
    const { value, after } = await made;
    await recorded;
    for (const f of after) f();
    return { id, value };
  }

  /** Every passage made from now on is shown to `follower` (see `PassageFollower`). */
  follow(follower: PassageFollower): void {
    this.followers.push(follower);
  }

  /** A passage changed (made, a reading, a referral, an action): the screens are told. */
  changed(passageId: string): GatePassageView {
    const view = this.records.view(passageId);
    if (this.host.listening()) this.host.passageChanged(view);
    return view;
  }

  /** Someone presented a code that identified nobody: no passage, but it parts the readings around it. */
  presentedNobody(): void {
    void this.record(this.matcher.present(this.ctx.now().getTime(), null));
  }

  /** The gate keeper measures this passage's person again now: the next reading in the window is theirs. */
  async remeasure(passageId: string): Promise<GatePassageView> {
    const view = this.records.view(passageId);
    await this.record(this.matcher.present(this.ctx.now().getTime(), passageId));
    return view;
  }

  /** A reading typed by the gate keeper for a passage: no rule needed, they named the person. */
  async manualReading(passageId: string, celsius: number): Promise<GatePassageView> {
    const at = this.ctx.now();
    const taken = await this.ctx.writer.run(() => {
      if (!this.records.exists(passageId)) throw new DomainError('gate.passageNotFound', { id: passageId });
      return this.records.recordReading({ id: newId(), celsius, measuredAt: at.toISOString(), source: 'manual', deviceId: null, passageId, match: 'manual' }, at);
    });
    this.host.readingTaken(taken.reading, passageId);
    return this.changed(passageId);
  }

  /** A thermometer's stable reading (`thermometer.reading`); ignored at a sampling desk and at a door-to-door station. */
  thermometerReading(reading: { id: string; celsius: number; at: string }): void {
    if (this.closed || !atGate(this.records.workplace().workplace)) return;
    const pending: PendingReading = { id: newId(), at: Date.parse(reading.at), celsius: reading.celsius, deviceId: reading.id };
    const now = this.ctx.now().getTime();
    const decision = Number.isFinite(pending.at) ? this.matcher.reading(pending, now) : { reading: { ...pending, at: now }, passageId: null, cause: 'stale' as const };
    if (decision) void this.record([decision]);
    this.schedule();
  }

  /** Decides the readings whose time has come (the timer does this; tests with a clock of their own call it). */
  checkDue(): Promise<void> {
    const due = this.matcher.due(this.ctx.now().getTime());
    this.schedule();
    return this.record(due);
  }

  /** Readings still waiting for their decision. */
  waiting(): number {
    return this.matcher.waiting();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const next = this.matcher.nextDue();
    if (next === null || this.closed) return;
    this.timer = setTimeout(() => void this.checkDue(), Math.max(0, next - this.ctx.now().getTime())).unref();
  }

  /**
   * Records decided readings in one writer job, queued at once (so behind the passage a scan just
   * queued), then tells the screens. A failure is logged: the readings are lost, as a reading
   * the thermometer never sent would be, and the gate keeper measures again.
   */
  private record(decisions: MatchDecision<PendingReading>[]): Promise<void> {
    if (decisions.length === 0) return Promise.resolve();
    const at = this.ctx.now();
    const toRecord: ReadingToRecord[] = decisions.map((d) => ({
      id: d.reading.id,
      celsius: d.reading.celsius,
      measuredAt: new Date(d.reading.at).toISOString(),
      source: 'thermometer',
      deviceId: d.reading.deviceId,
      passageId: d.passageId,
      match: d.cause === 'matched' ? 'auto' : d.cause,
    }));
    return this.ctx.writer.run(() => toRecord.map((r) => this.records.recordReading(r, at))).then(
      (taken) => {
        if (this.closed) return;
        const unattended = this.records.workplace().workplace === 'sentinel';
        for (const t of taken) {
          this.host.readingTaken(t.reading, t.passageId);
          if (!t.passageId) continue;
          if (this.host.listening()) this.changed(t.passageId);
          // A sentinel has nobody to press "re-measure": a first high reading asks for it itself, the person still in front of it.
          if (unattended && t.temperature === 'remeasure') {
            void this.record(this.matcher.present(this.ctx.now().getTime(), t.passageId));
          }
        }
      },
      (err: unknown) => log.error({ err, readings: toRecord.length }, 'thermometer readings could not be recorded'),
    );
  }
}

/**
 * Gates as the reading rule assumes them (`electron/core/gate/matcher.ts`), generated for property
 * tests: people one at a time, each presenting themselves one or more times (a scan, a refused
 * scan, a re-measure the gate keeper starts), measured any number of times while they are there,
 * each reading delivered after any delay, and checks of the clock in between.
 */
import fc from 'fast-check';

/** Times are generated in steps of 100 ms, so that scans, readings and deliveries often fall on the same moment. */
export const STEP_MS = 100;

export type Attempt = 'scan' | 'refused' | 'remeasure';

export type GateEvent =
  /** `passage`: the passage the scan made or the re-measure named; null for a refused scan. */
  | { kind: 'present'; at: number; person: number; attempt: Attempt; passage: string | null }
  | { kind: 'reading'; at: number; reading: { id: string; at: number; person: number } }
  | { kind: 'tick'; at: number };

export type GateScenario = {
  beforeMs: number;
  afterMs: number;
  events: GateEvent[];
  /** Whose each passage is. */
  owners: Map<string, number>;
  readings: number;
  end: number;
};

const personArb = (maxAttempts: number, maxReadings: number) =>
  fc.record({
    // Crowded gates most of the time (the next person right behind), quiet ones sometimes.
    gap: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 100 })),
    early: fc.double({ min: 0, max: 1, noNaN: true }),
    late: fc.double({ min: 0, max: 1, noNaN: true }),
    attempts: fc.array(fc.record({ attempt: fc.constantFrom<Attempt>('scan', 'scan', 'refused', 'remeasure'), after: fc.integer({ min: 0, max: 150 }) }), { minLength: 1, maxLength: maxAttempts }),
    readings: fc.array(fc.record({ where: fc.double({ min: 0, max: 1, noNaN: true }), delay: fc.oneof(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 700 })) }), { maxLength: maxReadings }),
  });

/** A gate scenario: `people` at most, with everything that happens in the order it happens (ties in any order). */
export function gateScenario(options: { people: number; attempts: number; readings: number; ticks: number }): fc.Arbitrary<GateScenario> {
  return fc
    .record({
      before: fc.integer({ min: 0, max: 50 }),
      after: fc.integer({ min: 1, max: 150 }),
      people: fc.array(personArb(options.attempts, options.readings), { minLength: 1, maxLength: options.people }),
      ticks: fc.array(fc.integer({ min: 0, max: 4000 }), { maxLength: options.ticks }),
      order: fc.array(fc.integer(), { minLength: 200, maxLength: 200 }),
    })
    .map(({ before, after, people, ticks, order }) => {
      const events: { event: GateEvent; tie: number }[] = [];
      const owners = new Map<string, number>();
      let tie = 0;
      // Events at one moment come in any order, but one's presentations stay in the order they were
      // made (a re-measure names a passage scanned before it, even in the same millisecond).
      let presented = 0;
      const push = (event: GateEvent) => events.push({ event, tie: event.kind === 'present' ? presented++ : order[tie++ % order.length]! });
      let leftAt = 0;
      let readings = 0;
      people.forEach((p, k) => {
        // Arrives at most `before` ahead of the first presentation, leaves at most `after` behind the last.
        const arrives = leftAt + p.gap;
        let at = arrives + Math.round(p.early * before);
        let lastPassage: string | null = null;
        let last = at;
        p.attempts.forEach((a, i) => {
          if (i > 0) at += a.after;
          let attempt = a.attempt;
          if (attempt === 'remeasure' && lastPassage === null) attempt = 'refused';
          let passage: string | null = null;
          if (attempt === 'scan') {
            passage = `p${k}.${i}`;
            owners.set(passage, k);
            lastPassage = passage;
          } else if (attempt === 'remeasure') passage = lastPassage;
          push({ kind: 'present', at: at * STEP_MS, person: k, attempt, passage });
          last = at;
        });
        const leaves = last + 1 + Math.floor(p.late * (after - 1));
        p.readings.forEach((r, i) => {
          const measured = arrives + Math.min(leaves - arrives - 1, Math.floor(r.where * (leaves - arrives)));
          readings++;
          push({ kind: 'reading', at: (measured + r.delay) * STEP_MS, reading: { id: `r${k}.${i}`, at: measured * STEP_MS, person: k } });
        });
        leftAt = leaves;
      });
      for (const t of ticks) push({ kind: 'tick', at: t * STEP_MS });
      events.sort((a, b) => a.event.at - b.event.at || a.tie - b.tie);
      const end = Math.max(leftAt * STEP_MS, ...events.map((e) => e.event.at)) + 120_000;
      return { beforeMs: before * STEP_MS, afterMs: after * STEP_MS, events: events.map((e) => e.event), owners, readings, end };
    });
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReadingMatcher, STALE_MS, type MatchDecision } from '../../../electron/core/gate/matcher';
import { fuzzOptions } from '../fuzz/arbitraries';
import { gateScenario, type GateScenario } from './scenario';

type Reading = { id: string; at: number; person: number };

/** Plays a scenario through the matcher: every decision, in the order they were made. */
function play(s: GateScenario): MatchDecision<Reading>[] {
  const matcher = new ReadingMatcher<Reading>(() => ({ beforeMs: s.beforeMs, afterMs: s.afterMs }));
  const decisions: MatchDecision<Reading>[] = [];
  for (const e of s.events) {
    if (e.kind === 'present') decisions.push(...matcher.present(e.at, e.passage));
    else if (e.kind === 'reading') {
      const d = matcher.reading(e.reading, e.at);
      if (d) decisions.push(d);
    } else decisions.push(...matcher.due(e.at));
  }
  decisions.push(...matcher.due(s.end));
  expect(matcher.waiting()).toBe(0);
  return decisions;
}

describe('the reading rule (property)', () => {
  it('never attaches a reading to a passage of anyone but the person it was measured on, whatever the order and delays', () => {
    let attached = 0;
    let readings = 0;
    fc.assert(
      fc.property(gateScenario({ people: 12, attempts: 4, readings: 3, ticks: 20 }), (s) => {
        const decisions = play(s);
        // Every reading is decided exactly once.
        expect(decisions.map((d) => d.reading.id).sort()).toEqual(s.events.flatMap((e) => (e.kind === 'reading' ? [e.reading.id] : [])).sort());
        for (const d of decisions) {
          if (d.passageId === null) continue;
          expect(d.cause).toBe('matched');
          expect(s.owners.get(d.passageId), `${d.reading.id} went to ${d.passageId}`).toBe(d.reading.person);
          attached++;
        }
        readings += s.readings;
      }),
      fuzzOptions(3000),
    );
    // Not safe by attaching nothing: even at these crowded gates (no time between people, refused
    // scans, deliveries a minute late) many readings find their person; the next test has them all.
    expect(attached / readings).toBeGreaterThan(0.1);
  });

  it('attaches every reading of people who come one by one with time between them, whatever the delivery delay under a minute', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ early: fc.integer({ min: 0, max: 2000 }), late: fc.integer({ min: 0, max: 7999 }), delay: fc.integer({ min: 0, max: STALE_MS }) }), { minLength: 1, maxLength: 30 }),
        (people) => {
          const matcher = new ReadingMatcher<Reading>(() => ({ beforeMs: 2000, afterMs: 8000 }));
          const events: { at: number; run: () => MatchDecision<Reading>[] }[] = [];
          people.forEach((p, k) => {
            // 20 s apart: each reading is within one person's window only.
            const scan = k * 20_000;
            const reading = { id: `r${k}`, at: scan - p.early + p.late, person: k };
            events.push({ at: scan, run: () => matcher.present(scan, `p${k}`) });
            events.push({ at: reading.at + p.delay, run: () => [matcher.reading(reading, reading.at + p.delay)].flatMap((d) => (d ? [d] : [])) });
          });
          events.sort((a, b) => a.at - b.at);
          const decisions = events.flatMap((e) => e.run()).concat(matcher.due(Number.MAX_SAFE_INTEGER));
          expect(decisions.map((d) => [d.reading.id, d.passageId]).sort()).toEqual(people.map((_, k) => [`r${k}`, `p${k}`]).sort());
        },
      ),
      fuzzOptions(300),
    );
  });
});

describe('the reading rule (cases)', () => {
  const window = { beforeMs: 2000, afterMs: 8000 };
  const reading = (id: string, at: number) => ({ id, at, person: 0 });

  it('takes a reading measured after the scan once nobody else can have been scanned for it', () => {
    const m = new ReadingMatcher<Reading>(() => window);
    expect(m.present(10_000, 'A')).toEqual([]);
    expect(m.reading(reading('r', 13_000), 13_010)).toBeNull();
    expect(m.nextDue()).toBe(15_001);
    expect(m.due(15_000)).toEqual([]);
    expect(m.due(15_001)).toEqual([{ reading: reading('r', 13_000), passageId: 'A', cause: 'matched' }]);
  });

  it('decides at once when the gate measures after the scan only (nothing before it)', () => {
    const m = new ReadingMatcher<Reading>(() => ({ beforeMs: 0, afterMs: 8000 }));
    m.present(10_000, 'A');
    expect(m.reading(reading('r', 13_000), 13_001)).toMatchObject({ passageId: 'A', cause: 'matched' });
  });

  it('takes a reading measured just before the scan when the scan comes', () => {
    const m = new ReadingMatcher<Reading>(() => window);
    expect(m.reading(reading('r', 9_000), 9_000)).toBeNull();
    expect(m.present(10_000, 'A')).toEqual([{ reading: reading('r', 9_000), passageId: 'A', cause: 'matched' }]);
  });

  it('judges a late reading by when it was measured, not by the scan it arrives after', () => {
    const m = new ReadingMatcher<Reading>(() => window);
    m.present(10_000, 'A');
    m.present(30_000, 'B');
    expect(m.reading(reading('r', 12_000), 30_500)).toMatchObject({ passageId: 'A', cause: 'matched' });
  });

  it('gives a reading right after a scan to that person, though the one before is still within the window', () => {
    const m = new ReadingMatcher<Reading>(() => window);
    m.present(10_000, 'A');
    m.present(13_000, 'B');
    expect(m.reading(reading('r', 15_000), 17_001)).toMatchObject({ passageId: 'B', cause: 'matched' });
  });

  it('attaches to neither when the next person was scanned right after it', () => {
    const m = new ReadingMatcher<Reading>(() => window);
    m.present(10_000, 'A');
    expect(m.reading(reading('r', 14_000), 14_000)).toBeNull();
    // B scanned 1 s after the reading: it may have been B, measured before their scan.
    expect(m.present(15_000, 'B')).toEqual([{ reading: reading('r', 14_000), passageId: null, cause: 'ambiguous' }]);
  });

  it('attaches nothing to a scan that identified nobody, and lets it part its neighbours', () => {
    const m = new ReadingMatcher<Reading>(() => window);
    m.present(10_000, 'A');
    m.present(12_000, null);
    expect(m.reading(reading('r', 13_000), 16_000)).toMatchObject({ passageId: null, cause: 'unmatched' });
  });

  it('takes the re-measure of a passage the gate keeper started, after its window had passed', () => {
    const m = new ReadingMatcher<Reading>(() => window);
    m.present(10_000, 'A');
    expect(m.reading(reading('late', 40_000), 43_000)).toMatchObject({ passageId: null, cause: 'unmatched' });
    m.present(60_000, 'A');
    expect(m.reading(reading('again', 61_000), 63_001)).toMatchObject({ passageId: 'A', cause: 'matched' });
  });

  it('refuses readings delivered more than a minute late or stamped in the future', () => {
    const m = new ReadingMatcher<Reading>(() => window);
    m.present(10_000, 'A');
    expect(m.reading(reading('old', 11_000), 11_000 + STALE_MS + 1)).toMatchObject({ passageId: null, cause: 'stale' });
    expect(m.reading(reading('ahead', 30_000), 20_000)).toMatchObject({ passageId: null, cause: 'stale' });
  });

  it('never places a scan before one already made when the clock is set back', () => {
    const m = new ReadingMatcher<Reading>(() => window);
    m.present(10_000, 'A');
    expect(m.reading(reading('r', 11_000), 11_000)).toBeNull();
    // The wall clock jumped back 5 s: B's scan still counts as after the reading, so it is not A's alone.
    expect(m.present(6_000, 'B')).toEqual([]);
    expect(m.due(13_001)).toEqual([{ reading: reading('r', 11_000), passageId: null, cause: 'ambiguous' }]);
  });
});

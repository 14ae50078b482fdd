/** Body temperatures outside this range are not a person's reading (ambient, a hand, a cup). */
export const BODY_RANGE_C = { min: 32, max: 43 } as const;

export type StabilizerOptions = {
  /** Consecutive values agreeing within this many °C form a stable burst. */
  toleranceC: number;
  /** How many agreeing values make a reading. */
  samples: number;
  /** Quiet time (no in-range value) before the next person's reading. */
  gapMs: number;
  /** Per-device calibration, added to every value before anything else. */
  offsetC: number;
};

export const DEFAULT_STABILIZER: StabilizerOptions = { toleranceC: 0.2, samples: 3, gapMs: 1500, offsetC: 0 };

/**
 * Turns a stream of raw values into one reading per person: the mean of the first run of
 * `samples` consecutive in-range values that agree within the tolerance; then nothing until the
 * thermometer has seen no one (no in-range value) for `gapMs`.
 */
export class ReadingStabilizer {
  private run: number[] = [];
  private locked = false;
  private lastInRangeAt = -Infinity;

  constructor(private options: StabilizerOptions = DEFAULT_STABILIZER) {}

  setOffset(offsetC: number): void {
    this.options = { ...this.options, offsetC };
  }

  /** The reading this value completes, in °C rounded to 0.1, or null. */
  push(rawC: number, atMs: number): number | null {
    const value = rawC + this.options.offsetC;
    if (!Number.isFinite(value) || value < BODY_RANGE_C.min || value > BODY_RANGE_C.max) {
      this.run = [];
      if (atMs - this.lastInRangeAt >= this.options.gapMs) this.locked = false;
      return null;
    }
    if (this.locked && atMs - this.lastInRangeAt >= this.options.gapMs) this.locked = false;
    this.lastInRangeAt = atMs;
    if (this.locked) return null;
    const agrees = this.run.every((v) => Math.abs(v - value) <= this.options.toleranceC);
    this.run = agrees ? [...this.run, value] : [value];
    if (this.run.length < this.options.samples) return null;
    const mean = this.run.reduce((a, b) => a + b, 0) / this.run.length;
    this.run = [];
    this.locked = true;
    return Math.round(mean * 10) / 10;
  }
}

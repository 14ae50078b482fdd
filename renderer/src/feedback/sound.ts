import type { Tone } from './feedback';

type Note = { hz: number; ms: number; wave: OscillatorType };

/**
 * What can be heard: every outcome's tone, and the gate's two alarms, which must never be taken
 * for an ordinary refusal: a fever (a slow high-low siren) and a key person (fast high pulses).
 */
export type Sound = Tone | 'fever' | 'keyPerson';

// Distinct enough to tell apart without looking: one short high beep for "accepted", a low
// double buzz for "rejected", a rising triad for "tube full", a two-tone call for "confirm".
const PATTERNS: Record<Sound, Note[]> = {
  accepted: [{ hz: 1568, ms: 90, wave: 'sine' }],
  rejected: [
    { hz: 196, ms: 180, wave: 'square' },
    { hz: 196, ms: 180, wave: 'square' },
  ],
  full: [
    { hz: 784, ms: 110, wave: 'sine' },
    { hz: 988, ms: 110, wave: 'sine' },
    { hz: 1319, ms: 220, wave: 'sine' },
  ],
  confirm: [
    { hz: 880, ms: 150, wave: 'triangle' },
    { hz: 587, ms: 150, wave: 'triangle' },
    { hz: 880, ms: 150, wave: 'triangle' },
  ],
  info: [{ hz: 1046, ms: 70, wave: 'sine' }],
  fever: [
    { hz: 1175, ms: 260, wave: 'sawtooth' },
    { hz: 784, ms: 260, wave: 'sawtooth' },
    { hz: 1175, ms: 260, wave: 'sawtooth' },
    { hz: 784, ms: 260, wave: 'sawtooth' },
  ],
  keyPerson: [
    { hz: 1760, ms: 80, wave: 'square' },
    { hz: 1760, ms: 80, wave: 'square' },
    { hz: 1760, ms: 80, wave: 'square' },
    { hz: 1760, ms: 80, wave: 'square' },
    { hz: 1760, ms: 80, wave: 'square' },
    { hz: 1760, ms: 80, wave: 'square' },
  ],
};

const GAP_S = 0.05;
let context: AudioContext | null = null;

/** Plays the tone for an outcome (or an alarm). Silent (never failing) where audio is unavailable. */
export function playTone(tone: Sound): void {
  try {
    context ??= new AudioContext();
    if (context.state === 'suspended') void context.resume();
    let at = context.currentTime + 0.01;
    for (const note of PATTERNS[tone]) {
      const seconds = note.ms / 1000;
      const osc = context.createOscillator();
      const gain = context.createGain();
      osc.type = note.wave;
      osc.frequency.value = note.hz;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.35, at + 0.01);
      gain.gain.setValueAtTime(0.35, at + seconds - 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + seconds);
      osc.connect(gain).connect(context.destination);
      osc.start(at);
      osc.stop(at + seconds + 0.01);
      at += seconds + GAP_S;
    }
  } catch {
    // No audio device (a kiosk without speakers, a headless test): the banner still shows.
  }
}

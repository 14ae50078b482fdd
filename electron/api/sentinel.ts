/**
 * The unattended sentinel (数字哨兵) part of the typed API (composed into contract.ts): a gate
 * that runs with nobody signed in. A person scans their code, the thermometer reads, and the
 * kiosk shows and speaks what to do. It gets only what the person in front of it may hear: their
 * name, the temperature and what to do; never their ID number, household, key-person list or
 * results (those are the gate keeper's, `gate.*`, behind a sign-in).
 */
import { z } from 'zod';
import type { Direction, TemperatureState } from './gate';

export type SentinelErrorCode =
  /** This station is not a sentinel: a site admin makes it one first (`station.setWorkplace`). */
  | 'sentinel.notSentinel'
  /** Only a site admin may sign in at a sentinel (its staff controls); params: role. */
  | 'operator.sentinelAdminOnly';

/**
 * What the person is told, in one word for the screen and the voice:
 * `pass` (temperature normal or not needed: go through), `measure` (stand at the thermometer),
 * `remeasure` (high once: measure again), `fever` (high again: staff come), `staff` (anything
 * else that stops or needs checking: staff come; the reason is the gate keeper's, not said
 * aloud), `passInvalid` (a resident pass revoked, expired or unknown), `unreadable` (a code that
 * is no person's: scan again).
 */
export const SENTINEL_PROMPTS = ['pass', 'measure', 'remeasure', 'fever', 'staff', 'passInvalid', 'unreadable'] as const;
export type SentinelPrompt = (typeof SENTINEL_PROMPTS)[number];

export type SentinelView = {
  /** One per verdict shown: the screen speaks each once. */
  id: string;
  /** The passage it is about, or null for a scan that made none. */
  passageId: string | null;
  at: string;
  /** The person's name as the roster or their code gives it, to greet them; null when unknown. */
  name: string | null;
  prompt: SentinelPrompt;
  /** The colour: green, amber, red. */
  level: 'pass' | 'check' | 'stop';
  /** False while a reading is still awaited (the screen waits for the next verdict). */
  final: boolean;
  temperature: TemperatureState | null;
  /** The latest reading, °C, when there is one. */
  celsius: number | null;
};

/** The kiosk's own state: nothing personal, shown before anyone scans. */
export type SentinelState = {
  active: boolean;
  direction: Direction;
  site: string;
  station: string;
  feverC: number;
  /** Whether a thermometer is configured and connected now (else the kiosk asks staff for one). */
  thermometer: 'connected' | 'disconnected' | 'none';
};

export const sentinelArgs = {
  'sentinel.state': z.object({}).strict(),
  'sentinel.scan': z.object({ text: z.string().max(4096), source: z.enum(['wedge', 'serial', 'hid', 'manual', 'simulator']) }).strict(),
} as const;

type Args<K extends keyof typeof sentinelArgs> = z.infer<(typeof sentinelArgs)[K]>;

export type SentinelHandlers = {
  'sentinel.state': { args: Args<'sentinel.state'>; value: SentinelState };
  'sentinel.scan': { args: Args<'sentinel.scan'>; value: SentinelView };
};

export type SentinelEvents = {
  /** A scan at the sentinel, or its passage changed (a reading attached): what to show and say now. */
  'sentinel.verdict': SentinelView;
};

/**
 * Keyboard-wedge scanner detection.
 *
 * A wedge scanner "types" its barcode as keystrokes, much faster than a person can (a few ms
 * between keys), usually followed by Enter or Tab. This module tells such bursts apart from
 * human typing by the time between keys, wherever the focus is, and survives a Chinese input
 * method: with an IME active, keydown reports `key: 'Process'`, so the character is taken from
 * the physical key (`code`) instead. Hand-written because no maintained library does timing
 * plus IME plus field restoration; it is pure (no DOM types) so it is unit-tested with plain
 * event objects, and `attachWedge` in `dom.ts` wires it to the window.
 */

export type WedgeOptions = {
  /** Keys closer together than this (ms) belong to one burst. */
  maxGapMs: number;
  /** A burst shorter than this is not a scan (a person's rollover typing can be fast for 2–3 keys). */
  minLength: number;
  /** Which keys end a scan. Scanners are commonly set to send Enter; some send Tab. */
  terminators: ('Enter' | 'Tab')[];
  /** A burst with no terminator ends after this much silence (ms). */
  idleTimeoutMs: number;
  /** When false, a burst that ends by silence is still a scan (scanners set to send no suffix). */
  requireTerminator: boolean;
};

// 50 ms: USB scanners send a key every 1–10 ms, some Bluetooth ones every 20–40 ms; a person
// does not type four keys and Enter each within 50 ms. Scanners ship with an Enter suffix, and
// requiring it keeps a fast typist's word from ever becoming a scan.
export const DEFAULT_WEDGE_OPTIONS: WedgeOptions = {
  maxGapMs: 50,
  minLength: 4,
  terminators: ['Enter', 'Tab'],
  idleTimeoutMs: 120,
  requireTerminator: true,
};

/** The value and selection of a text field, to undo what a burst typed into it. */
export type FieldSnapshot = { value: string; selectionStart: number | null; selectionEnd: number | null };

/** The focused text field, if any, as the detector sees it. */
export type WedgeField = {
  snapshot(): FieldSnapshot;
  /** Sets the value and selection, cancelling any IME composition in progress. */
  restore(snapshot: FieldSnapshot): void;
  /** Keeps the snapshot through late input events (an IME commits its text after our keydown). */
  hold(snapshot: FieldSnapshot): void;
};

/** The parts of a DOM KeyboardEvent the detector reads. */
export type WedgeKeyEvent = {
  key: string;
  code: string;
  shiftKey: boolean;
  ctrlKey: boolean;
  altKey: boolean;
  metaKey: boolean;
  repeat: boolean;
  isComposing: boolean;
  /** Milliseconds, monotonic (DOM `event.timeStamp`). */
  timeStamp: number;
  preventDefault(): void;
  stopPropagation(): void;
};

export type Scheduler = (fn: () => void, ms: number) => () => void;

const defaultScheduler: Scheduler = (fn, ms) => {
  const handle = setTimeout(fn, ms);
  return () => clearTimeout(handle);
};

// US layout: what each physical key types, unshifted and shifted. Scanners emulate a US
// keyboard, and with an IME active `code` is all we get.
const US_KEYS: Record<string, [string, string]> = {
  Digit1: ['1', '!'],
  Digit2: ['2', '@'],
  Digit3: ['3', '#'],
  Digit4: ['4', '$'],
  Digit5: ['5', '%'],
  Digit6: ['6', '^'],
  Digit7: ['7', '&'],
  Digit8: ['8', '*'],
  Digit9: ['9', '('],
  Digit0: ['0', ')'],
  Minus: ['-', '_'],
  Equal: ['=', '+'],
  BracketLeft: ['[', '{'],
  BracketRight: [']', '}'],
  Backslash: ['\\', '|'],
  Semicolon: [';', ':'],
  Quote: ["'", '"'],
  Comma: [',', '<'],
  Period: ['.', '>'],
  Slash: ['/', '?'],
  Backquote: ['`', '~'],
  Space: [' ', ' '],
  NumpadDecimal: ['.', '.'],
  NumpadAdd: ['+', '+'],
  NumpadSubtract: ['-', '-'],
  NumpadMultiply: ['*', '*'],
  NumpadDivide: ['/', '/'],
};

/** The character a physical key types on a US layout, or null for non-character keys. */
export function usLayoutCharacter(code: string, shift: boolean): string | null {
  const letter = /^Key([A-Z])$/.exec(code);
  if (letter?.[1]) return shift ? letter[1] : letter[1].toLowerCase();
  const numpad = /^Numpad([0-9])$/.exec(code);
  if (numpad?.[1]) return numpad[1];
  const pair = US_KEYS[code];
  return pair ? pair[shift ? 1 : 0] : null;
}

type KeyMeaning = { kind: 'char'; char: string } | { kind: 'terminator' } | { kind: 'modifier' } | { kind: 'other' };

const MODIFIER_KEYS = new Set(['Shift', 'CapsLock', 'Control', 'Alt', 'Meta', 'AltGraph', 'NumLock']);

function meaningOf(e: WedgeKeyEvent, options: WedgeOptions): KeyMeaning {
  if (MODIFIER_KEYS.has(e.key)) return { kind: 'modifier' };
  const imeActive = e.isComposing || e.key === 'Process' || e.key === 'Unidentified';
  if (imeActive) {
    if (e.code === 'Enter' || e.code === 'NumpadEnter') return options.terminators.includes('Enter') ? { kind: 'terminator' } : { kind: 'other' };
    if (e.code === 'Tab') return options.terminators.includes('Tab') ? { kind: 'terminator' } : { kind: 'other' };
    const char = usLayoutCharacter(e.code, e.shiftKey);
    return char === null ? { kind: 'other' } : { kind: 'char', char };
  }
  if ((e.key === 'Enter' || e.key === 'Tab') && options.terminators.includes(e.key)) return { kind: 'terminator' };
  if (e.key.length === 1) return { kind: 'char', char: e.key };
  return { kind: 'other' };
}

export type WedgeDetector = {
  /** Feed every keydown (capture phase). Prevents default on keys that belong to a scan. */
  keydown(e: WedgeKeyEvent, field: WedgeField | null): void;
  /** Forget any burst in progress (e.g. the window lost focus). */
  reset(): void;
};

/**
 * Creates a detector that calls `onScan` with each scanned text.
 *
 * The first key of a burst cannot be told from a person's keystroke, so it is let through; when
 * the second key follows within `maxGapMs`, the burst is recognised, every further key is
 * swallowed and the field the first key landed in is restored. A burst that turns out too short
 * to be a scan is given back to the field, so a fast typist loses nothing.
 */
export function createWedgeDetector(
  onScan: (text: string) => void,
  options: Partial<WedgeOptions> = {},
  schedule: Scheduler = defaultScheduler,
): WedgeDetector {
  const opts: WedgeOptions = { ...DEFAULT_WEDGE_OPTIONS, ...options };
  let chars: string[] = [];
  let lastAt = -Infinity;
  let inBurst = false;
  let field: WedgeField | null = null;
  let before: FieldSnapshot | null = null;
  let cancelTimer: (() => void) | null = null;

  function clear(): void {
    cancelTimer?.();
    cancelTimer = null;
    chars = [];
    lastAt = -Infinity;
    inBurst = false;
    field = null;
    before = null;
  }

  /** Puts swallowed characters back where they would have gone. */
  function giveBack(): void {
    if (inBurst && field && before) {
      const text = chars.join('');
      const start = before.selectionStart ?? before.value.length;
      const end = before.selectionEnd ?? start;
      const value = before.value.slice(0, start) + text + before.value.slice(end);
      field.restore({ value, selectionStart: start + text.length, selectionEnd: start + text.length });
    }
    clear();
  }

  function finish(): void {
    const text = chars.join('');
    // The field keeps what it had before the burst, whatever an IME or the first key put there.
    if (field && before) {
      field.restore(before);
      field.hold(before);
    }
    clear();
    onScan(text);
  }

  function onIdle(): void {
    cancelTimer = null;
    if (inBurst && !opts.requireTerminator && chars.length >= opts.minLength) finish();
    else giveBack();
  }

  return {
    reset: clear,
    keydown(e, focused) {
      const meaning = meaningOf(e, opts);
      if (meaning.kind === 'modifier') return;
      const gap = e.timeStamp - lastAt;
      const fast = gap <= opts.maxGapMs;
      if (meaning.kind === 'terminator') {
        if (inBurst && fast && chars.length >= opts.minLength) {
          e.preventDefault();
          e.stopPropagation();
          finish();
        } else {
          giveBack();
        }
        return;
      }
      if (meaning.kind === 'other' || e.ctrlKey || e.altKey || e.metaKey || e.repeat) {
        giveBack();
        return;
      }
      if (chars.length > 0 && fast) {
        chars.push(meaning.char);
        lastAt = e.timeStamp;
        e.preventDefault();
        e.stopPropagation();
        if (!inBurst) {
          inBurst = true;
          if (field && before) field.restore(before);
        }
        cancelTimer?.();
        cancelTimer = schedule(onIdle, opts.idleTimeoutMs);
        return;
      }
      if (inBurst) giveBack();
      else clear();
      // Possibly the first key of a burst: it goes through, and we remember the field as it was.
      chars = [meaning.char];
      lastAt = e.timeStamp;
      field = focused;
      before = focused ? focused.snapshot() : null;
    },
  };
}

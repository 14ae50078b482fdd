import { describe, expect, it } from 'vitest';
import {
  createWedgeDetector,
  usLayoutCharacter,
  type FieldSnapshot,
  type Scheduler,
  type WedgeField,
  type WedgeKeyEvent,
  type WedgeOptions,
} from '../../../renderer/src/scanner/wedge';

/** A text field as a browser would behave: keys not prevented insert their character at the caret. */
class FakeField implements WedgeField {
  value: string;
  selectionStart: number;
  selectionEnd: number;
  held: FieldSnapshot | null = null;
  constructor(value = '') {
    this.value = value;
    this.selectionStart = value.length;
    this.selectionEnd = value.length;
  }
  snapshot(): FieldSnapshot {
    return { value: this.value, selectionStart: this.selectionStart, selectionEnd: this.selectionEnd };
  }
  restore(s: FieldSnapshot): void {
    this.value = s.value;
    this.selectionStart = s.selectionStart ?? s.value.length;
    this.selectionEnd = s.selectionEnd ?? this.selectionStart;
  }
  hold(s: FieldSnapshot): void {
    this.held = s;
  }
  type(char: string): void {
    this.value = this.value.slice(0, this.selectionStart) + char + this.value.slice(this.selectionEnd);
    this.selectionStart += char.length;
    this.selectionEnd = this.selectionStart;
  }
}

/** A scheduler driven by the test's clock instead of real time. */
function manualClock() {
  let now = 0;
  let timers: { at: number; fn: () => void }[] = [];
  const schedule: Scheduler = (fn, ms) => {
    const timer = { at: now + ms, fn };
    timers.push(timer);
    return () => {
      timers = timers.filter((t) => t !== timer);
    };
  };
  return {
    schedule,
    now: () => now,
    advance(ms: number) {
      now += ms;
      const due = timers.filter((t) => t.at <= now);
      timers = timers.filter((t) => t.at > now);
      for (const t of due) t.fn();
    },
  };
}

type KeySpec = { key: string; code: string; shiftKey?: boolean; isComposing?: boolean; repeat?: boolean; ctrlKey?: boolean };

const CODE_OF: Record<string, string> = { '-': 'Minus', '/': 'Slash', ':': 'Semicolon', '.': 'Period', '{': 'BracketLeft', '}': 'BracketRight', '"': 'Quote', ',': 'Comma', '?': 'Slash', '=': 'Equal', '&': 'Digit7' };

function keyFor(char: string): KeySpec {
  if (/[a-z]/.test(char)) return { key: char, code: `Key${char.toUpperCase()}` };
  if (/[A-Z]/.test(char)) return { key: char, code: `Key${char}`, shiftKey: true };
  if (/[0-9]/.test(char)) return { key: char, code: `Digit${char}` };
  const code = CODE_OF[char];
  if (!code) throw new Error(`no key for ${char}`);
  return { key: char, code, shiftKey: '{}":?&'.includes(char) };
}

function harness(options: Partial<WedgeOptions> = {}) {
  const clock = manualClock();
  const scans: string[] = [];
  const detector = createWedgeDetector((text) => scans.push(text), options, clock.schedule);
  let field: FakeField | null = null;
  const prevented: string[] = [];

  /** Presses one key `gapMs` after the previous one; returns whether the page default was prevented. */
  function press(spec: KeySpec, gapMs: number): boolean {
    clock.advance(gapMs);
    let defaultPrevented = false;
    const event: WedgeKeyEvent = {
      key: spec.key,
      code: spec.code,
      shiftKey: spec.shiftKey ?? false,
      ctrlKey: spec.ctrlKey ?? false,
      altKey: false,
      metaKey: false,
      repeat: spec.repeat ?? false,
      isComposing: spec.isComposing ?? false,
      timeStamp: clock.now(),
      preventDefault: () => {
        defaultPrevented = true;
      },
      stopPropagation: () => undefined,
    };
    detector.keydown(event, field);
    if (defaultPrevented) prevented.push(spec.key);
    // What the browser does with a key nobody prevented, in a text field.
    if (!defaultPrevented && field && spec.key.length === 1 && !spec.isComposing && spec.key !== 'Process') field.type(spec.key);
    return defaultPrevented;
  }

  function typeText(text: string, gapMs: number, terminator: 'Enter' | 'Tab' | null = 'Enter'): void {
    for (const char of text) press(keyFor(char), gapMs);
    if (terminator) press({ key: terminator, code: terminator }, gapMs);
  }

  return {
    scans,
    prevented,
    press,
    typeText,
    clock,
    focus(f: FakeField | null) {
      field = f;
    },
  };
}

describe('keyboard-wedge detection', () => {
  it('takes a fast burst ended by Enter as one scan and swallows the Enter', () => {
    const h = harness();
    h.typeText('SY0000000001', 4);
    expect(h.scans).toEqual(['SY0000000001']);
    expect(h.prevented).toContain('Enter');
  });

  it('does not take human-speed typing for a scan and lets every key through', () => {
    const h = harness();
    const f = new FakeField();
    h.focus(f);
    h.typeText('zhang', 120);
    expect(h.scans).toEqual([]);
    expect(h.prevented).toEqual([]);
    expect(f.value).toBe('zhang');
  });

  it('keeps a burst out of the focused input and restores its value and caret', () => {
    const h = harness();
    const f = new FakeField('wang');
    f.selectionStart = 2;
    f.selectionEnd = 2;
    h.focus(f);
    h.typeText('110105198001010019', 3);
    expect(h.scans).toEqual(['110105198001010019']);
    expect(f.value).toBe('wang');
    expect([f.selectionStart, f.selectionEnd]).toEqual([2, 2]);
    // The IME may commit late: the field is told to hold the pre-scan value.
    expect(f.held?.value).toBe('wang');
  });

  it('restores a selection that the first key of the burst replaced', () => {
    const h = harness();
    const f = new FakeField('abcdef');
    f.selectionStart = 1;
    f.selectionEnd = 4;
    h.focus(f);
    h.typeText('SY0000000002', 5);
    expect(h.scans).toEqual(['SY0000000002']);
    expect(f.snapshot()).toEqual({ value: 'abcdef', selectionStart: 1, selectionEnd: 4 });
  });

  it('reads characters from the physical key when a Chinese IME reports Process', () => {
    const h = harness();
    const f = new FakeField('');
    h.focus(f);
    const text = 'SY0000000003';
    for (const char of text) {
      const k = keyFor(char);
      h.press({ key: 'Process', code: k.code, shiftKey: k.shiftKey ?? false, isComposing: true }, 4);
    }
    h.press({ key: 'Process', code: 'Enter', isComposing: true }, 4);
    expect(h.scans).toEqual([text]);
    expect(f.held?.value).toBe('');
  });

  it('reads Unidentified keys by their code too', () => {
    const h = harness();
    for (const code of ['KeyS', 'KeyY', 'Digit1', 'Digit2', 'Digit3']) h.press({ key: 'Unidentified', code, shiftKey: code.startsWith('Key') }, 3);
    h.press({ key: 'Enter', code: 'Enter' }, 3);
    expect(h.scans).toEqual(['SY123']);
  });

  it('keeps shifted characters of a JSON payload, with Shift presses in between', () => {
    const h = harness();
    const payload = '{"name":"A","id":"1"}';
    for (const char of payload) {
      const k = keyFor(char);
      if (k.shiftKey) h.press({ key: 'Shift', code: 'ShiftLeft', shiftKey: true }, 2);
      h.press(k, 2);
    }
    h.press({ key: 'Enter', code: 'Enter' }, 2);
    expect(h.scans).toEqual([payload]);
  });

  it('maps shifted keys on a US layout', () => {
    expect(usLayoutCharacter('Digit2', true)).toBe('@');
    expect(usLayoutCharacter('Semicolon', true)).toBe(':');
    expect(usLayoutCharacter('KeyX', false)).toBe('x');
    expect(usLayoutCharacter('Numpad7', false)).toBe('7');
    expect(usLayoutCharacter('ArrowLeft', false)).toBeNull();
  });

  it('ends a scan on Tab when configured, and not when Tab is not a terminator', () => {
    const withTab = harness({ terminators: ['Enter', 'Tab'] });
    withTab.typeText('SY0000000004', 4, 'Tab');
    expect(withTab.scans).toEqual(['SY0000000004']);
    expect(withTab.prevented).toContain('Tab');

    const enterOnly = harness({ terminators: ['Enter'], requireTerminator: true });
    enterOnly.typeText('SY0000000004', 4, 'Tab');
    enterOnly.clock.advance(1000);
    expect(enterOnly.scans).toEqual([]);
    expect(enterOnly.prevented).not.toContain('Tab');
  });

  it('ends a burst without terminator after the idle timeout, when configured for scanners without suffix', () => {
    const h = harness({ idleTimeoutMs: 100, requireTerminator: false });
    h.typeText('SY0000000005', 4, null);
    expect(h.scans).toEqual([]);
    h.clock.advance(99);
    expect(h.scans).toEqual([]);
    h.clock.advance(1);
    expect(h.scans).toEqual(['SY0000000005']);
  });

  it('gives an unterminated burst back to the field by default (a terminator is required)', () => {
    const h = harness({ idleTimeoutMs: 100 });
    const f = new FakeField('x');
    h.focus(f);
    h.typeText('ab12', 4, null);
    h.clock.advance(200);
    expect(h.scans).toEqual([]);
    expect(f.value).toBe('xab12');
  });

  it('gives a fast typist rollover (too short for a scan) back to the field', () => {
    const h = harness();
    const f = new FakeField('');
    h.focus(f);
    h.press(keyFor('l'), 200);
    h.press(keyFor('i'), 20);
    h.press({ key: 'Enter', code: 'Enter' }, 150);
    expect(h.scans).toEqual([]);
    expect(f.value).toBe('li');
    expect(h.prevented).toEqual(['i']);
  });

  it('does not take a held-down key (auto-repeat) for a scan', () => {
    const h = harness();
    const f = new FakeField('');
    h.focus(f);
    h.press(keyFor('a'), 100);
    for (let i = 0; i < 6; i++) h.press({ ...keyFor('a'), repeat: true }, 30);
    h.press({ key: 'Enter', code: 'Enter' }, 30);
    expect(h.scans).toEqual([]);
    expect(h.prevented).toEqual([]);
  });

  it('does not swallow shortcuts with Ctrl', () => {
    const h = harness();
    h.press(keyFor('S'), 100);
    expect(h.press({ key: 'c', code: 'KeyC', ctrlKey: true }, 5)).toBe(false);
    h.press({ key: 'Enter', code: 'Enter' }, 5);
    expect(h.scans).toEqual([]);
  });

  it('detects two scans in a row', () => {
    const h = harness();
    h.typeText('SY0000000006', 3);
    h.clock.advance(300);
    h.typeText('110105198001010019', 3);
    expect(h.scans).toEqual(['SY0000000006', '110105198001010019']);
  });

  it('treats a slow Enter after a burst as the end by silence, not as part of the scan', () => {
    const h = harness({ idleTimeoutMs: 100, requireTerminator: false });
    h.typeText('SY0000000007', 4, null);
    h.clock.advance(100);
    expect(h.press({ key: 'Enter', code: 'Enter' }, 200)).toBe(false);
    expect(h.scans).toEqual(['SY0000000007']);
  });
});

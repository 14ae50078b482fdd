import type { CDPSession, Page } from 'playwright-core';

/** Milliseconds between keys of a scanner burst (USB scanners send one every 1–10 ms). */
export const SCANNER_KEY_MS = 5;

type Key = { key: string; code: string; vk: number; shift: boolean };

// What a US-layout keyboard (which scanners emulate) presses for each character.
const UNSHIFTED: Record<string, [string, number]> = {
  '-': ['Minus', 189], '=': ['Equal', 187], '[': ['BracketLeft', 219], ']': ['BracketRight', 221], '\\': ['Backslash', 220],
  ';': ['Semicolon', 186], "'": ['Quote', 222], ',': ['Comma', 188], '.': ['Period', 190], '/': ['Slash', 191], '`': ['Backquote', 192], ' ': ['Space', 32],
};
const SHIFTED: Record<string, string> = {
  '!': '1', '@': '2', '#': '3', $: '4', '%': '5', '^': '6', '&': '7', '*': '8', '(': '9', ')': '0',
  _: '-', '+': '=', '{': '[', '}': ']', '|': '\\', ':': ';', '"': "'", '<': ',', '>': '.', '?': '/', '~': '`',
};

function keyFor(char: string): Key {
  if (/^[a-z]$/.test(char)) return { key: char, code: `Key${char.toUpperCase()}`, vk: char.toUpperCase().charCodeAt(0), shift: false };
  if (/^[A-Z]$/.test(char)) return { key: char, code: `Key${char}`, vk: char.charCodeAt(0), shift: true };
  if (/^[0-9]$/.test(char)) return { key: char, code: `Digit${char}`, vk: char.charCodeAt(0), shift: false };
  const plain = UNSHIFTED[char];
  if (plain) return { key: char, code: plain[0], vk: plain[1], shift: false };
  const base = SHIFTED[char];
  if (base !== undefined) {
    const k = keyFor(base);
    return { ...k, key: char, shift: true };
  }
  throw new Error(`a keyboard-wedge scanner cannot type ${JSON.stringify(char)}`);
}

const sessions = new WeakMap<Page, CDPSession>();

async function session(page: Page): Promise<CDPSession> {
  let cdp = sessions.get(page);
  if (!cdp) {
    cdp = await page.context().newCDPSession(page);
    sessions.set(page, cdp);
  }
  return cdp;
}

/**
 * Plays a keyboard-wedge scanner: the text then Enter, one key every `keyMs`, each key stamped
 * with the time a real device's key would carry (the OS stamps hardware keys on arrival, so a
 * busy page never stretches a burst). Keys with Shift come with Shift presses, as scanners send
 * them. All keys are queued at once, as a scanner's USB reports are.
 */
export type BurstOptions = {
  keyMs?: number;
  terminator?: 'Enter' | 'Tab' | null;
  /**
   * Plays the burst into an active Chinese pinyin IME, as Chromium reports it: every keydown is
   * `key: 'Process'` (keyCode 229), the IME composes the letters in the focused field, and Enter
   * commits them as typed.
   */
  ime?: boolean;
};

export async function scannerBurst(page: Page, text: string, options: BurstOptions = {}): Promise<void> {
  const cdp = await session(page);
  const keyMs = options.keyMs ?? SCANNER_KEY_MS;
  const terminator = options.terminator === undefined ? 'Enter' : options.terminator;
  const start = Date.now() / 1000;
  const sends: Promise<unknown>[] = [];
  let step = 0;
  const at = () => start + (step * keyMs) / 1000;
  let composition = '';
  const press = (k: Key, text?: string) => {
    const modifiers = k.shift ? 8 : 0;
    if (options.ime) {
      const down = { key: 'Process', code: k.code, windowsVirtualKeyCode: 229, modifiers, timestamp: at() };
      sends.push(cdp.send('Input.dispatchKeyEvent', { type: 'rawKeyDown', ...down }));
      if (k.key === 'Enter') {
        sends.push(cdp.send('Input.insertText', { text: composition }));
        composition = '';
      } else {
        composition += text ?? '';
        sends.push(cdp.send('Input.imeSetComposition', { text: composition, selectionStart: composition.length, selectionEnd: composition.length }));
      }
      sends.push(cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', key: k.key, code: k.code, windowsVirtualKeyCode: k.vk, modifiers, timestamp: at() + 0.001 }));
      step++;
      return;
    }
    if (k.shift) sends.push(cdp.send('Input.dispatchKeyEvent', { type: 'rawKeyDown', key: 'Shift', code: 'ShiftLeft', windowsVirtualKeyCode: 16, modifiers, timestamp: at() - 0.001 }));
    sends.push(cdp.send('Input.dispatchKeyEvent', { type: 'keyDown', key: k.key, code: k.code, windowsVirtualKeyCode: k.vk, modifiers, text, unmodifiedText: text, timestamp: at() }));
    sends.push(cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', key: k.key, code: k.code, windowsVirtualKeyCode: k.vk, modifiers, timestamp: at() + 0.001 }));
    if (k.shift) sends.push(cdp.send('Input.dispatchKeyEvent', { type: 'keyUp', key: 'Shift', code: 'ShiftLeft', windowsVirtualKeyCode: 16, timestamp: at() + 0.002 }));
    step++;
  };
  for (const char of text) press(keyFor(char), char);
  if (terminator === 'Enter') press({ key: 'Enter', code: 'Enter', vk: 13, shift: false }, '\r');
  if (terminator === 'Tab') press({ key: 'Tab', code: 'Tab', vk: 9, shift: false });
  await Promise.all(sends);
}

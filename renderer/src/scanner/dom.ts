import { createWedgeDetector, type FieldSnapshot, type WedgeField, type WedgeOptions } from './wedge';

type TextField = HTMLInputElement | HTMLTextAreaElement;

const TEXT_INPUT_TYPES = new Set(['text', 'search', 'tel', 'url', 'email', 'password', 'number', '']);

function textFieldOf(target: EventTarget | null): TextField | null {
  if (target instanceof HTMLTextAreaElement) return target;
  if (target instanceof HTMLInputElement && TEXT_INPUT_TYPES.has(target.type)) return target;
  return null;
}

/** Fields with an IME composition in progress (tracked from composition events). */
const composing = new WeakSet<EventTarget>();
function isComposing(el: TextField): boolean {
  return composing.has(el);
}

/** How long after a scan late IME commits are undone. */
const HOLD_MS = 150;

/**
 * React keeps its own copy of a controlled input's value; setting `.value` alone would be
 * undone on the next render. Going through the prototype's setter and firing `input` makes
 * React see the change as if the user made it.
 */
function setFieldValue(el: TextField, value: string): void {
  const proto = el instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype : HTMLInputElement.prototype;
  const setter = Object.getOwnPropertyDescriptor(proto, 'value')?.set;
  if (el.value === value) return;
  if (setter) setter.call(el, value);
  else el.value = value;
  el.dispatchEvent(new Event('input', { bubbles: true }));
}

function wedgeField(el: TextField): WedgeField {
  return {
    snapshot: () => ({ value: el.value, selectionStart: el.selectionStart, selectionEnd: el.selectionEnd }),
    restore(snapshot: FieldSnapshot) {
      // Blurring ends an IME composition, so the half-composed text cannot come back later.
      if (el.ownerDocument.activeElement === el && isComposing(el)) {
        el.blur();
        el.focus();
      }
      setFieldValue(el, snapshot.value);
      if (snapshot.selectionStart !== null && snapshot.selectionEnd !== null) {
        try {
          el.setSelectionRange(snapshot.selectionStart, snapshot.selectionEnd);
        } catch {
          // type=number inputs have no selection; the value alone is restored.
        }
      }
    },
    hold(snapshot: FieldSnapshot) {
      const until = performance.now() + HOLD_MS;
      const undo = () => {
        if (performance.now() > until) return stop();
        if (el.value !== snapshot.value) setFieldValue(el, snapshot.value);
      };
      const stop = () => {
        el.removeEventListener('input', undo);
        el.removeEventListener('compositionend', undo);
      };
      el.addEventListener('input', undo);
      el.addEventListener('compositionend', undo);
      setTimeout(stop, HOLD_MS);
    },
  };
}

/**
 * Listens on the window in the capture phase, before any field or React handler, so scans are
 * caught wherever the focus is. Returns a function that detaches it.
 */
export function attachWedge(target: Window, onScan: (text: string) => void, options: Partial<WedgeOptions> = {}): () => void {
  const detector = createWedgeDetector(onScan, options);
  const onKeyDown = (e: KeyboardEvent) => {
    const el = textFieldOf(e.target);
    detector.keydown(e, el ? wedgeField(el) : null);
  };
  const onCompositionStart = (e: CompositionEvent) => {
    if (e.target) composing.add(e.target);
  };
  const onCompositionEnd = (e: CompositionEvent) => {
    if (e.target) composing.delete(e.target);
  };
  const onBlur = () => detector.reset();
  target.addEventListener('keydown', onKeyDown, { capture: true });
  target.addEventListener('compositionstart', onCompositionStart, { capture: true });
  target.addEventListener('compositionend', onCompositionEnd, { capture: true });
  target.addEventListener('blur', onBlur);
  return () => {
    target.removeEventListener('keydown', onKeyDown, { capture: true });
    target.removeEventListener('compositionstart', onCompositionStart, { capture: true });
    target.removeEventListener('compositionend', onCompositionEnd, { capture: true });
    target.removeEventListener('blur', onBlur);
  };
}

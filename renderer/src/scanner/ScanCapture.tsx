import { createContext, useContext, useEffect, useMemo, useRef, type ReactNode } from 'react';
import type { ScanSource } from '../../../electron/api/contract';
import { attachWedge } from './dom';

type ScanHandler = (text: string, source: ScanSource) => void;
type Capture = { push(handler: ScanHandler): () => void };

const CaptureContext = createContext<Capture | null>(null);

/**
 * Owns the keyboard-wedge listener for the whole page. Scans go to the innermost open capture
 * (a dialog that wants a tube code), else to `onScan` (the core's `scan.submit`).
 */
export function ScanCaptureProvider({ onScan, children }: { onScan: ScanHandler; children: ReactNode }) {
  const stack = useRef<ScanHandler[]>([]);
  const fallback = useRef(onScan);
  useEffect(() => {
    fallback.current = onScan;
  }, [onScan]);

  useEffect(
    () =>
      attachWedge(window, (text) => {
        const handler = stack.current[stack.current.length - 1] ?? fallback.current;
        handler(text, 'wedge');
      }),
    [],
  );

  const capture = useMemo<Capture>(
    () => ({
      push(handler) {
        stack.current.push(handler);
        return () => {
          stack.current = stack.current.filter((h) => h !== handler);
        };
      },
    }),
    [],
  );
  return <CaptureContext.Provider value={capture}>{children}</CaptureContext.Provider>;
}

/** While mounted (and `handler` is set), scans go to `handler` instead of the core. */
export function useScanCapture(handler: ScanHandler | null): void {
  const capture = useContext(CaptureContext);
  const latest = useRef(handler);
  useEffect(() => {
    latest.current = handler;
  }, [handler]);
  const active = handler !== null;
  useEffect(() => {
    if (!capture || !active) return;
    return capture.push((text, source) => latest.current?.(text, source));
  }, [capture, active]);
}

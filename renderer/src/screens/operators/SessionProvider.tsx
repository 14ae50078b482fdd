import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { ApiError, Method, ScanSource } from '../../../../electron/api/contract';
import type { IdentifyOutcome, SessionView } from '../../../../electron/api/operators';
import { useConnection, useStation } from '../../app/station';

/** Input this close together counts once: the core needs to know staff are there, not every key. */
const ACTIVITY_EVERY_MS = 20_000;

type SessionApi = {
  /** The core's session; null until the link is up. */
  view: SessionView | null;
  /** A badge was scanned: whose PIN the sign-in screen asks for. */
  pinFor: IdentifyOutcome | null;
  /** The last badge scan the core refused (unknown badge, not a badge), for the sign-in screen. */
  scanRefusal: ApiError | null;
  cancelPin(): void;
  /** A badge scan (or anything scanned while nobody is signed in) goes to `operator.identify`. */
  identify(text: string, source: ScanSource): Promise<void>;
  /** Whether the text looks like one of the site's badges (the core decides; this only routes). */
  isBadge(text: string): boolean;
  /** Whether the signed-in role may call the method: the screens show only what it may do. */
  may(method: Method): boolean;
};

const SessionContext = createContext<SessionApi | null>(null);

/**
 * Who is signed in, as the core says: fetched when the link comes up, kept by `operator.session`
 * events (sign-in, switch, lock, idle lock, sign-out). While someone is signed in, a key press,
 * a touch or a click tells the core staff are still there (the idle lock is the core's).
 */
export function SessionProvider({ children }: { children: ReactNode }) {
  const client = useStation();
  const connection = useConnection();
  const [view, setView] = useState<SessionView | null>(null);
  const [pinFor, setPinFor] = useState<IdentifyOutcome | null>(null);
  const [scanRefusal, setScanRefusal] = useState<ApiError | null>(null);
  const lastActivity = useRef(0);

  useEffect(
    () =>
      client.on('operator.session', (next) => {
        setView(next);
        setPinFor(null);
        setScanRefusal(null);
      }),
    [client],
  );

  useEffect(() => {
    if (connection !== 'online') return;
    let live = true;
    void client.call('operator.session', {}).then((result) => {
      if (live && result.ok) setView(result.value);
    });
    return () => {
      live = false;
    };
  }, [client, connection]);

  // A serial or HID scanner's badge reaches the core directly; its answer names whose PIN to ask for.
  useEffect(
    () =>
      client.on('scan.outcome', ({ result }) => {
        if (result.ok && result.value.kind === 'operator.pinNeeded') setPinFor(result.value);
        else if (!result.ok && view?.state !== 'active') setScanRefusal(result.error);
      }),
    [client, view?.state],
  );

  // Choosing one's own PIN is work at the screen too: the idle lock counts from the last key.
  const active = view?.state === 'active' || view?.state === 'pinChange';
  useEffect(() => {
    if (!active) return;
    const onInput = () => {
      const now = Date.now();
      if (now - lastActivity.current < ACTIVITY_EVERY_MS) return;
      lastActivity.current = now;
      void client.call('operator.activity', {});
    };
    const events = ['keydown', 'pointerdown', 'wheel', 'touchstart'] as const;
    for (const e of events) window.addEventListener(e, onInput, { passive: true, capture: true });
    return () => {
      for (const e of events) window.removeEventListener(e, onInput, { capture: true });
    };
  }, [client, active]);

  const badge = useMemo(() => {
    try {
      return view ? new RegExp(view.badgePattern, 'u') : null;
    } catch {
      return null;
    }
  }, [view]);

  const identify = useCallback(
    async (text: string, source: ScanSource) => {
      const result = await client.call('operator.identify', { text, source });
      if (result.ok) {
        setScanRefusal(null);
        setPinFor(result.value);
      } else {
        setScanRefusal(result.error);
      }
    },
    [client],
  );

  const value = useMemo<SessionApi>(
    () => ({
      view,
      pinFor,
      scanRefusal,
      cancelPin: () => {
        setPinFor(null);
        setScanRefusal(null);
      },
      identify,
      isBadge: (text) => badge?.test(text.trim()) ?? false,
      may: (method) => view?.allowed.includes(method) ?? false,
    }),
    [view, pinFor, scanRefusal, identify, badge],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionApi {
  const api = useContext(SessionContext);
  if (!api) throw new Error('useSession outside SessionProvider');
  return api;
}

/** Whether someone is signed in and the screen is not locked: what the screens may fetch depends on it. */
export function useSignedIn(): boolean {
  return useContext(SessionContext)?.view?.state === 'active';
}

import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { ApiError, Result, ScanSource } from '../../../../electron/api/contract';
import type { Direction, GateCounts, GatePassageView, GateScanOutcome, KeyPersonAction } from '../../../../electron/api/gate';
import { useConnection, useStation } from '../../app/station';
import { useWorkplaceView } from '../../app/workplace';
import type { Message } from '../../feedback/feedback';
import { useFeedback } from '../../feedback/FeedbackProvider';
import { useRefresh } from '../../upload/useRefresh';
import { useSession, useSignedIn } from '../operators/SessionProvider';
import { celsiusText, shownLevel, VERDICT_TONE, verdictKey, verdictMessages, verdictSound, weight } from './words';

/** Passages listed under "recent". */
export const RECENT_PASSAGES = 20;
const COUNT_EVENTS = ['gate.passage'] as const;

const m = (key: string, params?: Record<string, string | number>): Message => ({ key: `gate:${key}`, params });

export type GateApi = {
  /** This station works as a gate and the signed-in role works it: the rest is empty otherwise. */
  active: boolean;
  direction: Direction;
  /** The passage the screen shows big: the last one scanned, or one picked from the recent list. */
  current: GatePassageView | null;
  /** The last scan was refused (a revoked pass, a tube…): why, shown big instead of the previous person's passage. */
  refusal: ApiError | null;
  recent: GatePassageView[];
  counts: GateCounts | null;
  select(passage: GatePassageView): void;
  /** A scan at this gate (keyboard wedge, typed), in the direction the screen shows. */
  scan(text: string, source: ScanSource): Promise<boolean>;
  setDirection(direction: Direction): Promise<boolean>;
  reading(passageId: string, celsius: number): Promise<boolean>;
  remeasure(passageId: string): Promise<boolean>;
  refer(args: { passageId: string; destination: string; escort: string; note: string }): Promise<boolean>;
  keyPersonAction(args: { passageId: string; action: KeyPersonAction; note: string }): Promise<boolean>;
};

const GateContext = createContext<GateApi | null>(null);

/**
 * The attended gate, as the screen keeps it: the current passage (live: a reading that attaches
 * itself changes its verdict, heard again), the recent passages and today's counts; every gate
 * action calls the core and gives its outcome as banner and sound. Scans from serial and HID
 * scanners reach the core directly and come back as `gate.scanned`; keyboard-wedge scans come
 * through `scan` (App.tsx routes them by the workplace). Nothing is kept behind the lock.
 */
export function GateProvider({ children }: { children: ReactNode }) {
  const client = useStation();
  const connection = useConnection();
  const signedIn = useSignedIn();
  const session = useSession();
  const place = useWorkplaceView();
  const { show } = useFeedback();
  const active = signedIn && place?.workplace === 'gate' && session.may('gate.recent');
  const direction = place?.direction ?? 'in';

  const [current, setCurrent] = useState<GatePassageView | null>(null);
  const [refusal, setRefusal] = useState<ApiError | null>(null);
  const [recent, setRecent] = useState<GatePassageView[]>([]);
  const [counts, setCounts] = useState<GateCounts | null>(null);
  const currentId = useRef<string | null>(null);
  /** The newest view of each passage seen, and the verdict last announced for it. */
  const latest = useRef(new Map<string, GatePassageView>());
  const announced = useRef(new Map<string, string>());
  const live = useRef(active);
  live.current = active;

  const remember = useCallback((view: GatePassageView) => {
    const known = latest.current.get(view.id);
    const newest = known && weight(known) > weight(view) ? known : view;
    latest.current.set(view.id, newest);
    setRecent((list) => {
      const rest = list.filter((p) => p.id !== view.id);
      return [newest, ...rest].sort((a, b) => b.at.localeCompare(a.at)).slice(0, RECENT_PASSAGES);
    });
    return newest;
  }, []);

  const announce = useCallback(
    (view: GatePassageView) => {
      announced.current.set(view.id, verdictKey(view));
      const [title, ...detail] = verdictMessages(view);
      show({ tone: VERDICT_TONE[shownLevel(view.verdict)], sound: verdictSound(view) }, title, ...detail);
    },
    [show],
  );

  /** A passage scanned (or changed by the gate keeper's action) becomes the one shown big, heard when its verdict is new. */
  const makeCurrent = useCallback(
    (view: GatePassageView, options: { announce: 'always' | 'ifChanged' | 'never' }) => {
      const newest = remember(view);
      currentId.current = newest.id;
      setCurrent(newest);
      setRefusal(null);
      if (options.announce === 'always' || (options.announce === 'ifChanged' && announced.current.get(newest.id) !== verdictKey(newest))) announce(newest);
      else if (options.announce === 'never') announced.current.set(newest.id, verdictKey(newest));
    },
    [remember, announce],
  );

  const rejected = useCallback((result: Extract<Result<unknown>, { ok: false }>) => show('rejected', m('outcome.rejected'), { error: result.error }), [show]);

  const scanned = useCallback(
    (result: Result<GateScanOutcome>): boolean => {
      if (!result.ok) {
        rejected(result);
        // Whoever is in front of the gate now is not the previous passage's person: its verdict goes.
        currentId.current = null;
        setCurrent(null);
        setRefusal(result.error);
        return false;
      }
      // A badge answered here names whose PIN to ask for: the sign-in screen's (App routes badges there first).
      if (result.value.kind === 'gate.passage') makeCurrent(result.value.passage, { announce: 'always' });
      return true;
    },
    [makeCurrent, rejected],
  );

  // Locked, signed out, or no longer a gate: nobody's passage stays on the page.
  useEffect(() => {
    if (active) return;
    currentId.current = null;
    latest.current.clear();
    announced.current.clear();
    setCurrent(null);
    setRefusal(null);
    setRecent([]);
    setCounts(null);
  }, [active]);

  useEffect(() => {
    if (!active || connection !== 'online') return;
    let still = true;
    void client.call('gate.recent', { limit: RECENT_PASSAGES }).then((r) => {
      if (!still || !r.ok) return;
      for (const p of [...r.value].reverse()) remember(p);
    });
    return () => {
      still = false;
    };
  }, [client, connection, active, remember]);

  const refreshCounts = useCallback(() => {
    if (!live.current) return;
    void client.call('gate.counts', {}).then((r) => live.current && r.ok && setCounts(r.value));
  }, [client]);
  useRefresh(refreshCounts, COUNT_EVENTS);
  useEffect(() => {
    if (active) refreshCounts();
  }, [active, refreshCounts]);

  useEffect(() => {
    const offs = [
      client.on('gate.passage', (view) => {
        if (!live.current) return;
        if (view.id === currentId.current) makeCurrent(view, { announce: 'ifChanged' });
        else remember(view);
      }),
      client.on('gate.reading', ({ reading, passageId }) => {
        if (!live.current || passageId !== null) return;
        // A reading nobody's passage could take: the gate keeper measures again (or types it in).
        show(
          reading.high ? { tone: 'rejected', sound: 'fever' } : 'confirm',
          m('outcome.readingUnattached', { celsius: celsiusText(reading.celsius) }),
          m(`match.${reading.match}`),
        );
      }),
      client.on('gate.scanned', ({ result }) => {
        if (live.current) scanned(result);
      }),
    ];
    return () => offs.forEach((off) => off());
  }, [client, makeCurrent, remember, scanned, show]);

  const run = useCallback(
    async <T,>(call: Promise<Result<T>>, onValue: (value: T) => void): Promise<boolean> => {
      const result = await call;
      if (!result.ok) {
        rejected(result);
        return false;
      }
      onValue(result.value);
      return true;
    },
    [rejected],
  );

  const value = useMemo<GateApi>(
    () => ({
      active,
      direction,
      current,
      refusal,
      recent,
      counts,
      select: (passage) => makeCurrent(latest.current.get(passage.id) ?? passage, { announce: 'never' }),
      scan: async (text, source) => scanned(await client.call('gate.scan', { text, source, direction })),
      setDirection: (next) => run(client.call('gate.setDirection', { direction: next }), () => show('info', m('outcome.direction'), m(`direction.${next}`))),
      reading: (passageId, celsius) => run(client.call('gate.reading', { passageId, celsius }), (view) => makeCurrent(view, { announce: 'always' })),
      remeasure: (passageId) =>
        run(client.call('gate.remeasure', { passageId }), (view) => {
          makeCurrent(view, { announce: 'never' });
          show('info', m('outcome.remeasure', { label: view.person.label }), m('outcome.remeasureDetail'));
        }),
      refer: (args) =>
        run(client.call('gate.refer', args), (view) => {
          makeCurrent(view, { announce: 'never' });
          show('full', m('outcome.referred', { label: view.person.label }), m('outcome.referredDetail', { destination: args.destination, escort: args.escort }));
        }),
      keyPersonAction: (args) =>
        run(client.call('gate.keyPersonAction', args), (view) => {
          makeCurrent(view, { announce: 'never' });
          show('full', m('outcome.keyPersonActionRecorded', { label: view.person.label }), m(`keyPersonAction.${args.action}`));
        }),
    }),
    [active, direction, current, refusal, recent, counts, makeCurrent, scanned, client, run, show],
  );
  return <GateContext.Provider value={value}>{children}</GateContext.Provider>;
}

export function useGate(): GateApi {
  const api = useContext(GateContext);
  if (!api) throw new Error('useGate outside GateProvider');
  return api;
}

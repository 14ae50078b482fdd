import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { ApiError, Events } from '../../../electron/api/contract';
import type { LabelSettings } from '../../../electron/api/labels';
import { useConnection, useStation } from '../app/station';
import { useSignedIn } from '../screens/operators/SessionProvider';

export type LabelJob = Events['label.job'];

type LabelJobsApi = {
  /** The last finished job, printed or not. */
  last: LabelJob | null;
  /** Codes whose latest job did not print, oldest first: the labels staff still have to reprint. */
  unprinted: string[];
  /** The latest failed job (its fault is what the warning words). */
  lastFailure: LabelJob | null;
  settings: LabelSettings | null;
  /** The code being reprinted right now, if any. */
  reprinting: string | null;
  /** A reprint the core refused (a code it does not know), until the next job. */
  refusal: ApiError | null;
  reprint(code: string): Promise<void>;
  /** Reprints every unprinted label in order, stopping at the first that fails again. */
  reprintUnprinted(): Promise<void>;
  setPrintOnOpen(enabled: boolean): Promise<void>;
};

const LabelJobsContext = createContext<LabelJobsApi | null>(null);

/**
 * Label jobs as the core reports them (`label.job`), kept above the screens so a failure stays
 * on the desk after a visit to another screen. Printing never blocks the desk: this only reports.
 */
export function LabelJobsProvider({ children }: { children: ReactNode }) {
  const client = useStation();
  const connection = useConnection();
  const signedIn = useSignedIn();
  const [last, setLast] = useState<LabelJob | null>(null);
  const [lastFailure, setLastFailure] = useState<LabelJob | null>(null);
  const [unprinted, setUnprinted] = useState<string[]>([]);
  const [settings, setSettings] = useState<LabelSettings | null>(null);
  const [reprinting, setReprinting] = useState<string | null>(null);
  const [refusal, setRefusal] = useState<ApiError | null>(null);

  useEffect(
    () =>
      client.on('label.job', (job) => {
        setLast(job);
        setRefusal(null);
        if (job.printed) {
          setUnprinted((codes) => codes.filter((c) => c !== job.code));
        } else {
          setLastFailure(job);
          setUnprinted((codes) => [...codes.filter((c) => c !== job.code), job.code]);
        }
      }),
    [client],
  );

  useEffect(() => {
    if (connection !== 'online' || !signedIn) return;
    let live = true;
    const load = () =>
      void client.call('label.settings', {}).then((result) => {
        if (live && result.ok) setSettings(result.value);
      });
    load();
    // A printer added, removed or switched on the Devices screen changes what the desk offers.
    const off = client.on('device.status', ({ kind }) => kind === 'printer' && load());
    return () => {
      live = false;
      off();
    };
  }, [client, connection, signedIn]);

  const reprintOne = useCallback(
    async (code: string): Promise<boolean> => {
      setReprinting(code);
      try {
        const result = await client.call('label.reprint', { code });
        if (!result.ok) {
          setRefusal(result.error);
          return false;
        }
        return result.value.printed;
      } finally {
        setReprinting(null);
      }
    },
    [client],
  );

  const reprint = useCallback(async (code: string) => void (await reprintOne(code)), [reprintOne]);

  const reprintUnprinted = useCallback(async () => {
    for (const code of unprinted) {
      if (!(await reprintOne(code))) return;
    }
  }, [unprinted, reprintOne]);

  const setPrintOnOpen = useCallback(
    async (enabled: boolean) => {
      const result = await client.call('label.setPrintOnOpen', { enabled });
      if (result.ok) setSettings((s) => ({ hasPrinter: s?.hasPrinter ?? false, printOnOpen: result.value.enabled }));
      else setRefusal(result.error);
    },
    [client],
  );

  const value = useMemo(
    () => ({ last, unprinted, lastFailure, settings, reprinting, refusal, reprint, reprintUnprinted, setPrintOnOpen }),
    [last, unprinted, lastFailure, settings, reprinting, refusal, reprint, reprintUnprinted, setPrintOnOpen],
  );
  return <LabelJobsContext.Provider value={value}>{children}</LabelJobsContext.Provider>;
}

export function useLabelJobs(): LabelJobsApi {
  const api = useContext(LabelJobsContext);
  if (!api) throw new Error('useLabelJobs outside LabelJobsProvider');
  return api;
}

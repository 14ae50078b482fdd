import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import type { DeskState } from '../../../electron/api/contract';
import { useConnection, useStation } from '../app/station';
import { useSignedIn } from '../screens/operators/SessionProvider';

const DeskStateContext = createContext<DeskState | null>(null);

/**
 * The desk as the core last described it: fetched whenever the link comes up, then kept fresh
 * by `desk.changed` events. The screen only ever shows what the core has committed.
 */
export function DeskStateProvider({ children }: { children: ReactNode }) {
  const client = useStation();
  const connection = useConnection();
  const signedIn = useSignedIn();
  const [state, setState] = useState<DeskState | null>(null);
  const eventsSeen = useRef(0);

  useEffect(() => {
    if (!signedIn) return;
    return client.on('desk.changed', (next) => {
      eventsSeen.current++;
      setState(next);
    });
  }, [client, signedIn]);

  useEffect(() => {
    // Locked or signed out, the desk (and who is in its tube) is not kept on the page at all.
    if (!signedIn) return setState(null);
    if (connection !== 'online') return;
    let live = true;
    const seenAtRequest = eventsSeen.current;
    void client.call('desk.state', {}).then((result) => {
      // An event that arrived meanwhile is newer than this answer.
      if (live && result.ok && eventsSeen.current === seenAtRequest) setState(result.value);
    });
    return () => {
      live = false;
    };
  }, [client, connection, signedIn]);

  return <DeskStateContext.Provider value={state}>{children}</DeskStateContext.Provider>;
}

export function useDeskState(): DeskState | null {
  return useContext(DeskStateContext);
}

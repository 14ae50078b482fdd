import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import type { Workplace, WorkplaceView } from '../../../electron/api/gate';
import { useConnection, useStation } from './station';

const WorkplaceContext = createContext<WorkplaceView | null>(null);

/**
 * What the station works as (sampling desk, attended gate, sentinel) and the gate's direction, as
 * the core says: fetched whenever the link comes up (signed in or not: it carries no personal
 * data), then kept by `station.workplace` events (a site admin's change, a direction switched at
 * the gate). Null until the core has answered.
 */
export function WorkplaceProvider({ children }: { children: ReactNode }) {
  const client = useStation();
  const connection = useConnection();
  const [view, setView] = useState<WorkplaceView | null>(null);
  const eventsSeen = useRef(0);

  useEffect(
    () =>
      client.on('station.workplace', (next) => {
        eventsSeen.current++;
        setView(next);
      }),
    [client],
  );

  useEffect(() => {
    if (connection !== 'online') return;
    let live = true;
    const seenAtRequest = eventsSeen.current;
    void client.call('station.workplace', {}).then((result) => {
      // An event that arrived meanwhile is newer than this answer.
      if (live && result.ok && eventsSeen.current === seenAtRequest) setView(result.value);
    });
    return () => {
      live = false;
    };
  }, [client, connection]);

  return <WorkplaceContext.Provider value={view}>{children}</WorkplaceContext.Provider>;
}

export function useWorkplaceView(): WorkplaceView | null {
  return useContext(WorkplaceContext);
}

/** What the station works as; a sampling desk until the core has said otherwise (most stations are). */
export function useWorkplace(): Workplace {
  return useContext(WorkplaceContext)?.workplace ?? 'desk';
}

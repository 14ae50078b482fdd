import { createContext, useContext, useSyncExternalStore, type ReactNode } from 'react';
import type { Connection, StationClient } from '../api';

const StationContext = createContext<StationClient | null>(null);

export function StationProvider({ client, children }: { client: StationClient; children: ReactNode }) {
  return <StationContext.Provider value={client}>{children}</StationContext.Provider>;
}

/** The typed API of whichever host the screen runs under. */
export function useStation(): StationClient {
  const client = useContext(StationContext);
  if (!client) throw new Error('useStation outside StationProvider');
  return client;
}

export function useConnection(): Connection {
  const client = useStation();
  return useSyncExternalStore(client.onConnection, client.connection);
}

import { useEffect, useState } from 'react';
import type { WorkplaceView } from '../../../electron/api/gate';
import { useConnection, useStation } from './station';

/**
 * What the station works as (desk, gate, sentinel) and the gate's direction, as the core says:
 * fetched whenever the link comes up (a restarted core, a reconnected page) and kept by the
 * `station.workplace` event. Null until known. Anyone at the screen may read it, signed in or not.
 */
export function useWorkplace(): WorkplaceView | null {
  const client = useStation();
  const connection = useConnection();
  const [view, setView] = useState<WorkplaceView | null>(null);
  useEffect(() => client.on('station.workplace', setView), [client]);
  useEffect(() => {
    if (connection !== 'online') return;
    let live = true;
    void client.call('station.workplace', {}).then((result) => {
      if (live && result.ok) setView(result.value);
    });
    return () => {
      live = false;
    };
  }, [client, connection]);
  return view;
}

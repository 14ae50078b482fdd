import { useEffect } from 'react';
import type { EventName } from '../../../electron/api/contract';
import { useConnection, useStation } from '../app/station';

/** After a change the core reports, ask again at most this often. */
const REFRESH_AFTER_CHANGE_MS = 500;

/**
 * Calls `refresh` when the link to the core comes up, and again (debounced) after any of
 * `events`: for views the core does not push whole, like upload counts and results.
 */
export function useRefresh(refresh: () => void, events: readonly EventName[]): void {
  const client = useStation();
  const connection = useConnection();
  const eventKey = events.join(' ');

  useEffect(() => {
    if (connection === 'online') refresh();
  }, [connection, refresh]);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const later = () => {
      if (timer === null) timer = setTimeout(() => ((timer = null), refresh()), REFRESH_AFTER_CHANGE_MS);
    };
    const offs = eventKey.split(' ').map((event) => client.on(event as EventName, later));
    return () => {
      if (timer !== null) clearTimeout(timer);
      offs.forEach((off) => off());
    };
  }, [client, refresh, eventKey]);
}

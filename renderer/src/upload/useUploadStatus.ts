import { useCallback, useEffect, useState } from 'react';
import type { UploadStatus } from '../../../electron/api/upload';
import { useConnection, useStation } from '../app/station';

/** After a scan the waiting count changes; ask again at most this often. */
const REFRESH_AFTER_CHANGE_MS = 500;

/**
 * The upload status as the core reports it: fetched when the link comes up, pushed by
 * `upload.status` events, and fetched again (debounced) after desk changes add records.
 */
export function useUploadStatus(): { status: UploadStatus | null; refresh: () => void } {
  const client = useStation();
  const connection = useConnection();
  const [status, setStatus] = useState<UploadStatus | null>(null);

  const refresh = useCallback(() => {
    void client.call('upload.status', {}).then((result) => {
      if (result.ok) setStatus(result.value);
    });
  }, [client]);

  useEffect(() => {
    if (connection === 'online') refresh();
  }, [connection, refresh]);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    const later = () => {
      if (timer === null) timer = setTimeout(() => ((timer = null), refresh()), REFRESH_AFTER_CHANGE_MS);
    };
    const offStatus = client.on('upload.status', setStatus);
    const offDesk = client.on('desk.changed', later);
    const offResults = client.on('results.changed', later);
    return () => {
      if (timer !== null) clearTimeout(timer);
      offStatus();
      offDesk();
      offResults();
    };
  }, [client, refresh]);

  return { status, refresh };
}

import { useCallback, useEffect, useState } from 'react';
import type { UploadStatus } from '../../../electron/api/upload';
import { useStation } from '../app/station';
import { useRefresh } from './useRefresh';

/** A scan adds records to wait; a feed pull changes results. */
const REFRESH_EVENTS = ['desk.changed', 'results.changed'] as const;

/**
 * The upload status as the core reports it: fetched when the link comes up, pushed by
 * `upload.status` events, and fetched again (debounced) after desk changes add records.
 */
export function useUploadStatus(): { status: UploadStatus | null; refresh: () => void } {
  const client = useStation();
  const [status, setStatus] = useState<UploadStatus | null>(null);

  const refresh = useCallback(() => {
    void client.call('upload.status', {}).then((result) => {
      if (result.ok) setStatus(result.value);
    });
  }, [client]);

  useRefresh(refresh, REFRESH_EVENTS);
  useEffect(() => client.on('upload.status', setStatus), [client]);

  return { status, refresh };
}

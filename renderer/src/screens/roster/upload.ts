import type { StationClient } from '../../api';
import type { ApiError } from '../../../../electron/api/contract';

/** A slice of the file as base64, read by the browser itself (no string building in script). */
function base64Of(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = String(reader.result);
      resolve(url.slice(url.indexOf(',') + 1));
    };
    reader.onerror = () => reject(reader.error ?? new Error('read failed'));
    reader.readAsDataURL(blob);
  });
}

/**
 * Sends a chosen ledger file to the core through the typed API, a chunk per call, so the same
 * code works under Electron and in the kiosk browser. A chunk whose answer was lost is sent again.
 */
export async function uploadLedger(
  client: StationClient,
  file: File,
  onProgress: (sent: number, total: number) => void,
): Promise<{ ok: true; uploadId: string } | { ok: false; error: ApiError }> {
  const begun = await client.call('roster.upload', { fileName: file.name, size: file.size });
  if (!begun.ok) return begun;
  const { uploadId, chunkBytes } = begun.value;
  let offset = 0;
  while (offset < file.size) {
    const data = await base64Of(file.slice(offset, offset + chunkBytes));
    let sent = await client.call('roster.uploadChunk', { uploadId, offset, data });
    if (!sent.ok && sent.error.code === 'host.unreachable') sent = await client.call('roster.uploadChunk', { uploadId, offset, data });
    if (!sent.ok) return sent;
    offset = sent.value.received;
    onProgress(offset, file.size);
  }
  return { ok: true, uploadId };
}

import type { PreloadApi } from '../../../electron/api/contract';
import type { StationClient } from './client';
import { createPreloadClient } from './electron';
import { apiUrl, createSocketClient, type SocketLike } from './websocket';

declare global {
  // Declaration merging with the DOM's Window needs an interface.
  // eslint-disable-next-line @typescript-eslint/consistent-type-definitions
  interface Window {
    /** Present only under the Electron host (electron/preload). */
    station?: PreloadApi;
  }
}

/** Picks the host's transport: the preload's bridge under Electron, else the kiosk WebSocket. */
export function connectStation(): StationClient {
  if (window.station) return createPreloadClient(window.station);
  return createSocketClient({ url: apiUrl(window.location), createSocket: browserSocket, isRefused: keyRefused });
}

/** The host answers 401 to a page whose key (cookie) is from an earlier launch. */
async function keyRefused(): Promise<boolean> {
  const response = await fetch('/healthz', { credentials: 'same-origin', cache: 'no-store' });
  return response.status === 401;
}

function browserSocket(url: string): SocketLike {
  const ws = new WebSocket(url);
  const socket: SocketLike = {
    get readyState() {
      return ws.readyState;
    },
    send: (data) => ws.send(data),
    close: () => ws.close(),
    onopen: null,
    onmessage: null,
    onclose: null,
    onerror: null,
  };
  ws.onopen = (e) => socket.onopen?.(e);
  ws.onmessage = (e) => socket.onmessage?.(e);
  ws.onclose = (e) => socket.onclose?.(e);
  ws.onerror = (e) => socket.onerror?.(e);
  return socket;
}

export type { Connection, StationClient } from './client';

/**
 * The unlock window's only door: `window.stationUnlock` (see `api/unlock.ts`). Sandboxed, so it
 * can require nothing but `electron`: the channel names are repeated from `api/unlock.ts`, and
 * `satisfies UnlockApi` checks the shape.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { UnlockAnswer, UnlockApi, UnlockMode } from '../api/unlock';

const api = {
  mode: () => ipcRenderer.invoke('unlock.mode') as Promise<UnlockMode>,
  submit: (passphrase: string) => ipcRenderer.invoke('unlock.submit', passphrase) as Promise<UnlockAnswer>,
} satisfies UnlockApi;

contextBridge.exposeInMainWorld('stationUnlock', api);

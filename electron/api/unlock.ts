/**
 * The unlock window (Electron, when the data key is under a passphrase): what its preload gives the
 * page as `window.stationUnlock`. It is not part of the core's API: the core starts only once the
 * key is unlocked, and only the main process sees the passphrase.
 */
import { z } from 'zod';

export const UNLOCK_MODE_CHANNEL = 'unlock.mode';
export const UNLOCK_SUBMIT_CHANNEL = 'unlock.submit';

/** `unlock`: the folder's key is under a passphrase; `create`: a fresh folder, the admin chooses one. */
export type UnlockMode = 'unlock' | 'create';

export type UnlockErrorCode = 'storage.keyWrong' | 'storage.passphraseTooShort' | 'request.invalid' | 'internal';
export type UnlockAnswer = { ok: true } | { ok: false; code: UnlockErrorCode };

export type UnlockApi = {
  mode(): Promise<UnlockMode>;
  submit(passphrase: string): Promise<UnlockAnswer>;
};

export const passphraseSchema = z.string().min(1).max(1024);

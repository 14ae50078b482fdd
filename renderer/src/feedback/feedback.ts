import type { ApiError } from '../../../electron/api/contract';

/** How an outcome should feel: each has its colour and its sound. */
export type Tone = 'accepted' | 'rejected' | 'full' | 'confirm' | 'info';

/** Words kept as an i18n key (or an error) and translated when shown, so a language switch applies. */
export type Message = { key: string; params?: Record<string, string | number> } | { error: ApiError };

export type Feedback = { id: number; tone: Tone; title: Message; detail: Message[] };

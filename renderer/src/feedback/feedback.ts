/** How an outcome should feel: each has its colour and its sound. */
export type Tone = 'accepted' | 'rejected' | 'full' | 'confirm' | 'info';

export type Feedback = { id: number; tone: Tone; title: string; detail: string | null };

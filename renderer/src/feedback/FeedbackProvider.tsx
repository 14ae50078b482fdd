import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import type { Feedback, Message, Tone } from './feedback';
import { playTone } from './sound';

type FeedbackApi = { current: Feedback | null; show(tone: Tone, title: Message, ...detail: (Message | null)[]): void };

const FeedbackContext = createContext<FeedbackApi | null>(null);

export function FeedbackProvider({ children }: { children: ReactNode }) {
  const [current, setCurrent] = useState<Feedback | null>(null);
  const show = useCallback((tone: Tone, title: Message, ...detail: (Message | null)[]) => {
    playTone(tone);
    setCurrent((prev) => ({ id: (prev?.id ?? 0) + 1, tone, title, detail: detail.filter((m): m is Message => m !== null) }));
  }, []);
  const value = useMemo(() => ({ current, show }), [current, show]);
  return <FeedbackContext.Provider value={value}>{children}</FeedbackContext.Provider>;
}

export function useFeedback(): FeedbackApi {
  const api = useContext(FeedbackContext);
  if (!api) throw new Error('useFeedback outside FeedbackProvider');
  return api;
}

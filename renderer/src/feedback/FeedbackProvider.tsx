import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useSignedIn } from '../screens/operators/SessionProvider';
import type { Feedback, Message, Tone } from './feedback';
import { playTone, type Sound } from './sound';

/** A tone, or a tone with a sound of its own (the gate's alarms sound apart from an ordinary refusal). */
export type ToneWithSound = Tone | { tone: Tone; sound: Sound };

type FeedbackApi = { current: Feedback | null; show(tone: ToneWithSound, title: Message, ...detail: (Message | null)[]): void };

const FeedbackContext = createContext<FeedbackApi | null>(null);

export function FeedbackProvider({ children }: { children: ReactNode }) {
  const [current, setCurrent] = useState<Feedback | null>(null);
  const seq = useRef(0);
  const signedIn = useSignedIn();
  // The last outcome ("张三 3/10") is not kept behind the lock for whoever signs in next.
  useEffect(() => {
    if (!signedIn) setCurrent(null);
  }, [signedIn]);
  const show = useCallback((how: ToneWithSound, title: Message, ...detail: (Message | null)[]) => {
    const { tone, sound } = typeof how === 'string' ? { tone: how, sound: how } : how;
    playTone(sound);
    setCurrent({ id: ++seq.current, tone, title, detail: detail.filter((m): m is Message => m !== null) });
  }, []);
  const value = useMemo(() => ({ current, show }), [current, show]);
  return <FeedbackContext.Provider value={value}>{children}</FeedbackContext.Provider>;
}

export function useFeedback(): FeedbackApi {
  const api = useContext(FeedbackContext);
  if (!api) throw new Error('useFeedback outside FeedbackProvider');
  return api;
}

import type { Tone } from '../../feedback/feedback';
import { playTone } from '../../feedback/sound';

/**
 * The sentinel's voice: the platform's speech synthesis (Web Speech API) with a Chinese voice
 * when the machine has one, else the desk's tones. Voices load late in Chromium (`getVoices()` is
 * empty until `voiceschanged`), so the choice is made at each verdict, never cached as "none".
 */
export type Voice = 'speech' | 'tone';

function chineseVoice(synth: SpeechSynthesis): SpeechSynthesisVoice | null {
  const voices = synth.getVoices();
  const zh = voices.filter((v) => /^(zh|cmn)([-_]|$)/i.test(v.lang));
  // Mandarin as spoken on the mainland first; any Chinese voice (zh-TW, zh-HK) before none.
  return zh.find((v) => /^(zh[-_]CN|cmn[-_]Hans|zh[-_]Hans)/i.test(v.lang)) ?? zh[0] ?? null;
}

/** Says `words` in Mandarin, or plays `tone` where no Chinese voice exists; what was used. */
export function speakOrTone(words: string, tone: Tone): Voice {
  try {
    const synth = typeof window !== 'undefined' ? window.speechSynthesis : undefined;
    const voice = synth ? chineseVoice(synth) : null;
    if (synth && voice) {
      // The verdict before is stale: the person in front now is who is spoken to.
      synth.cancel();
      const utterance = new SpeechSynthesisUtterance(words);
      utterance.lang = voice.lang;
      utterance.voice = voice;
      utterance.rate = 1;
      synth.speak(utterance);
      return 'speech';
    }
  } catch {
    // A broken speech engine is no reason to stop the gate: the tone says it.
  }
  playTone(tone);
  return 'tone';
}

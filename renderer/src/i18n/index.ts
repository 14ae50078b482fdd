import i18next from 'i18next';
import { useCallback } from 'react';
import { initReactI18next, useTranslation } from 'react-i18next';
import type { ApiError } from '../../../electron/api/contract';
import { translateError, withFaultWords, withRoleWords } from './errors';

export const LANGUAGES = ['zh-CN', 'en'] as const;
export type Language = (typeof LANGUAGES)[number];
const STORAGE_KEY = 'station.language';

// Every `<lang>/<namespace>.json` is picked up: a new domain adds its files, nothing else.
const files = import.meta.glob<{ default: Record<string, unknown> }>('./*/*.json', { eager: true });

type Resources = Record<string, Record<string, Record<string, unknown>>>;
const resources: Resources = {};
for (const [file, module] of Object.entries(files)) {
  const match = /^\.\/([^/]+)\/([^/]+)\.json$/.exec(file);
  if (!match?.[1] || !match[2]) continue;
  (resources[match[1]] ??= {})[match[2]] = module.default;
}
export const NAMESPACES: readonly string[] = Object.keys(resources['zh-CN'] ?? {});

function storedLanguage(): Language {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    return LANGUAGES.find((l) => l === stored) ?? 'zh-CN';
  } catch {
    return 'zh-CN';
  }
}

export function initI18n(): typeof i18next {
  const lng = storedLanguage();
  void i18next.use(initReactI18next).init({
    resources,
    lng,
    fallbackLng: 'zh-CN',
    ns: [...NAMESPACES],
    defaultNS: 'common',
    interpolation: { escapeValue: false },
    initAsync: false,
    showSupportNotice: false,
    returnNull: false,
  });
  document.documentElement.lang = lng;
  return i18next;
}

export function setLanguage(lng: Language): void {
  void i18next.changeLanguage(lng);
  document.documentElement.lang = lng;
  try {
    localStorage.setItem(STORAGE_KEY, lng);
  } catch {
    // A kiosk profile without storage still switches, just not across restarts.
  }
}

/** `t` plus the error translator, for components. */
export function useStationTranslation(ns: string | string[] = 'common') {
  const { t, i18n } = useTranslation(ns);
  const errorText = useCallback(
    (error: ApiError) => {
      const translate = i18n.t.bind(i18n) as (k: string | string[], o?: Record<string, unknown>) => string;
      return translateError(translate, NAMESPACES, withRoleWords(translate, withFaultWords(translate, error)));
    },
    [i18n],
  );
  const language = i18n.language as Language;
  /** A few names in a row, as each language writes them: 1号、2号 / desk 1, desk 2. */
  const list = useCallback((items: readonly string[]) => items.join(language === 'en' ? ', ' : '、'), [language]);
  return { t, i18n, language, errorText, list };
}

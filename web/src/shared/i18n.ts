import i18next, { type Resource } from 'i18next';
import { initReactI18next } from 'react-i18next';

/*
 * Message catalogues per language and namespace (web/src/i18n/<lang>/<namespace>.json). The
 * language is the one the person chose (kept in localStorage), else the first of the browser's
 * Accept-Language list we have, else English. Adding a language is adding a folder.
 */

export const LANGUAGES = { en: 'English', de: 'Deutsch' } as const;
export type Language = keyof typeof LANGUAGES;
const STORAGE_KEY = 'signet.language';

export function detectLanguage(): Language {
  const chosen = safeStorage()?.getItem(STORAGE_KEY);
  if (chosen && chosen in LANGUAGES) return chosen as Language;
  for (const tag of navigator.languages ?? [navigator.language]) {
    const base = tag.toLowerCase().split('-')[0];
    if (base && base in LANGUAGES) return base as Language;
  }
  return 'en';
}

export async function setupI18n(resources: Resource, namespaces: string[]) {
  await i18next.use(initReactI18next).init({
    resources,
    lng: detectLanguage(),
    fallbackLng: 'en',
    ns: namespaces,
    defaultNS: namespaces[0],
    interpolation: { escapeValue: false }, // React escapes
    returnNull: false,
  });
  document.documentElement.lang = i18next.language;
  return i18next;
}

export async function changeLanguage(language: Language) {
  safeStorage()?.setItem(STORAGE_KEY, language);
  await i18next.changeLanguage(language);
  document.documentElement.lang = language;
}

function safeStorage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined; // storage blocked (a third-party iframe in some browsers)
  }
}

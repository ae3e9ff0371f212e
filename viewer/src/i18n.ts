import { useEffect, useState } from 'preact/hooks';

import { en, type MessageKey } from './messages/en.js';
import { zhCN } from './messages/zh-CN.js';

export type { MessageKey };

export type Language = 'zh-CN' | 'en';
export const languages: readonly Language[] = ['zh-CN', 'en'];

const catalogs: Record<Language, Record<MessageKey, string>> = { 'zh-CN': zhCN, en };
const STORAGE_KEY = 'yunzhen.language';

function initialLanguage(): Language {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored === 'zh-CN' || stored === 'en') return stored;
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

let current: Language = initialLanguage();
const listeners = new Set<(language: Language) => void>();

export function setLanguage(language: Language): void {
  current = language;
  localStorage.setItem(STORAGE_KEY, language);
  document.documentElement.lang = language;
  for (const listener of listeners) listener(language);
}

export function translate(language: Language, key: MessageKey): string {
  return catalogs[language][key];
}

/** The current language and its translator; re-renders the caller when the language changes. */
export function useI18n() {
  const [language, setState] = useState(current);
  useEffect(() => {
    listeners.add(setState);
    return () => void listeners.delete(setState);
  }, []);
  return { language, t: (key: MessageKey) => translate(language, key) };
}

document.documentElement.lang = current;

/**
 * A moment as people of the chosen language write it (not the browser's locale, which may
 * differ from the language chosen here): 2026/12/4 13:47 in Chinese, 4 Dec 2026, 13:47 in English.
 */
export function formatDateTime(iso: string | Date, language: Language): string {
  return new Intl.DateTimeFormat(language === 'zh-CN' ? 'zh-CN' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
}

export { displayName } from './person-name.js';

const ageUnits: Record<string, { en: string; 'zh-CN': string }> = {
  D: { en: 'd', 'zh-CN': '天' },
  W: { en: 'w', 'zh-CN': '周' },
  M: { en: 'mo', 'zh-CN': '个月' },
  Y: { en: 'y', 'zh-CN': '岁' },
};

/** A DICOM age (AS, `020Y`, `006M`) as people write it: "20 y" or "20 岁"; anything else as it came. */
export function formatAge(age: string | null | undefined, language: Language): string {
  const match = /^(\d{3})([DWMY])$/.exec(age ?? '');
  if (!match) return age ?? '';
  const unit = ageUnits[match[2]!]![language];
  return language === 'zh-CN' ? `${Number(match[1])}${unit}` : `${Number(match[1])} ${unit}`;
}

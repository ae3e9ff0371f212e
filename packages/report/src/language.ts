/** The languages a report is written in: one of the two locales, or both side by side for international patients. */
export type ReportLanguage = 'zh-CN' | 'en' | 'both';

/** A single locale (BCP 47 tag). */
export type Locale = 'zh-CN' | 'en';

/** Free text in one or both locales; a report in language `both` needs every locale filled. */
export type LocalizedText = Partial<Record<Locale, string>>;

/** A label that every template and rendering carries in both locales. */
export type Labels = Record<Locale, string>;

/** The locales a report in `language` is written in, Chinese first. */
export function localesOf(language: ReportLanguage): Locale[] {
  return language === 'both' ? ['zh-CN', 'en'] : [language];
}

/** The trimmed text in `locale`, or `''` when there is none. */
export function textIn(text: LocalizedText | undefined, locale: Locale): string {
  return text?.[locale]?.trim() ?? '';
}

/** True when `text` has non-blank content in every locale of `language`. */
export function isCompleteText(text: LocalizedText | undefined, language: ReportLanguage): boolean {
  return localesOf(language).every((locale) => textIn(text, locale) !== '');
}

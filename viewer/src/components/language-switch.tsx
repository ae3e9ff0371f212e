import { languages, setLanguage, useI18n } from '../i18n.js';

const labels = { 'zh-CN': '中文', en: 'English' } as const;

export function LanguageSwitch() {
  const { language, t } = useI18n();
  return (
    <div class="language-switch" role="group" aria-label={t('language')}>
      {languages.map((option) => (
        <button
          type="button"
          key={option}
          lang={option}
          aria-pressed={option === language}
          data-language={option}
          onClick={() => setLanguage(option)}
        >
          {labels[option]}
        </button>
      ))}
    </div>
  );
}

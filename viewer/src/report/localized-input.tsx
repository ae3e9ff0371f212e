import { localesOf, type Locale, type LocalizedText, type ReportLanguage } from '@yunzhen/report';

const localeLabel: Record<Locale, string> = { 'zh-CN': '中文', en: 'English' };

/** A text field in every language of the report, side by side for bilingual reports. */
export function LocalizedInput(props: {
  value: LocalizedText | undefined;
  language: ReportLanguage;
  onChange: (value: LocalizedText) => void;
  rows?: number;
  name: string;
  disabled?: boolean;
}) {
  const locales = localesOf(props.language);
  return (
    <div class={`localized${locales.length > 1 ? ' side-by-side' : ''}`}>
      {locales.map((locale) => (
        <textarea
          key={locale}
          lang={locale}
          name={`${props.name}.${locale}`}
          data-testid={`field-${props.name}-${locale}`}
          rows={props.rows ?? 3}
          disabled={props.disabled}
          placeholder={locales.length > 1 ? localeLabel[locale] : undefined}
          value={props.value?.[locale] ?? ''}
          onInput={(event) => props.onChange({ ...props.value, [locale]: event.currentTarget.value })}
        />
      ))}
    </div>
  );
}

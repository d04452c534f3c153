import { useLocale, useTranslations } from 'next-intl';
import { chooseLocale } from '@/app/actions';
import { LOCALES, type Locale } from '@/i18n/locales';

// Each language is named in itself, so a visitor can find theirs whatever the page speaks now.
const NAMES: Record<Locale, string> = { en: 'English', 'zh-CN': '中文' };

export function LocaleSwitch() {
  const t = useTranslations('Header');
  const current = useLocale();
  return (
    <form action={chooseLocale} className="locale-switch" aria-label={t('language')}>
      {LOCALES.map((locale) => (
        <button key={locale} type="submit" name="locale" value={locale} lang={locale} aria-pressed={locale === current}>
          {NAMES[locale]}
        </button>
      ))}
    </form>
  );
}

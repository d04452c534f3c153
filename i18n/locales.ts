import { match } from '@formatjs/intl-localematcher';
import Negotiator from 'negotiator';

/** The interface's languages: English, and Simplified Chinese, the classic guestbook's audience. */
export const LOCALES = ['en', 'zh-CN'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'en';

/** The cookie that remembers a visitor's choice; the name next-intl uses too. */
export const LOCALE_COOKIE = 'NEXT_LOCALE';

export const isLocale = (value: unknown): value is Locale => LOCALES.includes(value as Locale);

/** The visitor's choice if remembered, else the best match for the browser's Accept-Language. */
export function negotiateLocale(cookie: string | undefined, acceptLanguage: string | null): Locale {
  if (isLocale(cookie)) return cookie;
  const requested = new Negotiator({ headers: { 'accept-language': acceptLanguage ?? '' } }).languages();
  try {
    // Best fit maps zh, zh-Hans and zh-SG to zh-CN, and leaves zh-TW (Traditional) to English.
    return match(requested, [...LOCALES], DEFAULT_LOCALE) as Locale;
  } catch {
    // A malformed tag in the header must not break the page.
    return DEFAULT_LOCALE;
  }
}

import type en from '../messages/en.json';
import type { Locale } from './locales';

// Typed message keys: a missing or misspelled key fails the type check.
declare module 'next-intl' {
  interface AppConfig {
    Messages: typeof en;
    Locale: Locale;
  }
}

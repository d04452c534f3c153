import en from '@/messages/en.json';
import zh from '@/messages/zh-CN.json';
import { LOCALES, type Locale } from './locales';

/** Every text of the interface, per language: loaded once per process, not per request. */
export const MESSAGES: Record<Locale, typeof en> = { en, 'zh-CN': zh };

// What the client components translate; the header, the footer and the metadata are rendered on the
// server alone, and their texts need not travel to the browser in every page.
const CLIENT_NAMESPACES = ['Form', 'Entries'] as const;
type ClientMessages = Pick<typeof en, (typeof CLIENT_NAMESPACES)[number]>;

const CLIENT_MESSAGES = Object.fromEntries(
  LOCALES.map((locale) => [locale, Object.fromEntries(CLIENT_NAMESPACES.map((namespace) => [namespace, MESSAGES[locale][namespace]]))]),
) as Record<Locale, ClientMessages>;

/** The messages that the layout gives the client components, the same object for every page. */
export const clientMessages = (locale: Locale): ClientMessages => CLIENT_MESSAGES[locale];

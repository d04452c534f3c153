import { cookies, headers } from 'next/headers';
import { getRequestConfig } from 'next-intl/server';
import { LOCALE_COOKIE, negotiateLocale } from './locales';
import { MESSAGES } from './messages';

export default getRequestConfig(async () => {
  const locale = negotiateLocale((await cookies()).get(LOCALE_COOKIE)?.value, (await headers()).get('accept-language'));
  return {
    locale,
    messages: MESSAGES[locale],
    // The server cannot know the visitor's zone; the browser shows exact times in its own.
    timeZone: 'UTC',
    now: new Date(),
  };
});

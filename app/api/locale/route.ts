import { cookies } from 'next/headers';
import { LOCALE_COOKIE, negotiateLocale } from '@/i18n/locales';
import { route } from '@/lib/http/route';

/**
 * The language that a page would be rendered in for this request's cookie and Accept-Language: the
 * front tier asks it once per distinct pair and keys its page cache on the answer (decision 014).
 * The same inputs always give the same answer, so a shared cache may keep it for a day.
 */
export const GET = route(async (request) => {
  const locale = negotiateLocale((await cookies()).get(LOCALE_COOKIE)?.value, request.headers.get('accept-language'));
  return Response.json(
    { locale },
    { headers: { 'Content-Language': locale, 'Cache-Control': 'public, max-age=0, s-maxage=86400', Vary: 'Accept-Language, Cookie' } },
  );
});

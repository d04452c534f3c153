'use client';

import { useLocale, useNow } from 'next-intl';
import { useBrowserValue } from './use-browser-value';
import { formatExactTime, formatRelativeTime } from '@/i18n/time-format';

const browserTimeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

/**
 * "3 minutes ago", kept fresh, with the exact time on hover. The server renders the relative time at
 * its own clock; the exact time comes with hydration, in the visitor's time zone, which the server
 * cannot know (before, the server sent every title in UTC only for hydration to replace it).
 */
export function RelativeTime({ iso }: { iso: string }) {
  const locale = useLocale();
  const now = useNow({ updateInterval: 30_000 });
  const date = new Date(iso);
  const timeZone = useBrowserValue<string | null>(browserTimeZone, null);
  return (
    <time dateTime={iso} title={timeZone ? formatExactTime(date, locale, timeZone) : undefined}>
      {/* An entry newer than the clock that the page last read (posted since) is "now", never "in 3 s". */}
      {formatRelativeTime(date, date > now ? date : now, locale)}
    </time>
  );
}

'use client';

import { useLocale, useNow } from 'next-intl';
import { useBrowserValue } from './use-browser-value';
import { formatExactTime, formatRelativeTime } from '@/i18n/time-format';

/** What the times of a list are read against, taken once for the whole list. */
export interface Clock {
  locale: string;
  /** The page's clock: the server's while it renders and hydrates, then the browser's, every 30 s. */
  now: Date;
  /** The visitor's time zone; null while the server renders, which cannot know it. */
  timeZone: string | null;
}

const browserTimeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

export function useClock(): Clock {
  const locale = useLocale();
  const now = useNow({ updateInterval: 30_000 });
  const timeZone = useBrowserValue<string | null>(browserTimeZone, null);
  return { locale, now, timeZone };
}

/**
 * "3 minutes ago", with the exact time on hover once hydrated, in the visitor's time zone (the
 * server sends no title: it would be in UTC, only to be replaced).
 */
export function RelativeTime({ iso, clock: { locale, now, timeZone } }: { iso: string; clock: Clock }) {
  const date = new Date(iso);
  return (
    <time dateTime={iso} title={timeZone ? formatExactTime(date, locale, timeZone) : undefined}>
      {/* An entry newer than the clock that the page last read (posted since) is "now", never "in 3 s". */}
      {formatRelativeTime(date, date > now ? date : now, locale)}
    </time>
  );
}

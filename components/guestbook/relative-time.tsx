'use client';

import { useLocale, useNow } from 'next-intl';
import { useSyncExternalStore } from 'react';
import { formatExactTime, formatRelativeTime } from '@/i18n/time-format';

const neverChanges = () => () => {};
const browserTimeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

/**
 * "3 minutes ago", kept fresh, with the exact time on hover. The server renders both in UTC at its
 * own clock; after hydration the title switches to the visitor's time zone.
 */
export function RelativeTime({ iso }: { iso: string }) {
  const locale = useLocale();
  const now = useNow({ updateInterval: 30_000 });
  const date = new Date(iso);
  const timeZone = useSyncExternalStore(neverChanges, browserTimeZone, () => 'UTC');
  return (
    <time dateTime={iso} title={formatExactTime(date, locale, timeZone)}>
      {/* An entry newer than the clock that the page last read (posted since) is "now", never "in 3 s". */}
      {formatRelativeTime(date, date > now ? date : now, locale)}
    </time>
  );
}

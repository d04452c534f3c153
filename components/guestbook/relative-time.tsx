'use client';

import { useFormatter, useNow } from 'next-intl';
import { useBrowserValue } from './use-browser-value';

const browserTimeZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

/**
 * "3 minutes ago", kept fresh, with the exact time on hover. The server renders both in UTC at its
 * own clock; after hydration the title switches to the visitor's time zone.
 */
export function RelativeTime({ iso }: { iso: string }) {
  const format = useFormatter();
  const now = useNow({ updateInterval: 30_000 });
  const date = new Date(iso);
  const timeZone = useBrowserValue(browserTimeZone, 'UTC');
  const exact = format.dateTime(date, { dateStyle: 'full', timeStyle: 'long', timeZone });
  return (
    <time dateTime={iso} title={exact} className="entry-time">
      {/* An entry newer than the clock that the page last read (posted since) is "now", never "in 3 s". */}
      {format.relativeTime(date, date > now ? date : now)}
    </time>
  );
}

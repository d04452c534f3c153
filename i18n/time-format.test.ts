import { createFormatter } from 'next-intl';
import { describe, expect, it } from 'vitest';
import { LOCALES } from './locales';
import { formatExactTime, formatRelativeTime } from './time-format';

const NOW = new Date('2026-11-27T12:00:00.000Z');
const SECONDS_AGO = [0, 0.4, 1, 2, 44, 59, 59.6, 60, 89, 90, 3599, 3600, 5400, 86_399, 86_400, 129_600, 604_799, 604_800, 2_627_999, 2_628_000, 31_535_999, 31_536_000, 94_608_000];

describe.each(LOCALES)('times in %s', (locale) => {
  const nextIntl = createFormatter({ locale, timeZone: 'UTC', now: NOW });

  it.each(SECONDS_AGO)('%s s ago reads as next-intl words it', (seconds) => {
    const date = new Date(NOW.getTime() - seconds * 1000);
    expect(formatRelativeTime(date, NOW, locale)).toBe(nextIntl.relativeTime(date, NOW));
  });

  it.each(['UTC', 'Asia/Shanghai', 'America/Los_Angeles'])('the exact time in %s reads as next-intl words it', (timeZone) => {
    const date = new Date('2026-03-08T10:30:15.000Z');
    expect(formatExactTime(date, locale, timeZone)).toBe(nextIntl.dateTime(date, { dateStyle: 'full', timeStyle: 'long', timeZone }));
  });
});

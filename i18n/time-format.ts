/**
 * Relative and exact times, worded as next-intl's format.relativeTime and format.dateTime word them,
 * from Intl formatters made once per process and language: making one costs tens of times more than
 * formatting with it (a full date style most of all), and a page shows twenty times.
 */

const MINUTE = 60;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const YEAR = 365 * DAY;

// Each unit in seconds, and the magnitude from which the next one is used (next-intl's thresholds).
const UNITS = [
  { unit: 'second', seconds: 1, below: MINUTE },
  { unit: 'minute', seconds: MINUTE, below: HOUR },
  { unit: 'hour', seconds: HOUR, below: DAY },
  { unit: 'day', seconds: DAY, below: 7 * DAY },
  { unit: 'week', seconds: 7 * DAY, below: YEAR / 12 },
  { unit: 'month', seconds: YEAR / 12, below: YEAR },
  { unit: 'year', seconds: YEAR, below: Infinity },
] as const;

function cached<T>(made: Map<string, T>, key: string, make: () => T): T {
  let value = made.get(key);
  if (value === undefined) made.set(key, (value = make()));
  return value;
}

const relativeFormats = new Map<string, Intl.RelativeTimeFormat>();
const exactFormats = new Map<string, Intl.DateTimeFormat>();

/** "3 minutes ago": `date` relative to `now`, in the largest unit that fits, rounded. */
export function formatRelativeTime(date: Date, now: Date, locale: string): string {
  const seconds = (date.getTime() - now.getTime()) / 1000;
  const { unit, seconds: size } = UNITS.find(({ below }) => Math.abs(seconds) < below)!;
  // "now" rather than "0 seconds ago" needs numeric 'auto'; larger units keep 'always', as next-intl
  // does, so that a day ago is never "yesterday" across a midnight that it did not cross.
  const numeric = unit === 'second' ? 'auto' : 'always';
  const format = cached(relativeFormats, `${locale} ${numeric}`, () => new Intl.RelativeTimeFormat(locale, { numeric }));
  return format.format(Math.round(seconds / size), unit);
}

/** "Friday, November 27, 2026 at 12:00:00 PM UTC" in the given time zone. */
export function formatExactTime(date: Date, locale: string, timeZone: string): string {
  const format = cached(exactFormats, `${locale} ${timeZone}`, () => new Intl.DateTimeFormat(locale, { dateStyle: 'full', timeStyle: 'long', timeZone }));
  return format.format(date);
}
